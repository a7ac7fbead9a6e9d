import { Migrator, sql } from "kysely";
import type { Store } from "./db.js";
import { migrationProvider } from "./migrations/index.js";

/**
 * Applies pending migrations. On PostgreSQL, Kysely's migrator holds a transaction-scoped
 * advisory lock, so several replicas starting together apply each migration exactly once.
 */
export async function migrate(store: Store): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
  const migrationTableSchema =
    store.dialect === "postgres" ? (await sql<{ s: string }>`select current_schema() as s`.execute(store.db)).rows[0].s : undefined;
  const migrator = new Migrator({ db: store.db, provider: migrationProvider(store.dialect), allowUnorderedMigrations: true, migrationTableSchema });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${(error as Error).message ?? error}`);
  }
}

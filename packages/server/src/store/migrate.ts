import { Migrator, sql } from "kysely";
import type { Db, Store } from "./db.js";
import { migrationProvider } from "./migrations/index.js";

/** Any 64-bit number of our own; every oneclaw replica of one database takes the same lock. */
export const MIGRATION_LOCK = 7_345_112_908;

/**
 * Applies pending migrations. On PostgreSQL the whole step (schema creation, Kysely's own
 * bookkeeping tables, every migration) runs on one connection holding a session-level
 * advisory lock, so several replicas starting together on a fresh database apply each
 * migration exactly once and none sees a half-built schema.
 */
export async function migrate(store: Store): Promise<void> {
  if (store.dialect !== "postgres") return runMigrator(store, store.db);
  await store.db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      if (store.pgSchema) await sql`create schema if not exists ${sql.id(store.pgSchema)}`.execute(conn);
      // Kysely's migrator introspects the tables of every schema in the database; another schema
      // dropped at that moment (by something that is not oneclaw) fails it with 3F000. Retry that.
      for (let attempt = 1; ; attempt++) {
        try {
          await runMigrator(store, conn as Db);
          break;
        } catch (e) {
          const code = ((e as Error).cause as { code?: string } | undefined)?.code;
          if (code !== "3F000" || attempt >= 5) throw e;
        }
      }
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}

async function runMigrator(store: Store, db: Db): Promise<void> {
  // Kysely looks for its bookkeeping tables in every schema unless told which one is ours.
  const schema =
    store.dialect === "postgres"
      ? (store.pgSchema ?? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s ?? "public")
      : undefined;
  const migrator = new Migrator({
    db,
    provider: migrationProvider(store.dialect),
    allowUnorderedMigrations: true,
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error");
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
}

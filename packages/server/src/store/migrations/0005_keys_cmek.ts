import type { MigrationFactory } from "./types.js";
import { types } from "./types.js";

/** Old vault KEK versions, key rotation/migration jobs, CMEK rotation jobs. */
export const keysCmek: MigrationFactory = (dialect) => ({
  async up(db) {
    const t = types(dialect);
    await db.schema
      .createTable("vault_keks")
      .addColumn("vault_id", "text", (c) => c.notNull().references("vaults.id").onDelete("cascade"))
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("wrapped_kek", t.bytes, (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("retired_at", "text")
      .addPrimaryKeyConstraint("vault_keks_pk", ["vault_id", "version"])
      .execute();
    await db.schema
      .createTable("key_jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("subject", "text", (c) => c.notNull())
      .addColumn("target_version", "integer", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("processed", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("error", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("completed_at", "text")
      .execute();
    await db.schema.createIndex("key_jobs_kind_status_idx").on("key_jobs").columns(["kind", "subject", "status"]).execute();
    await db.schema
      .createTable("cmek_rotation_jobs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("vault_id", "text", (c) => c.notNull().references("vaults.id").onDelete("cascade"))
      .addColumn("old_fingerprint", "text", (c) => c.notNull())
      .addColumn("new_fingerprint", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("total_secrets", "integer", (c) => c.notNull())
      .addColumn("processed", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("error", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("started_at", "text")
      .addColumn("heartbeat_at", "text")
      .addColumn("completed_at", "text")
      .execute();
    await db.schema.createIndex("cmek_rotation_jobs_vault_idx").on("cmek_rotation_jobs").column("vault_id").execute();
    await db.schema.createIndex("secret_versions_cmek_idx").on("secret_versions").columns(["cmek_fingerprint"]).execute();
  },
});

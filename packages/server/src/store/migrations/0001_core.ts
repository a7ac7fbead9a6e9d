import type { MigrationFactory } from "./types.js";
import { types } from "./types.js";

export const core: MigrationFactory = (dialect) => ({
  async up(db) {
    const t = types(dialect);
    await db.schema
      .createTable("orgs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("billing_tier", "text", (c) => c.notNull().defaultTo("enterprise"))
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("users")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
      .addColumn("email", "text", (c) => c.notNull().unique())
      .addColumn("password_hash", "text")
      .addColumn("display_name", "text")
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("auth_method", "text", (c) => c.notNull())
      .addColumn("email_verified", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("marketing_emails", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("totp_enabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("is_platform_admin", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("users_org_idx").on("users").column("org_id").execute();
    await db.schema
      .createTable("server_keys")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("wrapped", t.bytes, (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("audit_events")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull())
      .addColumn("seq", t.bigint, (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("actor_id", "text", (c) => c.notNull())
      .addColumn("actor_type", "text", (c) => c.notNull())
      .addColumn("resource_type", "text", (c) => c.notNull())
      .addColumn("resource_id", "text")
      .addColumn("details", "text", (c) => c.notNull())
      .addColumn("ip_address", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .addUniqueConstraint("audit_events_org_seq", ["org_id", "seq"])
      .execute();
    await db.schema.createIndex("audit_events_org_created_idx").on("audit_events").columns(["org_id", "created_at"]).execute();
    await db.schema
      .createTable("audit_heads")
      .addColumn("org_id", "text", (c) => c.primaryKey())
      .addColumn("seq", t.bigint, (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("revoked_tokens")
      .addColumn("jti", "text", (c) => c.primaryKey())
      .addColumn("expires_at", t.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("email_verifications")
      .addColumn("token_hash", "text", (c) => c.primaryKey())
      .addColumn("user_id", "text", (c) => c.notNull().references("users.id").onDelete("cascade"))
      .addColumn("expires_at", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createTable("vaults")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_by_type", "text", (c) => c.notNull())
      .addColumn("wrapped_kek", t.bytes, (c) => c.notNull())
      .addColumn("kek_version", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("cmek_enabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("cmek_fingerprint", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("vaults_org_idx").on("vaults").column("org_id").execute();
    await db.schema
      .createTable("secrets")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("vault_id", "text", (c) => c.notNull().references("vaults.id").onDelete("cascade"))
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("latest_version", "integer", (c) => c.notNull())
      .addColumn("deleted_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .addUniqueConstraint("secrets_vault_path", ["vault_id", "path"])
      .execute();
    await db.schema
      .createTable("secret_versions")
      .addColumn("secret_id", "text", (c) => c.notNull().references("secrets.id").onDelete("cascade"))
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("type", "text", (c) => c.notNull())
      .addColumn("ciphertext", t.bytes, (c) => c.notNull())
      .addColumn("iv", t.bytes, (c) => c.notNull())
      .addColumn("wrapped_dek", t.bytes, (c) => c.notNull())
      .addColumn("kek_version", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("metadata", "text")
      .addColumn("expires_at", "text")
      .addColumn("max_access_count", "integer")
      .addColumn("access_count", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("cmek_fingerprint", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_by_type", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("secret_versions_pk", ["secret_id", "version"])
      .execute();
  },
});

import type { MigrationFactory } from "./types.js";

/** Agents, access policies and the per-email enrollment cooldown. */
export const agentsPolicies: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable("agents")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("description", "text")
      .addColumn("auth_method", "text", (c) => c.notNull())
      .addColumn("scopes", "text")
      .addColumn("is_active", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("deleted_at", "text")
      .addColumn("expires_at", "text")
      .addColumn("token_ttl_seconds", "integer")
      .addColumn("vault_ids", "text", (c) => c.notNull())
      .addColumn("intents_api_enabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("tx_to_allowlist", "text", (c) => c.notNull())
      .addColumn("tx_max_value_eth", "text")
      .addColumn("tx_daily_limit_eth", "text")
      .addColumn("tx_allowed_chains", "text", (c) => c.notNull())
      .addColumn("shroud_enabled", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("shroud_config", "text")
      .addColumn("client_cert_fingerprint", "text")
      .addColumn("oidc_issuer", "text")
      .addColumn("oidc_client_id", "text")
      .addColumn("ssh_public_key", "text")
      .addColumn("ecdh_public_key", "text")
      .addColumn("api_key_hash", "text", (c) => c.unique())
      .addColumn("key_prefix", "text")
      .addColumn("key_generation", "integer", (c) => c.notNull().defaultTo(1))
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("last_active_at", "text")
      .execute();
    await db.schema.createIndex("agents_org_idx").on("agents").column("org_id").execute();
    await db.schema.createIndex("agents_cert_idx").on("agents").column("client_cert_fingerprint").execute();
    await db.schema.createIndex("agents_oidc_idx").on("agents").column("oidc_issuer").execute();
    await db.schema
      .createTable("policies")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("vault_id", "text", (c) => c.notNull().references("vaults.id").onDelete("cascade"))
      .addColumn("org_id", "text", (c) => c.notNull())
      .addColumn("secret_path_pattern", "text", (c) => c.notNull())
      .addColumn("principal_type", "text", (c) => c.notNull())
      .addColumn("principal_id", "text", (c) => c.notNull())
      .addColumn("permissions", "text", (c) => c.notNull())
      .addColumn("conditions", "text", (c) => c.notNull())
      .addColumn("expires_at", "text")
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_by_type", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("policies_vault_idx").on("policies").column("vault_id").execute();
    await db.schema.createIndex("policies_principal_idx").on("policies").columns(["principal_type", "principal_id"]).execute();
    await db.schema
      .createTable("agent_enrollments")
      .addColumn("email_hash", "text", (c) => c.primaryKey())
      .addColumn("last_at", "text", (c) => c.notNull())
      .execute();
  },
});

import type { MigrationFactory } from "./types.js";

/** Shares, organisation invitations and IP rules. */
export const sharingOrgSecurity: MigrationFactory = () => ({
  async up(db) {
    await db.schema
      .createTable("shares")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id"))
      .addColumn("secret_id", "text", (c) => c.notNull().references("secrets.id").onDelete("cascade"))
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_by_type", "text", (c) => c.notNull())
      .addColumn("recipient_type", "text", (c) => c.notNull())
      .addColumn("recipient_id", "text")
      .addColumn("recipient_principal_type", "text")
      .addColumn("recipient_email", "text")
      .addColumn("permissions", "text", (c) => c.notNull())
      .addColumn("passphrase_hash", "text")
      .addColumn("ip_allowlist", "text")
      .addColumn("max_access_count", "integer", (c) => c.notNull())
      .addColumn("access_count", "integer", (c) => c.notNull().defaultTo(0))
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("accepted_at", "text")
      .addColumn("declined_at", "text")
      .addColumn("revoked_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("shares_creator_idx").on("shares").columns(["created_by", "created_by_type"]).execute();
    await db.schema.createIndex("shares_recipient_idx").on("shares").columns(["recipient_id", "recipient_principal_type"]).execute();
    await db.schema.createIndex("shares_email_idx").on("shares").column("recipient_email").execute();
    await db.schema
      .createTable("org_invites")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
      .addColumn("email", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("token_hash", "text", (c) => c.notNull().unique())
      .addColumn("invited_by", "text", (c) => c.notNull())
      .addColumn("expires_at", "text", (c) => c.notNull())
      .addColumn("accepted_at", "text")
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("org_invites_org_idx").on("org_invites").columns(["org_id", "email"]).execute();
    await db.schema
      .createTable("ip_rules")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("org_id", "text", (c) => c.notNull().references("orgs.id").onDelete("cascade"))
      .addColumn("rule_type", "text", (c) => c.notNull())
      .addColumn("cidr", "text", (c) => c.notNull())
      .addColumn("label", "text")
      .addColumn("applies_to", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .execute();
    await db.schema.createIndex("ip_rules_org_idx").on("ip_rules").column("org_id").execute();
  },
});

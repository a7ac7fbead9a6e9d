import { ModuleStore, type Tx } from "../../store/db.js";

export type AgentTables = {
  agents: {
    id: string;
    org_id: string;
    name: string;
    description: string | null;
    auth_method: string;
    /** JSON array, or null when the agent has no explicit scopes. */
    scopes: string | null;
    is_active: number;
    /** Set by DELETE: the agent is hidden and can never authenticate again. */
    deleted_at: string | null;
    expires_at: string | null;
    token_ttl_seconds: number | null;
    vault_ids: string;
    intents_api_enabled: number;
    tx_to_allowlist: string;
    tx_max_value_eth: string | null;
    tx_daily_limit_eth: string | null;
    tx_allowed_chains: string;
    shroud_enabled: number;
    shroud_config: string | null;
    client_cert_fingerprint: string | null;
    oidc_issuer: string | null;
    oidc_client_id: string | null;
    ssh_public_key: string | null;
    ecdh_public_key: string | null;
    /** HMAC-SHA-256 of the ocv_ key under the server pepper; unique, so the key alone finds the agent. */
    api_key_hash: string | null;
    key_prefix: string | null;
    /** Bumped on key rotation; tokens carry it, so tokens minted with an older key stop working. */
    key_generation: number;
    created_by: string;
    created_at: string;
    updated_at: string;
    last_active_at: string | null;
  };
  agent_enrollments: {
    email_hash: string;
    last_at: string;
  };
};
export type AgentRow = AgentTables["agents"];

export class AgentStore extends ModuleStore<AgentTables> {
  byId(id: string) {
    return this.db.selectFrom("agents").selectAll().where("id", "=", id).executeTakeFirst();
  }

  byKeyHash(hash: string) {
    return this.db.selectFrom("agents").selectAll().where("api_key_hash", "=", hash).executeTakeFirst();
  }

  byCertFingerprint(fp: string) {
    return this.db.selectFrom("agents").selectAll().where("client_cert_fingerprint", "=", fp).where("deleted_at", "is", null).execute();
  }

  byOidcIssuer(issuer: string) {
    return this.db.selectFrom("agents").selectAll().where("oidc_issuer", "=", issuer).where("deleted_at", "is", null).execute();
  }

  listByOrg(orgId: string) {
    return this.db.selectFrom("agents").selectAll().where("org_id", "=", orgId).where("deleted_at", "is", null).orderBy("created_at").orderBy("id").execute();
  }

  async idsByOrgIn(trx: Tx, orgId: string): Promise<string[]> {
    return (await this.tx(trx).selectFrom("agents").select("id").where("org_id", "=", orgId).where("deleted_at", "is", null).execute()).map((r) => r.id);
  }

  creators() {
    return this.db.selectFrom("agents").select(["id", "created_by"]).execute();
  }

  insert(trx: Tx, row: AgentRow) {
    return this.tx(trx).insertInto("agents").values(row).execute();
  }

  update(trx: Tx, id: string, patch: Partial<AgentRow>) {
    return this.tx(trx).updateTable("agents").set(patch).where("id", "=", id).execute();
  }

  touch(id: string, at: string) {
    return this.db.updateTable("agents").set({ last_active_at: at }).where("id", "=", id).execute();
  }

  userInOrg(userId: string, orgId: string) {
    return this.db.selectFrom("users").select(["id", "org_id", "email"]).where("id", "=", userId).where("org_id", "=", orgId).executeTakeFirst();
  }

  userByEmail(email: string) {
    return this.db.selectFrom("users").select(["id", "org_id", "email"]).where("email", "=", email).executeTakeFirst();
  }

  /**
   * Records an enrollment for the email unless one happened after `cutoff`; atomic on both
   * dialects (a concurrent second attempt finds the row and gets nothing back).
   */
  async claimEnrollment(trx: Tx, emailHash: string, now: string, cutoff: string): Promise<boolean> {
    const r = await this.tx(trx)
      .insertInto("agent_enrollments")
      .values({ email_hash: emailHash, last_at: now })
      .onConflict((oc) => oc.column("email_hash").doUpdateSet({ last_at: now }).where("agent_enrollments.last_at", "<=", cutoff))
      .returning("email_hash")
      .executeTakeFirst();
    return !!r;
  }

  lastEnrollment(emailHash: string) {
    return this.db.selectFrom("agent_enrollments").select("last_at").where("email_hash", "=", emailHash).executeTakeFirst();
  }
}

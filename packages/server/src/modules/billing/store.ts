import { sql } from "kysely";
import { ModuleStore, type Db, type Tx } from "../../store/db.js";

export type BillingTables = {
  org_billing: {
    org_id: string;
    free_tier_override: number | null;
    is_sponsored: number;
    overage_method: string;
    billing_interval: string | null;
    period_end: string | null;
    updated_at: string;
  };
  usage_monthly: { org_id: string; month: string; requests: number; paid_requests: number; cost_micro_usd: number };
  usage_events: {
    id: string;
    org_id: string;
    principal_type: string;
    principal_id: string;
    method: string;
    endpoint: string;
    status_code: number;
    price_micro_usd: number;
    is_paid: number;
    created_at: string;
  };
  credit_transactions: {
    id: string;
    org_id: string;
    type: string;
    amount_cents: number;
    balance_after_cents: number;
    description: string | null;
    expires_at: string | null;
    created_at: string;
  };
  /** Read-only here: counted for resource limits. */
  vaults: { id: string; org_id: string; created_by_type: string };
  secrets: { id: string; vault_id: string; deleted_at: string | null };
  agents: { id: string; org_id: string; deleted_at: string | null };
};
export type OrgBillingRow = BillingTables["org_billing"];
export type UsageEventRow = BillingTables["usage_events"];

const count = (r: { n: number | string | bigint } | undefined) => Number(r?.n ?? 0);

export class BillingStore extends ModuleStore<BillingTables> {

  org(orgId: string, trx?: Tx) {
    return this.tx(trx)
      .selectFrom("orgs")
      .leftJoin("org_billing", "org_billing.org_id", "orgs.id")
      .select(["orgs.id", "orgs.billing_tier", "org_billing.free_tier_override", "org_billing.is_sponsored", "org_billing.overage_method", "org_billing.billing_interval", "org_billing.period_end"])
      .where("orgs.id", "=", orgId)
      .executeTakeFirst();
  }

  async upsertBilling(trx: Tx, orgId: string, patch: Partial<Omit<OrgBillingRow, "org_id">>, now: string) {
    await this.tx(trx)
      .insertInto("org_billing")
      .values({ org_id: orgId, free_tier_override: null, is_sponsored: 0, overage_method: "credits", billing_interval: null, period_end: null, ...patch, updated_at: now })
      .onConflict((oc) => oc.column("org_id").doUpdateSet({ ...patch, updated_at: now }))
      .execute();
  }

  setTier(trx: Tx, orgId: string, tier: string) {
    return this.tx(trx).updateTable("orgs").set({ billing_tier: tier }).where("id", "=", orgId).execute();
  }

  async monthUsage(orgId: string, month: string) {
    const r = await this.db.selectFrom("usage_monthly").selectAll().where("org_id", "=", orgId).where("month", "=", month).executeTakeFirst();
    return { requests: Number(r?.requests ?? 0), paid: Number(r?.paid_requests ?? 0), costMicroUsd: Number(r?.cost_micro_usd ?? 0) };
  }

  /** Applies buffered counters and events in one transaction. */
  async flush(counters: Array<{ orgId: string; month: string; requests: number }>, events: UsageEventRow[]) {
    await this.db.transaction().execute(async (trx) => {
      for (const c of counters) {
        await trx
          .insertInto("usage_monthly")
          .values({ org_id: c.orgId, month: c.month, requests: c.requests, paid_requests: 0, cost_micro_usd: 0 })
          .onConflict((oc) => oc.columns(["org_id", "month"]).doUpdateSet({ requests: sql`usage_monthly.requests + ${c.requests}` }))
          .execute();
      }
      for (let i = 0; i < events.length; i += 200) await trx.insertInto("usage_events").values(events.slice(i, i + 200)).execute();
    });
  }

  pruneEvents(before: string) {
    return this.db.deleteFrom("usage_events").where("created_at", "<", before).execute();
  }

  history(orgId: string, limit: number) {
    return this.db.selectFrom("usage_events").selectAll().where("org_id", "=", orgId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  }

  async countVaults(trx: Tx | Db, orgId: string) {
    return count(await this.tx(trx).selectFrom("vaults").select((eb) => eb.fn.countAll<number>().as("n")).where("org_id", "=", orgId).where("created_by_type", "!=", "system").executeTakeFirst());
  }

  async countAgents(trx: Tx | Db, orgId: string) {
    return count(
      await this.tx(trx).selectFrom("agents").select((eb) => eb.fn.countAll<number>().as("n")).where("org_id", "=", orgId).where("deleted_at", "is", null).executeTakeFirst(),
    );
  }

  async countSecrets(trx: Tx | Db, orgId: string) {
    return count(
      await this.tx(trx)
        .selectFrom("secrets")
        .innerJoin("vaults", "vaults.id", "secrets.vault_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("vaults.org_id", "=", orgId)
        .where("vaults.created_by_type", "!=", "system")
        .where("secrets.deleted_at", "is", null)
        .executeTakeFirst(),
    );
  }

  async countMembers(orgId: string) {
    return count(await this.db.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).where("org_id", "=", orgId).executeTakeFirst());
  }

  /** Serialises limit checks of one org on PostgreSQL (SQLite already has one writer). */
  async lockOrg(trx: Tx, orgId: string, dialect: string) {
    if (dialect === "postgres") await this.tx(trx).selectFrom("orgs").select("id").where("id", "=", orgId).forUpdate().execute();
  }

  async creditBalance(orgId: string) {
    const last = await this.db.selectFrom("credit_transactions").select("balance_after_cents").where("org_id", "=", orgId).orderBy("created_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst();
    return Number(last?.balance_after_cents ?? 0);
  }

  async creditsExpiring(orgId: string, before: string, now: string) {
    const r = await this.db
      .selectFrom("credit_transactions")
      .select((eb) => [eb.fn.sum<number>("amount_cents").as("amount"), eb.fn.min<string>("expires_at").as("earliest")])
      .where("org_id", "=", orgId)
      .where("type", "=", "topup")
      .where("expires_at", ">", now)
      .where("expires_at", "<=", before)
      .executeTakeFirst();
    return { amount: Number(r?.amount ?? 0), earliest: r?.earliest ?? null };
  }

  creditTransactions(orgId: string, limit: number, offset: number) {
    return this.db.selectFrom("credit_transactions").selectAll().where("org_id", "=", orgId).orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).offset(offset).execute();
  }
}

import crypto from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { AppContext } from "../../context.js";
import { ApiError, forbidden, limitExceeded, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { AgentService } from "../agents/service.js";
import type { SecretService } from "../secrets/service.js";
import type { VaultService } from "../vaults/service.js";
import { BillingStore, type UsageEventRow } from "./store.js";
import { TIER_LIMITS, currentMonth, isMeteredRoute, isTier, usd, type Tier, type TierLimits } from "./tiers.js";

const BILLING_TOPIC = "org.billing.changed";
/** How long a cached monthly count from the database is trusted (other replicas' requests). */
const COUNT_TTL_MS = 5000;
const MAX_BUFFERED_EVENTS = 5000;
/** Per-request usage events are kept this long (monthly totals are kept for good). */
const EVENT_RETENTION_MS = 90 * 86400_000;
const PRUNE_EVERY_MS = 3600_000;

interface OrgPlan {
  tier: Tier;
  freeTierOverride: number | null;
  sponsored: boolean;
  overageMethod: string;
  interval: string | null;
  periodEnd: string | null;
}

/** 402 over the monthly quota: a problem body with the price of the request that was refused. */
export class QuotaExhaustedError extends ApiError {
  constructor(
    detail: string,
    readonly requiredUsd: string,
    readonly overageMethod: string,
  ) {
    super(402, detail, "quota_exhausted", "Payment Required");
  }
  override body() {
    return { ...super.body(), required_usd: this.requiredUsd, overage_method: this.overageMethod };
  }
}

/**
 * Tiers, per-org limits and usage metering (DESIGN decision 13). Requests are counted in memory
 * and written in batches; resource limits are checked inside the creating transaction.
 */
export class BillingService {
  readonly store: BillingStore;
  /** Resource counters other modules register (agents, shares, intent transactions). */
  readonly counters: Record<string, (orgId: string) => Promise<number>> = {};
  private readonly plans = new Map<string, OrgPlan>();
  private readonly counts = new Map<string, { month: string; base: number; loadedAt: number }>();
  private pending = new Map<string, { month: string; requests: number }>();
  private events: UsageEventRow[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private lastPrune = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: AppContext,
    vaults: VaultService,
    secrets: SecretService,
    agents: AgentService,
  ) {
    this.store = new BillingStore(ctx.db);
    ctx.bus.subscribe(BILLING_TOPIC, (orgId) => this.plans.delete(orgId));
    // System-owned storage (the agents' `__agent-keys` vault) is not the customer's and is not limited.
    const customer = (p: Principal) => p.type === "user" || p.type === "agent";
    vaults.hooks.beforeCreate.push(async (trx, p) => (customer(p) ? this.checkLimit(trx, p.orgId, "vaults") : undefined));
    secrets.beforeCreate.push(async (trx, p, vault) => (customer(p) && vault.created_by_type !== "system" ? this.checkLimit(trx, p.orgId, "secrets") : undefined));
    agents.hooks.beforeCreate.push((trx, p) => this.checkLimit(trx, p.orgId, "agents"));
    this.counters.agents = async (orgId) => (await agents.store.listByOrg(orgId)).length;
    ctx.hooks.afterAuth.push((req, reply) => this.meter(req, reply));
    ctx.hooks.onResponse.push(async (req, reply) => this.record(req, reply));
    this.timer = setInterval(() => void this.flush().catch((e) => ctx.log.warn({ err: e }, "usage flush failed")), ctx.config.usageFlushMs);
    this.timer.unref();
  }

  get enforced() {
    return this.ctx.config.billingEnabled;
  }

  /** An org's plan, cached; inside a transaction pass it (SQLite has one connection). */
  async plan(orgId: string, trx?: Tx): Promise<OrgPlan> {
    const hit = this.plans.get(orgId);
    if (hit) return hit;
    const row = await this.store.org(orgId, trx);
    if (!row) throw notFound("Organization not found");
    const plan: OrgPlan = {
      tier: isTier(row.billing_tier) ? row.billing_tier : "free",
      freeTierOverride: row.free_tier_override ?? null,
      sponsored: row.is_sponsored === 1,
      overageMethod: row.overage_method ?? "credits",
      interval: row.billing_interval ?? null,
      periodEnd: row.period_end ?? null,
    };
    if (this.plans.size > 10_000) this.plans.clear();
    this.plans.set(orgId, plan);
    return plan;
  }

  /** The limits in force for an org: none when billing is off (self-hosted default). */
  limits(plan: OrgPlan): TierLimits {
    if (!this.enforced) return TIER_LIMITS.enterprise;
    const base = TIER_LIMITS[plan.tier];
    const requests = plan.sponsored ? null : (plan.freeTierOverride ?? base.requests);
    return { ...base, requests };
  }

  async checkLimit(trx: Tx, orgId: string, resource: "vaults" | "secrets" | "agents") {
    if (!this.enforced) return;
    const plan = await this.plan(orgId, trx);
    const limit = this.limits(plan)[resource];
    if (limit === null) return;
    await this.store.lockOrg(trx, orgId, this.ctx.store.dialect);
    // SecretService checks after inserting the new path's row, so that row is not counted as existing.
    const used =
      resource === "vaults" ? await this.store.countVaults(trx, orgId) : resource === "secrets" ? (await this.store.countSecrets(trx, orgId)) - 1 : await this.store.countAgents(trx, orgId);
    if (used >= limit) {
      const noun = { vaults: "Vault", secrets: "Secret", agents: "Agent" }[resource];
      throw limitExceeded(`${noun} limit reached (${used}/${limit} on ${plan.tier} tier). Upgrade your plan for more.`);
    }
  }

  /** Requests counted this month: the last database figure plus what this replica has not flushed. */
  async used(orgId: string): Promise<number> {
    const month = currentMonth();
    let c = this.counts.get(orgId);
    if (!c || c.month !== month || Date.now() - c.loadedAt > COUNT_TTL_MS) {
      await this.flushing;
      c = { month, base: (await this.store.monthUsage(orgId, month)).requests, loadedAt: Date.now() };
      if (this.counts.size > 10_000) this.counts.clear();
      this.counts.set(orgId, c);
    }
    const p = this.pending.get(orgId);
    return c.base + (p && p.month === month ? p.requests : 0);
  }

  /** afterAuth: refuses a metered request over quota (402), counts it, and sets the quota headers. */
  private async meter(req: FastifyRequest, reply: FastifyReply) {
    const p = req.principal;
    if (!p || !isMeteredRoute(req.routeOptions.url)) return;
    const month = currentMonth();
    const plan = this.enforced && !p.isPlatformAdmin ? await this.plan(p.orgId) : undefined;
    const limit = plan ? this.limits(plan).requests : null;
    if (plan && limit !== null) {
      const used = await this.used(p.orgId);
      if (used >= limit) {
        const price = TIER_LIMITS[plan.tier].overageMicroUsd ?? 0;
        reply.header("X-RateLimit-Requests-Used", String(used));
        reply.header("X-RateLimit-Requests-Limit", String(limit));
        reply.header("X-RateLimit-Requests-Percent", "100");
        throw new QuotaExhaustedError(
          `Monthly request quota exhausted (${used}/${limit} on ${plan.tier} tier). Top up credits or upgrade your plan.`,
          usd(price),
          plan.overageMethod,
        );
      }
      const nowUsed = used + 1;
      const percent = Math.floor((nowUsed * 100) / limit);
      reply.header("X-RateLimit-Requests-Used", String(nowUsed));
      reply.header("X-RateLimit-Requests-Limit", String(limit));
      reply.header("X-RateLimit-Requests-Percent", String(percent));
      reply.header("X-Overage-Method", plan.overageMethod);
      if (percent > 80) reply.header("X-Quota-Warning", `${percent}% of the monthly request quota used`);
    }
    const pend = this.pending.get(p.orgId);
    if (pend && pend.month === month) pend.requests++;
    else this.pending.set(p.orgId, { month, requests: 1 });
    (req as FastifyRequest & { metered?: boolean }).metered = true;
  }

  /** onResponse: the usage event of a counted request (buffered). */
  private record(req: FastifyRequest, reply: FastifyReply) {
    const p = req.principal;
    if (!p || !(req as FastifyRequest & { metered?: boolean }).metered) return;
    this.events.push({
      id: crypto.randomUUID(),
      org_id: p.orgId,
      principal_type: p.type,
      principal_id: p.id,
      method: req.method,
      endpoint: req.routeOptions.url ?? "",
      status_code: reply.statusCode,
      price_micro_usd: 0,
      is_paid: 0,
      created_at: nowIso(),
    });
    if (this.events.length >= MAX_BUFFERED_EVENTS) void this.flush().catch((e) => this.ctx.log.warn({ err: e }, "usage flush failed"));
  }

  /** Writes buffered counters and events (timer, reads of usage, and shutdown). */
  flush(): Promise<void> {
    const run = this.flushing.then(async () => {
      if (!this.pending.size && !this.events.length) return;
      const pending = this.pending;
      const events = this.events;
      this.pending = new Map();
      this.events = [];
      const counters = [...pending].map(([orgId, v]) => ({ orgId, month: v.month, requests: v.requests }));
      // Move the counts into the cached base first, so used() never misses requests being written.
      const moveToBase = (sign: 1 | -1) => {
        for (const c of counters) {
          const cached = this.counts.get(c.orgId);
          if (cached && cached.month === c.month) cached.base += sign * c.requests;
        }
      };
      moveToBase(1);
      try {
        await this.store.flush(counters, events);
        if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) {
          this.lastPrune = Date.now();
          await this.store.pruneEvents(new Date(Date.now() - EVENT_RETENTION_MS).toISOString());
        }
      } catch (e) {
        // Keep the counts for the next attempt rather than lose them.
        moveToBase(-1);
        for (const c of counters) {
          const p = this.pending.get(c.orgId);
          if (p && p.month === c.month) p.requests += c.requests;
          else this.pending.set(c.orgId, { month: c.month, requests: c.requests });
        }
        this.events.unshift(...events.slice(0, MAX_BUFFERED_EVENTS));
        throw e;
      }
    });
    this.flushing = run.catch(() => undefined);
    return run;
  }

  async close() {
    clearInterval(this.timer);
    await this.flush();
  }

  // --- Endpoints ---

  async usage(p: Principal) {
    await this.flush();
    const plan = await this.plan(p.orgId);
    const month = await this.store.monthUsage(p.orgId, currentMonth());
    return {
      billing_tier: this.effectiveTier(plan),
      free_tier_limit: this.limits(plan).requests,
      current_month: {
        total_requests: month.requests,
        paid_requests: month.paid,
        free_requests: month.requests - month.paid,
        total_cost_usd: usd(month.costMicroUsd, 4),
      },
    };
  }

  async history(p: Principal, limit: number) {
    await this.flush();
    const rows = await this.store.history(p.orgId, limit);
    return {
      events: rows.map((r) => ({
        id: r.id,
        principal_type: r.principal_type,
        principal_id: r.principal_id,
        method: r.method,
        endpoint: r.endpoint,
        status_code: Number(r.status_code),
        price_usd: usd(Number(r.price_micro_usd)),
        is_paid: Number(r.is_paid) === 1,
        created_at: r.created_at,
      })),
    };
  }

  async subscription(p: Principal) {
    await this.flush();
    const plan = await this.plan(p.orgId);
    const limits = this.limits(plan);
    const balance = await this.store.creditBalance(p.orgId);
    const extra = async (name: string) => (this.counters[name] ? this.counters[name](p.orgId) : 0);
    const paid = plan.tier !== "free" && plan.periodEnd !== null;
    return {
      tier: this.effectiveTier(plan),
      interval: plan.interval,
      period_end: plan.periodEnd,
      status: !this.enforced ? "unlimited" : paid ? (plan.periodEnd! > nowIso() ? "active" : "expired") : plan.tier === "free" ? "free" : "active",
      credit_balance_cents: balance,
      credit_balance_usd: (balance / 100).toFixed(2),
      overage_method: plan.overageMethod,
      usage: {
        requests: { used: await this.used(p.orgId), limit: limits.requests },
        secrets: { used: await this.store.countSecrets(this.ctx.db, p.orgId), limit: limits.secrets },
        agents: { used: await extra("agents"), limit: limits.agents },
        vaults: { used: await this.store.countVaults(this.ctx.db, p.orgId), limit: limits.vaults },
        team_members: { used: await this.store.countMembers(p.orgId), limit: null },
        intent_transactions: { used: await extra("intent_transactions"), limit: null },
        shares: { used: await extra("shares"), limit: null },
      },
    };
  }

  async creditBalance(p: Principal) {
    const now = new Date();
    const in90 = new Date(now.getTime() + 90 * 86400_000).toISOString();
    const balance = await this.store.creditBalance(p.orgId);
    const expiring = await this.store.creditsExpiring(p.orgId, in90, now.toISOString());
    return {
      balance_cents: balance,
      balance_usd: (balance / 100).toFixed(2),
      expiring_within_90_days: { amount_cents: expiring.amount, earliest_expiry: expiring.earliest },
    };
  }

  async creditTransactions(p: Principal, page: number, limit: number) {
    const rows = await this.store.creditTransactions(p.orgId, limit, (page - 1) * limit);
    return {
      transactions: rows.map((r) => ({
        id: r.id,
        type: r.type,
        amount_cents: Number(r.amount_cents),
        balance_after_cents: Number(r.balance_after_cents),
        description: r.description,
        created_at: r.created_at,
      })),
      page,
      limit,
    };
  }

  async setOverageMethod(p: Principal, method: "credits" | "x402", ip: string) {
    if (p.role !== "owner" && p.role !== "admin") throw forbidden("Only an org owner or admin can change billing settings");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.upsertBilling(trx, p.orgId, { overage_method: method }, nowIso());
      audit({ orgId: p.orgId, action: "billing.overage_method", actorId: actorId(p), actorType: p.type, resourceType: "org", resourceId: p.orgId, details: { method }, ip });
    });
    await this.changed(p.orgId);
    return { overage_method: method };
  }

  // --- Platform admin (authorization checked by the admin module) ---

  async orgLimits(orgId: string) {
    const plan = await this.plan(orgId);
    return { org_id: orgId, free_tier_override: plan.freeTierOverride, is_sponsored: plan.sponsored };
  }

  async setOrgLimits(admin: Principal, orgId: string, patch: { free_tier_override?: number | null; is_sponsored?: boolean }, ip: string) {
    await this.plan(orgId);
    const set: { free_tier_override?: number | null; is_sponsored?: number } = {};
    if (patch.free_tier_override !== undefined) set.free_tier_override = patch.free_tier_override;
    if (patch.is_sponsored !== undefined) set.is_sponsored = patch.is_sponsored ? 1 : 0;
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.upsertBilling(trx, orgId, set, nowIso());
      audit({ orgId, action: "admin.org_limits", actorId: actorId(admin), actorType: "user", resourceType: "org", resourceId: orgId, details: { ...patch }, ip });
    });
    await this.changed(orgId);
    return this.orgLimits(orgId);
  }

  async setTier(admin: Principal, orgId: string, tier: Tier, durationDays: number, ip: string) {
    await this.plan(orgId);
    const periodEnd = tier === "free" ? null : new Date(Date.now() + durationDays * 86400_000).toISOString();
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.setTier(trx, orgId, tier);
      await this.store.upsertBilling(trx, orgId, { period_end: periodEnd, billing_interval: tier === "free" ? null : "manual" }, nowIso());
      audit({ orgId, action: "admin.billing_tier", actorId: actorId(admin), actorType: "user", resourceType: "org", resourceId: orgId, details: { tier, duration_days: tier === "free" ? null : durationDays }, ip });
    });
    await this.changed(orgId);
    return { org_id: orgId, tier, period_end: periodEnd };
  }

  async currentMonthRequests(orgId: string) {
    return (await this.store.monthUsage(orgId, currentMonth())).requests;
  }

  private effectiveTier(plan: OrgPlan): string {
    return plan.tier;
  }

  private changed(orgId: string) {
    return this.ctx.bus.publish(BILLING_TOPIC, orgId);
  }
}

/** Payment endpoints answer this until a payment provider adapter is configured. */
export const paymentsNotConfigured = () =>
  new ApiError(501, "No payment provider is configured on this server; billing tiers are set by the platform admin (PUT /v1/admin/orgs/{org_id}/billing-tier)", "payment_provider_not_configured", "Not Implemented");

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, dropSchema, rawSql, startApp, type TestApp } from "../helpers.js";

const BILLING = { ONECLAW_BILLING: "on", ONECLAW_USAGE_FLUSH_MS: "50" };
let t: TestApp;
let admin: Awaited<ReturnType<TestApp["signup"]>>;
beforeAll(async () => {
  t = await startApp({ env: BILLING });
  admin = await t.signup(); // first account: platform admin
});
afterAll(async () => t?.destroy());

const setLimits = (orgId: string, body: unknown) => t.req("PUT", `/v1/admin/orgs/${orgId}/limits`, { token: admin.token, body });

describe("billing off (self-hosted default)", () => {
  it("every org is unlimited enterprise, without quota headers, and usage is still reported", async () => {
    const off = await startApp();
    try {
      const u = await off.signup();
      for (let i = 0; i < 5; i++) expect((await off.req("POST", "/v1/vaults", { token: u.token, body: { name: `v${i}` } })).status).toBe(201);
      const r = await off.req("GET", "/v1/vaults", { token: u.token });
      expect(r.headers["x-ratelimit-requests-limit"]).toBeUndefined();
      const usage = await off.req("GET", "/v1/billing/usage", { token: u.token });
      expect(usage.body).toMatchObject({ billing_tier: "enterprise", free_tier_limit: null, current_month: { total_requests: 6 } });
      const sub = await off.req("GET", "/v1/billing/subscription", { token: u.token });
      expect(sub.body).toMatchObject({ tier: "enterprise", status: "unlimited", usage: { vaults: { used: 5, limit: null }, requests: { used: 6, limit: null } } });
    } finally {
      await off.destroy();
    }
  });
});

describe("billing on", () => {
  it("new orgs are on the free tier; the vault limit is enforced at creation with count, limit and tier", async () => {
    const u = await t.signup();
    expect((await t.req("GET", "/v1/billing/usage", { token: u.token })).body).toMatchObject({ billing_tier: "free", free_tier_limit: 1000 });
    for (let i = 0; i < 3; i++) expect((await t.req("POST", "/v1/vaults", { token: u.token, body: { name: `v${i}` } })).status).toBe(201);
    const over = await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "v3" } });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ type: "resource_limit_exceeded", title: "Resource Limit Exceeded", status: 403 });
    expect(over.body.detail).toBe("Vault limit reached (3/3 on free tier). Upgrade your plan for more.");
    expect((await t.req("GET", "/v1/vaults", { token: u.token })).body.vaults).toHaveLength(3);
    // Upgrading lifts the limit.
    expect((await t.req("PUT", `/v1/admin/orgs/${u.orgId}/billing-tier`, { token: admin.token, body: { tier: "pro" } })).status).toBe(200);
    expect((await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "v3" } })).status).toBe(201);
  });

  it("enforces the secret limit on new paths only; new versions of existing secrets still work", async () => {
    const u = await t.signup();
    const v = await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "s" } });
    for (let i = 0; i < 50; i++) {
      const r = await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k${i}`, { token: u.token, body: { value: "x" } });
      expect(r.status).toBe(201);
    }
    const over = await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k50`, { token: u.token, body: { value: "x" } });
    expect(over.status).toBe(403);
    expect(over.body.type).toBe("resource_limit_exceeded");
    expect(over.body.detail).toBe("Secret limit reached (50/50 on free tier). Upgrade your plan for more.");
    expect((await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k1`, { token: u.token, body: { value: "y" } })).status).toBe(201);
    // Deleting one frees a slot.
    expect((await t.req("DELETE", `/v1/vaults/${v.body.id}/secrets/k1`, { token: u.token })).status).toBe(204);
    expect((await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k50`, { token: u.token, body: { value: "x" } })).status).toBe(201);
  });

  it("enforces the agent limit; system storage for agent keys does not use the customer's vault or secret allowance", async () => {
    const u = await t.signup();
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const a = await t.req("POST", "/v1/agents", { token: u.token, body: { name: `a${i}` } });
      expect(a.status).toBe(201);
      keys.push(a.body.api_key);
    }
    const over = await t.req("POST", "/v1/agents", { token: u.token, body: { name: "a2" } });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ type: "resource_limit_exceeded", detail: "Agent limit reached (2/2 on free tier). Upgrade your plan for more." });
    expect((await t.req("GET", "/v1/agents", { token: u.token })).body.agents).toHaveLength(2);
    // The org still has its full 3 customer vaults.
    for (let i = 0; i < 3; i++) expect((await t.req("POST", "/v1/vaults", { token: u.token, body: { name: `v${i}` } })).status).toBe(201);
    const sub = await t.req("GET", "/v1/billing/subscription", { token: u.token });
    expect(sub.body.usage).toMatchObject({ agents: { used: 2, limit: 2 }, vaults: { used: 3, limit: 3 }, secrets: { used: 0 } });
    // An agent's own requests count toward its org's quota.
    const before = (await t.req("GET", "/v1/billing/usage", { token: u.token })).body.current_month.total_requests;
    const agentToken = (await t.req("POST", "/v1/auth/agent-token", { body: { api_key: keys[0] } })).body.access_token;
    const r = await t.req("GET", "/v1/vaults", { token: agentToken });
    expect(r.status).toBe(200);
    expect(r.headers["x-ratelimit-requests-used"]).toBe(String(before + 1));
    const hist = await t.req("GET", "/v1/billing/history?limit=1", { token: u.token });
    expect(hist.body.events[0]).toMatchObject({ principal_type: "agent", endpoint: "/v1/vaults" });
  });

  it("meters requests with quota headers, warns above 80 %, and answers 402 when the month is spent", async () => {
    const u = await t.signup();
    expect((await setLimits(u.orgId, { free_tier_override: 5 })).body).toEqual({ org_id: u.orgId, free_tier_override: 5, is_sponsored: false });
    const seen: Array<[string, string, string, string | undefined]> = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.req("GET", "/v1/vaults", { token: u.token });
      expect(r.status).toBe(200);
      seen.push([r.headers["x-ratelimit-requests-used"] as string, r.headers["x-ratelimit-requests-limit"] as string, r.headers["x-ratelimit-requests-percent"] as string, r.headers["x-quota-warning"] as string | undefined]);
    }
    expect(seen.map((s) => s[0])).toEqual(["1", "2", "3", "4", "5"]);
    expect(seen.every((s) => s[1] === "5")).toBe(true);
    expect(seen.map((s) => s[2])).toEqual(["20", "40", "60", "80", "100"]);
    expect(seen.map((s) => s[3] !== undefined)).toEqual([false, false, false, false, true]);
    const spent = await t.req("GET", "/v1/vaults", { token: u.token });
    expect(spent.status).toBe(402);
    expect(spent.headers["content-type"]).toMatch(/problem\+json/);
    expect(spent.body).toMatchObject({ status: 402, type: "quota_exhausted", required_usd: "0.001000", overage_method: "credits" });
    expect(spent.body.detail).toContain("5/5 on free tier");
    // Free routes still answer and do not count.
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).status).toBe(200);
    const usage = await t.req("GET", "/v1/billing/usage", { token: u.token });
    expect(usage.body.current_month.total_requests).toBe(5);
    expect(usage.body.free_tier_limit).toBe(5);
    // Sponsoring lifts the quota; the platform admin's own org is never metered against a quota.
    await setLimits(u.orgId, { is_sponsored: true });
    expect((await t.req("GET", "/v1/vaults", { token: u.token })).status).toBe(200);
    expect((await t.req("GET", "/v1/vaults", { token: admin.token })).headers["x-ratelimit-requests-limit"]).toBeUndefined();
  });

  it("reports usage history, subscription, credits and the overage method", async () => {
    const u = await t.signup();
    await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "h" } });
    await t.req("GET", "/v1/vaults", { token: u.token });
    const hist = await t.req("GET", "/v1/billing/history?limit=10", { token: u.token });
    expect(hist.status).toBe(200);
    expect(hist.body.events.map((e: any) => `${e.method} ${e.endpoint} ${e.status_code}`).sort()).toEqual(["GET /v1/vaults 200", "POST /v1/vaults 201"]);
    expect(hist.body.events[0]).toMatchObject({ principal_type: "user", principal_id: u.userId, is_paid: false, price_usd: "0.000000" });
    expect((await t.req("GET", "/v1/billing/history?limit=1", { token: u.token })).body.events).toHaveLength(1);
    const sub = await t.req("GET", "/v1/billing/subscription", { token: u.token });
    expect(sub.body).toMatchObject({
      tier: "free",
      status: "free",
      credit_balance_cents: 0,
      credit_balance_usd: "0.00",
      overage_method: "credits",
      usage: { vaults: { used: 1, limit: 3 }, secrets: { used: 0, limit: 50 }, agents: { limit: 2 }, team_members: { used: 1, limit: null } },
    });
    expect((await t.req("GET", "/v1/billing/credits/balance", { token: u.token })).body).toEqual({
      balance_cents: 0,
      balance_usd: "0.00",
      expiring_within_90_days: { amount_cents: 0, earliest_expiry: null },
    });
    expect((await t.req("GET", "/v1/billing/credits/transactions?page=2&limit=10", { token: u.token })).body).toEqual({ transactions: [], page: 2, limit: 10 });
    const om = await t.req("PATCH", "/v1/billing/overage-method", { token: u.token, body: { method: "x402" } });
    expect(om.body).toEqual({ overage_method: "x402" });
    expect((await t.req("GET", "/v1/billing/subscription", { token: u.token })).body.overage_method).toBe("x402");
    // Tier set by the admin for 90 days.
    const tier = await t.req("PUT", `/v1/admin/orgs/${u.orgId}/billing-tier`, { token: admin.token, body: { tier: "business", duration_days: 90 } });
    expect(Math.abs(Date.parse(tier.body.period_end) - (Date.now() + 90 * 86400_000))).toBeLessThan(60_000);
    expect((await t.req("GET", "/v1/billing/subscription", { token: u.token })).body).toMatchObject({ tier: "business", status: "active", interval: "manual" });
    const free = await t.req("PUT", `/v1/admin/orgs/${u.orgId}/billing-tier`, { token: admin.token, body: { tier: "free" } });
    expect(free.body.period_end).toBeNull();
  });

  it("only owners and admins change billing settings; agents-free human routes refuse other orgs' data by construction", async () => {
    const owner = await t.signup();
    const member = await t.signup();
    await rawSql(t, "UPDATE users SET org_id = $1, role = 'member' WHERE id = $2", [owner.orgId, member.userId]);
    await t.services.auth.userChanged(member.userId);
    const login = await t.req("POST", "/v1/auth/token", { body: { email: member.email, password: "Correct-Horse-8attery!" } });
    const r = await t.req("PATCH", "/v1/billing/overage-method", { token: login.body.access_token, body: { method: "x402" } });
    expect(r.status).toBe(403);
    // A member can read the org's usage.
    expect((await t.req("GET", "/v1/billing/usage", { token: login.body.access_token })).status).toBe(200);
  });

  it("payment endpoints validate, then answer 501 until a provider is configured", async () => {
    const u = await t.signup();
    const cases: Array<[string, unknown, number]> = [
      ["/v1/billing/subscribe", { tier: "pro", interval: "monthly" }, 501],
      ["/v1/billing/subscribe", { tier: "enterprise", interval: "monthly" }, 400],
      ["/v1/billing/subscribe", { tier: "pro" }, 400],
      ["/v1/billing/portal", undefined, 501],
      ["/v1/billing/credits/topup", { amount_usd: 10 }, 501],
      ["/v1/billing/credits/topup", { amount_usd: 4 }, 400],
      ["/v1/billing/credits/topup", { amount_usd: 1001 }, 400],
      ["/v1/billing/credits/topup", { amount_usd: 10.5 }, 400],
    ];
    for (const [url, body, status] of cases) {
      const r = await t.req("POST", url, { token: u.token, body });
      expect(r.status, `${url} ${JSON.stringify(body)}`).toBe(status);
      if (status === 501) expect(r.body.type).toBe("payment_provider_not_configured");
    }
    expect((await t.req("POST", "/v1/billing/subscribe", { body: { tier: "pro", interval: "monthly" } })).status).toBe(401);
  });

  it("rejects bad query and body values with the field named", async () => {
    const u = await t.signup();
    for (const q of ["limit=0", "limit=1001", "limit=abc"]) {
      const r = await t.req("GET", `/v1/billing/history?${q}`, { token: u.token });
      expect(r.status).toBe(400);
      expect(r.body.detail).toContain("limit");
    }
    for (const q of ["page=0", "limit=501", "page=x"]) expect((await t.req("GET", `/v1/billing/credits/transactions?${q}`, { token: u.token })).status).toBe(400);
    const om = await t.req("PATCH", "/v1/billing/overage-method", { token: u.token, body: { method: "stripe" } });
    expect(om.status).toBe(400);
    expect(om.body.detail).toContain("method");
    expect((await t.req("GET", "/v1/billing/usage")).status).toBe(401);
  });

  it("keeps per-request usage events for 90 days and monthly totals for good", async () => {
    const u = await t.signup();
    await t.req("GET", "/v1/vaults", { token: u.token });
    await t.services.billing.flush();
    const old = new Date(Date.now() - 91 * 86400_000).toISOString();
    await rawSql(t, "UPDATE usage_events SET created_at = $1 WHERE org_id = $2", [old, u.orgId]);
    await t.req("GET", "/v1/vaults", { token: u.token });
    t.services.billing["lastPrune"] = 0;
    await t.services.billing.flush();
    const events = (await t.req("GET", "/v1/billing/history", { token: u.token })).body.events;
    expect(events).toHaveLength(1);
    expect(events[0].created_at > old).toBe(true);
    expect((await t.req("GET", "/v1/billing/usage", { token: u.token })).body.current_month.total_requests).toBe(2);
  });

  it("buffered usage is written on shutdown", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-billing-"));
    const schema = dialect === "postgres" ? `t_billing_${Date.now()}` : undefined;
    const env = { ONECLAW_BILLING: "on", ONECLAW_USAGE_FLUSH_MS: "600000" };
    const a = await startApp({ env, dataDir, pgSchema: schema, keepData: true });
    const u = await a.signup();
    for (let i = 0; i < 4; i++) await a.req("GET", "/v1/vaults", { token: u.token });
    expect((await rawSql(a, "SELECT * FROM usage_monthly WHERE org_id = $1", [u.orgId])).length).toBe(0);
    await a.destroy();
    const b = await startApp({ env, dataDir, pgSchema: schema });
    try {
      const login = await b.req("POST", "/v1/auth/token", { body: { email: u.email, password: "Correct-Horse-8attery!" } });
      expect((await b.req("GET", "/v1/billing/usage", { token: login.body.access_token })).body.current_month.total_requests).toBe(4);
    } finally {
      await b.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (schema) await dropSchema(schema);
    }
  });
});

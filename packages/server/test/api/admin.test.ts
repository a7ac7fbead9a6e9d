import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STRONG_PASSWORD, rawSql, startApp, uuid, type TestApp } from "../helpers.js";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["signup"]>>;
beforeAll(async () => {
  t = await startApp();
  admin = await t.signup(); // the first account is the platform admin
});
afterAll(async () => t?.destroy());

describe("platform settings and maintenance mode", () => {
  it("puts, lists and deletes settings", async () => {
    const put = await t.req("PUT", "/v1/admin/settings/support.email", { token: admin.token, body: { value: "ops@example.test" } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ key: "support.email", value: "ops@example.test", updated_by: `user:${admin.userId}` });
    const list = await t.req("GET", "/v1/admin/settings", { token: admin.token });
    expect(list.body.settings.find((s: any) => s.key === "support.email").value).toBe("ops@example.test");
    expect((await t.req("PUT", "/v1/admin/settings/support.email", { token: admin.token, body: { value: "x@example.test" } })).body.value).toBe("x@example.test");
    expect((await t.req("DELETE", "/v1/admin/settings/support.email", { token: admin.token })).status).toBe(204);
    expect((await t.req("DELETE", "/v1/admin/settings/support.email", { token: admin.token })).status).toBe(404);
  });

  it("rejects bad keys and values", async () => {
    const cases: Array<[string, unknown, string]> = [
      ["/v1/admin/settings/UPPER", { value: "1" }, "key"],
      ["/v1/admin/settings/has%20space", { value: "1" }, "key"],
      [`/v1/admin/settings/${"k".repeat(101)}`, { value: "1" }, "key"],
      ["/v1/admin/settings/ok", {}, "value"],
      ["/v1/admin/settings/ok", { value: 5 }, "value"],
      ["/v1/admin/settings/ok", { value: "x".repeat(4097) }, "value"],
      ["/v1/admin/settings/maintenance_mode", { value: "maybe" }, "value"],
    ];
    for (const [url, body, field] of cases) {
      const r = await t.req("PUT", url, { token: admin.token, body });
      expect(r.status, url).toBe(400);
      expect(r.body.detail).toContain(field);
    }
  });

  it("maintenance mode answers 503 to everyone but platform admins; health and login stay up", async () => {
    const u = await t.signup();
    expect((await t.req("PUT", "/v1/admin/settings/maintenance_mode", { token: admin.token, body: { value: "true" } })).status).toBe(200);
    try {
      const r = await t.req("GET", "/v1/vaults", { token: u.token });
      expect(r.status).toBe(503);
      expect(r.body.detail).toMatch(/maintenance/);
      expect(r.headers["retry-after"]).toBe("60");
      expect((await t.req("GET", "/v1/vaults", { token: admin.token })).status).toBe(200);
      expect((await t.req("GET", "/v1/health")).status).toBe(200);
      expect((await t.req("GET", "/v1/chains")).status).toBe(200);
      const login = await t.req("POST", "/v1/auth/token", { body: { email: admin.email, password: STRONG_PASSWORD } });
      expect(login.status).toBe(200);
    } finally {
      expect((await t.req("PUT", "/v1/admin/settings/maintenance_mode", { token: admin.token, body: { value: "false" } })).status).toBe(200);
    }
    expect((await t.req("GET", "/v1/vaults", { token: u.token })).status).toBe(200);
  });
});

describe("x402 configuration", () => {
  it("is stored and returned; bad fields are refused", async () => {
    expect((await t.req("GET", "/v1/admin/x402", { token: admin.token })).body).toEqual({ pay_to: null, network: null, scheme: null, free_tier_limit: null, facilitator_url: null });
    const cfg = { pay_to: "0x" + "ab".repeat(20), network: "eip155:8453", scheme: "exact", free_tier_limit: 1000, facilitator_url: "https://facilitator.example.test/x402" };
    const put = await t.req("PUT", "/v1/admin/x402", { token: admin.token, body: cfg });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(cfg);
    expect((await t.req("PUT", "/v1/admin/x402", { token: admin.token, body: { network: "base-sepolia" } })).body).toEqual({ ...cfg, network: "base-sepolia" });
    const bad: Array<[unknown, string]> = [
      [{ pay_to: "0x123" }, "pay_to"],
      [{ facilitator_url: "not a url" }, "facilitator_url"],
      [{ free_tier_limit: -1 }, "free_tier_limit"],
      [{ unknown_field: 1 }, "unknown_field"],
    ];
    for (const [body, field] of bad) {
      const r = await t.req("PUT", "/v1/admin/x402", { token: admin.token, body });
      expect(r.status).toBe(400);
      expect(r.body.detail).toContain(field);
    }
  });
});

describe("user administration", () => {
  it("lists users with org, tier and usage, paginated", async () => {
    const u = await t.signup();
    const all = await t.req("GET", "/v1/admin/users?limit=1000", { token: admin.token });
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(all.body.users.length);
    const row = all.body.users.find((x: any) => x.id === u.userId);
    expect(row).toMatchObject({ email: u.email, role: "owner", auth_method: "password", org_id: u.orgId, billing_tier: "enterprise", free_tier_override: null, is_sponsored: false, is_platform_admin: false });
    expect(all.body.users.find((x: any) => x.id === admin.userId).is_platform_admin).toBe(true);
    const page = await t.req("GET", "/v1/admin/users?limit=1&offset=1", { token: admin.token });
    expect(page.body.users).toHaveLength(1);
    expect(page.body.users[0].id).toBe(all.body.users[1].id);
    for (const q of ["limit=0", "limit=1001", "offset=-1"]) expect((await t.req("GET", `/v1/admin/users?${q}`, { token: admin.token })).status).toBe(400);
  });

  it("deletes a user with their API keys, MFA and device approvals; their credentials stop working", async () => {
    const u = await t.signup();
    const key = await t.req("POST", "/v1/auth/api-keys", { token: u.token, body: { name: "k" } });
    await t.req("POST", "/v1/auth/mfa/setup", { token: u.token });
    const code = await t.req("POST", "/v1/auth/device/code", { body: { client_id: "cli" } });
    await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: code.body.user_code } });
    expect((await t.req("GET", "/v1/vaults", { token: key.body.api_key })).status).toBe(200);

    expect((await t.req("DELETE", `/v1/admin/users/${u.userId}`, { token: admin.token })).status).toBe(204);
    expect((await t.req("GET", "/v1/vaults", { token: key.body.api_key })).status).toBe(401);
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).status).toBe(401);
    expect(await rawSql(t, "SELECT id FROM user_api_keys WHERE user_id = $1", [u.userId])).toEqual([]);
    expect(await rawSql(t, "SELECT user_id FROM user_mfa WHERE user_id = $1", [u.userId])).toEqual([]);
    expect(await rawSql(t, "SELECT user_code FROM device_codes WHERE user_id = $1", [u.userId])).toEqual([]);
    expect((await t.req("DELETE", `/v1/admin/users/${u.userId}`, { token: admin.token })).status).toBe(404);
    expect((await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).status).toBe(401);
  });

  it("refuses to delete oneself, and answers 400/404 for bad ids", async () => {
    const self = await t.req("DELETE", `/v1/admin/users/${admin.userId}`, { token: admin.token });
    expect(self.status).toBe(409);
    expect(self.body.detail).toMatch(/own account/);
    expect((await t.req("DELETE", "/v1/admin/users/nope", { token: admin.token })).status).toBe(400);
    expect((await t.req("DELETE", `/v1/admin/users/${uuid()}`, { token: admin.token })).status).toBe(404);
  });
});

describe("org limits and billing tier", () => {
  it("gets and sets limits and tier; unknown orgs are 404 and bad bodies 400", async () => {
    const u = await t.signup();
    expect((await t.req("GET", `/v1/admin/orgs/${u.orgId}/limits`, { token: admin.token })).body).toEqual({ org_id: u.orgId, free_tier_override: null, is_sponsored: false });
    const put = await t.req("PUT", `/v1/admin/orgs/${u.orgId}/limits`, { token: admin.token, body: { free_tier_override: 42, is_sponsored: true } });
    expect(put.body).toEqual({ org_id: u.orgId, free_tier_override: 42, is_sponsored: true });
    expect((await t.req("PUT", `/v1/admin/orgs/${u.orgId}/limits`, { token: admin.token, body: { free_tier_override: null } })).body.free_tier_override).toBeNull();
    const tier = await t.req("PUT", `/v1/admin/orgs/${u.orgId}/billing-tier`, { token: admin.token, body: { tier: "pro" } });
    expect(tier.status).toBe(200);
    expect(tier.body.tier).toBe("pro");
    expect(Math.abs(Date.parse(tier.body.period_end) - (Date.now() + 365 * 86400_000))).toBeLessThan(60_000);
    const users = await t.req("GET", "/v1/admin/users?limit=1000", { token: admin.token });
    expect(users.body.users.find((x: any) => x.id === u.userId).billing_tier).toBe("pro");

    const missing = uuid();
    expect((await t.req("GET", `/v1/admin/orgs/${missing}/limits`, { token: admin.token })).status).toBe(404);
    expect((await t.req("PUT", `/v1/admin/orgs/${missing}/limits`, { token: admin.token, body: { is_sponsored: true } })).status).toBe(404);
    expect((await t.req("PUT", `/v1/admin/orgs/${missing}/billing-tier`, { token: admin.token, body: { tier: "pro" } })).status).toBe(404);
    const bad: Array<[string, unknown, string]> = [
      [`/v1/admin/orgs/${u.orgId}/limits`, { free_tier_override: -5 }, "free_tier_override"],
      [`/v1/admin/orgs/${u.orgId}/limits`, { is_sponsored: "yes" }, "is_sponsored"],
      [`/v1/admin/orgs/${u.orgId}/limits`, { other: 1 }, "other"],
      [`/v1/admin/orgs/${u.orgId}/billing-tier`, { tier: "platinum" }, "tier"],
      [`/v1/admin/orgs/${u.orgId}/billing-tier`, { tier: "pro", duration_days: 0 }, "duration_days"],
      [`/v1/admin/orgs/${u.orgId}/billing-tier`, { tier: "pro", duration_days: 3651 }, "duration_days"],
      ["/v1/admin/orgs/not-a-uuid/billing-tier", { tier: "pro" }, "org_id"],
    ];
    for (const [url, body, field] of bad) {
      const r = await t.req("PUT", url, { token: admin.token, body });
      expect(r.status, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.detail).toContain(field);
    }
  });
});

import fs from "node:fs";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STRONG_PASSWORD, dialect, rawSql, startApp, uuid, type TestApp } from "../helpers.js";
import { startIssuer } from "../oidc-issuer.js";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";
let t: TestApp;
let admin: Awaited<ReturnType<TestApp["signup"]>>;
beforeAll(async () => {
  t = await startApp({ env: { ONECLAW_BILLING: "on", ONECLAW_USAGE_FLUSH_MS: "50" } });
  admin = await t.signup(); // first account: platform admin
});
afterAll(async () => t?.destroy());

const totp = (secret: string, steps = 0) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), timestamp: Date.now() + steps * 30_000 });

describe("security properties (behaviour notes §13)", () => {
  it("S6: device user codes cannot be enumerated, expire after 10 minutes, and deny works", async () => {
    const own = await startApp();
    try {
      const c = (await own.req("POST", "/v1/auth/device/code", { body: { client_id: "cli" } })).body;
      const row = (await rawSql(own, "SELECT created_at, expires_at FROM device_codes WHERE user_code = $1", [c.user_code]))[0];
      expect(Date.parse(row.expires_at) - Date.parse(row.created_at)).toBe(600_000);
      // Guessing: after 10 unknown codes from one IP, every lookup is refused for a while, even a real code.
      for (let i = 0; i < 10; i++) expect((await own.req("GET", `/v1/auth/device/code/BBBB-BBB${"BCDFGHJKLM"[i]}`)).status).toBe(404);
      const blocked = await own.req("GET", `/v1/auth/device/code/${c.user_code}`);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers["retry-after"])).toBeGreaterThan(0);
      const u = await own.signup();
      expect((await own.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: c.user_code } })).status).toBe(429);
      // Deny, from a fresh window.
      own.services.device["failures"].clear();
      expect((await own.req("POST", "/v1/auth/device/deny", { token: u.token, body: { user_code: c.user_code } })).status).toBe(200);
      expect((await own.req("POST", "/v1/auth/device/token", { body: { device_code: c.device_code, grant_type: GRANT } })).body.error).toBe("access_denied");
      // Expiry.
      const d = (await own.req("POST", "/v1/auth/device/code", { body: { client_id: "cli" } })).body;
      await rawSql(own, "UPDATE device_codes SET expires_at = $1 WHERE user_code = $2", [new Date(Date.now() - 1).toISOString(), d.user_code]);
      expect((await own.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: d.user_code } })).status).toBe(410);
      expect((await own.req("POST", "/v1/auth/device/token", { body: { device_code: d.device_code, grant_type: GRANT } })).body.error).toBe("expired_token");
      // The public status never reveals the device code or who approved.
      const e = (await own.req("POST", "/v1/auth/device/code", { body: { client_id: "cli" } })).body;
      await own.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: e.user_code } });
      const s = await own.req("GET", `/v1/auth/device/code/${e.user_code}`);
      expect(s.status).toBe(200);
      expect(Object.keys(s.body).sort()).toEqual(["client_id", "expires_at", "status", "user_code"]);
    } finally {
      await own.destroy();
    }
  });

  it("S6/S32: device-code lookups, device polling and MFA code guesses fall under the strict auth rate limit (burst 5, 1/s)", async () => {
    const strict = await startApp({ env: { ONECLAW_AUTH_RATE_LIMIT_BURST: "5", ONECLAW_AUTH_RATE_LIMIT_RPS: "1" } });
    try {
      const calls: Array<[string, string, unknown?]> = [
        ["GET", "/v1/auth/device/code/BCDF-GHJK"],
        ["POST", "/v1/auth/device/token", { device_code: "x", grant_type: GRANT }],
        ["POST", "/v1/auth/mfa/verify", { mfa_token: "x", code: "123456" }],
        ["POST", "/v1/auth/api-key-token", { api_key: "1ck_guess" }],
        ["POST", "/v1/auth/device/code", { client_id: "cli" }],
      ];
      for (const [m, url, body] of calls) {
        const statuses: number[] = [];
        for (let i = 0; i < 7; i++) statuses.push((await strict.req(m, url, { body })).status);
        expect(statuses.slice(0, 5).includes(429), url).toBe(false);
        expect(statuses.slice(5).every((s) => s === 429), `${url} ${statuses}`).toBe(true);
      }
    } finally {
      await strict.destroy();
    }
  });

  it("S10: personal API keys are 32 random bytes in base64url with the 1ck_ prefix; only a keyed hash and the prefix are stored; a revoked key is refused", async () => {
    const u = await t.signup();
    const r = await t.req("POST", "/v1/auth/api-keys", { token: u.token, body: { name: "s10" } });
    const key: string = r.body.api_key;
    expect(key.startsWith("1ck_")).toBe(true);
    expect(Buffer.from(key.slice(4), "base64url")).toHaveLength(32);
    expect(key.slice(4)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await rawSql(t, "SELECT * FROM user_api_keys WHERE id = $1", [r.body.key.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].key_prefix).toBe(key.slice(0, 12));
    expect(rows[0].key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(key.slice(12));
    await t.services.apiKeys.flushLastUsed();
    if (dialect === "sqlite") {
      await t.ctx.db.selectFrom("users").select("id").limit(1).execute(); // settle WAL writes
      for (const f of [t.ctx.store.sqliteFile!, `${t.ctx.store.sqliteFile}-wal`]) {
        if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(Buffer.from(key.slice(12)))).toBe(false);
      }
    }
    expect(t.logs.join("")).not.toContain(key.slice(12));
    expect((await t.req("GET", "/v1/auth/me", { token: key })).status).toBe(200);
    await t.req("DELETE", `/v1/auth/api-keys/${r.body.key.id}`, { token: u.token });
    expect((await t.req("GET", "/v1/auth/me", { token: key })).status).toBe(401);
  });

  it("S21: billing webhooks answer 501 while no payment provider is configured (nothing is processed)", async () => {
    for (const headers of [{}, { "stripe-signature": "t=1,v1=deadbeef" }]) {
      const r = await t.req("POST", "/v1/billing/webhooks", { headers, body: { id: "evt_1", type: "checkout.session.completed" } });
      expect(r.status).toBe(501);
      expect(r.body.type).toBe("payment_provider_not_configured");
    }
    const u = await t.signup();
    expect((await t.req("GET", "/v1/billing/subscription", { token: u.token })).body.tier).toBe("free");
  });

  it("S23: every admin route needs a platform admin; it is never public", async () => {
    const u = await t.signup();
    const userKey = (await t.req("POST", "/v1/auth/api-keys", { token: u.token, body: { name: "k" } })).body.api_key;
    const adminScoped = (await t.req("POST", "/v1/auth/api-keys", { token: admin.token, body: { name: "scoped", scopes: ["x/*"] } })).body.api_key;
    const adminKey = (await t.req("POST", "/v1/auth/api-keys", { token: admin.token, body: { name: "full" } })).body.api_key;
    const routes: Array<[string, string, unknown?]> = [
      ["GET", "/v1/admin/settings"],
      ["PUT", "/v1/admin/settings/maintenance_mode", { value: "true" }],
      ["DELETE", "/v1/admin/settings/anything"],
      ["GET", "/v1/admin/x402"],
      ["PUT", "/v1/admin/x402", { network: "base" }],
      ["GET", "/v1/admin/users"],
      ["DELETE", `/v1/admin/users/${admin.userId}`],
      ["GET", `/v1/admin/orgs/${u.orgId}/limits`],
      ["PUT", `/v1/admin/orgs/${u.orgId}/limits`, { is_sponsored: true }],
      ["PUT", `/v1/admin/orgs/${u.orgId}/billing-tier`, { tier: "enterprise" }],
      ["GET", "/v1/admin/chains"],
      ["POST", "/v1/admin/chains", { name: "evil", display_name: "Evil", chain_id: 666 }],
    ];
    for (const [m, url, body] of routes) {
      expect((await t.req(m, url, { body })).status, `${m} ${url} anonymous`).toBe(401);
      for (const token of [u.token, userKey, adminScoped]) expect((await t.req(m, url, { token, body })).status, `${m} ${url}`).toBe(403);
    }
    // An agent of the platform admin's own org is not a platform admin either.
    const agent = await t.req("POST", "/v1/agents", { token: admin.token, body: { name: "s23" } });
    const agentToken = (await t.req("POST", "/v1/auth/agent-token", { body: { api_key: agent.body.api_key } })).body.access_token;
    for (const [m, url, body] of routes) expect((await t.req(m, url, { token: agentToken, body })).status, `${m} ${url} agent`).toBe(403);
    // Nor may an agent use human account routes.
    for (const [m, url, body] of [
      ["GET", "/v1/auth/api-keys"],
      ["POST", "/v1/auth/api-keys", { name: "x" }],
      ["GET", "/v1/auth/mfa/status"],
      ["POST", "/v1/auth/mfa/setup"],
      ["POST", "/v1/auth/device/approve", { user_code: "BCDF-GHJK" }],
      ["GET", "/v1/billing/usage"],
      ["PATCH", "/v1/billing/overage-method", { method: "x402" }],
    ] as Array<[string, string, unknown?]>) {
      expect((await t.req(m, url, { token: agentToken, body })).status, `${m} ${url} agent`).toBe(403);
    }
    expect((await t.req("GET", "/v1/admin/users", { token: adminKey })).status).toBe(200);
    // Nothing changed.
    expect((await t.req("GET", "/v1/admin/settings", { token: admin.token })).body.settings).toEqual([]);
    expect((await t.req("GET", `/v1/admin/orgs/${u.orgId}/limits`, { token: admin.token })).body.is_sponsored).toBe(false);
    expect((await t.req("GET", "/v1/chains/666")).status).toBe(404);
  });

  it("S24: an admin cannot delete themselves or the last owner of the platform org", async () => {
    expect((await t.req("DELETE", `/v1/admin/users/${admin.userId}`, { token: admin.token })).status).toBe(409);
    // A second platform admin who is an admin (not owner) of the platform org.
    const second = await t.signup();
    await rawSql(t, "UPDATE users SET is_platform_admin = 1, org_id = $1, role = 'admin' WHERE id = $2", [admin.orgId, second.userId]);
    await t.services.auth.userChanged(second.userId);
    const login = await t.req("POST", "/v1/auth/token", { body: { email: second.email, password: STRONG_PASSWORD } });
    const r = await t.req("DELETE", `/v1/admin/users/${admin.userId}`, { token: login.body.access_token });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/last owner of the platform/);
    expect((await t.req("GET", "/v1/auth/me", { token: admin.token })).status).toBe(200);
    // The platform owner can remove the second admin.
    expect((await t.req("DELETE", `/v1/admin/users/${second.userId}`, { token: admin.token })).status).toBe(204);
  });

  it("S30: the password policy applies to signup and change-password", async () => {
    const weak: Array<[string, RegExp]> = [
      ["Sh0rt!x", /12 characters/],
      ["alllowercase-9x!", /uppercase/],
      ["ALLUPPERCASE-9X!", /lowercase/],
      ["No-Digits-Here-x!", /digit/],
      ["NoSpecials9Here", /special/],
      ["Aaaa-Passw0rd!-x", /repeat/],
      ["Zabc9-Pw!xQ-mK", /sequential/],
    ];
    for (const [pw, why] of weak) {
      const r = await t.req("POST", "/v1/auth/signup", { body: { email: `${uuid()}@example.test`, password: pw } });
      expect(r.status, pw).toBe(400);
      expect(r.body.detail).toMatch(/^password: /);
      expect(r.body.detail).toMatch(why);
    }
    const u = await t.signup();
    for (const [pw, why] of weak) {
      const r = await t.req("POST", "/v1/auth/change-password", { token: u.token, body: { current_password: STRONG_PASSWORD, new_password: pw } });
      expect(r.status, pw).toBe(400);
      expect(r.body.detail).toMatch(/^new_password: /);
      expect(r.body.detail).toMatch(why);
    }
    expect((await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).status).toBe(200);
  });

  it("S31: OIDC login checks the audience and email_verified", async () => {
    const issuer = await startIssuer();
    const g = await startApp({ env: { ONECLAW_OIDC_ISSUER: issuer.url, ONECLAW_OIDC_CLIENT_ID: "oneclaw-test-client" } });
    try {
      const email = `${uuid()}@gmail.test`;
      const login = async (tok: string) => (await g.req("POST", "/v1/auth/google", { body: { id_token: tok } })).status;
      expect(await login(await issuer.token({ email }, { audience: "another-app" }))).toBe(401);
      expect(await login(await issuer.token({ email, email_verified: false }))).toBe(401);
      expect(await login(await issuer.token({ email, email_verified: undefined }))).toBe(401);
      expect((await rawSql(g, "SELECT id FROM users WHERE email = $1", [email])).length).toBe(0);
      expect(await login(await issuer.token({ email }))).toBe(200);
    } finally {
      await g.destroy();
      await issuer.close();
    }
  });

  it("S32: the MFA challenge token works only at /mfa/verify; recovery codes are single-use; TOTP accepts ±1 step only", async () => {
    const u = await t.signup();
    const setup = await t.req("POST", "/v1/auth/mfa/setup", { token: u.token });
    const secret = setup.body.secret;
    const codes = (await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: { code: totp(secret, -1) } })).body.recovery_codes;
    const ch = (await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).body;
    expect(ch.mfa_required).toBe(true);
    const claims = JSON.parse(Buffer.from(ch.mfa_token.split(".")[1], "base64url").toString());
    expect(claims.typ).toBe("mfa");
    expect(claims.exp - claims.iat).toBe(300);
    for (const [m, url] of [["GET", "/v1/auth/me"], ["GET", "/v1/vaults"], ["GET", "/v1/auth/api-keys"], ["GET", "/v1/billing/usage"], ["POST", "/v1/auth/device/approve"]]) {
      expect((await t.req(m, url, { token: ch.mfa_token, body: m === "POST" ? { user_code: "BCDF-GHJK" } : undefined })).status, url).toBe(401);
    }
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: totp(secret, 2) } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: totp(secret, -2) } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: totp(secret, 1) } })).status).toBe(200);
    const ch2 = (await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).body;
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch2.mfa_token, code: codes[3] } })).status).toBe(200);
    const ch3 = (await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).body;
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch3.mfa_token, code: codes[3] } })).status).toBe(401);
  });

  it("S34: quotas and resource limits are per org", async () => {
    const a = await t.signup();
    const b = await t.signup();
    await t.req("PUT", `/v1/admin/orgs/${a.orgId}/limits`, { token: admin.token, body: { free_tier_override: 2 } });
    for (let i = 0; i < 2; i++) await t.req("GET", "/v1/vaults", { token: a.token });
    expect((await t.req("GET", "/v1/vaults", { token: a.token })).status).toBe(402);
    const rb = await t.req("GET", "/v1/vaults", { token: b.token });
    expect(rb.status).toBe(200);
    expect(rb.headers["x-ratelimit-requests-used"]).toBe("1");
    expect(rb.headers["x-ratelimit-requests-limit"]).toBe("1000");
    // A's vault limit does not count B's vaults.
    for (let i = 0; i < 3; i++) expect((await t.req("POST", "/v1/vaults", { token: b.token, body: { name: `b${i}` } })).status).toBe(201);
    expect((await t.req("POST", "/v1/vaults", { token: b.token, body: { name: "b3" } })).status).toBe(403);
    const c = await t.signup();
    expect((await t.req("POST", "/v1/vaults", { token: c.token, body: { name: "c0" } })).status).toBe(201);
    expect((await t.req("GET", "/v1/billing/usage", { token: b.token })).body.current_month.total_requests).toBe(5);
    expect((await t.req("GET", "/v1/billing/history?limit=100", { token: b.token })).body.events.every((e: any) => e.principal_id === b.userId)).toBe(true);
  });
});

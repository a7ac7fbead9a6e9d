import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, type TestApp } from "../helpers.js";

const GRANT = "urn:ietf:params:oauth:grant-type:device_code";
let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: { ONECLAW_PUBLIC_URL: "https://vault.example.test" } });
});
afterAll(async () => t?.destroy());

async function newCode() {
  const r = await t.req("POST", "/v1/auth/device/code", { body: { client_id: "1claw-cli" } });
  expect(r.status).toBe(200);
  return r.body as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number };
}
const poll = (device_code: string) => t.req("POST", "/v1/auth/device/token", { body: { device_code, grant_type: GRANT } });
/** Makes the next poll not "too fast" without sleeping 5 s. */
const agePoll = (userCode: string) => rawSql(t, "UPDATE device_codes SET last_poll_at = $1 WHERE user_code = $2", [new Date(Date.now() - 10_000).toISOString(), userCode]);

describe("device login (RFC 8628)", () => {
  it("issues a code, stays pending until approved, then yields one 24 h token", async () => {
    const u = await t.signup();
    const c = await newCode();
    expect(c.device_code.length).toBeGreaterThanOrEqual(43);
    expect(c.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(c).toMatchObject({ verification_uri: "https://vault.example.test/cli/verify", expires_in: 600, interval: 5 });
    expect(c.verification_uri_complete).toBe(`https://vault.example.test/cli/verify?code=${c.user_code}`);

    expect((await poll(c.device_code)).body.error).toBe("authorization_pending");
    expect((await poll(c.device_code)).body.error).toBe("slow_down");
    const st = await t.req("GET", `/v1/auth/device/code/${c.user_code}`);
    expect(st.status).toBe(200);
    expect(st.body).toMatchObject({ user_code: c.user_code, client_id: "1claw-cli", status: "pending" });
    expect(st.text).not.toContain(c.device_code);

    // Lower case and no dash are accepted.
    const ap = await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: c.user_code.replace("-", "").toLowerCase() } });
    expect(ap.status).toBe(200);
    expect(ap.body).toEqual({ status: "approved", user_code: c.user_code });
    expect((await t.req("GET", `/v1/auth/device/code/${c.user_code}`)).body.status).toBe("approved");

    const tok = await poll(c.device_code);
    expect(tok.status).toBe(200);
    expect(tok.body).toMatchObject({ token_type: "Bearer", expires_in: 86400, email: u.email, user_id: u.userId, org_id: u.orgId });
    expect(tok.body.error).toBeUndefined();
    expect((await t.req("GET", "/v1/auth/me", { token: tok.body.access_token })).body.id).toBe(u.userId);
    // One token per approval: the device code is gone.
    const reuse = await poll(c.device_code);
    expect(reuse.status).toBe(400);
    expect(reuse.body.detail).toContain("device_code");
    expect((await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: c.user_code } })).status).toBe(404);
  });

  it("deny ends the flow with access_denied and cannot be overturned", async () => {
    const u = await t.signup();
    const c = await newCode();
    const d = await t.req("POST", "/v1/auth/device/deny", { token: u.token, body: { user_code: c.user_code } });
    expect(d.status).toBe(200);
    expect(d.body.status).toBe("denied");
    expect((await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: c.user_code } })).status).toBe(409);
    expect((await t.req("GET", `/v1/auth/device/code/${c.user_code}`)).body.status).toBe("denied");
    const p = await poll(c.device_code);
    expect(p.status).toBe(200);
    expect(p.body.error).toBe("access_denied");
    expect(p.body.access_token).toBeUndefined();
  });

  it("expires after 10 minutes", async () => {
    const u = await t.signup();
    const c = await newCode();
    await rawSql(t, "UPDATE device_codes SET expires_at = $1 WHERE user_code = $2", [new Date(Date.now() - 1000).toISOString(), c.user_code]);
    expect((await t.req("GET", `/v1/auth/device/code/${c.user_code}`)).body.status).toBe("expired");
    expect((await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: c.user_code } })).status).toBe(410);
    await agePoll(c.user_code);
    expect((await poll(c.device_code)).body.error).toBe("expired_token");
  });

  it("approve and deny need a human bearer; the token belongs to the approver's org", async () => {
    const a = await t.signup();
    const c = await newCode();
    expect((await t.req("POST", "/v1/auth/device/approve", { body: { user_code: c.user_code } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/device/deny", { body: { user_code: c.user_code } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/device/approve", { token: "not-a-token", body: { user_code: c.user_code } })).status).toBe(401);
    await t.req("POST", "/v1/auth/device/approve", { token: a.token, body: { user_code: c.user_code } });
    const tok = await poll(c.device_code);
    expect(tok.body.org_id).toBe(a.orgId);
  });

  it("rejects bad input with the field named", async () => {
    const bad: Array<[string, string, unknown, string]> = [
      ["POST", "/v1/auth/device/code", {}, "client_id"],
      ["POST", "/v1/auth/device/code", { client_id: "" }, "client_id"],
      ["POST", "/v1/auth/device/code", { client_id: "x".repeat(201) }, "client_id"],
      ["POST", "/v1/auth/device/token", { device_code: "abc" }, "grant_type"],
      ["POST", "/v1/auth/device/token", { device_code: "abc", grant_type: "password" }, "grant_type"],
      ["POST", "/v1/auth/device/token", { grant_type: GRANT }, "device_code"],
      ["POST", "/v1/auth/device/token", { device_code: "unknown", grant_type: GRANT }, "device_code"],
    ];
    for (const [m, url, body, field] of bad) {
      const r = await t.req(m, url, { body });
      expect(r.status, `${url} ${JSON.stringify(body)}`).toBe(400);
      expect(r.body.detail).toContain(field);
    }
    const u = await t.signup();
    expect((await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: {} })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/device/approve", { token: u.token, body: { user_code: "x".repeat(40) } })).status).toBe(400);
    expect((await t.req("GET", "/v1/auth/device/code/ZZZZ-ZZZZ")).status).toBe(404);
  });

  it("serves the approval page with a same-origin script and no inline code", async () => {
    const page = await t.req("GET", "/cli/verify?code=BCDF-GHJK");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    expect(page.text).toContain('<script src="/cli/verify.js"');
    expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)/);
    expect(page.text).not.toMatch(/style=/);
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect((await t.req("GET", "/cli/verify.js")).headers["content-type"]).toMatch(/javascript/);
    expect((await t.req("GET", "/cli/verify.css")).headers["content-type"]).toMatch(/text\/css/);
  });
});

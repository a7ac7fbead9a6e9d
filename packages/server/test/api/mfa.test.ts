import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STRONG_PASSWORD, rawSql, startApp, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

const codeAt = (secret: string, offsetSteps = 0) =>
  OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30, timestamp: Date.now() + offsetSteps * 30_000 });

export async function enableMfa(app: TestApp, token: string) {
  const setup = await app.req("POST", "/v1/auth/mfa/setup", { token });
  expect(setup.status).toBe(200);
  const secret = setup.body.secret as string;
  const done = await app.req("POST", "/v1/auth/mfa/verify-setup", { token, body: { code: codeAt(secret) } });
  expect(done.status).toBe(200);
  return { secret, recovery: done.body.recovery_codes as string[], uri: setup.body.otpauth_uri as string };
}

async function login(email: string) {
  const r = await t.req("POST", "/v1/auth/token", { body: { email, password: STRONG_PASSWORD } });
  expect(r.status).toBe(200);
  return r.body;
}

describe("MFA (TOTP)", () => {
  it("enrolls: setup gives an otpauth URI, verify-setup enables MFA and returns 8 recovery codes", async () => {
    const u = await t.signup();
    expect((await t.req("GET", "/v1/auth/mfa/status", { token: u.token })).body).toEqual({ enabled: false });
    const setup = await t.req("POST", "/v1/auth/mfa/setup", { token: u.token });
    expect(setup.body.otpauth_uri).toMatch(/^otpauth:\/\/totp\/oneclaw:.*secret=/);
    const parsed = OTPAuth.URI.parse(setup.body.otpauth_uri) as OTPAuth.TOTP;
    expect(parsed.period).toBe(30);
    expect(parsed.digits).toBe(6);
    const wrong = await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: { code: "000000" === codeAt(setup.body.secret) ? "111111" : "000000" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.detail).toContain("code");
    expect((await t.req("GET", "/v1/auth/mfa/status", { token: u.token })).body.enabled).toBe(false);
    const ok = await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: { code: codeAt(setup.body.secret) } });
    expect(ok.status).toBe(200);
    expect(ok.body.recovery_codes).toHaveLength(8);
    expect(new Set(ok.body.recovery_codes).size).toBe(8);
    expect((await t.req("GET", "/v1/auth/mfa/status", { token: u.token })).body.enabled).toBe(true);
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).body.totp_enabled).toBe(true);
    // At rest: neither the TOTP secret nor any recovery code is stored in the clear.
    const rows = await rawSql(t, "SELECT * FROM user_mfa WHERE user_id = $1", [u.userId]);
    const dump = JSON.stringify(rows.map((r) => ({ ...r, secret_sealed: Buffer.from(r.secret_sealed).toString("latin1") })));
    expect(dump).not.toContain(setup.body.secret);
    for (const c of ok.body.recovery_codes) expect(dump).not.toContain(c.replace("-", ""));
    // Enrolling again while enabled is refused.
    expect((await t.req("POST", "/v1/auth/mfa/setup", { token: u.token })).status).toBe(409);
  });

  it("login answers mfa_required with a 5-minute challenge; the challenge is single-use and only valid at /mfa/verify", async () => {
    const u = await t.signup();
    const { secret } = await enableMfa(t, u.token);
    const ch = await login(u.email);
    expect(ch).toMatchObject({ mfa_required: true, access_token: "", token_type: "Bearer", expires_in: 300 });
    expect(typeof ch.mfa_token).toBe("string");
    expect((await t.req("GET", "/v1/auth/me", { token: ch.mfa_token })).status).toBe(401);
    expect((await t.req("GET", "/v1/vaults", { token: ch.mfa_token })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/mfa/setup", { token: ch.mfa_token })).status).toBe(401);
    const ok = await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: codeAt(secret, 1) } });
    expect(ok.status).toBe(200);
    expect((await t.req("GET", "/v1/auth/me", { token: ok.body.access_token })).body.id).toBe(u.userId);
    const again = await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: codeAt(secret, 1) } });
    expect(again.status).toBe(401);
  });

  it("a TOTP code cannot be replayed, and codes of an older step are refused", async () => {
    const u = await t.signup();
    const { secret } = await enableMfa(t, u.token);
    const first = await login(u.email);
    const code = codeAt(secret, 1);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: first.mfa_token, code } })).status).toBe(200);
    const second = await login(u.email);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: second.mfa_token, code } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: second.mfa_token, code: codeAt(secret, 0) } })).status).toBe(401);
  });

  it("accepts ±1 time step and refuses codes further away", async () => {
    const u = await t.signup();
    const setup = await t.req("POST", "/v1/auth/mfa/setup", { token: u.token });
    const secret = setup.body.secret;
    // Enrol with the previous step's code (−1 accepted).
    expect((await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: { code: codeAt(secret, -1) } })).status).toBe(200);
    const ch = await login(u.email);
    for (const far of [-3, 3]) {
      expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: codeAt(secret, far) } })).status).toBe(401);
    }
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: codeAt(secret, 1) } })).status).toBe(200);
  });

  it("recovery codes work once each", async () => {
    const u = await t.signup();
    const { recovery } = await enableMfa(t, u.token);
    const a = await login(u.email);
    const ok = await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: a.mfa_token, code: recovery[0].toLowerCase() } });
    expect(ok.status).toBe(200);
    const b = await login(u.email);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: b.mfa_token, code: recovery[0] } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: b.mfa_token, code: recovery[1] } })).status).toBe(200);
  });

  it("burns a challenge after 5 wrong codes", async () => {
    const u = await t.signup();
    const { secret } = await enableMfa(t, u.token);
    const ch = await login(u.email);
    for (let i = 0; i < 5; i++) {
      expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: "AAAAA-AAAAA" } })).status).toBe(401);
    }
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.mfa_token, code: codeAt(secret, 1) } })).status).toBe(401);
  });

  it("disable needs a valid code or the password", async () => {
    const u = await t.signup();
    const { secret } = await enableMfa(t, u.token);
    const noBody = await t.req("DELETE", "/v1/auth/mfa", { token: u.token, body: {} });
    expect(noBody.status).toBe(400);
    expect(noBody.body.detail).toContain("code");
    const badPw = await t.req("DELETE", "/v1/auth/mfa", { token: u.token, body: { password: "Wrong-Password-9!" } });
    expect(badPw.status).toBe(400);
    expect(badPw.body.detail).toContain("password");
    expect((await t.req("DELETE", "/v1/auth/mfa", { token: u.token, body: { code: "123" } })).status).toBe(400);
    expect((await t.req("DELETE", "/v1/auth/mfa", { token: u.token, body: { code: codeAt(secret, 1) } })).status).toBe(204);
    expect((await t.req("GET", "/v1/auth/mfa/status", { token: u.token })).body.enabled).toBe(false);
    const plain = await login(u.email);
    expect(plain.mfa_required).toBeUndefined();
    expect(plain.access_token.length).toBeGreaterThan(20);
    expect((await t.req("DELETE", "/v1/auth/mfa", { token: u.token, body: { password: STRONG_PASSWORD } })).status).toBe(400);
    // Re-enrol, then disable with the password.
    await enableMfa(t, u.token);
    expect((await t.req("DELETE", "/v1/auth/mfa", { token: u.token, body: { password: STRONG_PASSWORD } })).status).toBe(204);
  });

  it("rejects bad input and out-of-order calls", async () => {
    const u = await t.signup();
    const early = await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: { code: "123456" } });
    expect(early.status).toBe(400);
    expect(early.body.detail).toMatch(/setup/);
    expect((await t.req("POST", "/v1/auth/mfa/verify-setup", { token: u.token, body: {} })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { code: "123456" } })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: "garbage", code: "123456" } })).status).toBe(401);
    // A normal access token is not an MFA challenge.
    expect((await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: u.token, code: "123456" } })).status).toBe(401);
    expect((await t.req("GET", "/v1/auth/mfa/status")).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/mfa/setup", { token: u.token, body: { extra: 1 } })).status).toBe(400);
  });
});

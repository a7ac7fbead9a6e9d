import crypto from "node:crypto";
import { generateKeyPair } from "jose";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "../helpers.js";
import { startIssuer } from "../oidc-issuer.js";

let t: TestApp;
let issuer: Awaited<ReturnType<typeof startIssuer>>;
beforeAll(async () => {
  issuer = await startIssuer();
  t = await startApp({ env: { ONECLAW_OIDC_ISSUER: issuer.url, ONECLAW_OIDC_CLIENT_ID: "oneclaw-test-client" } });
});
afterAll(async () => {
  await t?.destroy();
  await issuer?.close();
});

const email = () => `g${crypto.randomBytes(5).toString("hex")}@gmail.test`;
const google = (id_token: string) => t.req("POST", "/v1/auth/google", { body: { id_token } });

describe("Google / OIDC login", () => {
  it("creates an account and org for a new verified email, then logs the same account in", async () => {
    const e = email();
    const first = await google(await issuer.token({ email: e, name: "Grace" }));
    expect(first.status).toBe(200);
    expect(first.body.token_type).toBe("Bearer");
    const me = await t.req("GET", "/v1/auth/me", { token: first.body.access_token });
    expect(me.body).toMatchObject({ email: e, auth_method: "google", email_verified: true, role: "owner", display_name: "Grace" });
    const second = await google(await issuer.token({ email: e.toUpperCase() }));
    expect(second.status).toBe(200);
    const me2 = await t.req("GET", "/v1/auth/me", { token: second.body.access_token });
    expect(me2.body.id).toBe(me.body.id);
    // Its own org: it sees no other org's vaults, and can create its own.
    expect((await t.req("POST", "/v1/vaults", { token: second.body.access_token, body: { name: "g" } })).status).toBe(201);
    // Discovery and keys are fetched once, not per login.
    const hits = issuer.hits;
    await google(await issuer.token({ email: e }));
    expect(issuer.hits).toBe(hits);
  });

  it("logs an existing password account in by its verified email", async () => {
    const u = await t.signup();
    const r = await google(await issuer.token({ email: u.email }));
    expect(r.status).toBe(200);
    expect((await t.req("GET", "/v1/auth/me", { token: r.body.access_token })).body.id).toBe(u.userId);
  });

  it("applies MFA to Google logins", async () => {
    const e = email();
    const first = await google(await issuer.token({ email: e }));
    const token = first.body.access_token;
    const setup = await t.req("POST", "/v1/auth/mfa/setup", { token });
    const code = (s: number) => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(setup.body.secret), timestamp: Date.now() + s * 30_000 });
    expect((await t.req("POST", "/v1/auth/mfa/verify-setup", { token, body: { code: code(0) } })).status).toBe(200);
    const ch = await google(await issuer.token({ email: e }));
    expect(ch.status).toBe(200);
    expect(ch.body).toMatchObject({ mfa_required: true, access_token: "" });
    const ok = await t.req("POST", "/v1/auth/mfa/verify", { body: { mfa_token: ch.body.mfa_token, code: code(1) } });
    expect(ok.status).toBe(200);
  });

  it("refuses tokens for another audience, unverified emails, other issuers, foreign keys and expired tokens", async () => {
    const e = email();
    const other = await generateKeyPair("RS256");
    const bad = [
      await issuer.token({ email: e }, { audience: "someone-elses-client" }),
      await issuer.token({ email: e, email_verified: false }),
      await issuer.token({ email: e, email_verified: undefined }),
      await issuer.token({ email: e, email_verified: "false" }),
      await issuer.token({ email: undefined }),
      await issuer.token({ email: e }, { issuer: "https://evil.example" }),
      await issuer.token({ email: e }, { key: other.privateKey }),
      await issuer.token({ email: e }, { expiresIn: "-1m" }),
      // alg "none"
      `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify({ iss: issuer.url, aud: "oneclaw-test-client", email: e, email_verified: true, exp: Math.floor(Date.now() / 1000) + 300 })).toString("base64url")}.`,
      "not-a-jwt",
    ];
    for (const tok of bad) {
      const r = await google(tok);
      expect(r.status, tok.slice(0, 40)).toBe(401);
      expect(r.body.type).toBe("about:blank");
    }
    // None of these created an account.
    const created = await google(await issuer.token({ email: e }));
    const me = await t.req("GET", "/v1/auth/me", { token: created.body.access_token });
    expect(Date.parse(me.body.created_at)).toBeGreaterThan(Date.now() - 10_000);
  });

  it("rejects malformed bodies", async () => {
    expect((await t.req("POST", "/v1/auth/google", { body: {} })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/google", { body: { id_token: "" } })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/google", { body: { id_token: "x".repeat(20000) } })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/google", { body: { id_token: 5 } })).body.detail).toContain("id_token");
  });

  it("answers 501 when no client id is configured and 503 when the issuer is unreachable", async () => {
    const off = await startApp();
    try {
      const r = await off.req("POST", "/v1/auth/google", { body: { id_token: await issuer.token({ email: email() }) } });
      expect(r.status).toBe(501);
      expect(r.body.detail).toContain("ONECLAW_OIDC_CLIENT_ID");
    } finally {
      await off.destroy();
    }
    const down = await startApp({ env: { ONECLAW_OIDC_ISSUER: "http://127.0.0.1:9", ONECLAW_OIDC_CLIENT_ID: "oneclaw-test-client" } });
    try {
      const r = await down.req("POST", "/v1/auth/google", { body: { id_token: await issuer.token({ email: email() }) } });
      expect(r.status).toBe(503);
    } finally {
      await down.destroy();
    }
  });
});

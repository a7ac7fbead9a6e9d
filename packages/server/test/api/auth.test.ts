import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createPublicKey } from "node:crypto";
import { decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, STRONG_PASSWORD, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

const email = () => `a${Math.random().toString(36).slice(2, 10)}@example.com`;
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
const userCount = async () => Number((await rawSql(t, "select count(*) as n from users"))[0].n);

describe("signup", () => {
  it("answers 200 with an access token, gives each account its own org, and makes only the first the platform admin", async () => {
    const a = await t.req("POST", "/v1/auth/signup", { body: { email: email(), password: STRONG_PASSWORD, display_name: "Ada" } });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ message: expect.any(String), email: expect.any(String), token_type: "Bearer", access_token: expect.any(String) });
    const b = await t.req("POST", "/v1/auth/signup", { body: { email: email(), password: STRONG_PASSWORD } });
    const ca = claimsOf(a.body.access_token);
    const cb = claimsOf(b.body.access_token);
    expect(ca.org_id).not.toBe(cb.org_id);
    const admins = await rawSql(t, "select id from users where is_platform_admin = 1");
    expect(admins.map((r) => r.id)).toEqual([ca.sub]);
    const me = await t.req("GET", "/v1/auth/me", { token: a.body.access_token });
    expect(me.body).toMatchObject({ id: ca.sub, display_name: "Ada", role: "owner", auth_method: "password", email_verified: true, totp_enabled: false });
  });

  it("stores emails case-insensitively and refuses a duplicate with 409", async () => {
    const e = email();
    expect((await t.req("POST", "/v1/auth/signup", { body: { email: e, password: STRONG_PASSWORD } })).status).toBe(200);
    const before = await userCount();
    const dup = await t.req("POST", "/v1/auth/signup", { body: { email: e.toUpperCase(), password: STRONG_PASSWORD } });
    expect(dup.status).toBe(409);
    expect(dup.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(await userCount()).toBe(before);
  });

  it.each([
    ["Short-1!a", "at least 12"],
    ["lowercase-only-9!", "uppercase"],
    ["UPPERCASE-ONLY-9!", "lowercase"],
    ["No-Digits-Here!!x", "digit"],
    ["NoSpecials9Here7", "special"],
    ["Baaad-Passw0rd!", "repeat"],
    ["Xabc-Passw0rd!!", "sequential"],
    ["Pass-w0rd-789!x", "sequential"],
  ])("rejects password %s with 400 naming the field and writes nothing", async (password, rule) => {
    const before = await userCount();
    const r = await t.req("POST", "/v1/auth/signup", { body: { email: email(), password } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^password: /);
    expect(r.body.detail).toContain(rule);
    expect(await userCount()).toBe(before);
  });

  it.each([
    [{ password: STRONG_PASSWORD }, "email"],
    [{ email: "not-an-email", password: STRONG_PASSWORD }, "email"],
    [{ email: "x@example.com" }, "password"],
    [{ email: "x@example.com", password: STRONG_PASSWORD, display_name: "" }, "display_name"],
  ])("rejects malformed body %j naming %s", async (body, field) => {
    const r = await t.req("POST", "/v1/auth/signup", { body });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ type: "about:blank", title: "Bad Request", status: 400 });
    expect(r.body.detail).toContain(field);
  });
});

describe("login", () => {
  it("issues an EdDSA JWT with a jti for the right password, and the same generic 401 otherwise", async () => {
    const u = await t.signup();
    const ok = await t.req("POST", "/v1/auth/token", { body: { email: u.email.toUpperCase(), password: STRONG_PASSWORD } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect(decodeProtectedHeader(ok.body.access_token).alg).toBe("EdDSA");
    const c = claimsOf(ok.body.access_token);
    expect(c).toMatchObject({ sub: u.userId, typ: "user", org_id: u.orgId, jti: expect.any(String) });
    expect(c.exp - c.iat).toBe(900);

    const wrong = await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: "Wrong-Passw0rd!x" } });
    const unknown = await t.req("POST", "/v1/auth/token", { body: { email: "nobody-" + u.email, password: STRONG_PASSWORD } });
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ type: "about:blank", title: "Unauthorized", status: 401, detail: "Invalid credentials" });
    }
  });

  it("audits success and failure without the password", async () => {
    const u = await t.signup();
    const canaryPw = "Canary-Pw-" + Date.now() + "!x";
    await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: canaryPw } });
    await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } });
    const ev = await t.req("GET", "/v1/audit/events?resource_id=&limit=50", { token: u.token });
    const actions = ev.body.events.map((e: any) => e.action);
    expect(actions).toContain("auth.failure");
    expect(actions).toContain("auth.success");
    expect(JSON.stringify(ev.body)).not.toContain(canaryPw);
    expect(JSON.stringify(ev.body)).not.toContain(STRONG_PASSWORD);
  });

  it("rejects malformed login bodies with 400", async () => {
    expect((await t.req("POST", "/v1/auth/token", { body: { email: "a@example.com" } })).body.detail).toContain("password");
    expect((await t.req("POST", "/v1/auth/token", { body: { username: "a", password: "b" } })).body.detail).toContain("email");
  });
});

describe("profile", () => {
  it("reads and updates the profile; rejects unknown fields and bad types", async () => {
    const u = await t.signup();
    const p = await t.req("PATCH", "/v1/auth/me", { token: u.token, body: { display_name: "Grace", marketing_emails: true } });
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({ display_name: "Grace", marketing_emails: true, email: u.email });
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).body.display_name).toBe("Grace");
    const bad = await t.req("PATCH", "/v1/auth/me", { token: u.token, body: { marketing_emails: "yes" } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain("marketing_emails");
    const extra = await t.req("PATCH", "/v1/auth/me", { token: u.token, body: { role: "admin" } });
    expect(extra.status).toBe(400);
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).body.role).toBe("owner");
  });

  it("requires a bearer token", async () => {
    const r = await t.req("GET", "/v1/auth/me");
    expect(r.status).toBe(401);
    expect(r.headers["www-authenticate"]).toBe("Bearer");
    expect((await t.req("GET", "/v1/auth/me", { headers: { authorization: "Basic abc" } })).status).toBe(401);
    expect((await t.req("GET", "/v1/auth/me", { token: "not.a.jwt" })).status).toBe(401);
  });

  it("deletes the account only with the exact confirmation, then the token stops working", async () => {
    const u = await t.signup();
    const none = await t.req("DELETE", "/v1/auth/me", { token: u.token });
    expect(none.status).toBe(400);
    expect(none.body.detail).toContain("body");
    const wrong = await t.req("DELETE", "/v1/auth/me", { token: u.token, body: { confirmation: "delete my account" } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.detail).toContain("confirmation");
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).status).toBe(200);
    const del = await t.req("DELETE", "/v1/auth/me", { token: u.token, body: { confirmation: "DELETE MY ACCOUNT" } });
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expect((await t.req("GET", "/v1/auth/me", { token: u.token })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).status).toBe(401);
    expect(await rawSql(t, "select id from users where id = $1", [u.userId])).toEqual([]);
  });
});

describe("change password", () => {
  it("enforces the password rules and the current password, then only the new one logs in", async () => {
    const u = await t.signup();
    const NEW = "Another-G00d-Phrase!";
    const wrongCurrent = await t.req("POST", "/v1/auth/change-password", { token: u.token, body: { current_password: "Nope-Nope-42!x", new_password: NEW } });
    expect(wrongCurrent.status).toBe(400);
    expect(wrongCurrent.body.detail).toContain("current_password");
    const weak = await t.req("POST", "/v1/auth/change-password", { token: u.token, body: { current_password: STRONG_PASSWORD, new_password: "weakpass" } });
    expect(weak.status).toBe(400);
    expect(weak.body.detail).toMatch(/^new_password: /);
    const same = await t.req("POST", "/v1/auth/change-password", { token: u.token, body: { current_password: STRONG_PASSWORD, new_password: STRONG_PASSWORD } });
    expect(same.status).toBe(400);
    expect((await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).status).toBe(200);

    const ok = await t.req("POST", "/v1/auth/change-password", { token: u.token, body: { current_password: STRONG_PASSWORD, new_password: NEW } });
    expect(ok.status).toBe(204);
    expect((await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: NEW } })).status).toBe(200);
  });
});

describe("tokens", () => {
  it("revokes the presented token at once, even though it was verified and cached before", async () => {
    const u = await t.signup();
    const login = await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } });
    const other = login.body.access_token;
    for (let i = 0; i < 3; i++) expect((await t.req("GET", "/v1/auth/me", { token: u.token })).status).toBe(200);
    const del = await t.req("DELETE", "/v1/auth/token", { token: u.token, headers: { "content-type": "application/json" } });
    expect(del.status).toBe(204);
    const after = await t.req("GET", "/v1/auth/me", { token: u.token });
    expect(after.status).toBe(401);
    expect(after.body.detail).toBe("Invalid or expired token");
    expect((await t.req("GET", "/v1/auth/me", { token: other })).status).toBe(200);
    // The revocation survives a restart of the process (it is stored, not only cached).
    expect(await rawSql(t, "select jti from revoked_tokens where jti = $1", [claimsOf(u.token).jti])).toHaveLength(1);
  });

  it("refresh answers 400 as the reference service does", async () => {
    const r = await t.req("POST", "/v1/auth/refresh", { body: { refresh_token: "x" } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toBe("Refresh tokens not yet implemented");
    expect((await t.req("POST", "/v1/auth/refresh", { body: {} })).status).toBe(400);
  });

  it("publishes the verification key: raw Ed25519 base64 and JWKS both verify issued tokens", async () => {
    const u = await t.signup();
    const pk = await t.req("GET", "/v1/auth/jwt-public-key");
    expect(pk.status).toBe(200);
    expect(pk.body.alg).toBe("EdDSA");
    const raw = Buffer.from(pk.body.public_key_base64, "base64");
    expect(raw).toHaveLength(32);
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    expect((await jwtVerify(u.token, key)).payload.sub).toBe(u.userId);

    const jwks = await t.req("GET", "/.well-known/jwks.json");
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA" });
    const jwk = await importJWK(jwks.body.keys[0], "EdDSA");
    expect((await jwtVerify(u.token, jwk)).payload.sub).toBe(u.userId);
  });

  it("rejects a token signed by another key and one with alg none", async () => {
    const u = await t.signup();
    const [h, p] = u.token.split(".");
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url") + "." + p + ".";
    expect((await t.req("GET", "/v1/auth/me", { token: none })).status).toBe(401);
    const tampered = h + "." + Buffer.from(JSON.stringify({ ...claimsOf(u.token), org_id: crypto.randomUUID() })).toString("base64url") + "." + u.token.split(".")[2];
    expect((await t.req("GET", "/v1/auth/me", { token: tampered })).status).toBe(401);
  });
});

describe("email verification (ONECLAW_REQUIRE_EMAIL_VERIFICATION=true, file outbox)", () => {
  let v: TestApp;
  beforeAll(async () => {
    v = await startApp({ env: { ONECLAW_REQUIRE_EMAIL_VERIFICATION: "true", ONECLAW_PUBLIC_URL: "https://vault.example.test" } });
  });
  afterAll(async () => v?.destroy());

  it("sends the link to the outbox, blocks login until verified, and the link works once", async () => {
    const e = email();
    const s = await v.req("POST", "/v1/auth/signup", { body: { email: e, password: STRONG_PASSWORD } });
    expect(s.status).toBe(200);
    expect(s.body.access_token).toBeUndefined();
    const outbox = path.join(v.dataDir, "outbox");
    let files: string[] = [];
    for (let i = 0; i < 50 && !files.length; i++) {
      await new Promise((r) => setTimeout(r, 20));
      files = fs.existsSync(outbox) ? fs.readdirSync(outbox) : [];
    }
    expect(files).toHaveLength(1);
    expect(fs.statSync(path.join(outbox, files[0])).mode & 0o777).toBe(0o600);
    const mail = JSON.parse(fs.readFileSync(path.join(outbox, files[0]), "utf8"));
    expect(mail.to).toBe(e);
    const token = /https:\/\/vault\.example\.test\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
    expect(token).toBeTruthy();

    const early = await v.req("POST", "/v1/auth/token", { body: { email: e, password: STRONG_PASSWORD } });
    expect(early.status).toBe(403);
    expect(early.body.detail).toMatch(/not verified/);

    expect((await v.req("POST", "/v1/auth/verify-email", { body: { token: "bogus" } })).status).toBe(400);
    const ok = await v.req("POST", "/v1/auth/verify-email", { body: { token } });
    expect(ok.status).toBe(200);
    expect(ok.body.token_type).toBe("Bearer");
    expect((await v.req("GET", "/v1/auth/me", { token: ok.body.access_token })).body.email_verified).toBe(true);
    const again = await v.req("POST", "/v1/auth/verify-email", { body: { token } });
    expect(again.status).toBe(400);
    expect(again.body.detail).toContain("token");
    expect((await v.req("POST", "/v1/auth/token", { body: { email: e, password: STRONG_PASSWORD } })).status).toBe(200);
  });
});

/** A minimal SMTP sink (a stand-in for the operator's mail relay): records each message's DATA. */
async function smtpSink(): Promise<{ url: string; messages: string[]; close: () => Promise<void> }> {
  const messages: string[] = [];
  const server = net.createServer((sock) => {
    let buf = "";
    let inData = false;
    sock.write("220 sink ESMTP\r\n");
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      for (;;) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          messages.push(buf.slice(0, end));
          buf = buf.slice(end + 5);
          inData = false;
          sock.write("250 queued\r\n");
          continue;
        }
        const nl = buf.indexOf("\r\n");
        if (nl < 0) return;
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        const cmd = line.slice(0, 4).toUpperCase();
        if (cmd === "EHLO" || cmd === "HELO") sock.write("250 sink\r\n");
        else if (cmd === "DATA") {
          inData = true;
          sock.write("354 go on\r\n");
        } else if (cmd === "QUIT") sock.end("221 bye\r\n");
        else sock.write("250 ok\r\n");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return { url: `smtp://127.0.0.1:${port}`, messages, close: () => new Promise((r) => server.close(() => r())) };
}

describe("email verification through SMTP (ONECLAW_SMTP_URL)", () => {
  it("sends the verification link to the SMTP relay, not the outbox, and the link verifies", async () => {
    const sink = await smtpSink();
    const v = await startApp({ env: { ONECLAW_REQUIRE_EMAIL_VERIFICATION: "true", ONECLAW_SMTP_URL: sink.url, ONECLAW_PUBLIC_URL: "https://vault.example.test" } });
    try {
      const e = email();
      expect((await v.req("POST", "/v1/auth/signup", { body: { email: e, password: STRONG_PASSWORD } })).status).toBe(200);
      for (let i = 0; i < 100 && !sink.messages.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(sink.messages).toHaveLength(1);
      const raw = sink.messages[0].replace(/=\r\n/g, "").replace(/=3D/g, "=");
      expect(raw).toContain(`To: ${e}`);
      const token = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(raw)?.[1];
      expect(token).toBeTruthy();
      expect(fs.existsSync(path.join(v.dataDir, "outbox"))).toBe(false);
      const ok = await v.req("POST", "/v1/auth/verify-email", { body: { token } });
      expect(ok.status).toBe(200);
      expect((await v.req("POST", "/v1/auth/token", { body: { email: e, password: STRONG_PASSWORD } })).status).toBe(200);
    } finally {
      await v.destroy();
      await sink.close();
    }
  });
});

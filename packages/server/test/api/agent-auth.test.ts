import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, type TestApp } from "../helpers.js";

let t: TestApp;
let human: Awaited<ReturnType<TestApp["signup"]>>;
let vaultId: string;

beforeAll(async () => {
  t = await startApp();
  human = await t.signup();
  vaultId = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "prod" } })).body.id;
  await t.req("PUT", `/v1/vaults/${vaultId}/secrets/api-keys/stripe`, { token: human.token, body: { value: "sk_live_canary_1" } });
});
afterAll(async () => t?.destroy());

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1], "base64url").toString());

async function newAgent(body: Record<string, unknown> = {}) {
  const r = await t.req("POST", "/v1/agents", { token: human.token, body: { name: "bot", ...body } });
  expect(r.status).toBe(201);
  return r.body as { agent: any; api_key: string };
}

async function exchange(body: Record<string, unknown>) {
  return t.req("POST", "/v1/auth/agent-token", { body });
}

describe("agent token exchange", () => {
  it("exchanges {agent_id, api_key} and {api_key} alone for a token with the agent's claims", async () => {
    const { agent, api_key } = await newAgent({ vault_ids: [vaultId], scopes: ["api-keys/*"], intents_api_enabled: true, token_ttl_seconds: 600 });
    expect(api_key).toMatch(/^ocv_[A-Za-z0-9_-]{43}$/);
    const both = await exchange({ agent_id: agent.id, api_key });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ token_type: "Bearer", expires_in: 600, agent_id: agent.id, vault_ids: [vaultId] });
    const alone = await exchange({ api_key });
    expect(alone.status).toBe(200);
    expect(alone.body.agent_id).toBe(agent.id);
    const c = claimsOf(alone.body.access_token);
    expect(c).toMatchObject({ sub: agent.id, typ: "agent", org_id: human.orgId, vault_ids: [vaultId], scopes: ["api-keys/*"], intents_api_enabled: true });
    expect(c.exp - c.iat).toBe(600);
  });

  it("defaults expires_in to the configured agent TTL and puts no scopes claim without explicit scopes", async () => {
    const { api_key } = await newAgent();
    const r = await exchange({ api_key });
    expect(r.body.expires_in).toBe(3600);
    expect(claimsOf(r.body.access_token).scopes).toBeUndefined();
    expect(r.body.vault_ids).toEqual([]);
  });

  it("answers 401 for a wrong key, a key with another agent's id, and no credential at all 400", async () => {
    const a = await newAgent();
    const b = await newAgent();
    expect((await exchange({ api_key: "ocv_" + "A".repeat(43) })).status).toBe(401);
    expect((await exchange({ agent_id: b.agent.id, api_key: a.api_key })).status).toBe(401);
    const none = await exchange({ agent_id: a.agent.id });
    expect(none.status).toBe(400);
    expect(none.body.detail).toMatch(/api_key/);
    expect((await exchange({ agent_id: "not-a-uuid", api_key: a.api_key })).status).toBe(400);
    for (const body of [{ api_key: "" }, { api_key: "x".repeat(300) }, { api_key: 42 }, { oidc_token: "" }]) {
      const r = await exchange(body);
      expect(r.status, JSON.stringify(body).slice(0, 40)).toBe(400);
      expect(r.body.detail).toMatch(/api_key|oidc_token/);
    }
    const raw = await t.req("POST", "/v1/auth/agent-token", { raw: "{not json", headers: { "content-type": "application/json" } });
    expect(raw.status).toBe(400);
  });

  it("a deactivated agent gets no token and its existing token stops on the next request; reactivation restores it", async () => {
    const { agent, api_key } = await newAgent();
    const token = (await exchange({ api_key })).body.access_token;
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(200);
    expect((await t.req("PATCH", `/v1/agents/${agent.id}`, { token: human.token, body: { is_active: false } })).status).toBe(200);
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(401);
    const denied = await exchange({ api_key });
    expect(denied.status).toBe(401);
    expect(denied.body.detail).toBe("Agent is deactivated");
    expect((await t.req("PATCH", `/v1/agents/${agent.id}`, { token: human.token, body: { is_active: true } })).status).toBe(200);
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(200);
  });

  it("a deleted agent: key and tokens stop at once, and it is hidden", async () => {
    const { agent, api_key } = await newAgent();
    const token = (await exchange({ api_key })).body.access_token;
    expect((await t.req("DELETE", `/v1/agents/${agent.id}`, { token: human.token })).status).toBe(204);
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(401);
    expect((await exchange({ api_key })).status).toBe(401);
    expect((await t.req("GET", `/v1/agents/${agent.id}`, { token: human.token })).status).toBe(404);
    const list = await t.req("GET", "/v1/agents", { token: human.token });
    expect(list.body.agents.map((a: any) => a.id)).not.toContain(agent.id);
  });

  it("an expired agent gets 401 at exchange and with its existing token", async () => {
    const { agent, api_key } = await newAgent({ expires_at: new Date(Date.now() + 60_000).toISOString() });
    const token = (await exchange({ api_key })).body.access_token;
    await rawSql(t, "UPDATE agents SET expires_at = $1 WHERE id = $2", [new Date(Date.now() - 1000).toISOString(), agent.id]);
    // The row changed behind the app's back: announce it the way every service change does.
    await t.ctx.bus.publish("agent.changed", agent.id);
    expect((await exchange({ api_key })).status).toBe(401);
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(401);
  });

  it("rotating the key kills the old key and every token minted with it at once", async () => {
    const { agent, api_key } = await newAgent();
    const old = (await exchange({ api_key })).body.access_token;
    const rot = await t.req("POST", `/v1/agents/${agent.id}/rotate-key`, { token: human.token });
    expect(rot.status, rot.text).toBe(200);
    expect(rot.body.api_key).toMatch(/^ocv_/);
    expect(rot.body.api_key).not.toBe(api_key);
    expect((await exchange({ api_key })).status).toBe(401);
    expect((await t.req("GET", "/v1/agents/me", { token: old })).status).toBe(401);
    const fresh = (await exchange({ api_key: rot.body.api_key })).body.access_token;
    expect((await t.req("GET", "/v1/agents/me", { token: fresh })).status).toBe(200);
    const actions = (await rawSql(t, "SELECT action, details FROM audit_events WHERE resource_id = $1", [agent.id])).map((e) => e.action);
    expect(actions).toContain("agent.rotate_key");
    expect(JSON.stringify(await rawSql(t, "SELECT * FROM audit_events"))).not.toContain(rot.body.api_key.slice(4));
  });

  it("stores only a keyed hash of the key, and audits success and failure without the key", async () => {
    const { agent, api_key } = await newAgent();
    await exchange({ api_key });
    await exchange({ agent_id: agent.id, api_key: api_key + "x" });
    const rows = await rawSql(t, "SELECT api_key_hash, key_prefix FROM agents WHERE id = $1", [agent.id]);
    expect(rows[0].api_key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].api_key_hash).not.toContain(api_key.slice(4));
    const events = await rawSql(t, "SELECT action, details FROM audit_events WHERE action IN ('auth.success','auth.failure')");
    expect(events.some((e) => e.action === "auth.success")).toBe(true);
    expect(events.some((e) => e.action === "auth.failure")).toBe(true);
    const all = JSON.stringify(await rawSql(t, "SELECT * FROM audit_events"));
    expect(all).not.toContain(api_key.slice(4));
    expect(t.logs.join("")).not.toContain(api_key.slice(4));
  });
});

describe("mtls agents", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-mtls-"));
  const f = (n: string) => path.join(dir, n);
  let tlsApp: TestApp;
  let port: number;
  let owner: Awaited<ReturnType<TestApp["signup"]>>;

  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  function issue(name: string, caName: string | null) {
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f(`${name}.key`), "-subj", `/CN=${name}`, "-out", f(`${name}.csr`));
    if (caName) openssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${caName}.crt`), "-CAkey", f(`${caName}.key`), "-CAcreateserial", "-days", "2", "-out", f(`${name}.crt`), "-extfile", f("ext.cnf"));
    else openssl("x509", "-req", "-in", f(`${name}.csr`), "-signkey", f(`${name}.key`), "-days", "2", "-out", f(`${name}.crt`));
  }
  const fingerprint = (name: string) => new crypto.X509Certificate(fs.readFileSync(f(`${name}.crt`))).fingerprint256;

  function call(method: string, url: string, opts: { cert?: string; body?: unknown; token?: string } = {}): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const req = https.request(
        {
          host: "127.0.0.1",
          port,
          method,
          path: url,
          ca: fs.readFileSync(f("server-ca.crt")),
          servername: "localhost",
          ...(opts.cert ? { cert: fs.readFileSync(f(`${opts.cert}.crt`)), key: fs.readFileSync(f(`${opts.cert}.key`)) } : {}),
          headers: { ...(payload ? { "content-type": "application/json" } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        },
        (res) => {
          let data = "";
          res.on("data", (c) => (data += c));
          res.on("end", () => resolve({ status: res.statusCode!, body: data ? JSON.parse(data) : undefined }));
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  }

  beforeAll(async () => {
    fs.writeFileSync(f("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    for (const ca of ["server-ca", "client-ca"]) {
      openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f(`${ca}.key`), "-subj", `/CN=${ca}`, "-days", "2", "-out", f(`${ca}.crt`));
    }
    issue("server", "server-ca");
    issue("agent", "client-ca");
    issue("stranger", "client-ca");
    issue("selfsigned", null);
    tlsApp = await startApp({ env: { ONECLAW_TLS_CERT: f("server.crt"), ONECLAW_TLS_KEY: f("server.key"), ONECLAW_TLS_CLIENT_CA: f("client-ca.crt") } });
    await tlsApp.app.listen({ host: "127.0.0.1", port: 0 });
    port = (tlsApp.app.server.address() as { port: number }).port;
    owner = await tlsApp.signup();
  });
  afterAll(async () => {
    await tlsApp?.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a certificate from the client CA whose fingerprint matches gets a token without an API key", async () => {
    const created = await tlsApp.req("POST", "/v1/agents", { token: owner.token, body: { name: "tls-bot", auth_method: "mtls", client_cert_fingerprint: fingerprint("agent") } });
    expect(created.status).toBe(201);
    const id = created.body.agent.id;
    const r = await call("POST", "/v1/auth/agent-token", { cert: "agent", body: {} });
    expect(r.status).toBe(200);
    expect(r.body.agent_id).toBe(id);
    const withId = await call("POST", "/v1/auth/agent-token", { cert: "agent", body: { agent_id: id } });
    expect(withId.status).toBe(200);
    const me = await call("GET", "/v1/agents/me", { token: r.body.access_token });
    expect(me.body.id).toBe(id);
    await tlsApp.req("PATCH", `/v1/agents/${id}`, { token: owner.token, body: { is_active: false } });
    expect((await call("POST", "/v1/auth/agent-token", { cert: "agent", body: {} })).status).toBe(401);
    await tlsApp.req("PATCH", `/v1/agents/${id}`, { token: owner.token, body: { is_active: true } });
  });

  it("refuses certificates that are unknown, self-signed, or absent; ordinary clients still connect", async () => {
    await tlsApp.req("POST", "/v1/agents", { token: owner.token, body: { name: "forged", auth_method: "mtls", client_cert_fingerprint: fingerprint("selfsigned") } });
    expect((await call("POST", "/v1/auth/agent-token", { cert: "stranger", body: {} })).status).toBe(401);
    // Registered fingerprint, but the certificate does not chain to the client CA.
    expect((await call("POST", "/v1/auth/agent-token", { cert: "selfsigned", body: {} })).status).toBe(401);
    const none = await call("POST", "/v1/auth/agent-token", { body: {} });
    expect(none.status).toBe(400);
    expect((await call("GET", "/v1/health")).status).toBe(200);
    // An API key agent cannot be reached with a certificate, nor an mtls agent with a guessed key.
    expect((await call("POST", "/v1/auth/agent-token", { cert: "agent", body: { api_key: "ocv_x" } })).status).toBe(401);
  });
});

describe("oidc_client_credentials agents", () => {
  let issuerServer: http.Server;
  let issuer: string;
  let signingKey: CryptoKey;
  let discoveryHits = 0;
  const otherKey = generateKeyPair("RS256");

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    signingKey = privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    issuerServer = http.createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.url === "/.well-known/openid-configuration") {
        discoveryHits++;
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === "/jwks") res.end(JSON.stringify({ keys: [jwk] }));
      else {
        res.statusCode = 404;
        res.end("{}");
      }
    });
    await new Promise<void>((r) => issuerServer.listen(0, "127.0.0.1", r));
    issuer = `http://127.0.0.1:${(issuerServer.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => issuerServer.close(() => r())));

  const jwt = (opts: { aud?: string; iss?: string; exp?: string | number; key?: CryptoKey; kid?: string } = {}) =>
    new SignJWT({ client_id: "ci-runner" })
      .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? "k1" })
      .setIssuer(opts.iss ?? issuer)
      .setAudience(opts.aud ?? "ci-runner")
      .setSubject("ci-runner")
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? "5m")
      .sign(opts.key ?? signingKey);

  it("exchanges a JWT from the agent's issuer (audience = oidc_client_id) for an agent token", async () => {
    const created = await newAgent({ auth_method: "oidc_client_credentials", oidc_issuer: issuer, oidc_client_id: "ci-runner", vault_ids: [vaultId] });
    expect(created.api_key).toBeUndefined();
    const r = await exchange({ oidc_token: await jwt() });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ agent_id: created.agent.id, vault_ids: [vaultId] });
    expect((await exchange({ agent_id: created.agent.id, oidc_token: await jwt() })).status).toBe(200);
    expect(discoveryHits).toBe(1);
    const me = await t.req("GET", "/v1/agents/me", { token: r.body.access_token });
    expect(me.body.id).toBe(created.agent.id);
  });

  it("rejects a wrong audience, a foreign signing key, an expired token, an unknown issuer and garbage", async () => {
    expect((await exchange({ oidc_token: await jwt({ aud: "someone-else" }) })).status).toBe(401);
    expect((await exchange({ oidc_token: await jwt({ key: (await otherKey).privateKey as CryptoKey }) })).status).toBe(401);
    expect((await exchange({ oidc_token: await jwt({ exp: Math.floor(Date.now() / 1000) - 60 }) })).status).toBe(401);
    expect((await exchange({ oidc_token: await jwt({ iss: "https://unknown.example.com" }) })).status).toBe(401);
    expect((await exchange({ oidc_token: "not.a.jwt" })).status).toBe(401);
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(JSON.stringify({ iss: issuer, aud: "ci-runner", exp: 9999999999 })).toString("base64url")}.`;
    expect((await exchange({ oidc_token: unsigned })).status).toBe(401);
  });
});

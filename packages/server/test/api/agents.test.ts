import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, uuid, type TestApp } from "../helpers.js";

let t: TestApp;
let human: Awaited<ReturnType<TestApp["signup"]>>;
let vaultId: string;

beforeAll(async () => {
  t = await startApp();
  human = await t.signup();
  vaultId = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "prod" } })).body.id;
});
afterAll(async () => t?.destroy());

const create = (body: Record<string, unknown>, token = human.token) => t.req("POST", "/v1/agents", { token, body: { name: "bot", ...body } });
const tokenFor = async (apiKey: string) => (await t.req("POST", "/v1/auth/agent-token", { body: { api_key: apiKey } })).body.access_token as string;

const FULL = {
  name: "deployer",
  description: "ships things",
  auth_method: "api_key",
  scopes: ["deploy/**", "vaults:read"],
  expires_at: new Date(Date.now() + 86400_000).toISOString(),
  token_ttl_seconds: 900,
  intents_api_enabled: true,
  tx_to_allowlist: ["0x" + "ab".repeat(20)],
  tx_max_value_eth: "0.5",
  tx_daily_limit_eth: "2",
  tx_allowed_chains: ["base", "1"],
  shroud_enabled: true,
  shroud_config: { pii_policy: "block", injection_threshold: 0.4, network_detection: { blocked_domains: ["pastebin.com"] } },
};

describe("agent CRUD", () => {
  it("stores and returns every field, fills shroud defaults, and shows the key once", async () => {
    const r = await create({ ...FULL, vault_ids: [vaultId] });
    expect(r.status).toBe(201);
    const a = r.body.agent;
    expect(r.body.api_key).toMatch(/^ocv_/);
    expect(a).toMatchObject({
      name: "deployer",
      description: "ships things",
      auth_method: "api_key",
      scopes: ["deploy/**", "vaults:read"],
      is_active: true,
      intents_api_enabled: true,
      tx_to_allowlist: FULL.tx_to_allowlist,
      tx_max_value_eth: "0.5",
      tx_daily_limit_eth: "2",
      tx_allowed_chains: ["base", "1"],
      token_ttl_seconds: 900,
      vault_ids: [vaultId],
      shroud_enabled: true,
      expires_at: FULL.expires_at,
      last_active_at: null,
    });
    expect(a.shroud_config).toMatchObject({
      pii_policy: "block",
      injection_threshold: 0.4,
      context_injection_threshold: 0.7,
      max_tokens_per_request: 8192,
      max_requests_per_minute: 60,
      max_requests_per_day: 10000,
      daily_budget_usd: 0,
      enable_secret_redaction: true,
      sanitization_mode: "block",
      threat_logging: true,
      unicode_normalization: { enabled: true, strip_zero_width: true, normalize_homoglyphs: true, normalization_form: "NFKC" },
      command_injection_detection: { enabled: true, action: "block", patterns: "default" },
      social_engineering_detection: { enabled: true, action: "warn", sensitivity: "medium" },
      encoding_detection: { enabled: true, action: "warn", detect_base64: true },
      network_detection: { enabled: true, action: "warn", blocked_domains: ["pastebin.com"], allowed_domains: [] },
      filesystem_detection: { enabled: false, action: "log" },
    });
    expect(Buffer.from(a.ssh_public_key, "base64")).toHaveLength(32);
    const ecdh = Buffer.from(a.ecdh_public_key, "base64");
    expect(ecdh).toHaveLength(65);
    expect(ecdh[0]).toBe(4);
    const got = await t.req("GET", `/v1/agents/${a.id}`, { token: human.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(a);
    expect(JSON.stringify(got.body)).not.toContain(r.body.api_key);
    const list = await t.req("GET", "/v1/agents", { token: human.token });
    expect(list.body.agents.find((x: any) => x.id === a.id)).toEqual(a);
    const token = await tokenFor(r.body.api_key);
    const after = await t.req("GET", `/v1/agents/${a.id}`, { token: human.token });
    expect(after.body.last_active_at).toEqual(expect.any(String));
    const me = await t.req("GET", "/v1/agents/me", { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: a.id, org_id: human.orgId, created_by: human.userId, ssh_public_key: a.ssh_public_key, shroud_enabled: true });
    expect((await t.req("GET", "/v1/agents/me", { token: human.token })).status).toBe(403);
    const audit = await rawSql(t, "SELECT action FROM audit_events WHERE resource_id = $1", [a.id]);
    expect(audit.map((e) => e.action)).toContain("agent.register");
  });

  it("defaults: api_key auth, no vault binding, shroud off with a complete default config", async () => {
    const r = await create({});
    expect(r.body.agent).toMatchObject({ auth_method: "api_key", vault_ids: [], scopes: [], intents_api_enabled: false, shroud_enabled: false, token_ttl_seconds: null });
    expect(r.body.agent.shroud_config.pii_policy).toBe("redact");
  });

  it("PATCH updates each field and audits it; DELETE hides; audit history stays", async () => {
    const r = await create({});
    const id = r.body.agent.id;
    const patch = {
      name: "renamed",
      description: "now described",
      scopes: ["x/*"],
      expires_at: new Date(Date.now() + 7200_000).toISOString(),
      intents_api_enabled: true,
      tx_to_allowlist: ["0x" + "cd".repeat(20)],
      tx_max_value_eth: "1.25",
      tx_daily_limit_eth: "10",
      tx_allowed_chains: ["sepolia"],
      token_ttl_seconds: 300,
      vault_ids: [vaultId],
      shroud_enabled: true,
      shroud_config: { sanitization_mode: "surgical" },
    };
    const u = await t.req("PATCH", `/v1/agents/${id}`, { token: human.token, body: patch });
    expect(u.status).toBe(200);
    expect(u.body).toMatchObject({ ...patch, shroud_config: expect.objectContaining({ sanitization_mode: "surgical", pii_policy: "redact" }) });
    expect((await t.req("GET", `/v1/agents/${id}`, { token: human.token })).body).toEqual(u.body);
    const nulls = await t.req("PATCH", `/v1/agents/${id}`, { token: human.token, body: { token_ttl_seconds: null, expires_at: null, description: null, scopes: [] } });
    expect(nulls.body).toMatchObject({ token_ttl_seconds: null, expires_at: null, description: null, scopes: [] });
    const off = await t.req("PATCH", `/v1/agents/${id}`, { token: human.token, body: { is_active: false } });
    expect(off.body.is_active).toBe(false);
    expect((await t.req("DELETE", `/v1/agents/${id}`, { token: human.token })).status).toBe(204);
    expect((await t.req("PATCH", `/v1/agents/${id}`, { token: human.token, body: { is_active: true } })).status).toBe(404);
    expect((await t.req("DELETE", `/v1/agents/${id}`, { token: human.token })).status).toBe(404);
    const actions = (await rawSql(t, "SELECT action FROM audit_events WHERE resource_id = $1 ORDER BY seq", [id])).map((e) => e.action);
    expect(actions).toEqual(["agent.register", "agent.update", "agent.update", "agent.deactivate", "agent.delete"]);
  });

  it("rejects invalid input with 400 naming the field and writes nothing", async () => {
    const before = (await rawSql(t, "SELECT count(*) AS n FROM agents"))[0].n;
    const other = await t.signup();
    const theirVault = (await t.req("POST", "/v1/vaults", { token: other.token, body: { name: "x" } })).body.id;
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ name: "" }, /name/],
      [{ name: undefined }, /name/],
      [{ auth_method: "password" }, /auth_method/],
      [{ shroud_config: { pii_policy: "maybe" } }, /shroud_config\.pii_policy/],
      [{ shroud_config: { injection_threshold: 2 } }, /shroud_config\.injection_threshold/],
      [{ shroud_config: { command_injection_detection: { action: "explode" } } }, /shroud_config\.command_injection_detection\.action/],
      [{ shroud_config: { no_such_option: true } }, /shroud_config/],
      [{ vault_ids: [theirVault] }, /vault_ids\.0/],
      [{ vault_ids: [uuid()] }, /vault_ids\.0/],
      [{ vault_ids: ["not-a-uuid"] }, /vault_ids\.0/],
      [{ tx_to_allowlist: ["0x123"] }, /tx_to_allowlist\.0/],
      [{ tx_to_allowlist: ["ab".repeat(20)] }, /tx_to_allowlist\.0/],
      [{ tx_max_value_eth: "-1" }, /tx_max_value_eth/],
      [{ tx_max_value_eth: "1e18" }, /tx_max_value_eth/],
      [{ tx_daily_limit_eth: 5 }, /tx_daily_limit_eth/],
      [{ tx_allowed_chains: ["base; drop"] }, /tx_allowed_chains\.0/],
      [{ token_ttl_seconds: 5 }, /token_ttl_seconds/],
      [{ token_ttl_seconds: 1.5 }, /token_ttl_seconds/],
      [{ scopes: ["a//b"] }, /scopes\.0/],
      [{ scopes: ["../etc"] }, /scopes\.0/],
      [{ expires_at: new Date(Date.now() - 1000).toISOString() }, /expires_at/],
      [{ auth_method: "mtls" }, /client_cert_fingerprint: is required/],
      [{ auth_method: "mtls", client_cert_fingerprint: "abc" }, /client_cert_fingerprint/],
      [{ auth_method: "oidc_client_credentials", oidc_client_id: "x" }, /oidc_issuer/],
      [{ auth_method: "oidc_client_credentials", oidc_issuer: "ftp://issuer", oidc_client_id: "x" }, /oidc_issuer/],
      [{ auth_method: "oidc_client_credentials", oidc_issuer: "http://evil.example.com", oidc_client_id: "x" }, /oidc_issuer/],
      [{ auth_method: "oidc_client_credentials", oidc_issuer: "https://issuer.example.com" }, /oidc_client_id/],
      [{ client_cert_fingerprint: "a".repeat(64) }, /client_cert_fingerprint/],
    ];
    for (const [body, detail] of cases) {
      const r = await create(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.detail, JSON.stringify(body)).toMatch(detail);
    }
    const a = (await create({})).body.agent;
    for (const [body, detail] of [
      [{ shroud_config: { pii_policy: "maybe" } }, /shroud_config\.pii_policy/],
      [{ vault_ids: [theirVault] }, /vault_ids\.0/],
      [{ is_active: "yes" }, /is_active/],
      [{ name: "   " }, /name/],
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const r = await t.req("PATCH", `/v1/agents/${a.id}`, { token: human.token, body });
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatch(detail);
    }
    expect((await rawSql(t, "SELECT count(*) AS n FROM agents"))[0].n).toBe(Number(before) + 1);
  });

  it("mtls and oidc agents store their credentials' identifiers and get no API key", async () => {
    const fp = crypto.createHash("sha256").update("cert").digest("hex").toUpperCase().match(/../g)!.join(":");
    const m = await create({ auth_method: "mtls", client_cert_fingerprint: fp });
    expect(m.status).toBe(201);
    expect(m.body.api_key).toBeUndefined();
    expect(m.body.agent.client_cert_fingerprint).toBe(fp.replace(/:/g, "").toLowerCase());
    const o = await create({ auth_method: "oidc_client_credentials", oidc_issuer: "https://issuer.example.com", oidc_client_id: "client-1" });
    expect(o.status).toBe(201);
    expect(o.body.api_key).toBeUndefined();
    expect(o.body.agent).toMatchObject({ oidc_issuer: "https://issuer.example.com", oidc_client_id: "client-1" });
    expect((await t.req("POST", `/v1/agents/${o.body.agent.id}/rotate-key`, { token: human.token })).status).toBe(400);
  });

  it("another org's agent is 404; agents cannot create, list, patch, delete or rotate identity keys", async () => {
    const other = await t.signup();
    const theirs = (await create({}, other.token)).body.agent.id;
    for (const [m, u] of [["GET", `/v1/agents/${theirs}`], ["PATCH", `/v1/agents/${theirs}`], ["DELETE", `/v1/agents/${theirs}`], ["POST", `/v1/agents/${theirs}/rotate-key`], ["POST", `/v1/agents/${theirs}/rotate-identity-keys`]]) {
      const r = await t.req(m, u, { token: human.token, body: m === "PATCH" ? { name: "x" } : undefined });
      expect(r.status, `${m} ${u}`).toBe(404);
    }
    expect((await t.req("GET", "/v1/agents", { token: other.token })).body.agents.map((a: any) => a.id)).toEqual([theirs]);
    const mine = await create({});
    const token = await tokenFor(mine.body.api_key);
    expect((await create({}, token)).status).toBe(403);
    expect((await t.req("GET", "/v1/agents", { token })).status).toBe(403);
    expect((await t.req("PATCH", `/v1/agents/${mine.body.agent.id}`, { token, body: { name: "x" } })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/agents/${mine.body.agent.id}`, { token })).status).toBe(403);
    expect((await t.req("POST", `/v1/agents/${mine.body.agent.id}/rotate-identity-keys`, { token })).status).toBe(403);
    expect((await t.req("GET", `/v1/agents/${mine.body.agent.id}`, { token })).status).toBe(200);
    const self = await t.req("POST", `/v1/agents/${mine.body.agent.id}/rotate-key`, { token });
    expect(self.status).toBe(200);
    expect((await t.req("POST", "/v1/auth/agent-token", { body: { api_key: self.body.api_key } })).status).toBe(200);
  });
});

describe("identity keys", () => {
  it("stores the private halves encrypted in __agent-keys, readable only through a granted policy", async () => {
    const r = await create({});
    const id = r.body.agent.id;
    const token = await tokenFor(r.body.api_key);
    const vaults = (await t.req("GET", "/v1/vaults", { token: human.token })).body.vaults;
    const keysVault = vaults.find((v: any) => v.name === "__agent-keys");
    expect(keysVault).toBeDefined();
    const ssh = await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ssh/private_key`, { token: human.token });
    expect(ssh.status).toBe(200);
    expect(ssh.body.type).toBe("ssh_key");
    const seed = Buffer.from(ssh.body.value, "base64");
    expect(seed).toHaveLength(32);
    // The stored seed is the private half of the published public key: sign and verify with them.
    const priv = crypto.createPrivateKey({ key: { kty: "OKP", crv: "Ed25519", d: seed.toString("base64url"), x: Buffer.from(r.body.agent.ssh_public_key, "base64").toString("base64url") }, format: "jwk" });
    const pub = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(r.body.agent.ssh_public_key, "base64").toString("base64url") }, format: "jwk" });
    const sig = crypto.sign(null, Buffer.from("hello"), priv);
    expect(crypto.verify(null, Buffer.from("hello"), pub, sig)).toBe(true);
    const ecdhPriv = await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ecdh/private_key`, { token: human.token });
    const ecdh = crypto.createECDH("prime256v1");
    ecdh.setPrivateKey(Buffer.from(ecdhPriv.body.value, "base64"));
    expect(ecdh.getPublicKey("base64", "uncompressed")).toBe(r.body.agent.ecdh_public_key);
    // Never in the database in clear.
    const dump = JSON.stringify(await rawSql(t, "SELECT * FROM secret_versions"));
    expect(dump).not.toContain(ssh.body.value);
    // The agent has no default access to its own private keys.
    expect((await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ssh/private_key`, { token })).status).toBe(403);
    await t.req("POST", `/v1/vaults/${keysVault.id}/policies`, {
      token: human.token,
      body: { secret_path_pattern: `agents/${id}/**`, principal_type: "agent", principal_id: id, permissions: ["read"] },
    });
    expect((await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ssh/private_key`, { token })).body.value).toBe(ssh.body.value);
    // Rotation publishes new public keys and stores the new private halves.
    const rot = await t.req("POST", `/v1/agents/${id}/rotate-identity-keys`, { token: human.token });
    expect(rot.status).toBe(200);
    expect(rot.body.ssh_public_key).not.toBe(r.body.agent.ssh_public_key);
    expect(rot.body.ecdh_public_key).not.toBe(r.body.agent.ecdh_public_key);
    const after = await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ecdh/private_key`, { token: human.token });
    const e2 = crypto.createECDH("prime256v1");
    e2.setPrivateKey(Buffer.from(after.body.value, "base64"));
    expect(e2.getPublicKey("base64", "uncompressed")).toBe(rot.body.ecdh_public_key);
    const actions = (await rawSql(t, "SELECT action FROM audit_events WHERE resource_id = $1", [id])).map((e) => e.action);
    expect(actions).toContain("agent.rotate_identity_keys");
    // Deleting the agent deletes its private keys.
    expect((await t.req("DELETE", `/v1/agents/${id}`, { token: human.token })).status).toBe(204);
    expect((await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ssh/private_key`, { token: human.token })).status).toBe(410);
    expect((await t.req("GET", `/v1/vaults/${keysVault.id}/secrets/agents/${id}/ecdh/private_key`, { token: human.token })).status).toBe(410);
    // One __agent-keys vault per org, however many agents.
    await create({});
    const again = (await t.req("GET", "/v1/vaults", { token: human.token })).body.vaults.filter((v: any) => v.name === "__agent-keys");
    expect(again).toHaveLength(1);
  });
});

describe("intents flag", () => {
  it("blocks private_key and ssh_key reads for an intents-enabled agent, judged from its current record", async () => {
    const v = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "keys" } })).body.id;
    for (const [p, type] of [["eth", "private_key"], ["ssh", "ssh_key"], ["api", "api_key"]]) {
      await t.req("PUT", `/v1/vaults/${v}/secrets/${p}`, { token: human.token, body: { value: `${type}-value`, type } });
    }
    const r = await create({ intents_api_enabled: false });
    await t.req("POST", `/v1/vaults/${v}/policies`, { token: human.token, body: { secret_path_pattern: "**", principal_type: "agent", principal_id: r.body.agent.id, permissions: ["read"] } });
    const token = await tokenFor(r.body.api_key);
    const get = (p: string) => t.req("GET", `/v1/vaults/${v}/secrets/${p}`, { token });
    expect((await get("eth")).status).toBe(200);
    await t.req("PATCH", `/v1/agents/${r.body.agent.id}`, { token: human.token, body: { intents_api_enabled: true } });
    // Same token (its claim still says false): the current record decides.
    expect((await get("eth")).status).toBe(403);
    expect((await get("ssh")).status).toBe(403);
    expect((await get("api")).status).toBe(200);
    expect((await t.req("GET", `/v1/vaults/${v}/metadata/eth`, { token })).status).toBe(200);
  });
});

describe("vault listing for agents", () => {
  it("shows vaults the agent is bound to or holds a policy on, and lists only readable paths", async () => {
    const a = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "a" } })).body.id;
    const b = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "b" } })).body.id;
    const c = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "c" } })).body.id;
    for (const p of ["pub/one", "pub/two", "priv/x"]) await t.req("PUT", `/v1/vaults/${b}/secrets/${p}`, { token: human.token, body: { value: "v" } });
    const free = await create({});
    await t.req("POST", `/v1/vaults/${b}/policies`, { token: human.token, body: { secret_path_pattern: "pub/*", principal_type: "agent", principal_id: free.body.agent.id, permissions: ["read"] } });
    const ft = await tokenFor(free.body.api_key);
    expect((await t.req("GET", "/v1/vaults", { token: ft })).body.vaults.map((v: any) => v.id)).toEqual([b]);
    expect((await t.req("GET", `/v1/vaults/${b}`, { token: ft })).status).toBe(200);
    expect((await t.req("GET", `/v1/vaults/${c}`, { token: ft })).status).toBe(403);
    const listed = await t.req("GET", `/v1/vaults/${b}/secrets`, { token: ft });
    expect(listed.body.secrets.map((s: any) => s.path)).toEqual(["pub/one", "pub/two"]);
    expect((await t.req("GET", `/v1/vaults/${c}/secrets`, { token: ft })).status).toBe(403);
    const bound = await create({ vault_ids: [a] });
    await t.req("POST", `/v1/vaults/${b}/policies`, { token: human.token, body: { secret_path_pattern: "**", principal_type: "agent", principal_id: bound.body.agent.id, permissions: ["read"] } });
    const bt = await tokenFor(bound.body.api_key);
    expect((await t.req("GET", "/v1/vaults", { token: bt })).body.vaults.map((v: any) => v.id)).toEqual([a]);
    expect((await t.req("GET", `/v1/vaults/${a}/secrets`, { token: bt })).body.secrets).toEqual([]);
    expect((await t.req("GET", `/v1/vaults/${b}/secrets`, { token: bt })).status).toBe(403);
    expect((await t.req("GET", `/v1/vaults/${b}/secrets/pub/one`, { token: bt })).status).toBe(403);
  });

  it("explicit scopes are a ceiling over policies, and narrowing them applies to existing tokens", async () => {
    const v = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "scoped" } })).body.id;
    for (const p of ["a/one", "b/two"]) await t.req("PUT", `/v1/vaults/${v}/secrets/${p}`, { token: human.token, body: { value: "v" } });
    const r = await create({ scopes: ["a/*"] });
    await t.req("POST", `/v1/vaults/${v}/policies`, { token: human.token, body: { secret_path_pattern: "**", principal_type: "agent", principal_id: r.body.agent.id, permissions: ["read"] } });
    const token = await tokenFor(r.body.api_key);
    expect((await t.req("GET", `/v1/vaults/${v}/secrets/a/one`, { token })).status).toBe(200);
    expect((await t.req("GET", `/v1/vaults/${v}/secrets/b/two`, { token })).status).toBe(403);
    expect((await t.req("GET", `/v1/vaults/${v}/secrets`, { token })).body.secrets.map((s: any) => s.path)).toEqual(["a/one"]);
    await t.req("PATCH", `/v1/agents/${r.body.agent.id}`, { token: human.token, body: { scopes: ["c/*"] } });
    expect((await t.req("GET", `/v1/vaults/${v}/secrets/a/one`, { token })).status).toBe(403);
  });
});

describe("account deletion", () => {
  it("the last user leaving deletes the org's agents; a deleted user's policies go with them", async () => {
    const solo = await t.signup();
    const r = await create({}, solo.token);
    const token = await tokenFor(r.body.api_key);
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(200);
    const memberId = uuid();
    await rawSql(t, "INSERT INTO users (id, org_id, email, password_hash, role, auth_method, email_verified, marketing_emails, totp_enabled, is_platform_admin, created_at) VALUES ($1,$2,$3,NULL,'member','password',1,0,0,0,$4)", [
      memberId,
      human.orgId,
      `gone-${memberId}@example.com`,
      new Date().toISOString(),
    ]);
    const memberToken = (await t.services.auth.issueUserToken({ id: memberId, org_id: human.orgId })).access_token;
    await t.req("POST", `/v1/vaults/${vaultId}/policies`, { token: human.token, body: { secret_path_pattern: "**", principal_type: "user", principal_id: memberId, permissions: ["read"] } });
    expect((await t.req("DELETE", "/v1/auth/me", { token: memberToken, body: { confirmation: "DELETE MY ACCOUNT" } })).status).toBe(204);
    expect((await rawSql(t, "SELECT id FROM policies WHERE principal_id = $1", [memberId])).length).toBe(0);
    expect((await t.req("DELETE", "/v1/auth/me", { token: solo.token, body: { confirmation: "DELETE MY ACCOUNT" } })).status).toBe(204);
    expect((await t.req("POST", "/v1/auth/agent-token", { body: { api_key: r.body.api_key } })).status).toBe(401);
    await new Promise((res) => setTimeout(res, 300));
    expect((await t.req("GET", "/v1/agents/me", { token })).status).toBe(401);
  });
});

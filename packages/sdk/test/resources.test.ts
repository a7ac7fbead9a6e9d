import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AgentsResource,
  AuthError,
  createClient,
  ForbiddenError,
  NotFoundError,
  unwrap,
  ValidationError,
  type OneclawClient,
} from "../src/index.js";
import { startServer } from "./server.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let human: OneclawClient;
let humanToken: string;
let vaultId: string;

/** A client whose requests are recorded as "METHOD path" (real fetch underneath). */
function spied(opts: Parameters<typeof createClient>[0]) {
  const calls: string[] = [];
  const client = createClient({
    ...opts,
    fetch: (input, init) => {
      calls.push(`${init?.method ?? "GET"} ${new URL(String(input)).pathname}`);
      return fetch(input, init);
    },
  });
  return { client, calls };
}

async function newAgent(body: Parameters<OneclawClient["agents"]["create"]>[0]) {
  const created = unwrap(await human.agents.create(body));
  expect(created.api_key).toMatch(/^ocv_/);
  return { id: created.agent.id, key: created.api_key! };
}

beforeAll(async () => {
  srv = await startServer();
  const s = await srv.t.signup();
  humanToken = s.token;
  human = createClient({ baseUrl: srv.baseUrl, token: humanToken });
  vaultId = unwrap(await human.vaults.create({ name: "res-tests" })).id;
  unwrap(await human.secrets.set(vaultId, "db/password", "PLANTED-pw-1", { type: "password" }));
  unwrap(await human.secrets.set(vaultId, "other/key", "PLANTED-other"));
});
afterAll(async () => srv?.t.destroy());

describe("agent key exchange and token renewal", () => {
  it("exchanges an ocv_ key (key only) at agent-token, learns agent id and vaults, and is denied without a policy", async () => {
    const a = await newAgent({ name: "reader", vault_ids: [vaultId] });
    const { client, calls } = spied({ baseUrl: srv.baseUrl, apiKey: a.key });
    const denied = await client.secrets.get(vaultId, "db/password");
    expect(denied.error).toBeInstanceOf(ForbiddenError);
    expect(calls[0]).toBe("POST /v1/auth/agent-token");
    expect(client.agentId).toBe(a.id);
    expect(client.vaultIds).toEqual([vaultId]);

    const policy = unwrap(await human.access.grantAgent(vaultId, a.id, ["read"], { path: "db/**" }));
    expect(policy).toMatchObject({ principal_type: "agent", principal_id: a.id, secret_path_pattern: "db/**", permissions: ["read"] });
    expect(unwrap(await client.secrets.get(vaultId, "db/password")).value).toBe("PLANTED-pw-1");
    expect((await client.secrets.get(vaultId, "other/key")).error).toBeInstanceOf(ForbiddenError);
    expect(unwrap(await client.agents.me()).id).toBe(a.id);
    expect(calls.filter((c) => c.endsWith("/agent-token"))).toHaveLength(1); // one exchange, token reused

    const grants = unwrap(await human.access.listGrants(vaultId)).policies;
    expect(grants.map((p) => p.id)).toContain(policy.id);
    const widened = unwrap(await human.access.update(vaultId, policy.id, { permissions: ["read", "write"] }));
    expect(widened.permissions).toEqual(["read", "write"]);
    expect((await human.access.revoke(vaultId, policy.id)).meta.status).toBe(204);
    expect((await client.secrets.get(vaultId, "db/password")).error).toBeInstanceOf(ForbiddenError);
  });

  it("sends agent_id with the key when given one", async () => {
    const a = await newAgent({ name: "with-id" });
    const { client } = spied({ baseUrl: srv.baseUrl, apiKey: a.key, agentId: a.id });
    expect(await client.getToken()).toMatch(/^eyJ/);
    const wrong = createClient({ baseUrl: srv.baseUrl, apiKey: a.key, agentId: "00000000-0000-4000-8000-000000000000" });
    const res = await wrong.vaults.list();
    expect(res.error).toBeInstanceOf(AuthError);
  });

  it("renews once after a 401 when the token was revoked server-side, then retries the call", async () => {
    const a = await newAgent({ name: "revoked" });
    unwrap(await human.access.grantAgent(vaultId, a.id, ["read"], { path: "db/*" }));
    const { client, calls } = spied({ baseUrl: srv.baseUrl, apiKey: a.key });
    const first = await client.getToken();
    const revoke = await fetch(`${srv.baseUrl}/v1/auth/token`, { method: "DELETE", headers: { authorization: `Bearer ${first}` } });
    expect(revoke.status).toBe(204);

    const res = await client.secrets.get(vaultId, "db/password");
    expect(res.error).toBeNull();
    expect(res.data?.value).toBe("PLANTED-pw-1");
    expect(client.http.token).not.toBe(first);
    expect(calls.filter((c) => c.endsWith("/agent-token"))).toHaveLength(2);
    expect(calls.filter((c) => c.includes("/secrets/"))).toHaveLength(2); // the 401, then the retry
  });

  it("does not loop when the key itself stops working: one renewal, then the AuthError", async () => {
    const a = await newAgent({ name: "rotated" });
    const { client, calls } = spied({ baseUrl: srv.baseUrl, apiKey: a.key });
    const token = await client.getToken();
    const rotated = unwrap(await human.agents.rotateKey(a.id));
    expect(rotated.api_key).toMatch(/^ocv_/);
    expect(rotated.api_key).not.toBe(a.key);
    await fetch(`${srv.baseUrl}/v1/auth/token`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    const res = await client.vaults.list();
    expect(res.error).toBeInstanceOf(AuthError);
    expect(calls.filter((c) => c.endsWith("/agent-token"))).toHaveLength(2);
    expect(unwrap(await createClient({ baseUrl: srv.baseUrl, apiKey: rotated.api_key }).vaults.list()).vaults).toBeDefined();
  });

  it("a static token is never renewed: a 401 comes back as AuthError", async () => {
    const a = await newAgent({ name: "static" });
    const tok = unwrap(await createClient({ baseUrl: srv.baseUrl }).auth.agentToken({ api_key: a.key }));
    expect(tok.agent_id).toBe(a.id);
    await fetch(`${srv.baseUrl}/v1/auth/token`, { method: "DELETE", headers: { authorization: `Bearer ${tok.access_token}` } });
    const { client, calls } = spied({ baseUrl: srv.baseUrl, token: tok.access_token });
    expect((await client.vaults.list()).error).toBeInstanceOf(AuthError);
    expect(calls).toEqual(["GET /v1/vaults"]);
  });
});

describe("personal 1ck_ keys", () => {
  it("create, exchange at api-key-token, list, revoke", async () => {
    const created = unwrap(await human.apiKeys.create({ name: "laptop" }));
    expect(created.api_key).toMatch(/^1ck_/);
    const { client, calls } = spied({ baseUrl: srv.baseUrl, apiKey: created.api_key });
    expect(unwrap(await client.vaults.list()).vaults.map((v) => v.id)).toContain(vaultId);
    expect(calls[0]).toBe("POST /v1/auth/api-key-token");
    const keys = unwrap(await human.apiKeys.list()).keys;
    expect(keys.map((k) => k.id)).toContain(created.key.id);
    expect(JSON.stringify(keys)).not.toContain(created.api_key);
    const direct = createClient({ baseUrl: srv.baseUrl });
    expect(unwrap(await direct.auth.apiKeyToken(created.api_key)).access_token).toBe(direct.http.token);
    expect(unwrap(await direct.auth.me()).id).toBe(unwrap(await human.auth.me()).id);
    expect((await human.apiKeys.revoke(created.key.id)).meta.status).toBe(204);
    const after = await createClient({ baseUrl: srv.baseUrl, apiKey: created.api_key }).vaults.list();
    expect(after.error).toBeInstanceOf(AuthError);
  });
});

describe("agents resource", () => {
  it("create with settings, get, list, update, delete", async () => {
    const created = unwrap(
      await human.agents.create({
        name: "full",
        description: "all the knobs",
        vault_ids: [vaultId],
        token_ttl_seconds: 300,
        shroud_enabled: true,
        intents_api_enabled: true,
        tx_allowed_chains: ["base"],
        tx_max_value_eth: "0.5",
      }),
    );
    const id = created.agent.id;
    expect(created.agent).toMatchObject({ name: "full", token_ttl_seconds: 300, shroud_enabled: true, intents_api_enabled: true, is_active: true });
    expect(unwrap(await human.agents.get(id)).vault_ids).toEqual([vaultId]);
    expect(unwrap(await human.agents.list()).agents.map((x) => x.id)).toContain(id);
    const updated = unwrap(await human.agents.update(id, { is_active: false, shroud_enabled: false }));
    expect(updated).toMatchObject({ is_active: false, shroud_enabled: false });
    const inactive = await createClient({ baseUrl: srv.baseUrl, apiKey: created.api_key }).vaults.list();
    expect(inactive.error).toBeInstanceOf(AuthError);
    const bad = await human.agents.update(id, { token_ttl_seconds: 5 });
    expect(bad.error).toBeInstanceOf(ValidationError);
    expect(bad.error?.detail).toMatch(/token_ttl_seconds/);
    expect((await human.agents.delete(id)).meta.status).toBe(204);
    expect((await human.agents.get(id)).error).toBeInstanceOf(NotFoundError);
  });

  it("static AgentsResource.enroll needs no credentials", async () => {
    const res = await AgentsResource.enroll(srv.baseUrl, { name: "self-enrolled", human_email: "someone@example.com" });
    expect(res.meta.status).toBe(201);
    expect(res.data?.message).toBeTruthy();
    expect(JSON.stringify(res.data)).not.toMatch(/ocv_/);
    const invalid = await AgentsResource.enroll(srv.baseUrl, { name: "x", human_email: "not-an-email" });
    expect(invalid.error).toBeInstanceOf(ValidationError);
  });
});

describe("sharing", () => {
  it("link share: create, access without credentials, list outbound, revoke", async () => {
    const secret = unwrap(await human.secrets.describe(vaultId, "db/password"));
    const share = unwrap(
      await human.sharing.create(secret.id, { recipient_type: "anyone_with_link", expires_at: new Date(Date.now() + 3600e3).toISOString(), max_access_count: 2 }),
    );
    const anon = createClient({ baseUrl: srv.baseUrl });
    expect(unwrap(await anon.sharing.access(share.id)).value).toBe("PLANTED-pw-1");
    expect(unwrap(await human.sharing.listOutbound()).shares.map((s) => s.id)).toContain(share.id);
    expect((await human.sharing.revoke(share.id)).error).toBeNull();
    expect((await anon.sharing.access(share.id)).error).toBeInstanceOf(NotFoundError);
  });

  it("targeted share: the recipient lists it inbound, must accept before reading; decline hides it", async () => {
    const bob = await srv.t.signup();
    const bobClient = createClient({ baseUrl: srv.baseUrl, token: bob.token });
    const secret = unwrap(await human.secrets.describe(vaultId, "db/password"));
    const expires_at = new Date(Date.now() + 3600e3).toISOString();
    const share = unwrap(await human.sharing.create(secret.id, { recipient_type: "external_email", email: bob.email, expires_at }));
    expect(unwrap(await bobClient.sharing.listInbound()).shares.map((s) => s.id)).toContain(share.id);
    expect((await bobClient.sharing.access(share.id)).error).toBeInstanceOf(ForbiddenError); // not accepted yet
    expect((await bobClient.sharing.accept(share.id)).error).toBeNull();
    expect(unwrap(await bobClient.sharing.access(share.id)).value).toBe("PLANTED-pw-1");
    expect((await createClient({ baseUrl: srv.baseUrl }).sharing.access(share.id)).error).toBeInstanceOf(AuthError);

    const second = unwrap(await human.sharing.create(secret.id, { recipient_type: "external_email", email: bob.email, expires_at }));
    expect((await bobClient.sharing.decline(second.id)).error).toBeNull();
    expect((await bobClient.sharing.access(second.id)).error).toBeInstanceOf(NotFoundError);
  });
});

describe("auth, billing, chains, org", () => {
  it("device flow: code, approve as the human, token", async () => {
    const c = createClient({ baseUrl: srv.baseUrl });
    const code = unwrap(await c.auth.deviceCode());
    const pending = unwrap(await c.auth.deviceToken(code.device_code));
    expect(pending.error).toBe("authorization_pending");
    expect(unwrap(await c.auth.deviceStatus(code.user_code)).status).toBe("pending");
    unwrap(await human.auth.deviceApprove(code.user_code));
    const done = unwrap(await c.auth.deviceToken(code.device_code));
    expect(done.access_token).toMatch(/^eyJ/);
    expect(c.http.token).toBe(done.access_token);
    expect(unwrap(await c.auth.me()).id).toBe(unwrap(await human.auth.me()).id);
  });

  it("mfa status, jwt public key, billing, chains and org members", async () => {
    expect(unwrap(await human.auth.mfaStatus()).enabled).toBe(false);
    expect(unwrap(await human.auth.jwtPublicKey()).alg).toBe("EdDSA");
    expect(unwrap(await human.billing.usage()).current_month).toMatchObject({ total_requests: expect.any(Number) });
    expect(Array.isArray(unwrap(await human.billing.history(5)).events)).toBe(true);
    expect(unwrap(await human.billing.subscription())).toMatchObject({ tier: "enterprise", overage_method: expect.any(String) });
    expect(unwrap(await human.billing.credits())).toMatchObject({ balance_cents: 0 });
    const chains = unwrap(await human.chains.list()).chains;
    expect(chains.map((c) => c.name)).toContain("base");
    expect(unwrap(await human.chains.get(8453)).name).toBe("base");
    expect((await human.chains.get("no-such-chain")).error).toBeInstanceOf(NotFoundError);
    const me = unwrap(await human.auth.me());
    expect(unwrap(await human.org.listMembers()).members.map((m) => m.id)).toContain(me.id);
    expect(unwrap(await human.health()).status).toBe("ok");
  });
});

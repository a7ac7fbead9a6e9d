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

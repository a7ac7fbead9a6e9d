import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, uuid, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

async function createKey(token: string, body: Record<string, unknown> = { name: "ci" }) {
  const r = await t.req("POST", "/v1/auth/api-keys", { token, body });
  expect(r.status).toBe(201);
  return r.body as { key: any; api_key: string };
}

describe("personal API keys", () => {
  it("creates a 1ck_ key shown once, lists it masked, and the key works as Bearer and via api-key-token", async () => {
    const u = await t.signup();
    const created = await createKey(u.token, { name: "laptop" });
    expect(created.api_key).toMatch(/^1ck_[A-Za-z0-9_-]{43}$/);
    expect(created.key).toMatchObject({ name: "laptop", is_active: true, scopes: [], expires_at: null, last_used_at: null });
    expect(created.key.key_prefix).toBe(created.api_key.slice(0, 12));

    const list = await t.req("GET", "/v1/auth/api-keys", { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.keys).toHaveLength(1);
    expect(list.text).not.toContain(created.api_key);

    const me = await t.req("GET", "/v1/auth/me", { token: created.api_key });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(u.email);

    const ex = await t.req("POST", "/v1/auth/api-key-token", { body: { api_key: created.api_key } });
    expect(ex.status).toBe(200);
    expect(ex.body.token_type).toBe("Bearer");
    const me2 = await t.req("GET", "/v1/auth/me", { token: ex.body.access_token });
    expect(me2.body.id).toBe(u.userId);
  });

  it("records last_used_at in batches, not per request", async () => {
    const u = await t.signup();
    const { api_key, key } = await createKey(u.token);
    for (let i = 0; i < 3; i++) expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(200);
    const before = await rawSql(t, "SELECT last_used_at FROM user_api_keys WHERE id = $1", [key.id]);
    expect(before[0].last_used_at).toBeNull();
    await t.services.apiKeys.flushLastUsed();
    const list = await t.req("GET", "/v1/auth/api-keys", { token: u.token });
    expect(Date.parse(list.body.keys[0].last_used_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("revoked key is refused at once, as Bearer and at api-key-token", async () => {
    const u = await t.signup();
    const { api_key, key } = await createKey(u.token);
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(200);
    const del = await t.req("DELETE", `/v1/auth/api-keys/${key.id}`, { token: u.token });
    expect(del.status).toBe(204);
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/api-key-token", { body: { api_key } })).status).toBe(401);
    const list = await t.req("GET", "/v1/auth/api-keys", { token: u.token });
    expect(list.body.keys[0].is_active).toBe(false);
    expect((await t.req("DELETE", `/v1/auth/api-keys/${key.id}`, { token: u.token })).status).toBe(204);
  });

  it("an expired key is refused", async () => {
    const u = await t.signup();
    const { api_key, key } = await createKey(u.token, { name: "short", expires_at: new Date(Date.now() + 60_000).toISOString() });
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(200);
    await rawSql(t, "UPDATE user_api_keys SET expires_at = $1 WHERE id = $2", [new Date(Date.now() - 1000).toISOString(), key.id]);
    t.services.apiKeys["cache"].clear();
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/api-key-token", { body: { api_key } })).status).toBe(401);
  });

  it("stores scopes and carries them into the exchanged token; a scoped key cannot mint keys", async () => {
    const u = await t.signup();
    const { api_key, key } = await createKey(u.token, { name: "scoped", scopes: ["prod/**"] });
    expect(key.scopes).toEqual(["prod/**"]);
    const ex = await t.req("POST", "/v1/auth/api-key-token", { body: { api_key } });
    const claims = JSON.parse(Buffer.from(ex.body.access_token.split(".")[1], "base64url").toString());
    expect(claims.scopes).toEqual(["prod/**"]);
    const r = await t.req("POST", "/v1/auth/api-keys", { token: api_key, body: { name: "escalate" } });
    expect(r.status).toBe(403);
  });

  it("a scoped key (and the token exchanged for it) reaches only the paths its scopes cover, even for the vault owner", async () => {
    const u = await t.signup();
    const v = (await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "scoped" } })).body;
    for (const path of ["prod/db", "dev/db"]) await t.req("PUT", `/v1/vaults/${v.id}/secrets/${path}`, { token: u.token, body: { value: "x" } });
    const { api_key } = await createKey(u.token, { name: "prod-only", scopes: ["prod/**"] });
    const exchanged = (await t.req("POST", "/v1/auth/api-key-token", { body: { api_key } })).body.access_token;
    for (const token of [api_key, exchanged]) {
      expect((await t.req("GET", `/v1/vaults/${v.id}/secrets/prod/db`, { token })).status).toBe(200);
      expect((await t.req("GET", `/v1/vaults/${v.id}/secrets/dev/db`, { token })).status).toBe(403);
      expect((await t.req("PUT", `/v1/vaults/${v.id}/secrets/dev/new`, { token, body: { value: "y" } })).status).toBe(403);
      expect((await t.req("GET", `/v1/vaults/${v.id}/secrets`, { token })).body.secrets.map((s: any) => s.path)).toEqual(["prod/db"]);
    }
    const { api_key: full } = await createKey(u.token, { name: "full" });
    expect((await t.req("GET", `/v1/vaults/${v.id}/secrets/dev/db`, { token: full })).status).toBe(200);
  });

  it("rejects bad input with the field named", async () => {
    const u = await t.signup();
    const cases: Array<[unknown, string]> = [
      [{}, "name"],
      [{ name: "" }, "name"],
      [{ name: "x".repeat(201) }, "name"],
      [{ name: "x", scopes: ["bad scope;"] }, "scopes"],
      [{ name: "x", scopes: "prod/**" }, "scopes"],
      [{ name: "x", expires_at: "tomorrow" }, "expires_at"],
      [{ name: "x", expires_at: new Date(Date.now() - 1000).toISOString() }, "expires_at"],
    ];
    for (const [body, field] of cases) {
      const r = await t.req("POST", "/v1/auth/api-keys", { token: u.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.detail).toContain(field);
    }
    expect((await t.req("DELETE", "/v1/auth/api-keys/not-a-uuid", { token: u.token })).status).toBe(400);
    expect((await t.req("DELETE", `/v1/auth/api-keys/${uuid()}`, { token: u.token })).status).toBe(404);
    expect((await t.req("POST", "/v1/auth/api-key-token", { body: {} })).status).toBe(400);
    expect((await t.req("POST", "/v1/auth/api-key-token", { body: { api_key: "1ck_nope" } })).status).toBe(401);
    expect((await t.req("POST", "/v1/auth/api-key-token", { body: { api_key: "ocv_nope" } })).status).toBe(401);
    expect((await t.req("GET", "/v1/vaults", { token: "1ck_" + "A".repeat(43) })).status).toBe(401);
    expect((await t.req("GET", "/v1/auth/api-keys")).status).toBe(401);
  });

  it("keys are private to their owner: another user (even of another org) cannot see or revoke them", async () => {
    const a = await t.signup();
    const b = await t.signup();
    const { key, api_key } = await createKey(a.token);
    expect((await t.req("GET", "/v1/auth/api-keys", { token: b.token })).body.keys).toEqual([]);
    expect((await t.req("DELETE", `/v1/auth/api-keys/${key.id}`, { token: b.token })).status).toBe(404);
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(200);
    // A key authenticates as its owner's org only.
    const vb = await t.req("POST", "/v1/vaults", { token: b.token, body: { name: "b-vault" } });
    expect((await t.req("GET", `/v1/vaults/${vb.body.id}`, { token: api_key })).status).toBe(404);
  });

  it("stops working when its owner is deleted", async () => {
    const u = await t.signup();
    const { api_key } = await createKey(u.token);
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(200);
    expect((await t.req("DELETE", "/v1/auth/me", { token: u.token, body: { confirmation: "DELETE MY ACCOUNT" } })).status).toBe(204);
    expect((await t.req("GET", "/v1/vaults", { token: api_key })).status).toBe(401);
  });
});

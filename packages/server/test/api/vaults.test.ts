import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, uuid, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

const vaultCount = async () => Number((await rawSql(t, "select count(*) as n from vaults"))[0].n);

describe("vaults", () => {
  it("creates (201 VaultResponse), lists, gets and deletes a vault", async () => {
    const u = await t.signup();
    const c = await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "prod", description: "production" } });
    expect(c.status).toBe(201);
    expect(c.headers["content-type"]).toMatch(/^application\/json/);
    expect(c.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: "prod",
      description: "production",
      created_by: u.userId,
      created_by_type: "user",
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      cmek_enabled: false,
      cmek_fingerprint: null,
    });
    const second = await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "staging" } });
    expect(second.body.description).toBeNull();

    const list = await t.req("GET", "/v1/vaults", { token: u.token });
    expect(list.status).toBe(200);
    expect(list.body.vaults.map((v: any) => v.name)).toEqual(["prod", "staging"]);
    expect(list.body.vaults[0]).toEqual(c.body);

    const get = await t.req("GET", `/v1/vaults/${c.body.id}`, { token: u.token });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(c.body);

    const del = await t.req("DELETE", `/v1/vaults/${c.body.id}`, { token: u.token, headers: { "content-type": "application/json" } });
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expect((await t.req("GET", `/v1/vaults/${c.body.id}`, { token: u.token })).status).toBe(404);
    expect((await t.req("DELETE", `/v1/vaults/${c.body.id}`, { token: u.token })).status).toBe(404);
    expect((await t.req("GET", "/v1/vaults", { token: u.token })).body.vaults.map((v: any) => v.name)).toEqual(["staging"]);
    const audit = await t.req("GET", `/v1/audit/events?resource_id=${c.body.id}`, { token: u.token });
    expect(audit.body.events.map((e: any) => e.action).sort()).toEqual(["vault.create", "vault.delete"]);
  });

  it("deleting a vault deletes its secrets", async () => {
    const u = await t.signup();
    const v = await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "tmp" } });
    await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/a/b`, { token: u.token, body: { value: "x" } });
    expect(await rawSql(t, "select id from secrets where vault_id = $1", [v.body.id])).toHaveLength(1);
    await t.req("DELETE", `/v1/vaults/${v.body.id}`, { token: u.token });
    expect(await rawSql(t, "select id from secrets where vault_id = $1", [v.body.id])).toHaveLength(0);
  });

  it("answers 404 for another org's vault on every operation and never touches it", async () => {
    const a = await t.signup();
    const b = await t.signup();
    const v = await t.req("POST", "/v1/vaults", { token: a.token, body: { name: "mine" } });
    await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k`, { token: a.token, body: { value: "a-secret" } });
    const attempts = [
      t.req("GET", `/v1/vaults/${v.body.id}`, { token: b.token }),
      t.req("DELETE", `/v1/vaults/${v.body.id}`, { token: b.token }),
      t.req("GET", `/v1/vaults/${v.body.id}/secrets`, { token: b.token }),
      t.req("GET", `/v1/vaults/${v.body.id}/secrets/k`, { token: b.token }),
      t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k`, { token: b.token, body: { value: "overwrite" } }),
      t.req("DELETE", `/v1/vaults/${v.body.id}/secrets/k`, { token: b.token }),
      t.req("GET", `/v1/vaults/${v.body.id}/metadata/k`, { token: b.token }),
      t.req("GET", `/v1/vaults/${v.body.id}/versions/k`, { token: b.token }),
    ];
    for (const r of await Promise.all(attempts)) {
      expect(r.status).toBe(404);
      expect(r.body).toEqual({ type: "about:blank", title: "Not Found", status: 404, detail: "Vault not found" });
    }
    expect((await t.req("GET", "/v1/vaults", { token: b.token })).body.vaults).toEqual([]);
    const still = await t.req("GET", `/v1/vaults/${v.body.id}/secrets/k`, { token: a.token });
    expect(still.body).toMatchObject({ value: "a-secret", version: 1 });
  });

  it("answers 404 for an unknown vault and 400 naming vault_id for a malformed one", async () => {
    const u = await t.signup();
    expect((await t.req("GET", `/v1/vaults/${uuid()}`, { token: u.token })).status).toBe(404);
    for (const url of ["/v1/vaults/not-a-uuid", "/v1/vaults/not-a-uuid/secrets", "/v1/vaults/not-a-uuid/secrets/a"]) {
      const r = await t.req("GET", url, { token: u.token });
      expect(r.status).toBe(400);
      expect(r.body.detail).toContain("vault_id");
    }
  });

  it.each([
    [{}, "name"],
    [{ name: "" }, "name"],
    [{ name: "   " }, "name"],
    [{ name: 42 }, "name"],
    [{ name: "x".repeat(201) }, "name"],
    [{ name: "ok", description: 5 }, "description"],
    [{ name: "ok", description: "d".repeat(2001) }, "description"],
  ])("rejects create body %j naming %s and writes nothing", async (body, field) => {
    const u = await t.signup();
    const before = await vaultCount();
    const r = await t.req("POST", "/v1/vaults", { token: u.token, body });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(field);
    expect(await vaultCount()).toBe(before);
  });

  it("rejects a missing or non-object body", async () => {
    const u = await t.signup();
    const before = await vaultCount();
    for (const raw of ["", "[]", '"prod"', "null"]) {
      const r = await t.req("POST", "/v1/vaults", { token: u.token, raw, headers: { "content-type": "application/json" } });
      expect(r.status).toBe(400);
    }
    expect(await vaultCount()).toBe(before);
  });

  it("requires authentication", async () => {
    expect((await t.req("GET", "/v1/vaults")).status).toBe(401);
    expect((await t.req("POST", "/v1/vaults", { body: { name: "x" } })).status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawHttp, rawSql, startApp, type TestApp } from "../helpers.js";

let t: TestApp;
let token: string;
let vaultId: string;
let base: string;
beforeAll(async () => {
  t = await startApp();
  ({ token } = await t.signup());
  vaultId = (await t.req("POST", "/v1/vaults", { token, body: { name: "main" } })).body.id;
  base = `/v1/vaults/${vaultId}`;
});
afterAll(async () => t?.destroy());

const put = (path: string, body: unknown) => t.req("PUT", `${base}/secrets/${path}`, { token, body });
const get = (path: string) => t.req("GET", `${base}/secrets/${path}`, { token });
const versionRows = async () => Number((await rawSql(t, "select count(*) as n from secret_versions"))[0].n);
const secretRows = async () => Number((await rawSql(t, "select count(*) as n from secrets"))[0].n);

describe("put and get", () => {
  it("creates a new version on every PUT, answers 201 with metadata only, and reads the latest or ?version=N", async () => {
    const v1 = await put("db/prod/password", { value: "first-value", type: "password", metadata: { owner: "ops" } });
    expect(v1.status).toBe(201);
    expect(v1.body).toMatchObject({ path: "db/prod/password", type: "password", version: 1, metadata: { owner: "ops" }, expires_at: null });
    expect(v1.body).not.toHaveProperty("value");
    expect(v1.text).not.toContain("first-value");
    const v2 = await put("db/prod/password", { value: "second-value" });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ id: v1.body.id, version: 2, type: "generic", metadata: null });

    const latest = await get("db/prod/password");
    expect(latest.status).toBe(200);
    expect(latest.body).toMatchObject({ id: v1.body.id, path: "db/prod/password", type: "generic", value: "second-value", version: 2, cmek_encrypted: false });
    expect(latest.body.created_by).toMatch(/^user:[0-9a-f-]{36}$/);
    const old = await t.req("GET", `${base}/secrets/db/prod/password?version=1`, { token });
    expect(old.body).toMatchObject({ value: "first-value", version: 1, type: "password", metadata: { owner: "ops" } });
    expect((await t.req("GET", `${base}/secrets/db/prod/password?version=3`, { token })).status).toBe(404);
    expect((await t.req("GET", `${base}/secrets/db/prod/password?version=99999999999999`, { token })).status).toBe(400);
    const badVersion = await t.req("GET", `${base}/secrets/db/prod/password?version=zero`, { token });
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.detail).toContain("version");
  });

  it("accepts every secret type of DESIGN decision 3 and rejects others", async () => {
    for (const type of ["api_key", "password", "private_key", "certificate", "file", "note", "ssh_key", "env_bundle", "generic", "env"]) {
      expect((await put(`types/${type}`, { value: "v", type })).body.type).toBe(type);
    }
    const before = await versionRows();
    const r = await put("types/bogus", { value: "v", type: "bogus" });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain("type");
    expect(await versionRows()).toBe(before);
  });

  it("serves a path sent as one %2F-encoded segment the same as several segments", async () => {
    await put("enc%2Fone%2Ftwo", { value: "encoded" });
    expect((await get("enc/one/two")).body.value).toBe("encoded");
    expect((await get("enc%2Fone%2Ftwo")).body.value).toBe("encoded");
    expect((await t.req("GET", `${base}/metadata/enc%2Fone%2Ftwo`, { token })).body.path).toBe("enc/one/two");
  });

  it("keeps values exactly (unicode, empty, multi-line, large)", async () => {
    const values = ["", "ünïcødé 🔑", "line1\nline2\r\n", "x".repeat(1024 * 1024)];
    for (const [i, value] of values.entries()) {
      expect((await put(`exact/${i}`, { value })).status).toBe(201);
      expect((await get(`exact/${i}`)).body.value).toBe(value);
    }
  });

  it("answers 404 for a path that never existed", async () => {
    const r = await get("never/there");
    expect(r.status).toBe(404);
    expect(r.body.detail).toBe("Secret not found");
  });
});

describe("bad bodies write nothing", () => {
  it.each([
    [{}, "value"],
    [{ value: 5 }, "value"],
    [{ value: "v", metadata: "m" }, "metadata"],
    [{ value: "v", metadata: [1] }, "metadata"],
    [{ value: "v", expires_at: "tomorrow" }, "expires_at"],
    [{ value: "v", expires_at: "2001-01-01T00:00:00Z" }, "expires_at"],
    [{ value: "v", max_access_count: 0 }, "max_access_count"],
    [{ value: "v", max_access_count: 1.5 }, "max_access_count"],
    [{ value: "v", max_access_count: "3" }, "max_access_count"],
  ])("PUT %j → 400 naming %s", async (body, field) => {
    const [s, v] = [await secretRows(), await versionRows()];
    const r = await put("bad/body", body);
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(field);
    expect([await secretRows(), await versionRows()]).toEqual([s, v]);
  });
});

describe("path rules (DESIGN decision 3) on every operation", () => {
  const hostile = [
    ["..", "a/../b"],
    ["%2e%2e", "a/%2e%2e/b"],
    ["leading ..", "../b"],
    ["encoded slash traversal", "a%2F..%2Fb"],
    ["//", "a//b"],
    ["leading slash", "%2Fa"],
    ["trailing slash", "a/"],
    ["backslash", "a%5Cb"],
    ["NUL", "a%00b"],
    ["dot", "a.b"],
    ["space", "a%20b"],
    ["over-long", "a".repeat(513)],
    ["unicode", "caf%C3%A9"],
  ];
  it.each(hostile)("%s → 400 on PUT, GET, DELETE, metadata, versions; nothing written", async (_name, p) => {
    const [s, v] = [await secretRows(), await versionRows()];
    const calls = [
      rawHttp(t, "PUT", `${base}/secrets/${p}`, { token, body: { value: "x" } }),
      rawHttp(t, "GET", `${base}/secrets/${p}`, { token }),
      rawHttp(t, "DELETE", `${base}/secrets/${p}`, { token }),
      rawHttp(t, "GET", `${base}/metadata/${p}`, { token }),
      rawHttp(t, "GET", `${base}/versions/${p}`, { token }),
    ];
    for (const r of await Promise.all(calls)) {
      expect(r.status, `${r.status} ${r.text}`).toBe(400);
      expect(r.body.detail).toMatch(/^path: /);
    }
    expect([await secretRows(), await versionRows()]).toEqual([s, v]);
  });

  it("accepts the longest allowed path (512 characters) and mixed case, digits, '_' and '-'", async () => {
    const long = ("abcdefgh/".repeat(57) + "abcdefg").slice(0, 512);
    expect(long).toHaveLength(512);
    expect((await put(long, { value: "v" })).status).toBe(201);
    expect((await put("Mixed_Case-9/x", { value: "v" })).status).toBe(201);
    expect((await get("Mixed_Case-9/x")).status).toBe(200);
    expect((await get("mixed_case-9/x")).status).toBe(404);
  });
});

describe("expiry and access limits", () => {
  it("answers 410 after expires_at", async () => {
    const soon = new Date(Date.now() + 400).toISOString();
    const r = await put("exp/short", { value: "v", expires_at: soon });
    expect(r.body.expires_at).toBe(soon);
    expect((await get("exp/short")).status).toBe(200);
    await new Promise((res) => setTimeout(res, 450));
    const after = await get("exp/short");
    expect(after.status).toBe(410);
    expect(after.body.detail).toBe("Secret has expired");
    // Expiry belongs to the version: a new version without expiry is readable again.
    await put("exp/short", { value: "v2" });
    expect((await get("exp/short")).body.value).toBe("v2");
  });

  it("lets exactly max_access_count reads succeed under many concurrent readers", async () => {
    const N = 5;
    await put("limited/one", { value: "count-me", max_access_count: N });
    const meta = await t.req("GET", `${base}/metadata/limited/one`, { token });
    expect(meta.body).toMatchObject({ max_access_count: N, access_count: 0 });
    const results = await Promise.all(Array.from({ length: 40 }, () => get("limited/one")));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(N);
    expect(results.filter((r) => r.status === 410)).toHaveLength(40 - N);
    expect(ok.map((r) => r.body.access_count).sort()).toEqual([1, 2, 3, 4, 5]);
    expect((await t.req("GET", `${base}/metadata/limited/one`, { token })).body.access_count).toBe(N);
    const reads = await t.req("GET", `/v1/audit/events?action=secret.read&resource_id=${ok[0].body.id}&limit=100`, { token });
    expect(reads.body.count).toBe(N);
  });

  it("metadata reads do not consume an access", async () => {
    await put("limited/meta", { value: "v", max_access_count: 1 });
    for (let i = 0; i < 3; i++) expect((await t.req("GET", `${base}/metadata/limited/meta`, { token })).status).toBe(200);
    expect((await get("limited/meta")).status).toBe(200);
    expect((await get("limited/meta")).status).toBe(410);
  });
});

describe("delete", () => {
  it("soft-deletes every version: GET and ?version → 410, list omits it, rows kept; a new PUT revives it", async () => {
    await put("del/me", { value: "v1" });
    await put("del/me", { value: "v2" });
    const d = await t.req("DELETE", `${base}/secrets/del/me`, { token, headers: { "content-type": "application/json" } });
    expect(d.status).toBe(204);
    expect(d.text).toBe("");
    for (const url of [`${base}/secrets/del/me`, `${base}/secrets/del/me?version=1`, `${base}/metadata/del/me`, `${base}/versions/del/me`]) {
      const r = await t.req("GET", url, { token });
      expect(r.status).toBe(410);
      expect(r.body.detail).toBe("Secret has been deleted");
    }
    expect((await t.req("GET", `${base}/secrets?prefix=del/`, { token })).body.secrets).toEqual([]);
    expect((await t.req("DELETE", `${base}/secrets/del/me`, { token })).status).toBe(404);
    expect((await t.req("DELETE", `${base}/secrets/never/existed`, { token })).status).toBe(404);
    const rows = await rawSql(t, "select count(*) as n from secret_versions v join secrets s on s.id = v.secret_id where s.path = 'del/me'");
    expect(Number(rows[0].n)).toBe(2);
    const again = await put("del/me", { value: "v3" });
    expect(again.body.version).toBe(3);
    expect((await get("del/me")).body.value).toBe("v3");
  });
});

describe("list, versions, metadata", () => {
  it("lists the latest version per path, metadata only, filtered by prefix", async () => {
    await put("app/one", { value: "secret-one-a" });
    await put("app/one", { value: "secret-one-b", metadata: { v: 2 } });
    await put("app/two", { value: "secret-two" });
    await put("apple", { value: "secret-apple" });
    const r = await t.req("GET", `${base}/secrets?prefix=app/`, { token });
    expect(r.status).toBe(200);
    expect(r.body.secrets.map((s: any) => [s.path, s.version])).toEqual([["app/one", 2], ["app/two", 1]]);
    expect(r.body.secrets[0].metadata).toEqual({ v: 2 });
    expect(r.text).not.toContain("secret-one");
    expect(r.body.secrets[0]).not.toHaveProperty("value");
    const all = await t.req("GET", `${base}/secrets`, { token });
    expect(all.body.secrets.map((s: any) => s.path)).toContain("apple");
    // LIKE wildcards in a prefix are literal.
    expect((await t.req("GET", `${base}/secrets?prefix=app_`, { token })).body.secrets).toEqual([]);
    expect((await t.req("GET", `${base}/secrets?prefix=%25`, { token })).body.secrets).toEqual([]);
  });

  it("lists versions newest first and reads metadata of one version", async () => {
    await put("ver/x", { value: "a", type: "note" });
    await put("ver/x", { value: "b", type: "api_key" });
    const r = await t.req("GET", `${base}/versions/ver/x`, { token });
    expect(r.status).toBe(200);
    expect(r.body.versions.map((v: any) => [v.version, v.type])).toEqual([[2, "api_key"], [1, "note"]]);
    expect(r.text).not.toMatch(/"value"/);
    const m = await t.req("GET", `${base}/metadata/ver/x?version=1`, { token });
    expect(m.body).toMatchObject({ path: "ver/x", version: 1, type: "note" });
    expect(m.body).not.toHaveProperty("value");
    expect((await t.req("GET", `${base}/versions/ver/none`, { token })).status).toBe(404);
  });
});

describe("audit of secret operations", () => {
  it("records write, read and delete with vault and path but never the value", async () => {
    const canary = `canary-${Date.now()}-value`;
    const w = await put("audited/x", { value: canary });
    await get("audited/x");
    await t.req("DELETE", `${base}/secrets/audited/x`, { token });
    const ev = await t.req("GET", `/v1/audit/events?resource_id=${w.body.id}`, { token });
    expect(ev.body.events.map((e: any) => e.action)).toEqual(["secret.delete", "secret.read", "secret.write"]);
    for (const e of ev.body.events) expect(e.details).toMatchObject({ vault_id: vaultId, path: "audited/x" });
    expect(ev.text).not.toContain(canary);
  });
});

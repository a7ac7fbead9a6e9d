import crypto from "node:crypto";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, rawSql, startApp, STRONG_PASSWORD, type TestApp } from "../helpers.js";

/** The client side of CMEK, as the SDK does it: 0x01 ‖ IV ‖ ciphertext ‖ tag, base64. */
const newKey = () => crypto.randomBytes(32);
const fp = (key: Buffer) => crypto.createHash("sha256").update(key).digest("hex");
function encrypt(key: Buffer, text: string): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(text, "utf8"), c.final()]);
  return Buffer.concat([Buffer.from([1]), iv, body, c.getAuthTag()]).toString("base64");
}
function decrypt(key: Buffer, b64: string): string {
  const blob = Buffer.from(b64, "base64");
  const d = crypto.createDecipheriv("aes-256-gcm", key, blob.subarray(1, 13));
  d.setAuthTag(blob.subarray(blob.length - 16));
  return Buffer.concat([d.update(blob.subarray(13, blob.length - 16)), d.final()]).toString("utf8");
}

let t: TestApp;
let owner: { token: string; orgId: string; userId: string };
beforeAll(async () => {
  t = await startApp();
  owner = await t.signup();
});
afterAll(async () => t?.destroy());

async function vault(name = "cmek", token = owner.token): Promise<string> {
  const r = await t.req("POST", "/v1/vaults", { token, body: { name } });
  expect(r.status).toBe(201);
  return r.body.id;
}

async function waitForJob(vaultId: string, jobId: string) {
  for (let i = 0; i < 300; i++) {
    const r = await t.req("GET", `/v1/vaults/${vaultId}/cmek-rotate/${jobId}`, { token: owner.token });
    expect(r.status).toBe(200);
    if (r.body.status !== "running") return r.body;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error("job did not finish");
}

/** Writes n CMEK secrets concurrently (group commit keeps this quick). */
async function writeMany(vaultId: string, key: Buffer, n: number, prefix = "s") {
  const values = new Map<string, string>();
  for (let i = 0; i < n; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, async (_, j) => {
        const path = `${prefix}/${i + j}`;
        const plain = `plain-${prefix}-${i + j}`;
        const r = await t.req("PUT", `/v1/vaults/${vaultId}/secrets/${path}`, { token: owner.token, body: { value: encrypt(key, plain) } });
        expect(r.status).toBe(201);
        values.set(path, plain);
      }),
    );
  }
  return values;
}

describe("POST/DELETE /v1/vaults/{id}/cmek", () => {
  it("enables with a fingerprint (stored lower-case) and disables, returning the vault", async () => {
    const id = await vault();
    const key = newKey();
    const on = await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(key).toUpperCase() } });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ id, cmek_enabled: true, cmek_fingerprint: fp(key) });
    expect((await t.req("GET", `/v1/vaults/${id}`, { token: owner.token })).body).toMatchObject({ cmek_enabled: true, cmek_fingerprint: fp(key) });
    // same key again is a no-op; another key must go through rotation
    expect((await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(key) } })).status).toBe(200);
    const other = await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(newKey()) } });
    expect(other.status).toBe(409);
    const off = await t.req("DELETE", `/v1/vaults/${id}/cmek`, { token: owner.token });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ cmek_enabled: false, cmek_fingerprint: null });
    const actions = (await t.req("GET", "/v1/audit/events", { token: owner.token })).body.events.map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["vault.cmek_enable", "vault.cmek_disable"]));
  });

  it.each([
    [{}, /fingerprint/],
    [{ fingerprint: "abc" }, /fingerprint: must be the SHA-256/],
    [{ fingerprint: "g".repeat(64) }, /fingerprint: must be the SHA-256/],
    [{ fingerprint: "a".repeat(65) }, /fingerprint/],
    [{ fingerprint: 42 }, /fingerprint/],
  ])("rejects body %j with 400 naming the field", async (body, detail) => {
    const id = await vault();
    const r = await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body });
    expect(r.status).toBe(400);
    expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(r.body.detail).toMatch(detail);
  });

  it("404 for another org's vault, 403 for a plain member, 403 below Business, 401 without a token", async () => {
    const id = await vault();
    const stranger = await t.signup();
    expect((await t.req("POST", `/v1/vaults/${id}/cmek`, { token: stranger.token, body: { fingerprint: fp(newKey()) } })).status).toBe(404);
    expect((await t.req("POST", `/v1/vaults/${id}/cmek`, { body: { fingerprint: fp(newKey()) } })).status).toBe(401);

    const member = await t.signup();
    await rawSql(t, "update users set org_id = $1, role = 'member' where id = $2", [owner.orgId, member.userId]);
    await t.services.auth.userChanged(member.userId);
    const login = await t.req("POST", "/v1/auth/token", { body: { email: member.email, password: STRONG_PASSWORD } });
    const memberToken = login.body.access_token;
    const denied = await t.req("POST", `/v1/vaults/${id}/cmek`, { token: memberToken, body: { fingerprint: fp(newKey()) } });
    expect(denied.status).toBe(403);
    expect((await t.req("DELETE", `/v1/vaults/${id}/cmek`, { token: memberToken })).status).toBe(403);

  });

  it("with billing on, needs the Business or Enterprise plan (403 on Pro) to enable or rotate, not to disable", async () => {
    // The vault is made with billing off (creating one with billing on is the accounts module's
    // business); the same database is then served with billing on.
    const first = await startApp({ keepData: true });
    const u = await first.signup();
    const id = (await first.req("POST", "/v1/vaults", { token: u.token, body: { name: "tiered" } })).body.id;
    await first.close();
    const billed = await startApp({ env: { ONECLAW_BILLING: "true" }, dataDir: first.dataDir, pgSchema: first.pgSchema });
    try {
      for (const [tier, status] of [["pro", 403], ["free", 403], ["business", 200]] as const) {
        await rawSql(billed, "update orgs set billing_tier = $1 where id = $2", [tier, u.orgId]);
        await billed.ctx.bus.publish("org.billing.changed", u.orgId); // drops the cached plan
        const r = await billed.req("POST", `/v1/vaults/${id}/cmek`, { token: u.token, body: { fingerprint: fp(newKey()) } });
        expect([tier, r.status]).toEqual([tier, status]);
        if (status === 403) expect(r.body.detail).toMatch(/Business or Enterprise/);
      }
      await rawSql(billed, "update orgs set billing_tier = 'pro' where id = $1", [u.orgId]);
      await billed.ctx.bus.publish("org.billing.changed", u.orgId);
      const a = newKey();
      const rot = await billed.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: u.token, headers: { "x-cmek-old-key": a.toString("base64"), "x-cmek-new-key": a.toString("base64") }, body: { new_fingerprint: fp(a) } });
      expect(rot.status).toBe(403);
      expect((await billed.req("DELETE", `/v1/vaults/${id}/cmek`, { token: u.token })).status).toBe(200);
    } finally {
      await billed.destroy();
    }
  });
});

describe("secrets in a CMEK vault", () => {
  it("stores the client's blob (still envelope-encrypted) and marks it cmek_encrypted", async () => {
    const id = await vault();
    const key = newKey();
    const before = await t.req("PUT", `/v1/vaults/${id}/secrets/plain`, { token: owner.token, body: { value: "not cmek" } });
    expect(before.body.cmek_encrypted).toBe(false);
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(key) } });
    const blob = encrypt(key, "db-password-canary-7f3a");
    const put = await t.req("PUT", `/v1/vaults/${id}/secrets/db`, { token: owner.token, body: { value: blob } });
    expect(put.status).toBe(201);
    expect(put.body.cmek_encrypted).toBe(true);
    const get = await t.req("GET", `/v1/vaults/${id}/secrets/db`, { token: owner.token });
    expect(get.body).toMatchObject({ value: blob, cmek_encrypted: true });
    expect(decrypt(key, get.body.value)).toBe("db-password-canary-7f3a");
    const list = await t.req("GET", `/v1/vaults/${id}/secrets`, { token: owner.token });
    expect(Object.fromEntries(list.body.secrets.map((s: any) => [s.path, s.cmek_encrypted]))).toEqual({ db: true, plain: false });
    // the server added its own envelope: the stored ciphertext is not the client's blob
    const rows = await rawSql(t, "select v.ciphertext, v.cmek_fingerprint from secret_versions v join secrets s on s.id = v.secret_id where s.path = 'db' and s.vault_id = $1", [id]);
    expect(rows[0].cmek_fingerprint).toBe(fp(key));
    expect(Buffer.from(rows[0].ciphertext).includes(Buffer.from(blob, "base64"))).toBe(false);
    expect(Buffer.from(rows[0].ciphertext).toString("latin1").includes(blob)).toBe(false);

    // after DELETE /cmek new writes are plain again; old ones keep their flag
    await t.req("DELETE", `/v1/vaults/${id}/cmek`, { token: owner.token });
    expect((await t.req("PUT", `/v1/vaults/${id}/secrets/later`, { token: owner.token, body: { value: "plain again" } })).body.cmek_encrypted).toBe(false);
    expect((await t.req("GET", `/v1/vaults/${id}/secrets/db`, { token: owner.token })).body.cmek_encrypted).toBe(true);
  });

  it.each([
    ["plain text", "hello"],
    ["wrong version byte", Buffer.concat([Buffer.from([2]), crypto.randomBytes(40)]).toString("base64")],
    ["too short for IV and tag", Buffer.concat([Buffer.from([1]), crypto.randomBytes(27)]).toString("base64")],
    ["unpadded base64", Buffer.concat([Buffer.from([1]), crypto.randomBytes(30)]).toString("base64").replace(/=+$/, "")],
    ["url-safe base64", "AQ__" + Buffer.alloc(36, 0xff).toString("base64")],
    ["empty", ""],
  ])("rejects a %s value with 400 naming value, writing nothing", async (_name, value) => {
    const id = await vault();
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(newKey()) } });
    const r = await t.req("PUT", `/v1/vaults/${id}/secrets/bad`, { token: owner.token, body: { value } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^value: this vault has CMEK enabled/);
    expect((await t.req("GET", `/v1/vaults/${id}/secrets/bad`, { token: owner.token })).status).toBe(404);
  });
});

describe("POST /v1/vaults/{id}/cmek-rotate", () => {
  const headers = (oldKey: Buffer, nk: Buffer) => ({ "x-cmek-old-key": oldKey.toString("base64"), "x-cmek-new-key": nk.toString("base64") });

  it("re-encrypts every version in batches of 100 and reports the job", async () => {
    const id = await vault();
    const a = newKey();
    const b = newKey();
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(a) } });
    const values = await writeMany(id, a, 140);
    // a second version of one path: every version moves, not only the latest
    await t.req("PUT", `/v1/vaults/${id}/secrets/s/0`, { token: owner.token, body: { value: encrypt(a, "second version") } });
    const start = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b), body: { new_fingerprint: fp(b) } });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ vault_id: id, status: "running", total_secrets: 141, old_fingerprint: fp(a), new_fingerprint: fp(b) });
    const done = await waitForJob(id, start.body.id);
    expect(done).toMatchObject({ status: "completed", processed: 141, total_secrets: 141 });
    expect(done.completed_at).toBeDefined();
    expect((await t.req("GET", `/v1/vaults/${id}`, { token: owner.token })).body.cmek_fingerprint).toBe(fp(b));
    for (const [path, plain] of values) {
      const r = await t.req("GET", `/v1/vaults/${id}/secrets/${path}?version=1`, { token: owner.token });
      expect(decrypt(b, r.body.value)).toBe(plain);
    }
    expect(decrypt(b, (await t.req("GET", `/v1/vaults/${id}/secrets/s/0`, { token: owner.token })).body.value)).toBe("second version");
  });

  it("resumes after being cut off between batches, skipping what already moved", async () => {
    const id = await vault();
    const a = newKey();
    const b = newKey();
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(a) } });
    const values = await writeMany(id, a, 130);
    t.services.cmek.afterBatch = () => {
      throw new Error("cut off after one batch");
    };
    try {
      const start = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b), body: { new_fingerprint: fp(b) } });
      expect(start.status).toBe(202);
      expect(await waitForJob(id, start.body.id)).toMatchObject({ status: "failed", processed: 100, error: "cut off after one batch" });
    } finally {
      t.services.cmek.afterBatch = undefined;
    }
    // the vault is on the new key already; the old key still resumes the rotation it started
    const again = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b), body: { new_fingerprint: fp(b) } });
    expect(again.status).toBe(202);
    expect(again.body.total_secrets).toBe(30);
    expect(await waitForJob(id, again.body.id)).toMatchObject({ status: "completed", processed: 30 });
    for (const [path, plain] of values) {
      expect(decrypt(b, (await t.req("GET", `/v1/vaults/${id}/secrets/${path}`, { token: owner.token })).body.value)).toBe(plain);
    }
  });

  it.each([
    ["missing old key", (a: Buffer, b: Buffer) => ({ "x-cmek-new-key": b.toString("base64") }), /^x-cmek-old-key: header is required/],
    ["missing new key", (a: Buffer) => ({ "x-cmek-old-key": a.toString("base64") }), /^x-cmek-new-key: header is required/],
    ["short old key", (a: Buffer, b: Buffer) => ({ "x-cmek-old-key": a.subarray(0, 16).toString("base64"), "x-cmek-new-key": b.toString("base64") }), /^x-cmek-old-key: must be the base64 encoding of a 32-byte/],
    ["non-base64 new key", (a: Buffer) => ({ "x-cmek-old-key": a.toString("base64"), "x-cmek-new-key": "not base64!" }), /^x-cmek-new-key: must be the base64/],
    ["wrong old key", (_a: Buffer, b: Buffer) => ({ "x-cmek-old-key": newKey().toString("base64"), "x-cmek-new-key": b.toString("base64") }), /^x-cmek-old-key: does not match the vault's CMEK fingerprint/],
    ["new key not matching new_fingerprint", (a: Buffer) => ({ "x-cmek-old-key": a.toString("base64"), "x-cmek-new-key": newKey().toString("base64") }), /^x-cmek-new-key: does not match new_fingerprint/],
  ])("400 for a %s, naming the header and never echoing it", async (_name, hdrs, detail) => {
    const id = await vault();
    const a = newKey();
    const b = newKey();
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(a) } });
    const h = hdrs(a, b) as Record<string, string>;
    const r = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: h, body: { new_fingerprint: fp(b) } });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(detail);
    for (const v of Object.values(h)) expect(r.text.includes(v)).toBe(false);
    expect((await t.req("GET", `/v1/vaults/${id}`, { token: owner.token })).body.cmek_fingerprint).toBe(fp(a));
  });

  it("400 when CMEK is off or the body is bad; 404 for an unknown job; 400 for a malformed job id", async () => {
    const id = await vault();
    const a = newKey();
    const b = newKey();
    const off = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b), body: { new_fingerprint: fp(b) } });
    expect([off.status, off.body.detail]).toEqual([400, "vault_id: CMEK is not enabled on this vault"]);
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(a) } });
    const noBody = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b) });
    expect(noBody.status).toBe(400);
    const badFp = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b), body: { new_fingerprint: "xyz" } });
    expect([badFp.status, badFp.body.detail]).toEqual([400, expect.stringMatching(/^new_fingerprint/)]);
    const same = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, a), body: { new_fingerprint: fp(a) } });
    expect([same.status, same.body.detail]).toEqual([400, "new_fingerprint: must differ from the current key's fingerprint"]);
    expect((await t.req("GET", `/v1/vaults/${id}/cmek-rotate/${crypto.randomUUID()}`, { token: owner.token })).status).toBe(404);
    expect((await t.req("GET", `/v1/vaults/${id}/cmek-rotate/not-a-uuid`, { token: owner.token })).status).toBe(400);
  });

  it("never logs or stores the keys from the headers (canary in logs and database)", async () => {
    const id = await vault();
    const a = newKey();
    const b = newKey();
    await t.req("POST", `/v1/vaults/${id}/cmek`, { token: owner.token, body: { fingerprint: fp(a) } });
    const canary = "CANARY-plaintext-5b1e9d";
    await t.req("PUT", `/v1/vaults/${id}/secrets/canary`, { token: owner.token, body: { value: encrypt(a, canary) } });
    const start = await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(a, b), body: { new_fingerprint: fp(b) } });
    await waitForJob(id, start.body.id);
    // a failing attempt too: errors must not carry the keys either
    await t.req("POST", `/v1/vaults/${id}/cmek-rotate`, { token: owner.token, headers: headers(newKey(), b), body: { new_fingerprint: fp(b) } });
    const needles = [a, b].flatMap((k) => [k.toString("base64"), k.toString("hex"), k.toString("base64url")]).concat(canary);
    const logs = t.logs.join("\n");
    for (const n of needles) expect(logs.includes(n), `log contains ${n.slice(0, 6)}…`).toBe(false);
    const dump = await databaseDump(t);
    for (const n of needles) expect(dump.includes(n), `database contains ${n.slice(0, 6)}…`).toBe(false);
    for (const k of [a, b]) expect(dump.includes(k.toString("latin1"))).toBe(false);
  });
});

/** Everything in the database as text (SQLite: the raw files; PostgreSQL: every row of every table). */
async function databaseDump(app: TestApp): Promise<string> {
  if (dialect === "sqlite") {
    const file = app.ctx.store.sqliteFile!;
    return [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString("latin1")).join("\n");
  }
  const tables = await rawSql(app, "select table_name from information_schema.tables where table_schema = $1", [app.pgSchema]);
  let out = "";
  for (const { table_name } of tables) {
    for (const row of await rawSql(app, `select * from "${table_name}"`)) {
      for (const v of Object.values(row)) out += Buffer.isBuffer(v) ? v.toString("latin1") + v.toString("hex") + v.toString("base64") : JSON.stringify(v);
    }
  }
  return out;
}

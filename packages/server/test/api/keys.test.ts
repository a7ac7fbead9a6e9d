import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WrongRootKeyError } from "../../src/crypto/system-keys.js";
import { dialect, rawSql, startApp, type TestApp } from "../helpers.js";

// The local provider's root key; the pkcs11 equivalents are in test/keys/ (server:pkcs11).
const LOCAL = { ONECLAW_KEY_PROVIDER: "local" };
let t: TestApp;
let token: string;
let vaultId: string;
beforeAll(async () => {
  t = await startApp({ env: LOCAL });
  ({ token } = await t.signup());
  vaultId = (await t.req("POST", "/v1/vaults", { token, body: { name: "keys" } })).body.id;
});
afterAll(async () => t?.destroy());

/** Everything the database holds, as text (SQLite: the file and its WAL; PostgreSQL: every row of every table). */
async function databaseText(): Promise<string> {
  if (dialect === "sqlite") {
    const file = t.ctx.store.sqliteFile!;
    const parts = [file, `${file}-wal`].filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f).toString("latin1"));
    expect(parts.length).toBe(2);
    return parts.join("\n");
  }
  const tables = await rawSql(t, "select table_name from information_schema.tables where table_schema = $1", [t.pgSchema]);
  let out = "";
  for (const { table_name } of tables) {
    for (const row of await rawSql(t, `select * from "${table_name}"`)) {
      out += JSON.stringify(row, (_k, v) => (v && v.type === "Buffer" ? Buffer.from(v.data).toString("latin1") : v)) + "\n";
    }
  }
  return out;
}

describe("root key", () => {
  it("is created as <data dir>/master.key with mode 0600", () => {
    const file = path.join(t.dataDir, "master.key");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64")).toHaveLength(32);
  });

  it("wraps each vault's KEK: the stored blob opens only with the root key and the vault's id", async () => {
    const [row] = await rawSql(t, "select wrapped_kek from vaults where id = $1", [vaultId]);
    const wrapped: Buffer = Buffer.from(row.wrapped_kek);
    expect(wrapped).toHaveLength(12 + 32 + 16);
    const root = Buffer.from(fs.readFileSync(path.join(t.dataDir, "master.key"), "utf8").trim(), "base64");
    const open = (aad: string) => {
      const d = crypto.createDecipheriv("aes-256-gcm", root, wrapped.subarray(0, 12));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(wrapped.subarray(wrapped.length - 16));
      return Buffer.concat([d.update(wrapped.subarray(12, wrapped.length - 16)), d.final()]);
    };
    expect(open(`oneclaw:kek:${vaultId}`)).toHaveLength(32);
    expect(() => open(`oneclaw:kek:${crypto.randomUUID()}`)).toThrow();
  });

  it("refuses to start with a different root key", async () => {
    const other = crypto.randomBytes(32).toString("hex");
    await expect(startApp({ dataDir: t.dataDir, pgSchema: t.pgSchema, keepData: true, env: { ...LOCAL, ONECLAW_MASTER_KEY: other } })).rejects.toThrow(
      WrongRootKeyError,
    );
  });

  it("starts with ONECLAW_MASTER_KEY and writes no key file", async () => {
    const key = crypto.randomBytes(32).toString("base64");
    const a = await startApp({ env: { ...LOCAL, ONECLAW_MASTER_KEY: key } });
    try {
      expect(fs.existsSync(path.join(a.dataDir, "master.key"))).toBe(false);
      const u = await a.signup();
      const v = (await a.req("POST", "/v1/vaults", { token: u.token, body: { name: "x" } })).body.id;
      await a.req("PUT", `/v1/vaults/${v}/secrets/k`, { token: u.token, body: { value: "env-key" } });
      expect((await a.req("GET", `/v1/vaults/${v}/secrets/k`, { token: u.token })).body.value).toBe("env-key");
    } finally {
      await a.destroy();
    }
  });
});

describe("envelope encryption", () => {
  it("never stores, logs or audits a secret value in the clear", async () => {
    const canary = `CANARY_${crypto.randomBytes(8).toString("hex")}_VALUE`;
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/canary/one`, { token, body: { value: canary, type: "api_key" } });
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/canary/one`, { token })).body.value).toBe(canary);
    const text = await databaseText();
    expect(text).toContain("canary/one"); // the dump really holds the rows
    expect(text).not.toContain(canary);
    expect(text).not.toContain(Buffer.from(canary).toString("base64"));
    expect(text).not.toContain(Buffer.from(canary).toString("hex"));
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join("")).not.toContain(canary);
  });

  it("uses a fresh DEK and nonce for every version, even of the same value", async () => {
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/same`, { token, body: { value: "identical" } });
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/same`, { token, body: { value: "identical" } });
    const rows = await rawSql(t, "select v.ciphertext, v.iv, v.wrapped_dek from secret_versions v join secrets s on s.id = v.secret_id where s.path = 'same'");
    expect(rows).toHaveLength(2);
    const [a, b] = rows.map((r) => ({ ct: Buffer.from(r.ciphertext), iv: Buffer.from(r.iv), dek: Buffer.from(r.wrapped_dek) }));
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(a.ct.equals(b.ct)).toBe(false);
    expect(a.dek.equals(b.dek)).toBe(false);
  });

  it("fails a ciphertext moved to another row: generic 500, logged, audited", async () => {
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/moved/src`, { token, body: { value: "source-value" } });
    const dst = await t.req("PUT", `/v1/vaults/${vaultId}/secrets/moved/dst`, { token, body: { value: "target-value" } });
    const [src] = await rawSql(t, "select v.secret_id, v.ciphertext, v.iv, v.wrapped_dek from secret_versions v join secrets s on s.id = v.secret_id where s.path = 'moved/src'");
    await rawSql(t, "update secret_versions set ciphertext = $1, iv = $2, wrapped_dek = $3 where secret_id = $4", [
      Buffer.from(src.ciphertext),
      Buffer.from(src.iv),
      Buffer.from(src.wrapped_dek),
      dst.body.id,
    ]);
    const logsBefore = t.logs.length;
    const r = await t.req("GET", `/v1/vaults/${vaultId}/secrets/moved/dst`, { token });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ type: "about:blank", title: "Internal Server Error", status: 500, detail: "An unexpected error occurred" });
    expect(r.text).not.toContain("source-value");
    const newLogs = t.logs.slice(logsBefore).join("");
    expect(newLogs).toContain("integrity check failed");
    expect(newLogs).toContain(r.headers["x-request-id"] as string);
    let events: any[] = [];
    for (let i = 0; i < 50 && !events.length; i++) {
      events = (await t.req("GET", "/v1/audit/events?action=integrity.failure", { token })).body.events;
      if (!events.length) await new Promise((res) => setTimeout(res, 20));
    }
    expect(events).toHaveLength(1);
    expect(events[0].details).toMatchObject({ method: "GET", request_id: r.headers["x-request-id"] });
    // Moving a version number is caught too (the AAD binds the version).
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/moved/ver`, { token, body: { value: "one" } });
    const two = await t.req("PUT", `/v1/vaults/${vaultId}/secrets/moved/ver`, { token, body: { value: "two" } });
    await rawSql(t, "delete from secret_versions where secret_id = $1 and version = 2", [two.body.id]);
    await rawSql(t, "update secret_versions set version = 2 where secret_id = $1 and version = 1", [two.body.id]);
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/moved/ver`, { token })).status).toBe(500);
  });

  it("fails a flipped ciphertext bit the same way", async () => {
    const w = await t.req("PUT", `/v1/vaults/${vaultId}/secrets/flip`, { token, body: { value: "flip-me" } });
    const [row] = await rawSql(t, "select ciphertext from secret_versions where secret_id = $1", [w.body.id]);
    const ct = Buffer.from(row.ciphertext);
    ct[0] ^= 1;
    await rawSql(t, "update secret_versions set ciphertext = $1 where secret_id = $2", [ct, w.body.id]);
    const r = await t.req("GET", `/v1/vaults/${vaultId}/secrets/flip`, { token });
    expect(r.status).toBe(500);
    expect(r.text).not.toContain("flip-me");
  });
});

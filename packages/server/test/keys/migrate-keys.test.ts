import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkcs11Env, rawSql, startApp, type TestApp } from "../helpers.js";
import { randomBetween, runCommand } from "./run-command.js";

describe("migrate-keys --to pkcs11", () => {
  const hsm = pkcs11Env(`migrate-${Date.now()}`);
  let local: TestApp;
  let token: string;
  const written: Array<[string, string, string]> = [];

  beforeAll(async () => {
    local = await startApp({ env: { ONECLAW_KEY_PROVIDER: "local" }, keepData: true });
    ({ token } = await local.signup());
    for (let v = 0; v < 4; v++) {
      const id = (await local.req("POST", "/v1/vaults", { token, body: { name: `m${v}` } })).body.id;
      for (let s = 0; s < 3; s++) {
        await local.req("PUT", `/v1/vaults/${id}/secrets/s${s}`, { token, body: { value: `migrated-${v}-${s}` } });
        written.push([id, `s${s}`, `migrated-${v}-${s}`]);
      }
    }
    await local.close(); // migration is offline
  });
  afterAll(() => fs.rmSync(local.dataDir, { recursive: true, force: true }));

  it("moves every key into the HSM, survives an interruption, and the server then runs on pkcs11", async () => {
    const cmdEnv = { ...hsm, ONECLAW_KEY_PROVIDER: "local", ONECLAW_DATA_DIR: local.dataDir };
    const first = await runCommand(["migrate-keys", "--to", "pkcs11"], { ...cmdEnv, ONECLAW_KEYS_INTERRUPT_AFTER: String(randomBetween(1, 6)) });
    expect(first.code, first.stderr).toBe(75);
    const second = await runCommand(["migrate-keys", "--to", "pkcs11"], cmdEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resuming migrate job/);
    expect(second.stdout).toMatch(/migrated \d+ keys into token "oneclaw-test"/);
    // a third run finds nothing left to do
    const third = await runCommand(["migrate-keys", "--to", "pkcs11"], cmdEnv);
    expect(third.stdout).toMatch(/migrated 0 keys/);

    const t = await startApp({ env: hsm, dataDir: local.dataDir, keepData: true });
    try {
      expect((await t.req("GET", "/v1/health/hsm")).body.hsm_provider).toBe("pkcs11");
      for (const r of await rawSql(t, "select wrapped_kek from vaults")) expect(Buffer.from(r.wrapped_kek)[0]).toBe(0x4b);
      // old tokens were signed by the same (now HSM-wrapped) JWT key
      for (const [id, p, value] of written) {
        const r = await t.req("GET", `/v1/vaults/${id}/secrets/${p}`, { token });
        expect(r.status).toBe(200);
        expect(r.body.value).toBe(value);
      }
      const actions = (await rawSql(t, "select action from audit_events where action like 'key.migrate.%' order by seq")).map((r: any) => r.action);
      expect(actions).toEqual(["key.migrate.start", "key.migrate.complete", "key.migrate.start", "key.migrate.complete"]);
    } finally {
      await t.close();
    }
    // the local key can no longer open the database
    const back = await startApp({ env: { ONECLAW_KEY_PROVIDER: "local" }, dataDir: local.dataDir, keepData: true }).catch((e) => e);
    expect(String(back)).toMatch(/root key does not match this database/);
  });

  it("refuses when there is no local master key to migrate from", async () => {
    const empty = fs.mkdtempSync(path.join(path.dirname(local.dataDir), "oneclaw-nokey-"));
    const r = await runCommand(["migrate-keys", "--to", "pkcs11"], { ...hsm, ONECLAW_DATA_DIR: empty });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^oneclaw: no local master key to migrate from/);
    expect(fs.existsSync(path.join(empty, "master.key"))).toBe(false);
    const usage = await runCommand(["migrate-keys", "--to", "cloudkms"], { ...hsm, ONECLAW_DATA_DIR: empty });
    expect(usage.stderr).toBe("oneclaw: usage: migrate-keys --to pkcs11\n");
    fs.rmSync(empty, { recursive: true, force: true });
  });
});

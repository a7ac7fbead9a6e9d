import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pkcs11KeyProvider } from "../../src/crypto/pkcs11-provider.js";
import { pkcs11Env, rawSql, startApp, type TestApp } from "../helpers.js";
import { randomBetween, runCommand } from "./run-command.js";

/** Every secret (all versions) the test wrote, to read back after each step. */
type Written = { token: string; vaultId: string; path: string; version: number; value: string };

async function readAll(t: TestApp, written: Written[]) {
  for (const w of written) {
    const r = await t.req("GET", `/v1/vaults/${w.vaultId}/secrets/${w.path}?version=${w.version}`, { token: w.token });
    expect(r.status, `${w.path} v${w.version}`).toBe(200);
    expect(r.body.value).toBe(w.value);
  }
}

describe("rotate-root-key on SoftHSM2", () => {
  const instance = `root-rotation-${Date.now()}`;
  const env = pkcs11Env(instance);
  let t: TestApp;
  const written: Written[] = [];

  beforeAll(async () => {
    t = await startApp({ env });
    for (let u = 0; u < 2; u++) {
      const { token } = await t.signup();
      for (let v = 0; v < 3; v++) {
        const vault = await t.req("POST", "/v1/vaults", { token, body: { name: `v${v}` } });
        for (let s = 0; s < 4; s++) {
          for (let version = 1; version <= 2; version++) {
            const value = `value-${u}-${v}-${s}-${version}`;
            const r = await t.req("PUT", `/v1/vaults/${vault.body.id}/secrets/app/s${s}`, { token, body: { value } });
            expect(r.status).toBe(201);
            written.push({ token, vaultId: vault.body.id, path: `app/s${s}`, version, value });
          }
        }
      }
    }
  });
  afterAll(async () => t?.destroy());

  it("survives an interruption, keeps the server serving, and leaves only the new root version", async () => {
    const cmdEnv = { ...env, ONECLAW_DATA_DIR: t.dataDir };
    const items = 6 + 3; // vault KEKs + server keys (at least root_check, jwt, pepper)
    const first = await runCommand(["rotate-root-key"], { ...cmdEnv, ONECLAW_KEYS_INTERRUPT_AFTER: String(randomBetween(1, items - 1)) });
    expect(first.code, first.stderr).toBe(75);
    const half = (await rawSql(t, "select wrapped_kek from vaults")).map((r: any) => Buffer.from(r.wrapped_kek).readUInt32BE(1));
    expect(half).toContain(2);
    // online: the running server still reads everything while the job is half done
    await readAll(t, written);

    const second = await runCommand(["rotate-root-key"], cmdEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resuming root job/);
    expect(second.stdout).toMatch(/root key rotated to version 2/);

    for (const r of await rawSql(t, "select wrapped_kek from vaults")) expect(Buffer.from(r.wrapped_kek).readUInt32BE(1)).toBe(2);
    for (const r of await rawSql(t, "select wrapped from server_keys")) expect(Buffer.from(r.wrapped).readUInt32BE(1)).toBe(2);
    const jobs = await rawSql(t, "select status, target_version from key_jobs where kind = 'root'");
    expect(jobs).toEqual([{ status: "completed", target_version: 2 }]);

    // the server that was running all along: cached handles keep working, and after losing
    // its HSM session it re-reads the re-wrapped vault keys (its copies name a destroyed root)
    await readAll(t, written);
    const p = t.ctx.keyring.provider as Pkcs11KeyProvider;
    expect(p.rootVersions()).toEqual([2]);
    p.p11.C_CloseSession(p.session!);
    await readAll(t, written);

    // a fresh server on the same data
    const t2 = await startApp({ env, dataDir: t.dataDir, keepData: true });
    try {
      await readAll(t2, written);
      const { token } = await t2.signup();
      const v = await t2.req("POST", "/v1/vaults", { token, body: { name: "after" } });
      expect((await t2.req("PUT", `/v1/vaults/${v.body.id}/secrets/x`, { token, body: { value: "new" } })).status).toBe(201);
      expect((await t2.req("GET", `/v1/vaults/${v.body.id}/secrets/x`, { token })).body.value).toBe("new");
      const actions = (await rawSql(t2, "select action from audit_events where action like 'key.root_rotation.%' order by seq")).map((r: any) => r.action);
      expect(actions).toEqual(["key.root_rotation.start", "key.root_rotation.complete"]);
    } finally {
      await t2.close();
    }
  });

  it("refuses with a clear line on the local provider", async () => {
    const r = await runCommand(["rotate-root-key"], { ONECLAW_DATA_DIR: t.dataDir + "-local", ONECLAW_KEY_PROVIDER: "local" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^oneclaw: rotate-root-key needs ONECLAW_KEY_PROVIDER=pkcs11/);
    fs.rmSync(t.dataDir + "-local", { recursive: true, force: true });
  });
});

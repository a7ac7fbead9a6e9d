import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pkcs11Env, rawSql, startApp, type TestApp } from "../helpers.js";
import { randomBetween, runCommand } from "./run-command.js";

describe.each([
  ["pkcs11", (i: string) => pkcs11Env(i)],
  ["local", (_i: string) => ({ ONECLAW_KEY_PROVIDER: "local" })],
] as const)("rotate-vault-key with the %s provider", (_name, providerEnv) => {
  const env = providerEnv(`vault-rotation-${Date.now()}`) as Record<string, string>;
  let t: TestApp;
  let token: string;
  let vaultId: string;
  let other: string;
  const values = new Map<string, string>();
  let shareId: string;
  let sharedValue: string;

  beforeAll(async () => {
    t = await startApp({ env });
    ({ token } = await t.signup());
    vaultId = (await t.req("POST", "/v1/vaults", { token, body: { name: "rotating" } })).body.id;
    other = (await t.req("POST", "/v1/vaults", { token, body: { name: "untouched" } })).body.id;
    // 150 secret versions: two batches of at most 100
    for (let i = 0; i < 75; i++) {
      for (let v = 1; v <= 2; v++) {
        const value = `v${v}-${i}-${"x".repeat(i % 7)}`;
        expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/k/${i}`, { token, body: { value } })).status).toBe(201);
        values.set(`k/${i}?version=${v}`, value);
      }
    }
    await t.req("PUT", `/v1/vaults/${other}/secrets/o`, { token, body: { value: "other" } });
  }, 120_000);
  afterAll(async () => t?.destroy());

  async function readAll(app: TestApp) {
    for (const [path, value] of values) {
      const r = await app.req("GET", `/v1/vaults/${vaultId}/secrets/${path}`, { token });
      expect(r.status, path).toBe(200);
      expect(r.body.value).toBe(value);
    }
    expect((await app.req("GET", `/v1/vaults/${other}/secrets/o`, { token })).body.value).toBe("other");
  }

  it("gives the vault a new KEK, re-wraps old DEKs in batches, and survives an interruption", async () => {
    const cmdEnv = { ...env, ONECLAW_DATA_DIR: t.dataDir };
    const stop = randomBetween(1, 149); // anywhere in either batch
    const first = await runCommand(["rotate-vault-key", vaultId], { ...cmdEnv, ONECLAW_KEYS_INTERRUPT_AFTER: String(stop) });
    expect(first.code, first.stderr).toBe(75);
    const mid = await rawSql(t, "select kek_version, count(*) as n from secret_versions group by kek_version order by kek_version");
    // whole batches only: the interrupted batch left its rows untouched
    expect(mid.find((r: any) => r.kek_version === 2)?.n ?? 0).toBe(Math.floor(stop / 100) * 100);
    // the running server (whose cached vault row still says version 1) reads every version
    await readAll(t);
    // a share link to a secret still under the old KEK opens through the version's own KEK
    const [pending] = await rawSql(t, "select s.id, s.path from secrets s join secret_versions v on v.secret_id = s.id and v.version = s.latest_version where s.vault_id = $1 and v.kek_version = 1 limit 1", [vaultId]);
    const share = await t.req("POST", `/v1/secrets/${pending.id}/share`, {
      token,
      body: { recipient_type: "anyone_with_link", expires_at: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(share.status).toBe(201);
    shareId = share.body.id;
    sharedValue = values.get(`${pending.path}?version=2`)!;
    expect((await t.req("GET", `/v1/share/${shareId}`)).body.value).toBe(sharedValue);
    // and keeps writing; those land under whichever KEK it holds and are picked up by the rerun
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/during`, { token, body: { value: "written mid-rotation" } })).status).toBe(201);
    values.set("during?version=1", "written mid-rotation");

    const second = await runCommand(["rotate-vault-key", vaultId], cmdEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resuming vault job/);
    const after = await rawSql(t, "select v.kek_version, count(*) as n from secret_versions v join secrets s on s.id = v.secret_id where s.vault_id = $1 group by v.kek_version", [vaultId]);
    expect(after).toEqual([{ kek_version: 2, n: 151 }]);
    expect(await rawSql(t, "select kek_version from vaults where id = $1", [vaultId])).toEqual([{ kek_version: 2 }]);
    expect(await rawSql(t, "select kek_version from vaults where id = $1", [other])).toEqual([{ kek_version: 1 }]);
    const old = await rawSql(t, "select version, retired_at from vault_keks where vault_id = $1", [vaultId]);
    expect(old.length).toBe(1);
    expect(old[0].retired_at).not.toBeNull();
    await readAll(t);
    // a share link made before the rotation still opens on the server that never saw it happen
    const shared = await t.req("GET", `/v1/share/${shareId}`);
    expect([shared.status, shared.body.value]).toEqual([200, sharedValue]);

    const t2 = await startApp({ env, dataDir: t.dataDir, keepData: true });
    try {
      await readAll(t2);
      const w = await t2.req("PUT", `/v1/vaults/${vaultId}/secrets/fresh`, { token, body: { value: "fresh" } });
      expect(w.status).toBe(201);
      expect(await rawSql(t2, "select v.kek_version from secret_versions v join secrets s on s.id = v.secret_id where s.path = 'fresh'")).toEqual([{ kek_version: 2 }]);
      const actions = (await rawSql(t2, "select action from audit_events where action like 'vault.kek_rotate%' order by seq")).map((r: any) => r.action);
      expect(actions).toEqual(["vault.kek_rotate", "vault.kek_rotate.complete"]);
    } finally {
      await t2.close();
    }
  }, 120_000);

  it("names the problem for an unknown vault or a missing argument", async () => {
    const cmdEnv = { ...env, ONECLAW_DATA_DIR: t.dataDir };
    const none = await runCommand(["rotate-vault-key", "00000000-0000-4000-8000-000000000000"], cmdEnv);
    expect([none.code, none.stderr]).toEqual([1, "oneclaw: no vault 00000000-0000-4000-8000-000000000000\n"]);
    const usage = await runCommand(["rotate-vault-key"], cmdEnv);
    expect([usage.code, usage.stderr]).toEqual([1, "oneclaw: usage: rotate-vault-key <vault-id> | --all\n"]);
  });
});

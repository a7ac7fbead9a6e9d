import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Pkcs11KeyProvider } from "../../src/crypto/pkcs11-provider.js";
import { pkcs11Env, startApp, type TestApp } from "../helpers.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/main.js");

/** Runs the built server and returns its exit code and output (or kills it once it listens). */
function runServer(env: Record<string, string>, dataDir: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN], {
      env: { PATH: process.env.PATH!, SOFTHSM2_CONF: process.env.SOFTHSM2_CONF!, ONECLAW_DATA_DIR: dataDir, ONECLAW_PORT: "0", LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("is listening on")) child.kill("SIGTERM");
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code, stderr, stdout }));
  });
}

describe("pkcs11 provider on SoftHSM2", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: pkcs11Env(`provider-${Date.now()}`) });
  });
  afterAll(async () => t?.destroy());

  async function vaultWithSecret() {
    const { token } = await t.signup();
    const v = await t.req("POST", "/v1/vaults", { token, body: { name: "hsm" } });
    expect(v.status).toBe(201);
    expect((await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/k`, { token, body: { value: "hsm-value" } })).status).toBe(201);
    return { token, vaultId: v.body.id as string };
  }

  it("reconnects after the session is closed under it", async () => {
    const { token, vaultId } = await vaultWithSecret();
    const p = t.ctx.keyring.provider as Pkcs11KeyProvider;
    const before = p.generation;
    p.p11.C_CloseSession(p.session!);
    const r = await t.req("GET", `/v1/vaults/${vaultId}/secrets/k`, { token });
    expect(r.status).toBe(200);
    expect(r.body.value).toBe("hsm-value");
    expect(p.generation).toBe(before + 1);
  });

  it("reconnects after the library is finalized under it, and health says connected", async () => {
    const { token, vaultId } = await vaultWithSecret();
    const p = t.ctx.keyring.provider as Pkcs11KeyProvider;
    p.p11.C_Finalize();
    const h = await t.req("GET", "/v1/health/hsm");
    expect(h.body).toMatchObject({ status: "ok", connected: true, hsm_provider: "pkcs11" });
    const r = await t.req("GET", `/v1/vaults/${vaultId}/secrets/k`, { token });
    expect(r.body.value).toBe("hsm-value");
    // new vaults (KEK generated and wrapped in the token) still work after the reconnect
    const again = await vaultWithSecret();
    expect((await t.req("GET", `/v1/vaults/${again.vaultId}/secrets/k`, { token: again.token })).body.value).toBe("hsm-value");
  });

  it("keeps the root key non-extractable and sensitive inside the token", async () => {
    const p = t.ctx.keyring.provider as Pkcs11KeyProvider;
    const pk = await import("pkcs11js");
    const lib = (pk as any).default ?? pk;
    const s = p.session!;
    p.p11.C_FindObjectsInit(s, [{ type: lib.CKA_LABEL, value: p.options.keyLabel }]);
    const [root] = p.p11.C_FindObjects(s, 1);
    p.p11.C_FindObjectsFinal(s);
    expect(root).toBeDefined();
    const attrs = p.p11.C_GetAttributeValue(s, root!, [{ type: lib.CKA_EXTRACTABLE }, { type: lib.CKA_SENSITIVE }, { type: lib.CKA_TOKEN }]);
    expect(attrs.map((a) => (a.value as Buffer)[0])).toEqual([0, 1, 1]);
    expect(() => p.p11.C_GetAttributeValue(s, root!, [{ type: lib.CKA_VALUE }])).toThrow(/CKR_ATTRIBUTE_SENSITIVE/);
    // the wrapped KEKs in the database are AES key wraps done by the token, tagged with the root version
    const rows = (await t.ctx.db.selectFrom("vaults").select("wrapped_kek").execute()) as { wrapped_kek: Buffer }[];
    for (const r of rows) expect([Buffer.from(r.wrapped_kek)[0], Buffer.from(r.wrapped_kek).length]).toEqual([0x4b, 45]);
  });
});

describe("start-up of the built server with pkcs11", () => {
  const base = () => pkcs11Env(`startup-${Math.random()}`);
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-p11-start-"));

  it("starts, and creates no master.key", async () => {
    const dir = tmp();
    const r = await runServer(base(), dir);
    expect(r.stdout).toContain("key provider: pkcs11");
    expect(fs.existsSync(path.join(dir, "master.key"))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ["a wrong PIN", { ONECLAW_PKCS11_PIN: "not-the-pin" }, /^oneclaw: cannot start: ONECLAW_PKCS11_PIN: token "oneclaw-test" rejected the PIN \(CKR_PIN_INCORRECT\)\n$/],
    ["a missing token", { ONECLAW_PKCS11_TOKEN_LABEL: "no-such-token" }, /^oneclaw: cannot start: ONECLAW_PKCS11_TOKEN_LABEL: no token labelled "no-such-token" in .*libsofthsm2\.so\n$/],
    ["a missing module", { ONECLAW_PKCS11_MODULE: "/nonexistent/libpkcs11.so" }, /^oneclaw: cannot start: ONECLAW_PKCS11_MODULE: cannot load PKCS#11 module \/nonexistent\/libpkcs11\.so: [^\n]+\n$/],
    ["a missing module variable", { ONECLAW_PKCS11_MODULE: "" }, /^oneclaw: invalid configuration: ONECLAW_PKCS11_MODULE: is required when ONECLAW_KEY_PROVIDER=pkcs11\n$/],
    ["a missing PIN", { ONECLAW_PKCS11_PIN: "" }, /^oneclaw: invalid configuration: ONECLAW_PKCS11_PIN: is required/],
    ["an unreadable PIN file", { ONECLAW_PKCS11_PIN: "", ONECLAW_PKCS11_PIN_FILE: "/nonexistent/pin" }, /^oneclaw: invalid configuration: ONECLAW_PKCS11_PIN_FILE: cannot read \/nonexistent\/pin: ENOENT\n$/],
  ])("refuses to start with %s, in one clear line", async (_name, override, expected) => {
    const dir = tmp();
    const r = await runServer({ ...base(), ...override }, dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(expected);
    expect(fs.existsSync(path.join(dir, "master.key"))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("reads the PIN from ONECLAW_PKCS11_PIN_FILE", async () => {
    const dir = tmp();
    const env = base();
    fs.writeFileSync(path.join(dir, "pin"), env.ONECLAW_PKCS11_PIN + "\n", { mode: 0o600 });
    const r = await runServer({ ...env, ONECLAW_PKCS11_PIN: "", ONECLAW_PKCS11_PIN_FILE: path.join(dir, "pin") }, dir);
    expect(r.stdout).toContain("key provider: pkcs11");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

#!/usr/bin/env node
// In-process comparison of the key providers on the read path, without HTTP or load noise:
// `node scripts/bench/key-providers.mjs` (after `npm run build`; needs softhsm2-util).
// Measures the envelope open of one secret (KEK lookup + DEK unwrap + AES-GCM) and a whole
// sequential GET through the app, for local and for pkcs11 on a throwaway SoftHSM2 token.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildApp } from "../../packages/server/dist/app.js";
import { loadConfig } from "../../packages/server/dist/config.js";
import { openSecret, secretAad } from "../../packages/server/dist/crypto/envelope.js";

const MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-keybench-"));
fs.mkdirSync(path.join(tmp, "tokens"));
process.env.SOFTHSM2_CONF = path.join(tmp, "softhsm2.conf");
fs.writeFileSync(process.env.SOFTHSM2_CONF, `directories.tokendir = ${tmp}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`);
execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "keybench", "--pin", "1234", "--so-pin", "5678"], { stdio: "ignore" });
const UNTHROTTLED = { ONECLAW_RATE_LIMIT_RPS: "1000000", ONECLAW_RATE_LIMIT_BURST: "1000000" };

async function measure(env) {
  const dataDir = fs.mkdtempSync(path.join(tmp, "data-"));
  const built = await buildApp({ config: loadConfig({ ...UNTHROTTLED, ...env, ONECLAW_DATA_DIR: dataDir, LOG_LEVEL: "warn" }), logger: false });
  const req = (method, url, body, token) => built.app.inject({ method, url, payload: body, headers: token ? { authorization: `Bearer ${token}` } : {} });
  const { access_token: token } = JSON.parse((await req("POST", "/v1/auth/signup", { email: "k@example.com", password: "Bench-Passw0rd-Long!" })).body);
  const { id } = JSON.parse((await req("POST", "/v1/vaults", { name: "k" }, token)).body);
  await req("PUT", `/v1/vaults/${id}/secrets/k`, { value: "sk-bench-" + "x".repeat(40) }, token);
  const vault = await built.services.vaults.find(id);
  const row = await built.services.secrets.store.find(id, "k");
  const aad = secretAad(id, "k", row.version);
  const N = 20_000;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const kek = await built.services.secrets.kekFor(vault, row.kek_version);
    (await openSecret(kek, { ciphertext: row.ciphertext, iv: row.iv, wrappedDek: row.wrapped_dek }, aad)).fill(0);
  }
  const open = ((performance.now() - t0) / N) * 1000;
  const M = 2_000;
  t0 = performance.now();
  for (let i = 0; i < M; i++) await req("GET", `/v1/vaults/${id}/secrets/k`, undefined, token);
  const get = (performance.now() - t0) / M;
  await built.close();
  return { open, get };
}

const local = await measure({});
const hsm = await measure({
  ONECLAW_KEY_PROVIDER: "pkcs11",
  ONECLAW_PKCS11_MODULE: MODULES.find((m) => fs.existsSync(m)),
  ONECLAW_PKCS11_TOKEN_LABEL: "keybench",
  ONECLAW_PKCS11_PIN: "1234",
});
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`envelope open (KEK lookup + DEK unwrap + AES-GCM): local ${local.open.toFixed(1)} µs, pkcs11 ${hsm.open.toFixed(1)} µs`);
console.log(`sequential GET through the app (incl. audit commit): local ${local.get.toFixed(2)} ms, pkcs11 ${hsm.get.toFixed(2)} ms`);
console.log(`pkcs11/local rate: open ${(local.open / hsm.open).toFixed(2)}, GET ${(local.get / hsm.get).toFixed(2)}`);

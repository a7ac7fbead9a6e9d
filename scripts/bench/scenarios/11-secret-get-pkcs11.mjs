// The hot path with the root of trust in an HSM: the same secret read as scenario 10, with
// ONECLAW_KEY_PROVIDER=pkcs11 on a throwaway SoftHSM2 token. The vault KEK is an HSM session
// object (cached handle); each read unwraps the DEK inside the token.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"];

function throwawayToken() {
  const module = MODULES.find((m) => fs.existsSync(m));
  if (!module) throw new Error("the pkcs11 bench scenario needs SoftHSM2 (apt-get install softhsm2)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-bench-hsm-"));
  fs.mkdirSync(path.join(dir, "tokens"));
  const conf = path.join(dir, "softhsm2.conf");
  fs.writeFileSync(conf, `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\nlog.level = ERROR\n`);
  execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "oneclaw-bench", "--pin", "bench-pin", "--so-pin", "bench-so-pin"], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: "ignore",
  });
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return { conf, module };
}

const token = throwawayToken();

export default {
  name: "secret GET, human bearer token, pkcs11 (SoftHSM2)",
  order: 11,
  env: {
    SOFTHSM2_CONF: token.conf,
    ONECLAW_KEY_PROVIDER: "pkcs11",
    ONECLAW_PKCS11_MODULE: token.module,
    ONECLAW_PKCS11_TOKEN_LABEL: "oneclaw-bench",
    ONECLAW_PKCS11_PIN: "bench-pin",
    ONECLAW_PKCS11_KEY_LABEL: "oneclaw-bench-root",
  },
  async setup({ api, signup }) {
    const { token } = await signup();
    const vault = await api("POST", "/v1/vaults", { name: "bench-hsm" }, token);
    await api("PUT", `/v1/vaults/${vault.id}/secrets/bench/api-key`, { value: "sk-bench-" + "x".repeat(40), type: "api_key" }, token);
    return { method: "GET", path: `/v1/vaults/${vault.id}/secrets/bench/api-key`, headers: { authorization: `Bearer ${token}` } };
  },
};

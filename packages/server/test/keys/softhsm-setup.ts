import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";

export interface SoftHsmToken {
  conf: string;
  module: string;
  token: string;
  pin: string;
  soPin: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    softhsm: SoftHsmToken;
  }
}

const MODULE_CANDIDATES = [
  "/usr/lib/softhsm/libsofthsm2.so",
  "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
  "/usr/local/lib/softhsm/libsofthsm2.so",
];

/** A throwaway SoftHSM2 token per test run, under its own SOFTHSM2_CONF (never the system token dir). */
export default function setup(project: TestProject) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-softhsm-"));
  const tokens = path.join(dir, "tokens");
  fs.mkdirSync(tokens);
  const conf = path.join(dir, "softhsm2.conf");
  fs.writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const module = process.env.ONECLAW_TEST_PKCS11_MODULE ?? MODULE_CANDIDATES.find((m) => fs.existsSync(m));
  if (!module) throw new Error(`libsofthsm2.so not found in ${MODULE_CANDIDATES.join(", ")}; install softhsm2`);
  const token: SoftHsmToken = { conf, module, token: "oneclaw-test", pin: "4711-test-pin", soPin: "so-0815-pin" };
  execFileSync("softhsm2-util", ["--init-token", "--free", "--label", token.token, "--pin", token.pin, "--so-pin", token.soPin], {
    env: { ...process.env, SOFTHSM2_CONF: conf },
    stdio: "pipe",
  });
  project.provide("softhsm", token);
  return () => fs.rmSync(dir, { recursive: true, force: true });
}

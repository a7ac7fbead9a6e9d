import fs from "node:fs";
import net from "node:net";
import { defineConfig } from "vitest/config";

/** Whether a TCP service answers; suites that need it run only then (or always with ONECLAW_TEST_ALL=1). */
function reachable(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    s.setTimeout(500);
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
    s.once("timeout", () => (s.destroy(), resolve(false)));
  });
}

/** Whether an executable is on PATH (the pkcs11 suite needs softhsm2-util). */
async function hasCommand(name: string): Promise<boolean> {
  const { execFileSync } = await import("node:child_process");
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export default defineConfig(async () => {
  const all = process.env.ONECLAW_TEST_ALL === "1";
  const postgres = all || (await reachable(5432));
  const serverTests = ["packages/server/test/api/**/*.test.ts"];
  const projects: any[] = [
    {
      extends: true,
      test: { name: "server:sqlite", include: serverTests, env: { ONECLAW_TEST_DB: "sqlite" } },
    },
    {
      extends: true,
      test: { name: "unit", include: ["packages/*/test/unit/**/*.test.ts"] },
    },
    {
      extends: true,
      test: { name: "sdk-cli", include: ["packages/sdk/test/**/*.test.ts", "packages/cli/test/**/*.test.ts"], env: { ONECLAW_TEST_DB: "sqlite" } },
    },
  ];
  // Start-up, configuration, signals: the built server as a process, once, not per dialect.
  projects.push({
    extends: true,
    test: { name: "server:process", include: ["packages/server/test/process/**/*.test.ts"], exclude: postgres ? [] : ["**/*.pg.test.ts"] },
  });
  if (postgres) {
    projects.push({
      extends: true,
      test: {
        name: "server:postgres",
        include: serverTests,
        env: { ONECLAW_TEST_DB: "postgres", ONECLAW_TEST_PG_URL: process.env.ONECLAW_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
      },
    });
  }
  const softhsm = all || (await hasCommand("softhsm2-util"));
  if (softhsm) {
    projects.push({
      extends: true,
      test: {
        name: "server:pkcs11",
        include: [...serverTests, "packages/server/test/keys/**/*.test.ts"],
        globalSetup: ["packages/server/test/keys/softhsm-setup.ts"],
        env: { ONECLAW_TEST_DB: "sqlite", ONECLAW_TEST_KEYS: "pkcs11" },
      },
    });
  }
  // The device-login approval page in a real browser (Debian's chromium through playwright-core).
  if (all || fs.existsSync(process.env.ONECLAW_CHROMIUM ?? "/usr/bin/chromium")) {
    projects.push({ extends: true, test: { name: "browser", include: ["packages/server/test/browser/**/*.test.ts"], env: { ONECLAW_TEST_DB: "sqlite" } } });
  }
  return {
    test: {
      projects,
      testTimeout: 30_000,
      hookTimeout: 60_000,
    },
  };
});

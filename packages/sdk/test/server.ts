import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net, { type AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startApp, type TestApp } from "../../server/test/helpers.js";

export { STRONG_PASSWORD } from "../../server/test/helpers.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** The real Vault API on a real loopback socket (fresh SQLite database and data dir). */
export async function startServer(env: Record<string, string> = {}): Promise<{ t: TestApp; baseUrl: string }> {
  const t = await startApp({ env });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = t.app.server.address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export async function waitForHealth(baseUrl: string, child: ChildProcess, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/v1/health`)).ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not become healthy");
}

/**
 * The built server as its own process (its clock and state apart from the test's), with a fresh
 * data dir. `command` runs something else that starts it, e.g. the CLI's `server start`.
 */
export async function spawnServer(command: string[] = [path.join(ROOT, "packages/server/dist/main.js")], env: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-proc-"));
  const port = await freePort();
  let output = "";
  const child = spawn(process.execPath, command, {
    env: {
      PATH: process.env.PATH,
      ONECLAW_DATA_DIR: dataDir,
      ONECLAW_PORT: String(port),
      ONECLAW_HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      ONECLAW_AUTH_RATE_LIMIT_RPS: "1000",
      ONECLAW_AUTH_RATE_LIMIT_BURST: "1000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(baseUrl, child);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n${output}`);
  }
  return {
    baseUrl,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await closed;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function signup(baseUrl: string, email = `u${Date.now()}${Math.random().toString(16).slice(2, 6)}@example.com`) {
  const r = await fetch(`${baseUrl}/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: "Correct-Horse-8attery!" }),
  });
  if (r.status !== 200) throw new Error(`signup ${r.status}: ${await r.text()}`);
  return { email, token: (await r.json()).access_token as string };
}

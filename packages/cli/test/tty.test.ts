import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BIN, cli, tempHome } from "./cli.js";

// Terminal behaviour (colour, spinner) depends only on the client and on timing, so a local
// stand-in that answers slowly is enough here; everything else is tested against the real server.
let stand: http.Server;
let base: string;
beforeAll(async () => {
  stand = http.createServer((_req, res) => {
    setTimeout(() => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ vaults: [{ id: "00000000-0000-4000-8000-000000000001", name: "slow", created_at: "2026-01-01T00:00:00Z" }] }));
    }, 700);
  });
  await new Promise<void>((r) => stand.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(stand.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => stand.close(r)));

/** Runs the CLI under a pseudo-terminal (util-linux `script`), returning everything the terminal showed. */
function underTty(args: string[], env: Record<string, string>): Promise<string> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], { env: { PATH: process.env.PATH, TERM: "xterm", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stdin.end();
  return new Promise((resolve) => child.on("close", () => resolve(out)));
}

it("on a terminal: bold table header and a spinner during a slow call", async () => {
  const out = await underTty(["vault", "list"], { ...tempHome().env, ONECLAW_API_URL: base, ONECLAW_TOKEN: "t" });
  expect(out).toContain("\x1b[1mID");
  expect(out).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Loading vaults/);
  expect(out).toContain("slow");
});

it("NO_COLOR turns colour off even on a terminal", async () => {
  const out = await underTty(["vault", "list"], { ...tempHome().env, ONECLAW_API_URL: base, ONECLAW_TOKEN: "t", NO_COLOR: "1" });
  expect(out).not.toContain("\x1b[1m");
  expect(out).toContain("slow");
});

it("off a terminal: no colour and no spinner", async () => {
  const r = await cli(["vault", "list"], { env: { ...tempHome().env, ONECLAW_API_URL: base, ONECLAW_TOKEN: "t" } });
  expect(r.code).toBe(0);
  expect(r.stdout + r.stderr).not.toContain("\x1b[");
  expect(r.stderr).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
});

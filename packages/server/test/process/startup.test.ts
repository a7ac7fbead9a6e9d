/**
 * Process-level behaviour: the built `node packages/server/dist/main.js` as an operator runs it.
 * Runs once (vitest project "server:process"), not per dialect.
 */
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { STRONG_PASSWORD } from "../helpers.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/main.js");
const tmpDirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmpDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-proc-"));
  tmpDirs.push(d);
  return d;
}

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", ONECLAW_PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function start(env: Record<string, string>): Promise<Running> {
  const p = run(env);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const m = /listening on (http:\/\/\S+)/.exec(p.stdout());
    if (m) return { ...p, url: m[1] };
    if (p.child.exitCode !== null) throw new Error(`server exited ${p.child.exitCode}: ${p.stderr()}`);
    if (Date.now() > deadline) throw new Error(`server did not start: ${p.stdout()} ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function api(url: string, method: string, p: string, body?: unknown, token?: string) {
  const res = await fetch(url + p, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe("configuration", () => {
  it.each([
    ["ONECLAW_PORT", "eighty"],
    ["ONECLAW_PORT", "70000"],
    ["LOG_LEVEL", "loud"],
    ["ONECLAW_MASTER_KEY", "too-short"],
    ["DATABASE_URL", "mysql://db/x"],
    ["ONECLAW_REQUIRE_EMAIL_VERIFICATION", "maybe"],
    ["ONECLAW_SMTP_URL", "http://mail"],
    ["ONECLAW_PUBLIC_URL", "not a url"],
    ["ONECLAW_KEY_PROVIDER", "vault"],
    ["ONECLAW_AUDIT_FLUSH_MS", "-1"],
    ["ONECLAW_HEADERS_TIMEOUT_MS", "999999"],
    ["ONECLAW_CORS_ORIGINS", "*"],
    ["ONECLAW_CORS_ORIGINS", "https://app.example/path"],
    ["ONECLAW_TRUSTED_PROXIES", "10.0.0.0/33"],
    ["ONECLAW_TRUSTED_PROXIES", "proxy.local"],
    ["ONECLAW_USER_TOKEN_TTL", "5"],
  ])("%s=%s stops start-up with one line naming the variable", async (name, value) => {
    const p = run({ ONECLAW_DATA_DIR: tmpDir(), [name]: value });
    expect(await p.exited).toBe(2);
    const lines = p.stderr().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^oneclaw: invalid configuration: ${name}: `));
    expect(p.stdout()).toBe("");
  });
});

describe("start-up", () => {
  it("serves with SQLite and a generated root key in the data dir, and prints the URL and first-account command", async () => {
    const dir = tmpDir();
    const s = await start({ ONECLAW_DATA_DIR: dir });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(s.stdout()).toContain(`${s.url}/v1/auth/signup`);
      expect(s.stdout()).toContain("platform admin");
      expect(fs.statSync(path.join(dir, "master.key")).mode & 0o777).toBe(0o600);
      expect(fs.existsSync(path.join(dir, "oneclaw.db"))).toBe(true);
      const h = await api(s.url, "GET", "/v1/health");
      expect(h.body.status).toBe("ok");
    } finally {
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
  });

  it("refuses to start with a wrong root key", async () => {
    const dir = tmpDir();
    const key = crypto.randomBytes(32).toString("hex");
    const first = await start({ ONECLAW_DATA_DIR: dir, ONECLAW_MASTER_KEY: key });
    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);
    const p = run({ ONECLAW_DATA_DIR: dir, ONECLAW_MASTER_KEY: crypto.randomBytes(32).toString("hex") });
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/^oneclaw: cannot start: the root key does not match this database/);
    const again = await start({ ONECLAW_DATA_DIR: dir, ONECLAW_MASTER_KEY: key });
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });
});

describe("shutdown", () => {
  it("SIGTERM lets an in-flight request finish, flushes its audit event, closes the database and exits 0", async () => {
    const dir = tmpDir();
    const s = await start({ ONECLAW_DATA_DIR: dir });
    const signup = await api(s.url, "POST", "/v1/auth/signup", { email: "drain@example.com", password: STRONG_PASSWORD });
    const token = signup.body.access_token;
    const vault = (await api(s.url, "POST", "/v1/vaults", { name: "drain" }, token)).body.id;

    const u = new URL(s.url);
    const body = JSON.stringify({ value: "written-during-shutdown" });
    const sock = net.connect(Number(u.port), u.hostname);
    let response = "";
    sock.on("data", (d) => (response += d));
    const closed = new Promise((r) => sock.on("close", r));
    await new Promise((r) => sock.once("connect", r));
    sock.write(
      `PUT /v1/vaults/${vault}/secrets/drained HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n` +
        body.slice(0, 5),
    );
    await new Promise((r) => setTimeout(r, 150));
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    expect(s.child.exitCode).toBeNull(); // still draining
    sock.write(body.slice(5));
    await closed;
    expect(response).toMatch(/^HTTP\/1.1 201/);
    expect(await s.exited).toBe(0);
    expect(s.stdout() + s.stderr()).toContain("shutting down");
    // The SQLite WAL was checkpointed and the file closed cleanly.
    expect(fs.existsSync(path.join(dir, "oneclaw.db-wal"))).toBe(false);

    const again = await start({ ONECLAW_DATA_DIR: dir });
    try {
      const login = await api(again.url, "POST", "/v1/auth/token", { email: "drain@example.com", password: STRONG_PASSWORD });
      const read = await api(again.url, "GET", `/v1/vaults/${vault}/secrets/drained`, undefined, login.body.access_token);
      expect(read.body.value).toBe("written-during-shutdown");
      const events = await api(again.url, "GET", "/v1/audit/events?action=secret.write", undefined, login.body.access_token);
      expect(events.body.count).toBe(1);
      expect((await api(again.url, "GET", "/v1/audit/verify", undefined, login.body.access_token)).body.valid).toBe(true);
    } finally {
      again.child.kill("SIGINT");
      expect(await again.exited).toBe(0);
    }
  });
});

describe("storage", () => {
  it("SQLite runs in WAL mode with synchronous=FULL and a busy timeout", async () => {
    const config = loadConfig({ ONECLAW_DATA_DIR: tmpDir(), LOG_LEVEL: "silent" });
    const a = await buildApp({ config });
    try {
      const one = async (q: string) => Object.values((await sql.raw(q).execute(a.ctx.db)).rows[0] as object)[0];
      expect(await one("pragma journal_mode")).toBe("wal");
      expect(await one("pragma synchronous")).toBe(2);
      expect(Number(await one("pragma busy_timeout"))).toBeGreaterThanOrEqual(1000);
    } finally {
      await a.close();
    }
  });
});

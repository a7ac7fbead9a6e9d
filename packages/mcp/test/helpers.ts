import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "../../..");
export const SERVER_MAIN = path.join(ROOT, "packages/server/dist/main.js");
export const MCP_BIN = path.join(ROOT, "packages/mcp/dist/bin.js");
export const PASSWORD = "Correct-Horse-8attery!";

export interface Proc {
  url: string;
  output: () => string;
  /** Waits until the process has printed `text` (its pipes are read asynchronously). */
  waitFor(text: string, ms?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Spawns a process and waits until it prints a line matching `ready` (group 1 = URL). */
function spawnUntil(cmd: string, args: string[], env: Record<string, string>, ready: RegExp, cleanup?: () => void): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let done = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m && !done) {
        done = true;
        resolve({
          url: m[1],
          output: () => out,
          waitFor: async (text, ms = 5000) => {
            const until = Date.now() + ms;
            while (!out.includes(text) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
            if (!out.includes(text)) throw new Error(`process never printed '${text}'`);
            return out;
          },
          stop: () =>
            new Promise<void>((res) => {
              if (child.exitCode !== null) return (cleanup?.(), res());
              child.once("exit", () => (cleanup?.(), res()));
              child.kill("SIGTERM");
            }),
        });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => !done && reject(new Error(`${cmd} exited with ${code}: ${out}`)));
    setTimeout(() => !done && (child.kill(), reject(new Error(`timeout starting ${args.join(" ")}: ${out}`))), 40_000);
  });
}

/** The real Vault API server process on a free port, SQLite in a fresh data dir. */
export async function startVaultServer(env: Record<string, string> = {}): Promise<Proc> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-mcp-test-"));
  return spawnUntil(
    process.execPath,
    [SERVER_MAIN],
    { ONECLAW_DATA_DIR: dataDir, ONECLAW_PORT: "0", ONECLAW_HOST: "127.0.0.1", LOG_LEVEL: "info", DATABASE_URL: "", ...env },
    /listening on (http:\/\/\S+)/,
    () => fs.rmSync(dataDir, { recursive: true, force: true }),
  );
}

/** The MCP bin as a standalone Streamable HTTP server. */
export function startStandaloneMcp(baseUrl: string, env: Record<string, string> = {}): Promise<Proc> {
  return spawnUntil(process.execPath, [MCP_BIN], { MCP_TRANSPORT: "httpStream", PORT: "0", ONECLAW_BASE_URL: baseUrl, ...env }, /"url":"(http:\/\/[^"]+)\/mcp"/);
}

export async function api<T = any>(base: string, method: string, url: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(base + url, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function signup(base: string) {
  const email = `u${crypto.randomBytes(5).toString("hex")}@example.com`;
  const r = await api(base, "POST", "/v1/auth/signup", { body: { email, password: PASSWORD } });
  if (r.status !== 200) throw new Error(`signup ${r.status} ${JSON.stringify(r.body)}`);
  return { token: r.body.access_token as string, email };
}

export async function expectOk<T = any>(p: Promise<{ status: number; body: T }>, status = 200): Promise<T> {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A stand-in for a third-party API (the one fake the bar allows): records what it receives. */
export interface Upstream {
  url: string;
  port: number;
  received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

export function startUpstream(handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void): Promise<Upstream> {
  const received: Upstream["received"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(req, body, res);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      resolve({ url: `http://127.0.0.1:${port}`, port, received, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

/** A real MCP client over Streamable HTTP that also keeps every raw response body it received. */
export async function httpClient(mcpUrl: string, headers: Record<string, string>) {
  const raw: string[] = [];
  const pending: Array<Promise<unknown>> = [];
  const recordingFetch = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    // GET opens the long-lived server-to-client stream; only POST answers carry tool results.
    if (res.body && init?.method === "POST") pending.push(res.clone().text().then((t) => raw.push(t), () => undefined));
    return res;
  };
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers }, fetch: recordingFetch });
  const client = new Client({ name: "oneclaw-test", version: "1.0.0" });
  await client.connect(transport);
  /** Every raw HTTP response body (JSON-RPC over SSE or JSON) received so far, exactly as sent. */
  const rawText = async () => (await Promise.all(pending), raw.join("\n"));
  return { client, transport, rawText, close: () => client.close() };
}

/** A real MCP client that spawns the built bin over stdio and keeps every raw JSON-RPC message it received. */
export async function stdioClient(env: Record<string, string>) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [MCP_BIN], env: { PATH: process.env.PATH ?? "", ...env }, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new Client({ name: "oneclaw-test", version: "1.0.0" });
  await client.connect(transport);
  const raw: string[] = [];
  const deliver = transport.onmessage!;
  transport.onmessage = (m) => {
    raw.push(JSON.stringify(m));
    deliver(m);
  };
  return { client, rawText: async () => raw.join("\n"), stderr: () => stderr, close: () => client.close() };
}

export const textOf = (r: any): string => (r.content ?? []).map((c: any) => c.text ?? "").join("\n");

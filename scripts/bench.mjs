#!/usr/bin/env node
/**
 * `npm run bench`: the bare Fastify route and every scenario in scripts/bench/scenarios/*.mjs,
 * each driven by autocannon against a server in its own process, in one run on one machine.
 *
 * A scenario module exports default { name, order?, env?, setup(ctx) }:
 *   env    extra environment for the oneclaw server it runs against (e.g. ONECLAW_KEY_PROVIDER);
 *          scenarios with the same env share one server.
 *   setup  async ({ url, api, signup }) => autocannon options (method, path, headers, body,
 *          or requests[] with setupRequest) for the measured run.
 * Environment: BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 50), BENCH_ONLY (substring).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import autocannon from "autocannon";

const here = path.dirname(fileURLToPath(import.meta.url));
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ONLY = process.env.BENCH_ONLY;

function startServer(script, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "bench", script)], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /^LISTENING (\S+)$/m.exec(out);
      if (m) resolve({ url: m[1], stop: () => new Promise((r) => (child.once("exit", r), child.kill("SIGTERM"))) });
    });
    child.once("exit", (code) => reject(new Error(`${script} exited ${code}: ${out}`)));
  });
}

function makeApi(url) {
  const api = async (method, p, body, token) => {
    const res = await fetch(url + p, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${p} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  let n = 0;
  const signup = async () => {
    const email = `bench${Date.now()}-${n++}@example.com`;
    const r = await api("POST", "/v1/auth/signup", { email, password: "Bench-Passw0rd-Long!" });
    return { token: r.access_token, email };
  };
  return { api, signup };
}

function measure(url, { path: p, ...opts } = {}) {
  return new Promise((resolve, reject) => {
    const inst = autocannon({ url: p ? url + p : url, connections: CONNECTIONS, duration: DURATION, pipelining: 1, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
    autocannon.track(inst, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const rows = [];
function report(name, res) {
  const non2xx = res.non2xx + res.errors + res.timeouts;
  const row = { name, rps: Math.round(res.requests.average), p50: res.latency.p50, p99: res.latency.p99, total: res.requests.total, non2xx };
  rows.push(row);
  console.log(`${name.padEnd(44)} ${String(row.rps).padStart(8)} req/s   p50 ${String(row.p50).padStart(4)} ms   p99 ${String(row.p99).padStart(4)} ms   (${row.total} requests, ${non2xx} non-2xx/errors)`);
}

console.log(`oneclaw bench: ${os.cpus().length}× ${os.cpus()[0]?.model ?? "cpu"}, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`${CONNECTIONS} connections, ${DURATION} s per scenario\n`);

const bare = await startServer("bare-server.mjs");
report("bare Fastify route", await measure(bare.url + "/bare"));
await bare.stop();

const scenarioDir = path.join(here, "bench", "scenarios");
const scenarios = [];
for (const f of fs.readdirSync(scenarioDir).filter((f) => f.endsWith(".mjs")).sort()) {
  const mod = (await import(pathToFileURL(path.join(scenarioDir, f)).href)).default;
  if (!ONLY || mod.name.includes(ONLY)) scenarios.push({ file: f, order: 100, env: {}, ...mod });
}
scenarios.sort((a, b) => a.order - b.order || a.file.localeCompare(b.file));

const groups = new Map();
for (const s of scenarios) {
  const key = JSON.stringify(s.env);
  if (!groups.has(key)) groups.set(key, []);
  groups.get(key).push(s);
}
for (const [envKey, list] of groups) {
  const server = await startServer("oneclaw-server.mjs", JSON.parse(envKey));
  try {
    const { api, signup } = makeApi(server.url);
    for (const s of list) {
      const opts = await s.setup({ url: server.url, api, signup });
      report(s.name, await measure(server.url, opts));
    }
  } finally {
    await server.stop();
  }
}

const bareRps = rows[0].rps;
const read = rows.find((r) => /secret GET/.test(r.name));
const pgRead = rows.find((r) => /secret GET.*PostgreSQL/.test(r.name));
console.log("");
if (read) console.log(`read/bare ratio (SQLite): ${(read.rps / bareRps).toFixed(2)}  (target ≥ 0.50, read p99 ${read.p99} ms, target ≤ 10 ms)`);
if (pgRead) console.log(`read/bare ratio (PostgreSQL): ${(pgRead.rps / bareRps).toFixed(2)}  (read p99 ${pgRead.p99} ms)`);
const puts = rows.find((r) => /secret PUT/.test(r.name) && !/PostgreSQL/.test(r.name));
if (puts) console.log(`durable PUTs (SQLite): ${puts.rps}/s  (target ≥ 2000/s)`);
for (const r of rows.filter((r) => /agent token/.test(r.name))) console.log(`agent read/bare ratio: ${(r.rps / bareRps).toFixed(2)}  (${r.name}; target ≥ 0.50, p99 ${r.p99} ms)`);
if (rows.some((r) => r.non2xx > 0)) {
  console.log("\nsome scenarios had non-2xx responses or errors; see above");
  process.exitCode = 1;
}
const hsmRead = rows.find((r) => /secret GET.*pkcs11/.test(r.name));
if (read && hsmRead) console.log(`pkcs11/local read ratio: ${(hsmRead.rps / read.rps).toFixed(2)}  (target ≥ 0.50, pkcs11 read p99 ${hsmRead.p99} ms)`);

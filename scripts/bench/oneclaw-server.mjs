// The real oneclaw app (built dist) in a fresh data dir — SQLite, or a fresh schema when DATABASE_URL
// is postgres:// — logging at the default level (info: one line per request) to a file.
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import pino from "pino";
import { buildApp, LOG_REDACT } from "../../packages/server/dist/app.js";
import { loadConfig } from "../../packages/server/dist/config.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-bench-"));
// The load generator is one client IP far above the per-IP limits: the limiter still runs on
// every request (its cost is measured) but with limits it cannot reach; the environment may override.
const UNREACHABLE_LIMITS = { ONECLAW_RATE_LIMIT_RPS: "1000000", ONECLAW_RATE_LIMIT_BURST: "10000000", ONECLAW_AUTH_RATE_LIMIT_RPS: "1000000", ONECLAW_AUTH_RATE_LIMIT_BURST: "10000000" };
const config = loadConfig({ ...UNREACHABLE_LIMITS, ...process.env, ONECLAW_DATA_DIR: dataDir, ONECLAW_PORT: "0" });
const pgSchema = config.dialect === "postgres" ? `bench_${crypto.randomBytes(4).toString("hex")}` : undefined;
const stream = pino.destination({ dest: path.join(dataDir, "server.log"), sync: false });
const built = await buildApp({ config, pgSchema, logger: { level: config.logLevel, redact: LOG_REDACT, stream } });
const url = await built.app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`LISTENING ${url}\n`);
process.on("SIGTERM", async () => {
  await built.close();
  stream.flushSync();
  if (pgSchema) {
    const c = new pg.Client({ connectionString: config.databaseUrl });
    await c.connect();
    await c.query(`drop schema if exists "${pgSchema}" cascade`);
    await c.end();
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});

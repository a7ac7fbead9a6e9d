// The real oneclaw app (built dist) on SQLite in a fresh data dir, logging at the default level
// (info: one line per request and per response) to a file, as a production node would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { buildApp, LOG_REDACT } from "../../packages/server/dist/app.js";
import { loadConfig } from "../../packages/server/dist/config.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-bench-"));
// The load generator is one client IP far above the per-IP limits: the limiter still runs on
// every request (its cost is measured) but with limits it cannot reach; the environment may override.
const UNREACHABLE_LIMITS = { ONECLAW_RATE_LIMIT_RPS: "1000000", ONECLAW_RATE_LIMIT_BURST: "10000000", ONECLAW_AUTH_RATE_LIMIT_RPS: "1000000", ONECLAW_AUTH_RATE_LIMIT_BURST: "10000000" };
const config = loadConfig({ ...UNREACHABLE_LIMITS, ...process.env, ONECLAW_DATA_DIR: dataDir, ONECLAW_PORT: "0" });
const stream = pino.destination({ dest: path.join(dataDir, "server.log"), sync: false });
const built = await buildApp({ config, logger: { level: config.logLevel, redact: LOG_REDACT, stream } });
const url = await built.app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`LISTENING ${url}\n`);
process.on("SIGTERM", async () => {
  await built.close();
  stream.flushSync();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});

// The real oneclaw app (built dist), on SQLite in a fresh data dir, logging at warn like a busy production node.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildApp } from "../../packages/server/dist/app.js";
import { loadConfig } from "../../packages/server/dist/config.js";

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-bench-"));
const config = loadConfig({ ...process.env, ONECLAW_DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", ONECLAW_PORT: "0" });
const built = await buildApp({ config });
const url = await built.app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`LISTENING ${url}\n`);
process.on("SIGTERM", async () => {
  await built.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});

#!/usr/bin/env node
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`oneclaw: invalid configuration: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  let built;
  try {
    built = await buildApp({ config });
  } catch (e) {
    process.stderr.write(`oneclaw: cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const { app, close } = built;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down: draining requests, flushing audit, closing database");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (e) {
    process.stderr.write(`oneclaw: cannot listen on ${config.host}:${config.port}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const url = `${config.tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  process.stdout.write(
    `\noneclaw is listening on ${url}  (database: ${config.dialect}, key provider: ${config.keyProvider}, data: ${config.dataDir})\n` +
      `Create the first account (it becomes the platform admin):\n` +
      `  curl -s -X POST ${url}/v1/auth/signup -H 'Content-Type: application/json' \\\n` +
      `    -d '{"email":"you@example.com","password":"Choose-a-l0ng-passphrase!"}'\n\n`,
  );
}

void main();

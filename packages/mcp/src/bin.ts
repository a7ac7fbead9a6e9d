#!/usr/bin/env node
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { credentialFromBearer, SdkVaultApi, type Credential } from "./sdk-api.js";
import { stderrLogger } from "./log.js";
import { securitySettingsFromEnv } from "./security/settings.js";
import { createOneclawMcpServer } from "./server.js";
import { createStandaloneServer } from "./standalone.js";

const DEFAULT_BASE_URL = "http://127.0.0.1:8443";

function fail(msg: string): never {
  process.stderr.write(`oneclaw-mcp: ${msg}\n`);
  process.exit(2);
}

async function main() {
  const env = process.env;
  let settings;
  try {
    settings = securitySettingsFromEnv(env);
  } catch (e) {
    fail((e as Error).message);
  }
  const baseUrl = env.ONECLAW_BASE_URL || env.ONECLAW_API_URL || DEFAULT_BASE_URL;
  const transport = env.MCP_TRANSPORT || "stdio";

  if (transport === "httpStream" || transport === "http") {
    const port = Number(env.PORT || 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535) fail("PORT must be a TCP port number");
    const host = env.HOST || "127.0.0.1";
    const { server, handler } = createStandaloneServer({
      apiFor: (bearer, vaultId) => new SdkVaultApi({ baseUrl, credential: credentialFromBearer(bearer), vaultId }),
      settings,
      log: stderrLogger,
    });
    server.listen(port, host, () => {
      const addr = server.address();
      const actual = typeof addr === "object" && addr ? addr.port : port;
      stderrLogger.info("oneclaw MCP server listening", { url: `http://${host}:${actual}/mcp`, vault_api: baseUrl });
    });
    const stop = () => {
      void handler.close().finally(() => server.close(() => process.exit(0)));
      setTimeout(() => process.exit(0), 5000).unref();
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
    return;
  }
  if (transport !== "stdio") fail(`MCP_TRANSPORT must be stdio or httpStream, not '${transport}'`);

  const localOnly = /^(true|1|yes)$/i.test(env.ONECLAW_LOCAL_ONLY ?? "");
  let credential: Credential | undefined;
  const apiKey = env.ONECLAW_AGENT_API_KEY;
  if (apiKey) credential = { apiKey, agentId: env.ONECLAW_AGENT_ID || undefined };
  else if (env.ONECLAW_AGENT_TOKEN) credential = credentialFromBearer(env.ONECLAW_AGENT_TOKEN);
  if (!credential && !localOnly)
    fail("set ONECLAW_AGENT_API_KEY (agent key ocv_…; agent and vault are discovered) or ONECLAW_AGENT_TOKEN, or ONECLAW_LOCAL_ONLY=true for inspect_content only");
  const api = localOnly || !credential ? undefined : new SdkVaultApi({ baseUrl, credential, vaultId: env.ONECLAW_VAULT_ID || undefined });
  const { server } = createOneclawMcpServer({ api, settings, log: stderrLogger });
  await server.connect(new StdioServerTransport());
  stderrLogger.info("oneclaw MCP server ready on stdio", { vault_api: localOnly ? null : baseUrl, local_only: localOnly });
}

void main();

import type { Command } from "commander";
import type { CreateAgentRequest, UpdateAgentRequest } from "@oneclaw/sdk";
import { CliError, EXIT, fromApiError } from "../errors.js";
import { ask } from "../input.js";
import { formatFrom, note, printJson, printObject, printRows, spin } from "../output.js";
import { apiUrl, authedClient, call, type GlobalOptions, sdk } from "../session.js";

const COLUMNS: [string, string][] = [
  ["id", "ID"],
  ["name", "NAME"],
  ["is_active", "ACTIVE"],
  ["vault_ids", "VAULTS"],
  ["token_ttl_seconds", "TOKEN TTL"],
  ["shroud_enabled", "SHROUD"],
  ["intents_api_enabled", "INTENTS"],
  ["created_at", "CREATED"],
];

const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

function bool(v: string): boolean {
  if (/^(true|yes|on|1)$/i.test(v)) return true;
  if (/^(false|no|off|0)$/i.test(v)) return false;
  throw new CliError(`expected true or false, got "${v}"`, EXIT.usage);
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--token-ttl expects whole seconds, got "${v}"`, EXIT.usage);
  return n;
}

/** Options shared by create and update; `flagBool` is how boolean settings are written. */
function settingsOptions(cmd: Command, flagBool: boolean) {
  cmd
    .option("--description <text>", "description")
    .option("--vault-ids <ids>", "comma-separated vault ids the agent is bound to (empty string: all vaults)", (v) => list(v))
    .option("--token-ttl <seconds>", "lifetime of the agent's tokens", seconds)
    .option("--scopes <globs>", "comma-separated path globs capping what policies grant", (v) => list(v))
    .option("--expires-at <iso>", "agent expiry (ISO 8601)")
    .option("--tx-to-allowlist <addresses>", "comma-separated recipient addresses", (v) => list(v))
    .option("--tx-max-value <eth>", "maximum value per transaction (ETH)")
    .option("--tx-daily-limit <eth>", "rolling 24 h limit (ETH)")
    .option("--tx-allowed-chains <chains>", "comma-separated chain names or ids", (v) => list(v));
  if (flagBool) {
    cmd.option("--shroud", "route LLM traffic through Shroud").option("--intents", "enable the Intents API (transaction signing)");
  } else {
    cmd
      .option("--name <name>", "new name")
      .option("--active <bool>", "true to enable, false to deactivate", bool)
      .option("--shroud <bool>", "true or false", bool)
      .option("--intents <bool>", "true or false", bool);
  }
  return cmd;
}

function settingsBody(o: any): UpdateAgentRequest {
  const b: UpdateAgentRequest = {};
  if (o.description !== undefined) b.description = o.description;
  if (o.vaultIds !== undefined) b.vault_ids = o.vaultIds;
  if (o.tokenTtl !== undefined) b.token_ttl_seconds = o.tokenTtl;
  if (o.scopes !== undefined) b.scopes = o.scopes;
  if (o.expiresAt !== undefined) b.expires_at = o.expiresAt;
  if (o.txToAllowlist !== undefined) b.tx_to_allowlist = o.txToAllowlist;
  if (o.txMaxValue !== undefined) b.tx_max_value_eth = o.txMaxValue;
  if (o.txDailyLimit !== undefined) b.tx_daily_limit_eth = o.txDailyLimit;
  if (o.txAllowedChains !== undefined) b.tx_allowed_chains = o.txAllowedChains;
  if (o.shroud !== undefined) b.shroud_enabled = o.shroud;
  if (o.intents !== undefined) b.intents_api_enabled = o.intents;
  if (o.active !== undefined) b.is_active = o.active;
  if (o.name !== undefined) b.name = o.name;
  return b;
}

export function registerAgent(program: Command) {
  const agent = program.command("agent").description("Manage agents");
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  agent
    .command("list")
    .description("List agents")
    .action(async (_o, cmd: Command) => {
      const res = await call("Loading agents", async () => (await authedClient(g(cmd))).agents.list());
      printRows(formatFrom(g(cmd)), (res.agents ?? []) as any[], COLUMNS);
    });

  settingsOptions(agent.command("create <name>").description("Create an agent; prints its API key once"), true).action(
    async (name: string, o, cmd: Command) => {
      const body: CreateAgentRequest = { name, ...settingsBody(o) };
      const created = await call("Creating agent", async () => (await authedClient(g(cmd))).agents.create(body));
      if (formatFrom(g(cmd)) === "json") return printJson(created);
      printObject("table", created.agent as any, COLUMNS.map(([k]) => k));
      if (created.api_key) {
        process.stdout.write(`api_key  ${created.api_key}\n`);
        note("Store the API key now: it is shown only once.");
      }
    },
  );

  agent
    .command("get <id>")
    .description("Show an agent")
    .action(async (id: string, _o, cmd: Command) => {
      const a = await call("Loading agent", async () => (await authedClient(g(cmd))).agents.get(id));
      printObject(formatFrom(g(cmd)), a as any);
    });

  settingsOptions(agent.command("update <id>").description("Change an agent's settings"), false).action(async (id: string, o, cmd: Command) => {
    const body = settingsBody(o);
    if (Object.keys(body).length === 0) throw new CliError("nothing to update: pass at least one option (see --help)", EXIT.usage);
    const a = await call("Updating agent", async () => (await authedClient(g(cmd))).agents.update(id, body));
    printObject(formatFrom(g(cmd)), a as any);
  });

  agent
    .command("delete <id>")
    .description("Delete (deactivate and hide) an agent; its keys and tokens stop working")
    .action(async (id: string, _o, cmd: Command) => {
      await call("Deleting agent", async () => (await authedClient(g(cmd))).agents.delete(id));
      note(`Deleted agent ${id}`);
    });

  agent
    .command("rotate-key <id>")
    .description("Issue a new API key; the old one stops working at once")
    .action(async (id: string, _o, cmd: Command) => {
      const r = await call("Rotating key", async () => (await authedClient(g(cmd))).agents.rotateKey(id));
      if (formatFrom(g(cmd)) === "json") return printJson(r);
      process.stdout.write(`${r.api_key}\n`);
      note("Store the new API key now: it is shown only once.");
    });

  agent
    .command("enroll <name>")
    .description("Self-enroll an agent (no login needed): its credentials are emailed to the human")
    .requiredOption("--email <human>", "the human who receives the credentials")
    .option("--description <text>", "description")
    .action(async (name: string, o, cmd: Command) => {
      const { AgentsResource } = await sdk();
      const res = await spin("Enrolling", () => AgentsResource.enroll(apiUrl(g(cmd)), { name, human_email: o.email, description: o.description }));
      if (res.error) throw fromApiError(res.error, "enrollment failed");
      if (formatFrom(g(cmd)) === "json") return printJson(res.data);
      note(res.data.message ?? `Enrollment sent: ${o.email} will receive the agent's credentials.`);
    });

  agent
    .command("token")
    .description("Exchange an agent API key for a JWT and print it (key: --api-key, ONECLAW_API_KEY, or stdin)")
    .option("--api-key <key>", "the agent's ocv_ key")
    .option("--agent-id <id>", "agent id (optional: the key identifies the agent)")
    .action(async (o, cmd: Command) => {
      const key = o.apiKey ?? process.env.ONECLAW_API_KEY ?? (await ask("Agent API key: ", { hidden: true })).trim();
      const client = (await sdk()).createClient({ baseUrl: apiUrl(g(cmd)) });
      const res = await spin("Exchanging key", () => client.auth.agentToken({ api_key: key, ...(o.agentId ? { agent_id: o.agentId } : {}) }));
      if (res.error) throw fromApiError(res.error, "token exchange failed");
      if (formatFrom(g(cmd)) === "json") return printJson(res.data);
      process.stdout.write(process.stdout.isTTY ? `${res.data.access_token}\n` : res.data.access_token);
    });
}

import type { OneclawClient, OneclawResponse } from "@oneclaw/sdk";
import { type CliConfig, DEFAULT_API_URL, loadConfig, updateConfig } from "./config.js";
import { CliError, EXIT, fromApiError } from "./errors.js";
import { spin } from "./output.js";

export interface GlobalOptions {
  apiUrl?: string;
  json?: boolean;
  format?: string;
  vault?: string;
}

/** Flag, then environment, then config file, then the default. */
export function apiUrl(opts: GlobalOptions, cfg: CliConfig = loadConfig()): string {
  return opts.apiUrl || process.env.ONECLAW_API_URL || cfg["api-url"] || DEFAULT_API_URL;
}

/** The SDK, loaded only by commands that talk to the server (keeps `config`, `--help` fast). */
export function sdk(): Promise<typeof import("@oneclaw/sdk")> {
  return import("@oneclaw/sdk");
}

/** A client without credentials (login, enroll, public endpoints). */
export async function anonymousClient(opts: GlobalOptions): Promise<OneclawClient> {
  const { createClient } = await sdk();
  return createClient({ baseUrl: apiUrl(opts), headers: { "user-agent": "1claw-cli/0.1.0" } });
}

/**
 * A client with credentials: ONECLAW_TOKEN, else ONECLAW_API_KEY, else what `login` stored.
 * Tokens renewed from a stored API key are written back so the next command skips the exchange.
 */
export async function authedClient(opts: GlobalOptions): Promise<OneclawClient> {
  const { createClient } = await sdk();
  const cfg = loadConfig();
  const baseUrl = apiUrl(opts, cfg);
  const headers = { "user-agent": "1claw-cli/0.1.0" };
  if (process.env.ONECLAW_TOKEN) return createClient({ baseUrl, token: process.env.ONECLAW_TOKEN, headers });
  if (process.env.ONECLAW_API_KEY) {
    return createClient({ baseUrl, apiKey: process.env.ONECLAW_API_KEY, agentId: process.env.ONECLAW_AGENT_ID || undefined, headers });
  }
  if (!cfg.token && !cfg["api-key"]) {
    throw new CliError("not logged in: run `1claw login`, or set ONECLAW_TOKEN or ONECLAW_API_KEY", EXIT.auth);
  }
  const client = createClient({ baseUrl, token: cfg.token, apiKey: cfg["api-key"], headers });
  if (cfg["api-key"]) {
    process.once("beforeExit", () => {
      const now = client.http.token;
      if (now && now !== cfg.token) updateConfig((c) => (c.token = now));
    });
  }
  return client;
}

/** The vault to act on: --vault, then ONECLAW_VAULT_ID, then `vault link`'s default. */
export function vaultId(opts: GlobalOptions): string {
  const id = opts.vault || process.env.ONECLAW_VAULT_ID || loadConfig()["default-vault"];
  if (!id) throw new CliError("no vault: pass --vault <id>, set ONECLAW_VAULT_ID, or run `1claw vault link <id>`", EXIT.usage);
  return id;
}

/** Awaits an SDK call (with a spinner on slow calls) and returns its data or throws a CliError. */
export async function call<T>(label: string, work: () => Promise<OneclawResponse<T>>): Promise<T> {
  const res = await spin(label, work);
  if (res.error) throw fromApiError(res.error);
  return res.data as T;
}

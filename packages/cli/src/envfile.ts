import type { OneclawClient } from "@oneclaw/sdk";
import { CliError } from "./errors.js";
import { note } from "./output.js";
import { call } from "./session.js";

/**
 * Environment variable name for a secret path: its last segment, upper-snake-cased.
 * `db/password` → `PASSWORD`; `stripe/apiKey` → `API_KEY`;
 * `svc/api-key` → `API_KEY`; a leading digit gets a `_` prefix (`2fa` → `_2FA`).
 */
export function envName(secretPath: string): string {
  const last = secretPath.split("/").pop() ?? secretPath;
  const snake = last
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
  return /^[0-9]/.test(snake) ? `_${snake}` : snake;
}

const UNQUOTED = /^[A-Za-z0-9_\-.,:/@+%^]*$/;

/**
 * One `KEY=value` line that `dotenv.parse` reads back to exactly `value`: bare when safe, else the
 * first quoting that round-trips — single quotes (literal), double quotes (literal, newlines kept,
 * `\r` escaped), backticks (literal). A value that none can carry is refused, naming the key only.
 */
export function dotenvLine(key: string, value: string): string {
  if (UNQUOTED.test(value)) return `${key}=${value}`;
  const endsWithBackslash = value.endsWith("\\");
  if (!value.includes("'") && !value.includes("\r") && !endsWithBackslash) return `${key}='${value}'`;
  if (!value.includes('"') && !/\\[nr]/.test(value) && !endsWithBackslash) return `${key}="${value.replace(/\r/g, "\\r")}"`;
  if (!value.includes("`") && !value.includes("\r") && !endsWithBackslash) return `${key}=\`${value}\``;
  throw new CliError(`the value of ${key} cannot be written to a .env file (it mixes all quote characters or ends with a backslash); use --json`);
}

export function toDotenv(vars: Record<string, string>): string {
  return Object.entries(vars)
    .map(([k, v]) => `${dotenvLine(k, v)}\n`)
    .join("");
}

export async function parseDotenv(text: string): Promise<Record<string, string>> {
  const { parse } = await import("dotenv");
  return parse(text);
}

export interface CollectOptions {
  /** Only secrets under these path prefixes (all secrets when empty and no bundles are named). */
  prefixes?: string[];
  /** env_bundle secrets to expand, by path. */
  bundles?: string[];
}

/**
 * Reads secrets and maps them to environment variables: an env_bundle expands to its keys; any
 * other secret becomes envName(path). Later entries win; clashes are reported by name only.
 */
export async function collectEnv(client: OneclawClient, vault: string, opts: CollectOptions): Promise<Record<string, string>> {
  const vars: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const set = (name: string, value: string, from: string) => {
    if (name in vars && origin[name] !== from) note(`warning: ${name} from ${from} overrides the one from ${origin[name]}`);
    vars[name] = value;
    origin[name] = from;
  };
  const paths: string[] = [];
  const prefixes = opts.prefixes ?? [];
  const bundles = opts.bundles ?? [];
  if (prefixes.length > 0 || bundles.length === 0) {
    for (const prefix of prefixes.length ? prefixes : [undefined]) {
      const list = await call("Listing secrets", () => client.secrets.list(vault, prefix));
      for (const s of list.secrets ?? []) if (!paths.includes(s.path)) paths.push(s.path);
    }
  }
  for (const b of bundles) if (!paths.includes(b)) paths.push(b);
  if (paths.length === 0) note(`warning: no secrets${prefixes.length ? ` under ${prefixes.join(", ")}` : ""} that these credentials may read`);
  for (const p of paths) {
    const secret = await call("Reading secrets", () => client.secrets.get(vault, p));
    if (secret.type === "env_bundle" || bundles.includes(p)) {
      for (const [k, v] of Object.entries(await parseDotenv(secret.value))) set(k, v, p);
    } else {
      set(envName(p), secret.value, p);
    }
  }
  return vars;
}

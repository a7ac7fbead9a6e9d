import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError, EXIT } from "./errors.js";

export const DEFAULT_API_URL = "http://127.0.0.1:8443";

/** Keys a user may set with `1claw config set`. */
export const SETTABLE_KEYS = ["api-url", "output-format", "default-vault"] as const;
/** Keys written by `login` and shown masked. */
export const CREDENTIAL_KEYS = ["token", "api-key"] as const;
export const OUTPUT_FORMATS = ["table", "json", "plain"] as const;

export interface CliConfig {
  "api-url"?: string;
  "output-format"?: (typeof OUTPUT_FORMATS)[number];
  "default-vault"?: string;
  token?: string;
  "api-key"?: string;
  /** Who logged in (email or agent id), for `whoami` without a round trip and for display. */
  principal?: string;
}

/** `$XDG_CONFIG_HOME/1claw/config.json`, else `~/.config/1claw/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), ".config");
  return path.join(base, "1claw", "config.json");
}

export function loadConfig(): CliConfig {
  const file = configPath();
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e: any) {
    if (e.code === "ENOENT") return {};
    throw new CliError(`cannot read ${file}: ${e.message}`);
  }
  try {
    const parsed = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
    return parsed;
  } catch (e: any) {
    throw new CliError(`${file} is not valid JSON (${e.message}); fix or delete it`, EXIT.failure);
  }
}

/** Writes atomically with mode 0600 (the file holds credentials) in a 0700 directory. */
export function saveConfig(cfg: CliConfig) {
  const file = configPath();
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export function updateConfig(change: (cfg: CliConfig) => void) {
  const cfg = loadConfig();
  change(cfg);
  saveConfig(cfg);
}

export function mask(value: string): string {
  return value.length <= 12 ? "****" : `${value.slice(0, 8)}…${value.slice(-4)}`;
}

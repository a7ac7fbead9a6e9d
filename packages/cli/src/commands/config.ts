import type { Command } from "commander";
import { CREDENTIAL_KEYS, type CliConfig, configPath, DEFAULT_API_URL, loadConfig, mask, OUTPUT_FORMATS, SETTABLE_KEYS, updateConfig } from "../config.js";
import { CliError, EXIT } from "../errors.js";
import { formatFrom, printJson, printRows } from "../output.js";
import type { GlobalOptions } from "../session.js";

/** Environment variables that override config keys (ONECLAW_TOKEN / ONECLAW_API_KEY replace stored credentials). */
const ENV_OVERRIDES: [string, string][] = [
  ["api-url", "ONECLAW_API_URL"],
  ["default-vault", "ONECLAW_VAULT_ID"],
  ["token", "ONECLAW_TOKEN"],
  ["api-key", "ONECLAW_API_KEY"],
];

function shown(cfg: CliConfig, key: string): string | undefined {
  const v = (cfg as Record<string, string | undefined>)[key];
  if (v === undefined) return key === "api-url" ? DEFAULT_API_URL : undefined;
  return (CREDENTIAL_KEYS as readonly string[]).includes(key) ? mask(v) : v;
}

function checkKey(key: string) {
  if (!(SETTABLE_KEYS as readonly string[]).includes(key)) {
    throw new CliError(`unknown config key "${key}"; keys: ${SETTABLE_KEYS.join(", ")}`, EXIT.usage);
  }
}

export function registerConfig(program: Command) {
  const config = program.command("config").description(`Settings in ${configPath().replace(process.env.HOME ?? "\0", "~")}`);
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  config
    .command("list")
    .description("Show settings (credentials masked)")
    .action((_o, cmd: Command) => {
      const cfg = loadConfig();
      const keys = [...SETTABLE_KEYS, "principal", ...CREDENTIAL_KEYS];
      const rows = keys.map((key) => ({ key, value: shown(cfg, key), source: (cfg as Record<string, unknown>)[key] === undefined ? "default" : "config" }));
      for (const [key, envVar] of ENV_OVERRIDES) {
        const v = process.env[envVar];
        if (!v) continue;
        const row = rows.find((r) => r.key === key) ?? (rows.push({ key, value: undefined, source: "" }), rows[rows.length - 1]);
        row.value = (CREDENTIAL_KEYS as readonly string[]).includes(key) ? mask(v) : v;
        row.source = `env ${envVar}`;
      }
      const shownRows = rows.filter((r) => r.value !== undefined);
      if (formatFrom(g(cmd)) === "json") return printJson(Object.fromEntries(shownRows.map((r) => [r.key, r.value])));
      printRows(formatFrom(g(cmd)), shownRows, [
        ["key", "KEY"],
        ["value", "VALUE"],
        ["source", "SOURCE"],
      ]);
    });

  config
    .command("get <key>")
    .description(`Print one setting (${SETTABLE_KEYS.join(", ")})`)
    .action((key: string) => {
      checkKey(key);
      const v = shown(loadConfig(), key);
      if (v === undefined) {
        process.exitCode = EXIT.notFound;
        return;
      }
      process.stdout.write(`${v}\n`);
    });

  config
    .command("set <key> <value>")
    .description(`Change a setting (${SETTABLE_KEYS.join(", ")})`)
    .action((key: string, value: string) => {
      checkKey(key);
      if (key === "output-format" && !(OUTPUT_FORMATS as readonly string[]).includes(value)) {
        throw new CliError(`output-format must be one of ${OUTPUT_FORMATS.join(", ")}`, EXIT.usage);
      }
      if (key === "api-url") {
        let u: URL;
        try {
          u = new URL(value);
        } catch {
          throw new CliError(`api-url must be a URL like http://127.0.0.1:8443, got "${value}"`, EXIT.usage);
        }
        if (u.protocol !== "http:" && u.protocol !== "https:") throw new CliError("api-url must use http or https", EXIT.usage);
      }
      updateConfig((c) => ((c as Record<string, string>)[key] = value));
    });
}

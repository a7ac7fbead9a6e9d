import { Command, CommanderError } from "commander";
import { registerAgent } from "./commands/agent.js";
import { registerAudit } from "./commands/audit.js";
import { registerAuth } from "./commands/auth.js";
import { registerConfig } from "./commands/config.js";
import { registerEnv, registerRun } from "./commands/env.js";
import { registerPolicy } from "./commands/policy.js";
import { registerServer } from "./commands/server.js";
import { registerSecret } from "./commands/secret.js";
import { registerShare } from "./commands/share.js";
import { registerVault } from "./commands/vault.js";
import { CliError, EXIT } from "./errors.js";

export const VERSION = "0.1.0";

export function buildProgram(): Command {
  const program = new Command("1claw")
    .description("oneclaw / 1Claw secrets manager for humans and AI agents (1claw --version prints the version)")
    .option("--api-url <url>", "API server (env ONECLAW_API_URL, config api-url; default http://127.0.0.1:8443)")
    .option("--json", "print JSON (for scripts)")
    .option("--format <format>", "table | json | plain (config output-format)")
    .option("--no-color", "no colour (also off when not a terminal or NO_COLOR is set)")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride((err: CommanderError) => {
      // Help and version exit 0; every usage mistake exits 2.
      process.exit(err.exitCode === 0 ? 0 : EXIT.usage);
    });
  registerAuth(program);
  registerVault(program);
  registerSecret(program);
  registerAgent(program);
  registerPolicy(program);
  registerShare(program);
  registerAudit(program);
  registerEnv(program);
  registerRun(program);
  registerConfig(program);
  registerServer(program);
  return program;
}

export async function main(argv: string[]) {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.failure;
  }
}

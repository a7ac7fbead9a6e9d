import fs from "node:fs";
import os from "node:os";
import type { Command } from "commander";
import type { SecretType } from "@oneclaw/sdk";
import { collectEnv, parseDotenv, toDotenv } from "../envfile.js";
import { CliError, EXIT, fromApiError } from "../errors.js";
import { readStdin } from "../input.js";
import { formatFrom, note, printJson, spin } from "../output.js";
import { authedClient, call, type GlobalOptions, vaultId } from "../session.js";

const collect = (v: string, prev: string[]) => [...prev, v];
const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

function selection(cmd: Command) {
  return cmd
    .option("--prefix <prefix>", "only secrets under this path prefix (repeatable)", collect, [] as string[])
    .option("--bundle <path>", "expand this env_bundle secret (repeatable)", collect, [] as string[])
    .option("--vault <id>", "vault id (env ONECLAW_VAULT_ID, or `vault link`)");
}

/** Runs `argv` with the selected secrets added to its environment; exit code and signals pass through. */
async function runWithSecrets(argv: string[], o: { prefix: string[]; bundle: string[] }, cmd: Command) {
  if (argv.length === 0) throw new CliError("no command given: 1claw run [--prefix p] [--bundle path] -- <command> [args…]", EXIT.usage);
  const vars = await collectEnv(await authedClient(g(cmd)), vaultId(g(cmd)), { prefixes: o.prefix, bundles: o.bundle });
  const { spawn } = await import("node:child_process");
  const child = spawn(argv[0], argv.slice(1), { stdio: "inherit", env: { ...process.env, ...vars } });
  const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
  const forward = (s: NodeJS.Signals) => child.kill(s);
  for (const s of signals) process.on(s, forward);
  await new Promise<void>((resolve) => {
    child.on("error", (e: NodeJS.ErrnoException) => {
      process.stderr.write(`error: cannot run ${argv[0]}: ${e.code === "ENOENT" ? "command not found" : e.message}\n`);
      process.exitCode = e.code === "ENOENT" ? 127 : 126;
      resolve();
    });
    child.on("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (signal) {
        // Die of the same signal so our parent sees what the child saw.
        process.kill(process.pid, signal);
        process.exitCode = 128 + (os.constants.signals[signal] ?? 0);
      } else {
        process.exitCode = code ?? 1;
      }
      resolve();
    });
  });
}

export function registerRun(program: Command) {
  selection(program.command("run"))
    .description("Run a command with vault secrets as environment variables (everything after -- is the command)")
    .argument("<command...>", "the command and its arguments, after --")
    .action((argv: string[], o, cmd: Command) => runWithSecrets(argv, o, cmd));
}

export function registerEnv(program: Command) {
  const env = program.command("env").description("Move secrets between a vault and .env files or processes");

  selection(env.command("pull"))
    .description("Write the vault's secrets as a .env file (stdout, or -o file with mode 0600)")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .action(async (o, cmd: Command) => {
      const vars = await collectEnv(await authedClient(g(cmd)), vaultId(g(cmd)), { prefixes: o.prefix, bundles: o.bundle });
      if (formatFrom(g(cmd)) === "json" && !o.output) return printJson(vars);
      const text = toDotenv(vars);
      if (!o.output) return void process.stdout.write(text);
      fs.writeFileSync(o.output, text, { mode: 0o600 });
      fs.chmodSync(o.output, 0o600);
      note(`Wrote ${Object.keys(vars).length} variables to ${o.output}`);
    });

  env
    .command("push [file]")
    .description("Store a .env file's variables: one secret per key (path: prefix + KEY), or one env_bundle with --bundle")
    .option("--prefix <prefix>", "path prefix for the secrets, e.g. app/prod")
    .option("--bundle <path>", "store the whole file as one env_bundle secret at this path")
    .option("--type <type>", "type of the per-key secrets", "generic")
    .option("--vault <id>", "vault id (env ONECLAW_VAULT_ID, or `vault link`)")
    .action(async (file: string | undefined, o, cmd: Command) => {
      const source = file ?? ".env";
      let text: string;
      try {
        text = source === "-" ? await readStdin() : fs.readFileSync(source, "utf8");
      } catch (e: any) {
        throw new CliError(`cannot read ${source}: ${e.code ?? e.message}`, EXIT.usage);
      }
      const vars = await parseDotenv(text);
      const keys = Object.keys(vars);
      if (keys.length === 0) throw new CliError(`${source} has no variables`, EXIT.usage);
      const client = await authedClient(g(cmd));
      const vault = vaultId(g(cmd));
      if (o.bundle) {
        const m = await call("Storing bundle", () => client.secrets.set(vault, o.bundle, toDotenv(vars), { type: "env_bundle" }));
        return note(`Stored ${keys.length} variables in ${m.path} (env_bundle, version ${m.version})`);
      }
      const prefix = o.prefix ? `${String(o.prefix).replace(/\/+$/, "")}/` : "";
      await spin("Storing secrets", async () => {
        for (const key of keys) {
          const res = await client.secrets.set(vault, `${prefix}${key}`, vars[key], { type: o.type as SecretType });
          if (res.error) throw fromApiError(res.error, `storing ${key}`);
        }
      });
      note(`Stored ${keys.length} secrets${prefix ? ` under ${prefix}` : ""}`);
    });

  selection(env.command("run"))
    .description("Same as `1claw run`")
    .argument("<command...>", "the command and its arguments, after --")
    .action((argv: string[], o, cmd: Command) => runWithSecrets(argv, o, cmd));
}

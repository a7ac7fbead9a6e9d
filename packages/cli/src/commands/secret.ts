import fs from "node:fs";
import type { Command } from "commander";
import { cmekDecrypt, cmekEncrypt, cmekFingerprint, type OneclawClient, type SetSecretOptions } from "@oneclaw/sdk";
import { CliError, EXIT } from "../errors.js";
import { ask, confirm, readStdin } from "../input.js";
import { formatFrom, note, printJson, printObject, printRows } from "../output.js";
import { authedClient, call, type GlobalOptions, vaultId } from "../session.js";

const META_COLUMNS: [string, string][] = [
  ["path", "PATH"],
  ["type", "TYPE"],
  ["version", "VERSION"],
  ["created_at", "CREATED"],
  ["expires_at", "EXPIRES"],
];

/** The value from the argument, --file (exact bytes), or stdin (one trailing newline removed). */
async function valueFrom(arg: string | undefined, file: string | undefined): Promise<string> {
  if (arg !== undefined && file) throw new CliError("give the value as an argument or with --file, not both", EXIT.usage);
  if (arg !== undefined) return arg;
  if (file) {
    try {
      return fs.readFileSync(file, "utf8");
    } catch (e: any) {
      throw new CliError(`cannot read ${file}: ${e.code ?? e.message}`, EXIT.usage);
    }
  }
  if (process.stdin.isTTY) return ask("Value: ", { hidden: true });
  return (await readStdin()).replace(/\r?\n$/, "");
}

function putOptions(o: any): SetSecretOptions {
  const opts: SetSecretOptions = {};
  if (o.type) opts.type = o.type;
  if (o.metadata) {
    try {
      opts.metadata = JSON.parse(o.metadata);
    } catch {
      throw new CliError("--metadata must be a JSON object", EXIT.usage);
    }
  }
  if (o.expiresAt) opts.expires_at = o.expiresAt;
  if (o.maxAccessCount !== undefined) opts.max_access_count = Number(o.maxAccessCount);
  return opts;
}

/**
 * A CMEK key file: the 32-byte key as base64 or hex text, or the raw 32 bytes. Anything else is a
 * usage error; the key's contents are never printed.
 */
export function readCmekKey(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (e: any) {
    throw new CliError(`cannot read ${file}: ${e.code ?? e.message}`, EXIT.usage);
  }
  const text = raw.toString("utf8").trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, "hex");
  else if (/^[A-Za-z0-9+/]{43}=$/.test(text)) key = Buffer.from(text, "base64");
  else if (raw.length === 32) key = raw;
  if (!key || key.length !== 32) throw new CliError(`${file} does not hold a 32-byte CMEK key (base64, hex or raw bytes)`, EXIT.usage);
  return new Uint8Array(key);
}

/** Refuses to encrypt for a vault that is not on CMEK, or under a key that is not the vault's. */
async function checkCmekVault(client: OneclawClient, vault: string, key: Uint8Array, file: string) {
  const v = await call("Checking vault", () => client.vaults.get(vault));
  if (!v.cmek_enabled) throw new CliError(`vault ${vault} does not have CMEK enabled; --cmek-key-file is only for CMEK vaults`, EXIT.usage);
  if (v.cmek_fingerprint !== (await cmekFingerprint(key))) {
    throw new CliError(`the key in ${file} is not this vault's CMEK key (vault fingerprint ${v.cmek_fingerprint})`, EXIT.usage);
  }
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`expected a positive integer, got "${v}"`, EXIT.usage);
  return n;
}

export function registerSecret(program: Command) {
  const secret = program.command("secret").description("Manage secrets in a vault").option("--vault <id>", "vault id (env ONECLAW_VAULT_ID, or `vault link`)");
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  secret
    .command("list")
    .description("List secrets (metadata only, never values)")
    .option("--prefix <prefix>", "only paths starting with this")
    .action(async (o, cmd: Command) => {
      const res = await call("Loading secrets", async () => (await authedClient(g(cmd))).secrets.list(vaultId(g(cmd)), o.prefix));
      printRows(formatFrom(g(cmd)), (res.secrets ?? []) as any[], META_COLUMNS);
    });

  secret
    .command("get <path>")
    .description("Print a secret's value only (no newline when piped), or the whole secret with --json")
    .option("--version <n>", "a specific version", positiveInt)
    .option("--cmek-key-file <file>", "decrypt a CMEK-encrypted value with this key (32 bytes: base64, hex or raw)")
    .action(async (path: string, o, cmd: Command) => {
      const key = o.cmekKeyFile ? readCmekKey(o.cmekKeyFile) : undefined;
      const s = await call("Reading secret", async () => (await authedClient(g(cmd))).secrets.get(vaultId(g(cmd)), path, { version: o.version }));
      if (s.cmek_encrypted && key) {
        try {
          s.value = await cmekDecrypt(key, s.value);
        } catch (e) {
          throw new CliError(`${(e as Error).message} (--cmek-key-file ${o.cmekKeyFile})`, EXIT.usage);
        }
      } else if (s.cmek_encrypted) {
        note("this value is CMEK-encrypted; pass --cmek-key-file to decrypt it");
      }
      if (formatFrom(g(cmd)) === "json") return printJson(s);
      process.stdout.write(process.stdout.isTTY ? `${s.value}\n` : s.value);
    });

  for (const verb of ["set", "rotate"] as const) {
    secret
      .command(`${verb} <path> [value]`)
      .description(
        verb === "set"
          ? "Store a value (argument, --file, or stdin) as a new version"
          : "Store a new version keeping the secret's type and metadata",
      )
      .option("--file <file>", "read the value from a file (exact contents)")
      .option("--type <type>", "api_key, password, private_key, certificate, file, note, ssh_key, env_bundle, generic, env")
      .option("--metadata <json>", "JSON object stored with the secret")
      .option("--expires-at <iso>", "expiry time (ISO 8601)")
      .option("--max-access-count <n>", "reads allowed before the secret is gone", positiveInt)
      .option("--cmek-key-file <file>", "encrypt the value client-side for a CMEK vault with this key (32 bytes: base64, hex or raw)")
      .action(async (path: string, arg: string | undefined, o, cmd: Command) => {
        const key = o.cmekKeyFile ? readCmekKey(o.cmekKeyFile) : undefined;
        let value = await valueFrom(arg, o.file);
        const client = await authedClient(g(cmd));
        const vault = vaultId(g(cmd));
        if (key) {
          await checkCmekVault(client, vault, key, o.cmekKeyFile);
          value = await cmekEncrypt(key, value);
        }
        const m = await call(verb === "set" ? "Storing secret" : "Rotating secret", () =>
          verb === "set" ? client.secrets.set(vault, path, value, putOptions(o)) : client.secrets.rotate(vault, path, value, putOptions(o)),
        );
        if (formatFrom(g(cmd)) === "json") return printJson(m);
        note(`${verb === "set" ? "Stored" : "Rotated"} ${m.path} (version ${m.version}, type ${m.type})`);
      });
  }

  secret
    .command("delete <path>")
    .description("Delete a secret (all versions)")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .action(async (path: string, o, cmd: Command) => {
      const vault = vaultId(g(cmd));
      await confirm(`Delete secret ${path}?`, o.yes);
      await call("Deleting secret", async () => (await authedClient(g(cmd))).secrets.delete(vault, path));
      note(`Deleted ${path}`);
    });

  secret
    .command("describe <path>")
    .description("Show a secret's metadata without reading its value (no access counted)")
    .option("--version <n>", "a specific version", positiveInt)
    .action(async (path: string, o, cmd: Command) => {
      const m = await call("Loading metadata", async () => (await authedClient(g(cmd))).secrets.describe(vaultId(g(cmd)), path, { version: o.version }));
      printObject(formatFrom(g(cmd)), m as any);
    });

  secret
    .command("versions <path>")
    .description("List a secret's versions (metadata only)")
    .action(async (path: string, _o, cmd: Command) => {
      const res = await call("Loading versions", async () => (await authedClient(g(cmd))).secrets.versions(vaultId(g(cmd)), path));
      printRows(formatFrom(g(cmd)), res.versions as any[], META_COLUMNS);
    });
}

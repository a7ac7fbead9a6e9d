import type { Command } from "commander";
import type { CreateShareRequest } from "@oneclaw/sdk";
import { CliError, EXIT } from "../errors.js";
import { formatFrom, note, printObject, printRows } from "../output.js";
import { authedClient, call, type GlobalOptions, vaultId } from "../session.js";

const COLUMNS: [string, string][] = [
  ["id", "ID"],
  ["secret_path", "PATH"],
  ["recipient_type", "RECIPIENT"],
  ["recipient_email", "EMAIL"],
  ["access_count", "USED"],
  ["max_access_count", "MAX"],
  ["expires_at", "EXPIRES"],
  ["is_accepted", "ACCEPTED"],
];

/** `7d`, `12h`, `30m` from now, or an ISO 8601 time. */
function expiry(v: string): string {
  const m = /^(\d+)([mhd])$/.exec(v);
  if (m) return new Date(Date.now() + Number(m[1]) * { m: 60e3, h: 3600e3, d: 86400e3 }[m[2] as "m" | "h" | "d"]).toISOString();
  if (Number.isNaN(Date.parse(v))) throw new CliError(`--expires expects 30m, 12h, 7d or an ISO 8601 time, got "${v}"`, EXIT.usage);
  return v;
}

/** creator | link | user:<id> | agent:<id> | email:<address> */
function recipient(v: string): Pick<CreateShareRequest, "recipient_type" | "recipient_id" | "email"> {
  if (v === "creator") return { recipient_type: "creator" };
  if (v === "link" || v === "anyone_with_link") return { recipient_type: "anyone_with_link" };
  const [kind, ...rest] = v.split(":");
  const id = rest.join(":");
  if (kind === "user" && id) return { recipient_type: "user", recipient_id: id };
  if (kind === "agent" && id) return { recipient_type: "agent", recipient_id: id };
  if (kind === "email" && id) return { recipient_type: "external_email", email: id };
  throw new CliError(`--to expects creator, link, user:<id>, agent:<id> or email:<address>, got "${v}"`, EXIT.usage);
}

export function registerShare(program: Command) {
  const share = program.command("share").description("Share secrets and handle shares sent to you");
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  share
    .command("create <path>")
    .description("Share the secret at <path>")
    .requiredOption("--to <recipient>", "creator | link | user:<id> | agent:<id> | email:<address>", recipient)
    .option("--expires <when>", "30m, 12h, 7d or an ISO 8601 time", expiry, expiry("7d"))
    .option("--max-access <n>", "reads allowed", (v) => Number(v))
    .option("--passphrase <text>", "passphrase the recipient must send (link shares)")
    .option("--vault <id>", "vault id (env ONECLAW_VAULT_ID, or `vault link`)")
    .action(async (path: string, o, cmd: Command) => {
      const client = await authedClient(g(cmd));
      const vault = vaultId(g(cmd));
      const meta = await call("Looking up secret", () => client.secrets.describe(vault, path));
      const body: CreateShareRequest = { ...o.to, expires_at: o.expires };
      if (o.maxAccess !== undefined) body.max_access_count = o.maxAccess;
      if (o.passphrase !== undefined) body.passphrase = o.passphrase;
      const s = await call("Creating share", () => client.sharing.create(meta.id, body));
      printObject(formatFrom(g(cmd)), s as any);
    });

  share
    .command("list")
    .description("Shares you created (or, with --inbound, shares sent to you)")
    .option("--inbound", "shares sent to you")
    .action(async (o, cmd: Command) => {
      const client = await authedClient(g(cmd));
      const res = await call("Loading shares", () => (o.inbound ? client.sharing.listInbound() : client.sharing.listOutbound()));
      printRows(formatFrom(g(cmd)), (res.shares ?? []) as any[], COLUMNS);
    });

  for (const [verb, done] of [
    ["accept", "Accepted"],
    ["decline", "Declined"],
    ["revoke", "Revoked"],
  ] as const) {
    share
      .command(`${verb} <share-id>`)
      .description(verb === "revoke" ? "Revoke a share you created" : `${verb[0].toUpperCase()}${verb.slice(1)} a share sent to you`)
      .action(async (id: string, _o, cmd: Command) => {
        await call(`${done.slice(0, -1)}ing share`, async () => (await authedClient(g(cmd))).sharing[verb](id));
        note(`${done} share ${id}`);
      });
  }
}

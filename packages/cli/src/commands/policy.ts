import type { Command } from "commander";
import type { Permission, UpdatePolicyRequest } from "@oneclaw/sdk";
import { CliError, EXIT } from "../errors.js";
import { formatFrom, note, printObject, printRows } from "../output.js";
import { authedClient, call, type GlobalOptions, vaultId } from "../session.js";

const COLUMNS: [string, string][] = [
  ["id", "ID"],
  ["principal_type", "TYPE"],
  ["principal_id", "PRINCIPAL"],
  ["secret_path_pattern", "PATH"],
  ["permissions", "PERMISSIONS"],
  ["expires_at", "EXPIRES"],
];

function permissions(v: string): Permission[] {
  const ps = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (ps.length === 0) throw new CliError("--permissions needs at least one of read, write, delete", EXIT.usage);
  return ps;
}

function json(v: string): Record<string, unknown> {
  try {
    const o = JSON.parse(v);
    if (typeof o === "object" && o !== null && !Array.isArray(o)) return o;
  } catch {
    /* fall through */
  }
  throw new CliError("--conditions must be a JSON object", EXIT.usage);
}

export function registerPolicy(program: Command) {
  const policy = program
    .command("policy")
    .alias("grant")
    .description("Manage access policies of a vault (alias: grant)")
    .option("--vault <id>", "vault id (env ONECLAW_VAULT_ID, or `vault link`)");
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  policy
    .command("list")
    .description("List the vault's policies")
    .action(async (_o, cmd: Command) => {
      const res = await call("Loading policies", async () => (await authedClient(g(cmd))).access.listGrants(vaultId(g(cmd))));
      printRows(formatFrom(g(cmd)), (res.policies ?? []) as any[], COLUMNS);
    });

  policy
    .command("create")
    .description("Grant an agent or a user access to secret paths")
    .option("--agent <id>", "grant to this agent")
    .option("--user <id>", "grant to this user")
    .option("--path <glob>", "secret path glob (* one segment, ** any depth)", "**")
    .option("--permissions <list>", "comma-separated: read, write, delete", permissions, ["read"] as Permission[])
    .option("--conditions <json>", "conditions JSON (e.g. IP ranges, time windows)", json)
    .option("--expires-at <iso>", "policy expiry (ISO 8601)")
    .action(async (o, cmd: Command) => {
      if (!!o.agent === !!o.user) throw new CliError("pass exactly one of --agent <id> or --user <id>", EXIT.usage);
      const client = await authedClient(g(cmd));
      const vault = vaultId(g(cmd));
      const opts = { path: o.path, conditions: o.conditions, expires_at: o.expiresAt };
      const p = await call("Creating policy", () =>
        o.agent ? client.access.grantAgent(vault, o.agent, o.permissions, opts) : client.access.grantHuman(vault, o.user, o.permissions, opts),
      );
      printObject(formatFrom(g(cmd)), p as any);
    });

  policy
    .command("update <policy-id>")
    .description("Change a policy's permissions, conditions or expiry")
    .option("--permissions <list>", "comma-separated: read, write, delete", permissions)
    .option("--conditions <json>", "conditions JSON", json)
    .option("--expires-at <iso>", "policy expiry (ISO 8601)")
    .action(async (id: string, o, cmd: Command) => {
      const body: UpdatePolicyRequest = {};
      if (o.permissions) body.permissions = o.permissions;
      if (o.conditions) body.conditions = o.conditions;
      if (o.expiresAt) body.expires_at = o.expiresAt;
      if (Object.keys(body).length === 0) throw new CliError("nothing to update: pass --permissions, --conditions or --expires-at", EXIT.usage);
      const p = await call("Updating policy", async () => (await authedClient(g(cmd))).access.update(vaultId(g(cmd)), id, body));
      printObject(formatFrom(g(cmd)), p as any);
    });

  policy
    .command("delete <policy-id>")
    .alias("revoke")
    .description("Delete a policy; access stops on the next request")
    .action(async (id: string, _o, cmd: Command) => {
      await call("Deleting policy", async () => (await authedClient(g(cmd))).access.revoke(vaultId(g(cmd)), id));
      note(`Deleted policy ${id}`);
    });
}

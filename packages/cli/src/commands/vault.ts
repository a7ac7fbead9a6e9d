import type { Command } from "commander";
import { updateConfig } from "../config.js";
import { confirm } from "../input.js";
import { formatFrom, note, printObject, printRows } from "../output.js";
import { authedClient, call, type GlobalOptions } from "../session.js";

const COLUMNS: [string, string][] = [
  ["id", "ID"],
  ["name", "NAME"],
  ["description", "DESCRIPTION"],
  ["cmek_enabled", "CMEK"],
  ["created_at", "CREATED"],
];

export function registerVault(program: Command) {
  const vault = program.command("vault").description("Manage vaults");
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  vault
    .command("list")
    .description("List vaults")
    .action(async (_o, cmd: Command) => {
      const res = await call("Loading vaults", async () => (await authedClient(g(cmd))).vaults.list());
      printRows(formatFrom(g(cmd)), (res.vaults ?? []) as any[], COLUMNS);
    });

  vault
    .command("create <name>")
    .description("Create a vault")
    .option("--description <text>", "description")
    .option("--link", "also make it the default vault (like `vault link`)")
    .action(async (name: string, o, cmd: Command) => {
      const v = await call("Creating vault", async () => (await authedClient(g(cmd))).vaults.create({ name, description: o.description }));
      if (o.link) updateConfig((c) => (c["default-vault"] = v.id));
      printObject(formatFrom(g(cmd)), v as any);
    });

  vault
    .command("get <id>")
    .description("Show a vault (including CMEK status)")
    .action(async (id: string, _o, cmd: Command) => {
      const v = await call("Loading vault", async () => (await authedClient(g(cmd))).vaults.get(id));
      printObject(formatFrom(g(cmd)), { ...v, cmek_enabled: v.cmek_enabled ?? false } as any);
    });

  vault
    .command("delete <id>")
    .description("Delete a vault and all its secrets")
    .option("-y, --yes", "do not ask for confirmation (required when not on a terminal)")
    .action(async (id: string, o, cmd: Command) => {
      await confirm(`Delete vault ${id} and all its secrets?`, o.yes);
      await call("Deleting vault", async () => (await authedClient(g(cmd))).vaults.delete(id));
      updateConfig((c) => {
        if (c["default-vault"] === id) delete c["default-vault"];
      });
      note(`Deleted vault ${id}`);
    });

  vault
    .command("link <id>")
    .description("Make <id> the default vault for secret, env, run, policy and share commands")
    .action(async (id: string, _o, cmd: Command) => {
      const v = await call("Checking vault", async () => (await authedClient(g(cmd))).vaults.get(id));
      updateConfig((c) => (c["default-vault"] = v.id));
      note(`Default vault: ${v.name} (${v.id})`);
    });
}

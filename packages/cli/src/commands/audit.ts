import type { Command } from "commander";
import { CliError, EXIT } from "../errors.js";
import { formatFrom, note, printJson, printRows } from "../output.js";
import { authedClient, call, type GlobalOptions } from "../session.js";

const COLUMNS: [string, string][] = [
  ["created_at", "TIME"],
  ["action", "ACTION"],
  ["actor_type", "ACTOR TYPE"],
  ["actor_id", "ACTOR"],
  ["resource_type", "RESOURCE TYPE"],
  ["resource_id", "RESOURCE"],
  ["ip_address", "IP"],
];

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`expected a whole number, got "${v}"`, EXIT.usage);
  return n;
};

export function registerAudit(program: Command) {
  const audit = program.command("audit").description("Audit log");
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOptions;

  audit
    .command("list")
    .description("Query audit events")
    .option("--action <action>", "e.g. secret.read")
    .option("--actor-type <type>", "user | agent | system | anonymous")
    .option("--actor-id <id>", "actor id")
    .option("--resource-id <id>", "resource id")
    .option("--from <iso>", "from time (ISO 8601)")
    .option("--to <iso>", "to time (ISO 8601)")
    .option("--limit <n>", "events per page (1–1000)", int, 50)
    .option("--offset <n>", "skip this many", int)
    .action(async (o, cmd: Command) => {
      const client = await authedClient(g(cmd));
      const res = await call("Loading audit events", () =>
        client.audit.query({
          action: o.action,
          actor_type: o.actorType,
          actor_id: o.actorId,
          resource_id: o.resourceId,
          from: o.from,
          to: o.to,
          limit: o.limit,
          offset: o.offset,
        }),
      );
      if (formatFrom(g(cmd)) === "json") return printJson(res);
      printRows(formatFrom(g(cmd)), res.events as any[], COLUMNS);
    });

  audit
    .command("verify")
    .description("Verify the org's audit hash chain (exit 1 if it is broken)")
    .action(async (_o, cmd: Command) => {
      const r = await call("Verifying audit chain", async () => (await authedClient(g(cmd))).audit.verify());
      if (formatFrom(g(cmd)) === "json") printJson(r);
      else if (r.valid) note(`Audit chain intact (${r.checked} events checked)`);
      else note(`Audit chain BROKEN at event ${r.first_bad_event_id ?? "?"}: ${r.reason ?? "hash mismatch"}`);
      if (!r.valid) process.exitCode = EXIT.failure;
    });
}

import type { Migration, MigrationProvider } from "kysely";
import type { Dialect } from "../../config.js";
import { core } from "./0001_core.js";
import { agentsPolicies } from "./0002_agents_policies.js";
import { sharingOrgSecurity } from "./0003_sharing_org_security.js";
import { accountsBillingAdmin } from "./0004_accounts_billing_admin.js";
import { keysCmek } from "./0005_keys_cmek.js";
import type { MigrationFactory } from "./types.js";

/** Every migration, in order. Each module appends its own file here. */
const ALL: Array<[string, MigrationFactory]> = [
  ["0001_core", core],
  ["0002_agents_policies", agentsPolicies],
  ["0003_sharing_org_security", sharingOrgSecurity],
  ["0004_accounts_billing_admin", accountsBillingAdmin],
];
ALL.push(["0005_keys_cmek", keysCmek]);

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, factory] of ALL) out[name] = factory(dialect);
      return out;
    },
  };
}

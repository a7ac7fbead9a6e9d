import { ModuleStore, type Tx } from "../../store/db.js";

export type PolicyTables = {
  policies: {
    id: string;
    vault_id: string;
    org_id: string;
    secret_path_pattern: string;
    principal_type: string;
    principal_id: string;
    /** JSON array of permission names. */
    permissions: string;
    /** JSON object; `{}` when none. */
    conditions: string;
    expires_at: string | null;
    created_by: string;
    created_by_type: string;
    created_at: string;
  };
};
export type PolicyRow = PolicyTables["policies"];

export class PolicyStore extends ModuleStore<PolicyTables> {
  byVault(vaultId: string) {
    return this.db.selectFrom("policies").selectAll().where("vault_id", "=", vaultId).orderBy("created_at").orderBy("id").execute();
  }

  byId(vaultId: string, id: string) {
    return this.db.selectFrom("policies").selectAll().where("vault_id", "=", vaultId).where("id", "=", id).executeTakeFirst();
  }

  insert(trx: Tx, row: PolicyRow) {
    return this.tx(trx).insertInto("policies").values(row).execute();
  }

  update(trx: Tx, id: string, patch: Partial<Pick<PolicyRow, "permissions" | "conditions" | "expires_at">>) {
    return this.tx(trx).updateTable("policies").set(patch).where("id", "=", id).execute();
  }

  /** Deletes a principal's policies; returns the vaults they were on. */
  async deleteByPrincipal(trx: Tx, type: string, id: string): Promise<string[]> {
    const rows = await this.tx(trx).deleteFrom("policies").where("principal_type", "=", type).where("principal_id", "=", id).returning("vault_id").execute();
    return [...new Set(rows.map((r) => r.vault_id))];
  }

  async delete(trx: Tx, vaultId: string, id: string): Promise<boolean> {
    const r = await this.tx(trx).deleteFrom("policies").where("vault_id", "=", vaultId).where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}

import { ModuleStore, type Tx } from "../../store/db.js";

export type VaultTables = {
  vaults: {
    id: string;
    org_id: string;
    name: string;
    description: string | null;
    created_by: string;
    created_by_type: string;
    wrapped_kek: Buffer;
    kek_version: number;
    cmek_enabled: number;
    cmek_fingerprint: string | null;
    created_at: string;
  };
};
export type VaultRow = VaultTables["vaults"];

export class VaultStore extends ModuleStore<VaultTables> {

  byId(id: string) {
    return this.db.selectFrom("vaults").selectAll().where("id", "=", id).executeTakeFirst();
  }

  listByOrg(orgId: string) {
    return this.db.selectFrom("vaults").selectAll().where("org_id", "=", orgId).orderBy("created_at").orderBy("id").execute();
  }

  insert(trx: Tx, row: VaultRow) {
    return this.tx(trx).insertInto("vaults").values(row).execute();
  }

  update(trx: Tx, id: string, patch: Partial<VaultRow>) {
    return this.tx(trx).updateTable("vaults").set(patch).where("id", "=", id).execute();
  }

  delete(trx: Tx, id: string) {
    return this.tx(trx).deleteFrom("vaults").where("id", "=", id).execute();
  }

  idsByOrg(trx: Tx, orgId: string) {
    return this.tx(trx).selectFrom("vaults").select("id").where("org_id", "=", orgId).execute();
  }
}

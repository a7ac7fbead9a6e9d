import type { Kysely } from "kysely";
import type { CoreTables, Db, Tx } from "../../store/db.js";

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
type VDb = Kysely<CoreTables & VaultTables>;

export class VaultStore {
  private readonly db: VDb;
  constructor(db: Db) {
    this.db = db.withTables<VaultTables>();
  }

  byId(id: string) {
    return this.db.selectFrom("vaults").selectAll().where("id", "=", id).executeTakeFirst();
  }

  listByOrg(orgId: string) {
    return this.db.selectFrom("vaults").selectAll().where("org_id", "=", orgId).orderBy("created_at").orderBy("id").execute();
  }

  insert(trx: Tx, row: VaultRow) {
    return (trx as unknown as VDb).insertInto("vaults").values(row).execute();
  }

  update(trx: Tx, id: string, patch: Partial<VaultRow>) {
    return (trx as unknown as VDb).updateTable("vaults").set(patch).where("id", "=", id).execute();
  }

  delete(trx: Tx, id: string) {
    return (trx as unknown as VDb).deleteFrom("vaults").where("id", "=", id).execute();
  }

  idsByOrg(trx: Tx, orgId: string) {
    return (trx as unknown as VDb).selectFrom("vaults").select("id").where("org_id", "=", orgId).execute();
  }
}

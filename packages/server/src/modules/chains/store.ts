import { ModuleStore, type Tx } from "../../store/db.js";

export type ChainTables = {
  chains: {
    id: string;
    name: string;
    display_name: string;
    chain_id: number;
    rpc_url: string | null;
    ws_url: string | null;
    explorer_url: string | null;
    native_currency: string;
    is_testnet: number;
    is_enabled: number;
    created_at: string;
    updated_at: string;
  };
};
export type ChainRow = ChainTables["chains"];

export class ChainStore extends ModuleStore<ChainTables> {

  list(enabledOnly: boolean) {
    let q = this.db.selectFrom("chains").selectAll();
    if (enabledOnly) q = q.where("is_enabled", "=", 1);
    return q.orderBy("chain_id").execute();
  }

  byId(id: string, trx?: Tx) {
    return this.tx(trx).selectFrom("chains").selectAll().where("id", "=", id).executeTakeFirst();
  }

  byName(name: string) {
    return this.db.selectFrom("chains").selectAll().where("name", "=", name).executeTakeFirst();
  }

  byChainId(chainId: number) {
    return this.db.selectFrom("chains").selectAll().where("chain_id", "=", chainId).executeTakeFirst();
  }

  insert(trx: Tx, row: ChainRow) {
    return this.tx(trx).insertInto("chains").values(row).execute();
  }

  async clash(trx: Tx, name: string, chainId: number) {
    return this.tx(trx).selectFrom("chains").select(["name", "chain_id"]).where((eb) => eb.or([eb("name", "=", name), eb("chain_id", "=", chainId)])).executeTakeFirst();
  }

  update(trx: Tx, id: string, patch: Partial<ChainRow>) {
    return this.tx(trx).updateTable("chains").set(patch).where("id", "=", id).execute();
  }

  async delete(trx: Tx, id: string) {
    const r = await this.tx(trx).deleteFrom("chains").where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}

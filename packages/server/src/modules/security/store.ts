import type { Kysely } from "kysely";
import type { CoreTables, Db, Tx } from "../../store/db.js";

export type SecurityTables = {
  ip_rules: {
    id: string;
    org_id: string;
    rule_type: string;
    cidr: string;
    label: string | null;
    applies_to: string;
    created_by: string;
    created_at: string;
  };
};
export type IpRuleRow = SecurityTables["ip_rules"];
type SDb = Kysely<CoreTables & SecurityTables>;

export class SecurityStore {
  private readonly db: SDb;
  constructor(db: Db) {
    this.db = db.withTables<SecurityTables>();
  }
  private tx(trx: Tx) {
    return trx as unknown as SDb;
  }

  rules(orgId: string) {
    return this.db.selectFrom("ip_rules").selectAll().where("org_id", "=", orgId).orderBy("created_at").orderBy("id").execute();
  }

  rulesIn(trx: Tx, orgId: string) {
    return this.tx(trx).selectFrom("ip_rules").selectAll().where("org_id", "=", orgId).execute();
  }

  insert(trx: Tx, row: IpRuleRow) {
    return this.tx(trx).insertInto("ip_rules").values(row).execute();
  }

  async delete(trx: Tx, orgId: string, id: string): Promise<boolean> {
    const r = await this.tx(trx).deleteFrom("ip_rules").where("org_id", "=", orgId).where("id", "=", id).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }
}

import { ModuleStore, type Tx } from "../../store/db.js";

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

export class SecurityStore extends ModuleStore<SecurityTables> {
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

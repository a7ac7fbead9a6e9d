import { ModuleStore, type Tx } from "../../store/db.js";
import type { BillingTables } from "../billing/store.js";

export type AdminTables = {
  platform_settings: { key: string; value: string; updated_by: string; updated_at: string };
  x402_config: { id: number; config: string; updated_by: string; updated_at: string };
};
export type SettingRow = AdminTables["platform_settings"];

export class AdminStore extends ModuleStore<AdminTables & Pick<BillingTables, "org_billing" | "usage_monthly">> {

  settings() {
    return this.db.selectFrom("platform_settings").selectAll().orderBy("key").execute();
  }

  async putSetting(trx: Tx, row: SettingRow) {
    await this.tx(trx)
      .insertInto("platform_settings")
      .values(row)
      .onConflict((oc) => oc.column("key").doUpdateSet({ value: row.value, updated_by: row.updated_by, updated_at: row.updated_at }))
      .execute();
  }

  async deleteSetting(trx: Tx, key: string) {
    const r = await this.tx(trx).deleteFrom("platform_settings").where("key", "=", key).executeTakeFirst();
    return Number(r.numDeletedRows) === 1;
  }

  x402() {
    return this.db.selectFrom("x402_config").selectAll().where("id", "=", 1).executeTakeFirst();
  }

  async putX402(trx: Tx, config: string, by: string, at: string) {
    await this.tx(trx)
      .insertInto("x402_config")
      .values({ id: 1, config, updated_by: by, updated_at: at })
      .onConflict((oc) => oc.column("id").doUpdateSet({ config, updated_by: by, updated_at: at }))
      .execute();
  }

  async users(limit: number, offset: number, month: string) {
    const rows = await this.db
      .selectFrom("users")
      .innerJoin("orgs", "orgs.id", "users.org_id")
      .leftJoin("org_billing", "org_billing.org_id", "users.org_id")
      .leftJoin("usage_monthly", (j) => j.onRef("usage_monthly.org_id", "=", "users.org_id").on("usage_monthly.month", "=", month))
      .select([
        "users.id",
        "users.email",
        "users.display_name",
        "users.role",
        "users.auth_method",
        "users.org_id",
        "users.created_at",
        "users.is_platform_admin",
        "orgs.name as org_name",
        "orgs.billing_tier",
        "org_billing.free_tier_override",
        "org_billing.is_sponsored",
        "usage_monthly.requests",
      ])
      .orderBy("users.created_at")
      .orderBy("users.id")
      .limit(limit)
      .offset(offset)
      .execute();
    const total = await this.db.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    return { rows, total: Number(total.n) };
  }

  async platformAdminCount(trx: Tx) {
    const r = await trx.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).where("is_platform_admin", "=", 1).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Whether the org has a platform admin other than this user (it is then "the platform org"). */
  async orgHasOtherPlatformAdmin(trx: Tx, orgId: string, userId: string) {
    const r = await trx
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("org_id", "=", orgId)
      .where("is_platform_admin", "=", 1)
      .where("id", "!=", userId)
      .executeTakeFirstOrThrow();
    return Number(r.n) > 0;
  }
}

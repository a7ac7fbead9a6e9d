import { ModuleStore, type Tx } from "../../store/db.js";

export type ApiKeyTables = {
  user_api_keys: {
    id: string;
    user_id: string;
    org_id: string;
    name: string;
    key_prefix: string;
    key_hash: string;
    /** JSON array of path globs; [] = no ceiling. */
    scopes: string;
    is_active: number;
    created_at: string;
    expires_at: string | null;
    last_used_at: string | null;
  };
};
export type ApiKeyRow = ApiKeyTables["user_api_keys"];

export class ApiKeyStore extends ModuleStore<ApiKeyTables> {

  insert(trx: Tx, row: ApiKeyRow) {
    return this.tx(trx).insertInto("user_api_keys").values(row).execute();
  }

  listByUser(userId: string) {
    return this.db.selectFrom("user_api_keys").selectAll().where("user_id", "=", userId).orderBy("created_at").orderBy("id").execute();
  }

  /** The key with this hash, joined with the owner's current org, role and admin flag. */
  byHash(hash: string) {
    return this.db
      .selectFrom("user_api_keys")
      .innerJoin("users", "users.id", "user_api_keys.user_id")
      .select([
        "user_api_keys.id",
        "user_api_keys.user_id",
        "user_api_keys.org_id",
        "user_api_keys.scopes",
        "user_api_keys.is_active",
        "user_api_keys.expires_at",
        "users.org_id as user_org_id",
        "users.role",
        "users.is_platform_admin",
      ])
      .where("user_api_keys.key_hash", "=", hash)
      .executeTakeFirst();
  }

  async deactivate(trx: Tx, id: string, userId: string): Promise<ApiKeyRow | undefined> {
    const t = this.tx(trx);
    const row = await t.selectFrom("user_api_keys").selectAll().where("id", "=", id).where("user_id", "=", userId).executeTakeFirst();
    if (!row) return undefined;
    await t.updateTable("user_api_keys").set({ is_active: 0 }).where("id", "=", id).execute();
    return row;
  }

  async touch(lastUsed: Map<string, string>) {
    for (const [id, at] of lastUsed) {
      await this.db.updateTable("user_api_keys").set({ last_used_at: at }).where("id", "=", id).execute();
    }
  }
}

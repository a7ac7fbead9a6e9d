import type { CoreTables, Db, Tx } from "../../store/db.js";

export type UserRow = CoreTables["users"];

export class AuthStore {
  constructor(private readonly db: Db) {}

  userByEmail(email: string) {
    return this.db.selectFrom("users").selectAll().where("email", "=", email.toLowerCase()).executeTakeFirst();
  }

  userByEmailIn(trx: Tx, email: string) {
    return trx.selectFrom("users").selectAll().where("email", "=", email.toLowerCase()).executeTakeFirst();
  }

  userByIdIn(trx: Tx, id: string) {
    return trx.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  userById(id: string) {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async countUsers(trx: Tx) {
    const r = await trx.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  insertOrg(trx: Tx, org: CoreTables["orgs"]) {
    return trx.insertInto("orgs").values(org).execute();
  }

  insertUser(trx: Tx, user: UserRow) {
    return trx.insertInto("users").values(user).execute();
  }

  updateUser(trx: Tx, id: string, patch: Partial<UserRow>) {
    return trx.updateTable("users").set(patch).where("id", "=", id).execute();
  }

  deleteUser(trx: Tx, id: string) {
    return trx.deleteFrom("users").where("id", "=", id).execute();
  }

  async otherOwners(trx: Tx, orgId: string, userId: string) {
    const r = await trx
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("org_id", "=", orgId)
      .where("role", "=", "owner")
      .where("id", "!=", userId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async orgMemberCount(trx: Tx, orgId: string) {
    const r = await trx.selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).where("org_id", "=", orgId).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  revoke(trx: Tx, jti: string, exp: number) {
    return trx
      .insertInto("revoked_tokens")
      .values({ jti, expires_at: exp })
      .onConflict((oc) => oc.column("jti").doNothing())
      .execute();
  }

  async activeRevocations(nowSeconds: number): Promise<Array<{ jti: string; expires_at: number }>> {
    const rows = await this.db.selectFrom("revoked_tokens").select(["jti", "expires_at"]).where("expires_at", ">", nowSeconds).execute();
    return rows.map((r) => ({ jti: r.jti, expires_at: Number(r.expires_at) }));
  }

  saveVerification(trx: Tx, tokenHash: string, userId: string, expiresAt: string) {
    return trx.insertInto("email_verifications").values({ token_hash: tokenHash, user_id: userId, expires_at: expiresAt }).execute();
  }

  takeVerification(trx: Tx, tokenHash: string): Promise<{ user_id: string; expires_at: string } | undefined> {
    return trx
      .deleteFrom("email_verifications")
      .where("token_hash", "=", tokenHash)
      .returning(["user_id", "expires_at"])
      .executeTakeFirst();
  }
}

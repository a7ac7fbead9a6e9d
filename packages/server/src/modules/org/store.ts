import { sql } from "kysely";
import { ModuleStore, type CoreTables, type Db, type Tx } from "../../store/db.js";

export type OrgTables = {
  org_invites: {
    id: string;
    org_id: string;
    email: string;
    role: string;
    token_hash: string;
    invited_by: string;
    expires_at: string;
    accepted_at: string | null;
    created_at: string;
  };
};
export type InviteRow = OrgTables["org_invites"];
export type MemberRow = CoreTables["users"];

export class OrgStore extends ModuleStore<OrgTables> {
  constructor(
    db: Db,
    private readonly dialect: "sqlite" | "postgres",
  ) {
    super(db);
  }
  members(orgId: string) {
    return this.db.selectFrom("users").selectAll().where("org_id", "=", orgId).orderBy("created_at").orderBy("id").execute();
  }

  userById(id: string) {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  userByIdIn(trx: Tx, id: string) {
    return this.tx(trx).selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  userByEmail(email: string) {
    return this.db.selectFrom("users").selectAll().where("email", "=", email.toLowerCase()).executeTakeFirst();
  }

  /** Serialises membership changes of one org across replicas (PostgreSQL row lock; SQLite writes are serial). */
  async lockOrg(trx: Tx, orgId: string) {
    if (this.dialect === "postgres") await sql`select id from orgs where id = ${orgId} for update`.execute(trx);
  }

  async countMembers(trx: Tx, orgId: string, role?: string) {
    let q = this.tx(trx).selectFrom("users").select((eb) => eb.fn.countAll<number>().as("n")).where("org_id", "=", orgId);
    if (role) q = q.where("role", "=", role);
    return Number((await q.executeTakeFirstOrThrow()).n);
  }

  setMembership(trx: Tx, userId: string, orgId: string, role: string) {
    return this.tx(trx).updateTable("users").set({ org_id: orgId, role }).where("id", "=", userId).execute();
  }

  insertOrg(trx: Tx, org: CoreTables["orgs"]) {
    return this.tx(trx).insertInto("orgs").values(org).execute();
  }

  insertInvite(trx: Tx, row: InviteRow) {
    return this.tx(trx).insertInto("org_invites").values(row).execute();
  }

  /** Earlier unaccepted invitations of the same address are replaced by a new one. */
  dropPendingInvites(trx: Tx, orgId: string, email: string) {
    return this.tx(trx).deleteFrom("org_invites").where("org_id", "=", orgId).where("email", "=", email).where("accepted_at", "is", null).execute();
  }

  inviteByTokenHash(tokenHash: string) {
    return this.db.selectFrom("org_invites").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  }

  /** Marks an invitation used; false when another request used it first. */
  async takeInvite(trx: Tx, id: string, now: string): Promise<boolean> {
    const r = await this.tx(trx).updateTable("org_invites").set({ accepted_at: now }).where("id", "=", id).where("accepted_at", "is", null).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }
}

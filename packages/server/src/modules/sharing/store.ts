import { ModuleStore, type Tx } from "../../store/db.js";
import type { SecretTables } from "../secrets/store.js";

export type ShareTables = {
  shares: {
    id: string;
    org_id: string;
    secret_id: string;
    created_by: string;
    created_by_type: string;
    recipient_type: string;
    /** The user or agent the share is for, once known (an external email is claimed at signup/login). */
    recipient_id: string | null;
    recipient_principal_type: string | null;
    recipient_email: string | null;
    permissions: string;
    passphrase_hash: string | null;
    /** JSON array of canonical CIDRs, or null for any address. */
    ip_allowlist: string | null;
    max_access_count: number;
    access_count: number;
    expires_at: string;
    accepted_at: string | null;
    declined_at: string | null;
    revoked_at: string | null;
    created_at: string;
  };
};
export type ShareRow = ShareTables["shares"];
export type ShareListRow = ShareRow & { secret_path: string };

export class ShareStore extends ModuleStore<SecretTables & ShareTables> {
  insert(trx: Tx, row: ShareRow) {
    return this.tx(trx).insertInto("shares").values(row).execute();
  }

  byId(id: string) {
    return this.db.selectFrom("shares").selectAll().where("id", "=", id).executeTakeFirst();
  }

  byIdIn(trx: Tx, id: string) {
    return this.tx(trx).selectFrom("shares").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /**
   * Counts one access if the share is still live, in one conditional UPDATE so concurrent
   * readers can never exceed max_access_count. Returns the new count, or undefined.
   */
  async consume(trx: Tx, id: string, now: string): Promise<number | undefined> {
    const r = await this.tx(trx)
      .updateTable("shares")
      .set((eb) => ({ access_count: eb("access_count", "+", 1) }))
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .where("declined_at", "is", null)
      .where("expires_at", ">", now)
      .where((eb) => eb("access_count", "<", eb.ref("max_access_count")))
      .returning("access_count")
      .executeTakeFirst();
    return r?.access_count;
  }

  private listQuery() {
    return this.db
      .selectFrom("shares")
      .innerJoin("secrets", "secrets.id", "shares.secret_id")
      .selectAll("shares")
      .select("secrets.path as secret_path")
      .where("shares.revoked_at", "is", null)
      .orderBy("shares.created_at", "desc")
      .orderBy("shares.id");
  }

  outbound(orgId: string, creatorId: string, creatorType: string): Promise<ShareListRow[]> {
    return this.listQuery().where("shares.org_id", "=", orgId).where("shares.created_by", "=", creatorId).where("shares.created_by_type", "=", creatorType).execute();
  }

  inbound(recipientId: string, recipientType: string): Promise<ShareListRow[]> {
    return this.listQuery()
      .where("shares.recipient_id", "=", recipientId)
      .where("shares.recipient_principal_type", "=", recipientType)
      .where("shares.declined_at", "is", null)
      .execute();
  }

  /** Shares of an org still usable: not revoked, declined, expired or used up. */
  async countLive(orgId: string, now: string): Promise<number> {
    const r = await this.db
      .selectFrom("shares")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("org_id", "=", orgId)
      .where("revoked_at", "is", null)
      .where("declined_at", "is", null)
      .where("expires_at", ">", now)
      .where((eb) => eb("access_count", "<", eb.ref("max_access_count")))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  update(trx: Tx, id: string, patch: Partial<ShareRow>) {
    return this.tx(trx).updateTable("shares").set(patch).where("id", "=", id).execute();
  }

  async hasPendingFor(email: string): Promise<boolean> {
    const r = await this.db
      .selectFrom("shares")
      .select("id")
      .where("recipient_type", "=", "external_email")
      .where("recipient_email", "=", email)
      .where("recipient_id", "is", null)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Pending email shares to this address become the user's; returns them. */
  async claimEmail(trx: Tx, email: string, userId: string): Promise<Array<Pick<ShareRow, "id" | "org_id" | "recipient_email">>> {
    const t = this.tx(trx);
    const pending = await t
      .selectFrom("shares")
      .select(["id", "org_id", "recipient_email"])
      .where("recipient_type", "=", "external_email")
      .where("recipient_email", "=", email)
      .where("recipient_id", "is", null)
      .where("revoked_at", "is", null)
      .execute();
    if (pending.length) {
      await t
        .updateTable("shares")
        .set({ recipient_id: userId, recipient_principal_type: "user" })
        .where("id", "in", pending.map((s) => s.id))
        .where("recipient_id", "is", null)
        .execute();
    }
    return pending;
  }

  /** A user leaving an org: their shares there end, and so do shares addressed to them as a member. */
  async revokeForLeaver(trx: Tx, orgId: string, userId: string, now: string): Promise<number> {
    const t = this.tx(trx);
    const made = await t
      .updateTable("shares")
      .set({ revoked_at: now })
      .where("org_id", "=", orgId)
      .where("created_by", "=", userId)
      .where("created_by_type", "=", "user")
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    const received = await t
      .updateTable("shares")
      .set({ revoked_at: now })
      .where("org_id", "=", orgId)
      .where("recipient_id", "=", userId)
      .where("recipient_principal_type", "=", "user")
      .where("recipient_type", "in", ["user", "creator"])
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(made.numUpdatedRows) + Number(received.numUpdatedRows);
  }
}

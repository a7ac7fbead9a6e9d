import { ModuleStore, type Tx } from "../../store/db.js";

export type MfaTables = {
  user_mfa: {
    user_id: string;
    /** Enabled TOTP secret, AES-256-GCM under the server MFA key (wrapped by the root key). */
    secret_sealed: Buffer | null;
    /** Secret of an enrollment not yet confirmed with a code. */
    pending_secret_sealed: Buffer | null;
    /** JSON array of keyed hashes of unused recovery codes. */
    recovery_codes: string;
    /** Last TOTP time step accepted: codes of this step or earlier are refused (no replay). */
    last_step: number;
    updated_at: string;
  };
};
export type MfaRow = MfaTables["user_mfa"];

export class MfaStore extends ModuleStore<MfaTables> {

  async byUser(userId: string): Promise<MfaRow | undefined> {
    const row = await this.db.selectFrom("user_mfa").selectAll().where("user_id", "=", userId).executeTakeFirst();
    return row ? { ...row, last_step: Number(row.last_step) } : undefined;
  }

  async savePending(trx: Tx, userId: string, sealed: Buffer, now: string) {
    const t = this.tx(trx);
    await t
      .insertInto("user_mfa")
      .values({ user_id: userId, secret_sealed: null, pending_secret_sealed: sealed, recovery_codes: "[]", last_step: 0, updated_at: now })
      .onConflict((oc) => oc.column("user_id").doUpdateSet({ pending_secret_sealed: sealed, updated_at: now }))
      .execute();
  }

  async enable(trx: Tx, userId: string, sealed: Buffer, recoveryHashes: string[], step: number, now: string) {
    const t = this.tx(trx);
    await t
      .updateTable("user_mfa")
      .set({ secret_sealed: sealed, pending_secret_sealed: null, recovery_codes: JSON.stringify(recoveryHashes), last_step: step, updated_at: now })
      .where("user_id", "=", userId)
      .execute();
    await t.updateTable("users").set({ totp_enabled: 1 }).where("id", "=", userId).execute();
  }

  /** Records a step as used only if it is newer than the last one; false = replay or race lost. */
  async claimStep(trx: Tx, userId: string, step: number): Promise<boolean> {
    const r = await this.tx(trx).updateTable("user_mfa").set({ last_step: step }).where("user_id", "=", userId).where("last_step", "<", step).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Removes one recovery code hash if the list is unchanged since it was read; false = already used. */
  async consumeRecovery(trx: Tx, userId: string, before: string, after: string): Promise<boolean> {
    const r = await this.tx(trx)
      .updateTable("user_mfa")
      .set({ recovery_codes: after })
      .where("user_id", "=", userId)
      .where("recovery_codes", "=", before)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async disable(trx: Tx, userId: string) {
    const t = this.tx(trx);
    await t.deleteFrom("user_mfa").where("user_id", "=", userId).execute();
    await t.updateTable("users").set({ totp_enabled: 0 }).where("id", "=", userId).execute();
  }
}

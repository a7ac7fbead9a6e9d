import { ModuleStore, type Tx } from "../../store/db.js";
import type { SecretTables } from "../secrets/store.js";
import type { VaultTables } from "../vaults/store.js";

export type CmekTables = {
  cmek_rotation_jobs: {
    id: string;
    vault_id: string;
    old_fingerprint: string;
    new_fingerprint: string;
    status: "pending" | "running" | "completed" | "failed";
    total_secrets: number;
    processed: number;
    error: string | null;
    created_by: string;
    created_at: string;
    started_at: string | null;
    heartbeat_at: string | null;
    completed_at: string | null;
  };
};
export type CmekJobRow = CmekTables["cmek_rotation_jobs"];

/** A secret version still under the old CMEK key, with what is needed to open and re-seal it. */
export interface CmekItem {
  secret_id: string;
  version: number;
  path: string;
  ciphertext: Buffer;
  iv: Buffer;
  wrapped_dek: Buffer;
  kek_version: number;
}

export class CmekStore extends ModuleStore<CmekTables & VaultTables & SecretTables> {
  setCmek(trx: Tx, vaultId: string, enabled: boolean, fingerprint: string | null) {
    return this.tx(trx).updateTable("vaults").set({ cmek_enabled: enabled ? 1 : 0, cmek_fingerprint: fingerprint }).where("id", "=", vaultId).execute();
  }

  async countUnder(vaultId: string, fingerprint: string): Promise<number> {
    const r = await this.db
      .selectFrom("secret_versions as v")
      .innerJoin("secrets as s", "s.id", "v.secret_id")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("s.vault_id", "=", vaultId)
      .where("v.cmek_fingerprint", "=", fingerprint)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  batchUnder(vaultId: string, fingerprint: string, limit: number): Promise<CmekItem[]> {
    return this.db
      .selectFrom("secret_versions as v")
      .innerJoin("secrets as s", "s.id", "v.secret_id")
      .select(["v.secret_id", "v.version", "s.path", "v.ciphertext", "v.iv", "v.wrapped_dek", "v.kek_version"])
      .where("s.vault_id", "=", vaultId)
      .where("v.cmek_fingerprint", "=", fingerprint)
      .orderBy("v.secret_id")
      .orderBy("v.version")
      .limit(limit)
      .execute();
  }

  reseal(trx: Tx, item: CmekItem, from: string, to: { ciphertext: Buffer; iv: Buffer; wrapped_dek: Buffer; kek_version: number; cmek_fingerprint: string }) {
    return this.tx(trx)
      .updateTable("secret_versions")
      .set(to)
      .where("secret_id", "=", item.secret_id)
      .where("version", "=", item.version)
      .where("cmek_fingerprint", "=", from)
      .execute();
  }

  insertJob(trx: Tx, row: CmekJobRow) {
    return this.tx(trx).insertInto("cmek_rotation_jobs").values(row).execute();
  }

  job(vaultId: string, id: string) {
    return this.db.selectFrom("cmek_rotation_jobs").selectAll().where("vault_id", "=", vaultId).where("id", "=", id).executeTakeFirst();
  }

  runningJob(vaultId: string) {
    return this.db.selectFrom("cmek_rotation_jobs").selectAll().where("vault_id", "=", vaultId).where("status", "=", "running").executeTakeFirst();
  }

  /** An earlier job from this old key to the vault's current one: its old key may resume it. */
  priorJob(vaultId: string, oldFp: string, newFp: string) {
    return this.db
      .selectFrom("cmek_rotation_jobs")
      .select("id")
      .where("vault_id", "=", vaultId)
      .where("old_fingerprint", "=", oldFp)
      .where("new_fingerprint", "=", newFp)
      .executeTakeFirst();
  }

  progress(trx: Tx, id: string, n: number, at: string) {
    return this.tx(trx)
      .updateTable("cmek_rotation_jobs")
      .set((eb) => ({ processed: eb("processed", "+", n), heartbeat_at: at }))
      .where("id", "=", id)
      .execute();
  }

  finish(id: string, status: "completed" | "failed", at: string, error: string | null) {
    return this.db.updateTable("cmek_rotation_jobs").set({ status, completed_at: at, error, heartbeat_at: at }).where("id", "=", id).execute();
  }
}

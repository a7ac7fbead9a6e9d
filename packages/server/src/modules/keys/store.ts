import type { Kysely } from "kysely";
import type { CoreTables, Db, Tx } from "../../store/db.js";
import type { SecretTables } from "../secrets/store.js";
import type { VaultTables } from "../vaults/store.js";

export type KeyTables = {
  vault_keks: {
    vault_id: string;
    version: number;
    wrapped_kek: Buffer;
    created_at: string;
    retired_at: string | null;
  };
  key_jobs: {
    id: string;
    kind: "root" | "vault" | "migrate";
    subject: string;
    target_version: number;
    status: "running" | "completed" | "failed";
    processed: number;
    error: string | null;
    created_at: string;
    completed_at: string | null;
  };
};
export type KeyJobRow = KeyTables["key_jobs"];
type KDb = Kysely<CoreTables & KeyTables & VaultTables & SecretTables>;

/** A secret version whose DEK is still wrapped by an older KEK version. */
export interface StaleDek {
  secret_id: string;
  version: number;
  path: string;
  wrapped_dek: Buffer;
  kek_version: number;
}

export class KeyStore {
  readonly db: KDb;
  constructor(db: Db) {
    this.db = db.withTables<KeyTables & VaultTables & SecretTables>();
  }
  tx(trx: Tx) {
    return trx as unknown as KDb;
  }

  kek(vaultId: string, version: number) {
    return this.db.selectFrom("vault_keks").select("wrapped_kek").where("vault_id", "=", vaultId).where("version", "=", version).executeTakeFirst();
  }

  openJob(kind: KeyJobRow["kind"], subject: string) {
    return this.db.selectFrom("key_jobs").selectAll().where("kind", "=", kind).where("subject", "=", subject).where("status", "=", "running").executeTakeFirst();
  }

  insertJob(trx: Tx | KDb, row: KeyJobRow) {
    return (trx as KDb).insertInto("key_jobs").values(row).execute();
  }

  progress(trx: Tx | KDb, id: string, processed: number) {
    return (trx as KDb).updateTable("key_jobs").set((eb) => ({ processed: eb("processed", "+", processed) })).where("id", "=", id).execute();
  }

  finishJob(id: string, status: "completed" | "failed", at: string, error: string | null = null) {
    return this.db.updateTable("key_jobs").set({ status, completed_at: at, error }).where("id", "=", id).execute();
  }

  job(id: string) {
    return this.db.selectFrom("key_jobs").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
  }

  /** Every root-wrapped blob: vault KEKs (current and old versions) and server keys. */
  async rootWrapped() {
    const vaults = await this.db.selectFrom("vaults").select(["id", "wrapped_kek"]).execute();
    const old = await this.db.selectFrom("vault_keks").select(["vault_id", "version", "wrapped_kek"]).execute();
    const server = await this.db.selectFrom("server_keys").select(["name", "wrapped"]).execute();
    return { vaults, old, server };
  }

  /** Compare-and-set, so a blob changed meanwhile (another rotation) is left alone and seen next pass. */
  async swapVaultKek(vaultId: string, from: Buffer, to: Buffer) {
    await this.db.updateTable("vaults").set({ wrapped_kek: to }).where("id", "=", vaultId).where("wrapped_kek", "=", from).execute();
  }
  async swapOldKek(vaultId: string, version: number, from: Buffer, to: Buffer) {
    await this.db
      .updateTable("vault_keks")
      .set({ wrapped_kek: to })
      .where("vault_id", "=", vaultId)
      .where("version", "=", version)
      .where("wrapped_kek", "=", from)
      .execute();
  }
  async swapServerKey(name: string, from: Buffer, to: Buffer) {
    await this.db.updateTable("server_keys").set({ wrapped: to }).where("name", "=", name).where("wrapped", "=", from).execute();
  }

  staleDeks(vaultId: string, currentVersion: number, limit: number): Promise<StaleDek[]> {
    return this.db
      .selectFrom("secret_versions as v")
      .innerJoin("secrets as s", "s.id", "v.secret_id")
      .select(["v.secret_id", "v.version", "s.path", "v.wrapped_dek", "v.kek_version"])
      .where("s.vault_id", "=", vaultId)
      .where("v.kek_version", "!=", currentVersion)
      .orderBy("v.secret_id")
      .orderBy("v.version")
      .limit(limit)
      .execute();
  }

  rewrapDek(trx: Tx, d: StaleDek, wrappedDek: Buffer, kekVersion: number) {
    return this.tx(trx)
      .updateTable("secret_versions")
      .set({ wrapped_dek: wrappedDek, kek_version: kekVersion })
      .where("secret_id", "=", d.secret_id)
      .where("version", "=", d.version)
      .where("kek_version", "=", d.kek_version)
      .execute();
  }

  retireOldKeks(vaultId: string, currentVersion: number, at: string) {
    return this.db
      .updateTable("vault_keks")
      .set({ retired_at: at })
      .where("vault_id", "=", vaultId)
      .where("version", "!=", currentVersion)
      .where("retired_at", "is", null)
      .execute();
  }
}

import { sql } from "kysely";
import { ModuleStore, precompiled, type Db, type Tx } from "../../store/db.js";

export type SecretTables = {
  secrets: {
    id: string;
    vault_id: string;
    path: string;
    latest_version: number;
    deleted_at: string | null;
    created_at: string;
  };
  secret_versions: {
    secret_id: string;
    version: number;
    type: string;
    ciphertext: Buffer;
    iv: Buffer;
    wrapped_dek: Buffer;
    kek_version: number;
    metadata: string | null;
    expires_at: string | null;
    max_access_count: number | null;
    access_count: number;
    cmek_fingerprint: string | null;
    created_by: string;
    created_by_type: string;
    created_at: string;
  };
};
export type VersionRow = SecretTables["secret_versions"];
export type SecretWithVersion = VersionRow & { id: string; path: string; vault_id: string; deleted_at: string | null; latest_version: number };

const VERSION_COLUMNS = [
  "v.secret_id",
  "v.version",
  "v.type",
  "v.ciphertext",
  "v.iv",
  "v.wrapped_dek",
  "v.kek_version",
  "v.metadata",
  "v.expires_at",
  "v.max_access_count",
  "v.access_count",
  "v.cmek_fingerprint",
  "v.created_by",
  "v.created_by_type",
  "v.created_at",
  "s.id",
  "s.path",
  "s.vault_id",
  "s.deleted_at",
  "s.latest_version",
] as const;

export class SecretStore extends ModuleStore<SecretTables> {
  private readonly findLatest;
  private readonly findVersion;
  constructor(db: Db) {
    super(db);
    this.findLatest = precompiled(this.db, (d, vaultId: string, path: string) =>
      d
        .selectFrom("secrets as s")
        .innerJoin("secret_versions as v", (j) => j.onRef("v.secret_id", "=", "s.id").onRef("v.version", "=", "s.latest_version"))
        .select(VERSION_COLUMNS)
        .where("s.vault_id", "=", vaultId)
        .where("s.path", "=", path),
    ) as (vaultId: string, path: string) => Promise<SecretWithVersion[]>;
    this.findVersion = precompiled(this.db, (d, vaultId: string, path: string, version: number) =>
      d
        .selectFrom("secrets as s")
        .innerJoin("secret_versions as v", (j) => j.onRef("v.secret_id", "=", "s.id").on("v.version", "=", version))
        .select(VERSION_COLUMNS)
        .where("s.vault_id", "=", vaultId)
        .where("s.path", "=", path),
    ) as (vaultId: string, path: string, version: number) => Promise<SecretWithVersion[]>;
  }
  /** The latest version (or the given one) of a path, with the path's state. One query, compiled once. */
  async find(vaultId: string, path: string, version?: number): Promise<SecretWithVersion | undefined> {
    const rows = version === undefined ? await this.findLatest(vaultId, path) : await this.findVersion(vaultId, path, version);
    return rows[0];
  }

  /** Latest version of every live path, optionally under a prefix, metadata columns only. */
  list(vaultId: string, prefix?: string) {
    let q = this.db
      .selectFrom("secrets as s")
      .innerJoin("secret_versions as v", (j) => j.onRef("v.secret_id", "=", "s.id").onRef("v.version", "=", "s.latest_version"))
      .select(["s.id", "s.path", "v.type", "v.version", "v.metadata", "v.created_at", "v.expires_at", "v.max_access_count", "v.access_count", "v.cmek_fingerprint"])
      .where("s.vault_id", "=", vaultId)
      .where("s.deleted_at", "is", null);
    if (prefix) q = q.where(sql<string>`substr(s.path, 1, ${prefix.length})`, "=", prefix);
    return q.orderBy("s.path").execute();
  }

  versions(secretId: string) {
    return this.db
      .selectFrom("secret_versions")
      .select(["secret_id as id", "type", "version", "metadata", "created_at", "expires_at", "max_access_count", "access_count", "cmek_fingerprint"])
      .where("secret_id", "=", secretId)
      .orderBy("version", "desc")
      .execute();
  }

  /** Reserves the next version of a path (creating or reviving it) in one statement; row-locked on PostgreSQL. */
  async nextVersion(trx: Tx, id: string, vaultId: string, path: string, now: string): Promise<{ id: string; version: number }> {
    const row = await this.tx(trx)
      .insertInto("secrets")
      .values({ id, vault_id: vaultId, path, latest_version: 1, deleted_at: null, created_at: now })
      .onConflict((oc) =>
        oc.columns(["vault_id", "path"]).doUpdateSet((eb) => ({ latest_version: eb(eb.ref("secrets.latest_version"), "+", 1), deleted_at: null })),
      )
      .returning(["id", "latest_version"])
      .executeTakeFirstOrThrow();
    return { id: row.id, version: Number(row.latest_version) };
  }

  insertVersion(trx: Tx, row: VersionRow) {
    return this.tx(trx).insertInto("secret_versions").values(row).execute();
  }

  /** Counts one read and returns the new count; null when the version has no reads left. Atomic under concurrency. */
  async consumeAccess(trx: Tx, secretId: string, version: number): Promise<number | null> {
    const r = await this.tx(trx)
      .updateTable("secret_versions")
      .set((eb) => ({ access_count: eb("access_count", "+", 1) }))
      .where("secret_id", "=", secretId)
      .where("version", "=", version)
      .where((eb) => eb.or([eb("max_access_count", "is", null), eb("access_count", "<", eb.ref("max_access_count"))]))
      .returning("access_count")
      .executeTakeFirst();
    return r ? Number(r.access_count) : null;
  }

  async softDelete(trx: Tx, vaultId: string, path: string, now: string): Promise<string | undefined> {
    const r = await this.tx(trx)
      .updateTable("secrets")
      .set({ deleted_at: now })
      .where("vault_id", "=", vaultId)
      .where("path", "=", path)
      .where("deleted_at", "is", null)
      .returning("id")
      .executeTakeFirst();
    return r?.id;
  }

  /** Vault and path of a secret by id (shares address secrets by id). */
  locate(secretId: string) {
    return this.db.selectFrom("secrets").select(["id", "vault_id", "path"]).where("id", "=", secretId).executeTakeFirst();
  }
}

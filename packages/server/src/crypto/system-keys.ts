import crypto from "node:crypto";
import type { Db } from "../store/db.js";
import { nowIso } from "../store/db.js";
import type { KeyProvider } from "./key-provider.js";
import { KeyIntegrityError } from "./key-provider.js";

const ROOT_CHECK = Buffer.from("oneclaw root key check v1");

export class WrongRootKeyError extends Error {}

/**
 * Server-wide key material (JWT signing key, API-key pepper, MFA key), stored only wrapped by
 * the root key. Created on first start; later replicas read what the first one stored.
 */
export class SystemKeys {
  constructor(
    private readonly db: Db,
    private readonly provider: KeyProvider,
  ) {}

  /** Refuses to start when the root key does not match the one this database was created with. */
  async checkRootKey(): Promise<void> {
    const wrapped = await this.loadOrCreate("root_check", () => ROOT_CHECK);
    try {
      const plain = await this.provider.unwrap(wrapped, Buffer.from("root_check"));
      if (!plain.equals(ROOT_CHECK)) throw new KeyIntegrityError();
    } catch (e) {
      if (e instanceof KeyIntegrityError) {
        throw new WrongRootKeyError(
          "the root key does not match this database (wrong ONECLAW_MASTER_KEY, master.key or HSM key); refusing to start",
        );
      }
      throw e;
    }
  }

  /** Returns the named key, generating `bytes` random bytes on first use. */
  async get(name: string, bytes = 32, generate?: () => Buffer): Promise<Buffer> {
    const wrapped = await this.loadOrCreate(name, generate ?? (() => crypto.randomBytes(bytes)));
    return this.provider.unwrap(wrapped, Buffer.from(name));
  }

  private async loadOrCreate(name: string, generate: () => Buffer): Promise<Buffer> {
    const row = await this.db.selectFrom("server_keys").select("wrapped").where("name", "=", name).executeTakeFirst();
    if (row) return row.wrapped;
    const wrapped = await this.provider.wrap(generate(), Buffer.from(name));
    await this.db
      .insertInto("server_keys")
      .values({ name, wrapped, created_at: nowIso() })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    const stored = await this.db.selectFrom("server_keys").select("wrapped").where("name", "=", name).executeTakeFirstOrThrow();
    return stored.wrapped;
  }
}

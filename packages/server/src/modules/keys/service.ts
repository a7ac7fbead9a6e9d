import type { AppContext } from "../../context.js";
import { KeyIntegrityError, RootKeyRetiredError, type VaultKey } from "../../crypto/key-provider.js";
import type { VaultService } from "../vaults/service.js";
import type { VaultRow } from "../vaults/store.js";
import { KeyStore } from "./store.js";

/**
 * Which vault key opens a secret version. Versions record the KEK version they were written
 * under; during a KEK rotation some still point at the previous KEK (kept in vault_keks).
 */
export class KeyService {
  readonly store: KeyStore;

  constructor(
    private readonly ctx: AppContext,
    private readonly vaults: VaultService,
  ) {
    this.store = new KeyStore(ctx.db);
  }

  /** The hot path: one keyring hit. A stale blob (root rotated by another process) is re-read once. */
  kekFor = async (vault: VaultRow, version: number): Promise<VaultKey> => {
    const key = await (this.ctx.keyring.cached(vault.id, version) ?? this.open(vault, version));
    return {
      wrapDek: (dek, aad) => this.retry(vault, version, key, (k) => k.wrapDek(dek, aad)),
      unwrapDek: (wrapped, aad) => this.retry(vault, version, key, (k) => k.unwrapDek(wrapped, aad)),
    };
  };

  private async retry(vault: VaultRow, version: number, key: VaultKey, op: (k: VaultKey) => Buffer | Promise<Buffer>): Promise<Buffer> {
    try {
      return await op(key);
    } catch (e) {
      if (!(e instanceof RootKeyRetiredError)) throw e;
      await this.vaults.changed(vault.id);
      const fresh = await this.vaults.find(vault.id);
      if (!fresh) throw e;
      return op(await this.open(fresh, version));
    }
  }

  private async open(vault: VaultRow, version: number): Promise<VaultKey> {
    try {
      return await this.openOnce(vault, version);
    } catch (e) {
      if (!(e instanceof KeyIntegrityError)) throw e;
      // Our copy of the vault row may predate a rotation done by another process.
      await this.vaults.changed(vault.id);
      const fresh = await this.vaults.find(vault.id);
      if (!fresh) throw e;
      return this.openOnce(fresh, version);
    }
  }

  private async openOnce(vault: VaultRow, version: number): Promise<VaultKey> {
    if (version === vault.kek_version) return this.ctx.keyring.vaultKey(vault.id, vault.wrapped_kek, version);
    const old = await this.store.kek(vault.id, version);
    if (!old) throw new KeyIntegrityError(`vault key version ${version} is missing`);
    return this.ctx.keyring.vaultKey(vault.id, old.wrapped_kek, version);
  }
}

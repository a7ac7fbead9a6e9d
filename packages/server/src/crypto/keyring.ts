import type { KeyProvider, VaultKey } from "./key-provider.js";

/**
 * Opened vault keys, bounded and least-recently-used, per vault and KEK version (a vault being
 * re-keyed has secrets under its old and new KEK). Entries are dropped when a vault's KEK
 * changes or the vault is deleted. Holds key handles only, never secret values.
 */
export class Keyring {
  private readonly cache = new Map<string, Promise<VaultKey>>();

  constructor(
    readonly provider: KeyProvider,
    private readonly max = 10_000,
  ) {}

  createVaultKey(vaultId: string): Promise<Buffer> {
    return this.provider.createVaultKey(vaultId);
  }

  /** The cached key for this vault and KEK version, if open. */
  cached(vaultId: string, version: number): Promise<VaultKey> | undefined {
    const id = `${vaultId}#${version}`;
    const hit = this.cache.get(id);
    if (hit) {
      this.cache.delete(id);
      this.cache.set(id, hit);
    }
    return hit;
  }

  vaultKey(vaultId: string, wrappedKek: Buffer, version = 1): Promise<VaultKey> {
    const hit = this.cached(vaultId, version);
    if (hit) return hit;
    const id = `${vaultId}#${version}`;
    const key = this.provider.openVaultKey(vaultId, wrappedKek);
    key.catch(() => this.cache.delete(id));
    this.cache.set(id, key);
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value!);
    return key;
  }

  forget(vaultId: string): void {
    for (const id of this.cache.keys()) if (id.startsWith(`${vaultId}#`)) this.cache.delete(id);
  }
}

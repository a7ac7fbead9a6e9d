import type { KeyProvider, VaultKey } from "./key-provider.js";

/**
 * Opened vault keys, bounded and least-recently-used. Entries are dropped when a vault's
 * KEK changes or the vault is deleted. Holds key handles only, never secret values.
 */
export class Keyring {
  private readonly cache = new Map<string, { version: number; key: Promise<VaultKey> }>();

  constructor(
    readonly provider: KeyProvider,
    private readonly max = 10_000,
  ) {}

  createVaultKey(vaultId: string): Promise<Buffer> {
    return this.provider.createVaultKey(vaultId);
  }

  vaultKey(vaultId: string, wrappedKek: Buffer, version = 1): Promise<VaultKey> {
    const hit = this.cache.get(vaultId);
    if (hit && hit.version === version) {
      this.cache.delete(vaultId);
      this.cache.set(vaultId, hit);
      return hit.key;
    }
    const key = this.provider.openVaultKey(vaultId, wrappedKek);
    key.catch(() => this.cache.delete(vaultId));
    this.cache.set(vaultId, { version, key });
    if (this.cache.size > this.max) this.cache.delete(this.cache.keys().next().value!);
    return key;
  }

  forget(vaultId: string): void {
    this.cache.delete(vaultId);
  }
}

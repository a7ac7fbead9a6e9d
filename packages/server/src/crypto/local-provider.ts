import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { open, seal } from "./aead.js";
import type { KeyProvider, VaultKey } from "./key-provider.js";

export const kekAad = (vaultId: string) => Buffer.from(`oneclaw:kek:${vaultId}`);

class LocalVaultKey implements VaultKey {
  constructor(private readonly kek: Buffer) {}
  wrapDek(dek: Buffer, aad: Buffer): Buffer {
    return seal(this.kek, dek, aad);
  }
  unwrapDek(wrapped: Buffer, aad: Buffer): Buffer {
    return open(this.kek, wrapped, aad);
  }
}

/** Root key from ONECLAW_MASTER_KEY or `<dataDir>/master.key` (created with mode 0600). */
export class LocalKeyProvider implements KeyProvider {
  readonly name = "local" as const;
  private constructor(private readonly root: Buffer) {}

  static open(opts: { dataDir: string; masterKey?: Buffer }): LocalKeyProvider {
    if (opts.masterKey) return new LocalKeyProvider(opts.masterKey);
    const file = path.join(opts.dataDir, "master.key");
    fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    try {
      const fd = fs.openSync(file, "wx", 0o600);
      fs.writeSync(fd, crypto.randomBytes(32).toString("base64") + "\n");
      fs.closeSync(fd);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const key = Buffer.from(fs.readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return new LocalKeyProvider(key);
  }

  async wrap(plaintext: Buffer, aad: Buffer): Promise<Buffer> {
    return seal(this.root, plaintext, aad);
  }
  async unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer> {
    return open(this.root, wrapped, aad);
  }
  async createVaultKey(vaultId: string): Promise<Buffer> {
    return seal(this.root, crypto.randomBytes(32), kekAad(vaultId));
  }
  async openVaultKey(vaultId: string, wrappedKek: Buffer): Promise<VaultKey> {
    return new LocalVaultKey(open(this.root, wrappedKek, kekAad(vaultId)));
  }
  async health() {
    return { connected: true };
  }
  async close() {}
}

import crypto from "node:crypto";
import { open, seal } from "./aead.js";
import type { VaultKey } from "./key-provider.js";

export interface SealedSecret {
  ciphertext: Buffer;
  iv: Buffer;
  wrappedDek: Buffer;
}

/** Binds a ciphertext to its row, so one moved to another vault, path or version fails to open. */
export const secretAad = (vaultId: string, path: string, version: number) =>
  Buffer.from(JSON.stringify(["oneclaw:secret:v1", vaultId, path, version]));

/** A fresh 256-bit DEK per version; value under AES-256-GCM; DEK wrapped by the vault KEK. */
export async function sealSecret(kek: VaultKey, plaintext: Buffer, aad: Buffer): Promise<SealedSecret> {
  const dek = crypto.randomBytes(32);
  try {
    const box = seal(dek, plaintext, aad);
    return { iv: box.subarray(0, 12), ciphertext: box.subarray(12), wrappedDek: await kek.wrapDek(dek, aad) };
  } finally {
    dek.fill(0);
  }
}

export async function openSecret(kek: VaultKey, sealed: SealedSecret, aad: Buffer): Promise<Buffer> {
  const dek = await kek.unwrapDek(sealed.wrappedDek, aad);
  try {
    return open(dek, Buffer.concat([sealed.iv, sealed.ciphertext]), aad);
  } finally {
    dek.fill(0);
  }
}

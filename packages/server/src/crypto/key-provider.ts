/**
 * The root of trust. A provider wraps and unwraps key material under the root key and
 * opens vault keys (KEKs). With `local` the root key lives in process memory; with
 * `pkcs11` it never leaves the HSM and vault keys are HSM session objects.
 */
export interface KeyProvider {
  readonly name: "local" | "pkcs11";
  /** Wraps key material (a vault KEK, the JWT signing key, …) under the root key. */
  wrap(plaintext: Buffer, aad: Buffer): Promise<Buffer>;
  unwrap(wrapped: Buffer, aad: Buffer): Promise<Buffer>;
  /** Creates a new vault KEK and returns it wrapped by the root key. */
  createVaultKey(vaultId: string): Promise<Buffer>;
  /** Opens a wrapped vault KEK for DEK wrapping; the result may be cached by the caller. */
  openVaultKey(vaultId: string, wrappedKek: Buffer): Promise<VaultKey>;
  health(): Promise<{ connected: boolean; token?: string }>;
  close(): Promise<void>;
}

export interface VaultKey {
  wrapDek(dek: Buffer, aad: Buffer): Buffer | Promise<Buffer>;
  unwrapDek(wrapped: Buffer, aad: Buffer): Buffer | Promise<Buffer>;
}

export class KeyIntegrityError extends Error {
  constructor(message = "ciphertext failed authentication") {
    super(message);
  }
}

/**
 * Root key versions, for online rotation (`1claw server rotate-root-key`). Every blob records
 * the root version that wrapped it; old versions keep opening until they are retired.
 */
export interface RootKeyRotation {
  currentRootVersion(): Promise<number>;
  /** The root version a blob was wrapped under, or undefined when the blob is not this provider's. */
  rootVersionOf(wrapped: Buffer): number | undefined;
  createRootVersion(version: number): Promise<void>;
  retireRootVersion(version: number): Promise<void>;
  rootVersions(): number[];
  rewrapKek(vaultId: string, wrappedKek: Buffer, toVersion: number): Promise<Buffer>;
  rewrap(wrapped: Buffer, aad: Buffer, toVersion: number): Promise<Buffer>;
}

/** A blob names a root key version that has been rotated away; the caller holds a stale copy. */
export class RootKeyRetiredError extends KeyIntegrityError {}

export const supportsRotation = (p: KeyProvider): p is KeyProvider & RootKeyRotation =>
  typeof (p as Partial<RootKeyRotation>).createRootVersion === "function";

import { invalidField } from "../../pipeline/errors.js";

/** Client-side CMEK blob: 0x01 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte GCM tag. */
export const CMEK_BLOB_VERSION = 0x01;
export const CMEK_MIN_BLOB = 1 + 12 + 16;

/** Decodes canonical (padded, standard-alphabet) base64, or undefined. */
export function strictBase64(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(value, "base64");
  return bytes.toString("base64") === value ? bytes : undefined;
}

export function parseCmekBlob(value: string): { iv: Buffer; sealed: Buffer } | undefined {
  const bytes = strictBase64(value);
  if (!bytes || bytes.length < CMEK_MIN_BLOB || bytes[0] !== CMEK_BLOB_VERSION) return undefined;
  return { iv: bytes.subarray(1, 13), sealed: bytes.subarray(13) };
}

/**
 * A secret written into a CMEK vault must already be the client's blob; the server cannot
 * check the key, only the shape. Returns the fingerprint the version is recorded under.
 */
export function checkCmekBlob(value: string, fingerprint: string | null): string {
  if (!parseCmekBlob(value)) {
    throw invalidField(
      "value",
      "this vault has CMEK enabled: value must be the base64 CMEK blob (0x01 ‖ 12-byte IV ‖ ciphertext ‖ 16-byte tag) made with the vault's key",
    );
  }
  return fingerprint!;
}

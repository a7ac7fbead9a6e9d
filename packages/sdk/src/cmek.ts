/**
 * Customer-managed encryption keys (CMEK), client side. The key never leaves the client: the
 * server stores only its SHA-256 fingerprint and receives values already encrypted as
 * base64(0x01 ‖ 12-byte IV ‖ AES-256-GCM ciphertext ‖ 16-byte tag). WebCrypto only, so these
 * work in browsers and Node ≥ 20 alike.
 */
const BLOB_VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function subtle(): SubtleCrypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle) throw new Error("CMEK needs WebCrypto (globalThis.crypto.subtle): a browser or Node.js ≥ 20");
  return c.subtle;
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64.trim());
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function checkKey(key: Uint8Array): Uint8Array<ArrayBuffer> {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new TypeError("a CMEK key is 32 bytes (AES-256)");
  return new Uint8Array(key);
}

/** A new random 256-bit CMEK key. Store it safely: without it CMEK secrets cannot be read. */
export function generateCmekKey(): Uint8Array {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c) throw new Error("CMEK needs WebCrypto (globalThis.crypto)");
  return c.getRandomValues(new Uint8Array(32));
}

/** SHA-256 of the key as 64 lower-case hex characters: what `POST /v1/vaults/{id}/cmek` takes. */
export async function cmekFingerprint(key: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await subtle().digest("SHA-256", checkKey(key)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const importKey = (key: Uint8Array, use: "encrypt" | "decrypt") => subtle().importKey("raw", checkKey(key), { name: "AES-GCM" }, false, [use]);

/** Encrypts a value for a CMEK vault; send the result as the secret's value. */
export async function cmekEncrypt(key: Uint8Array, plaintext: string | Uint8Array): Promise<string> {
  const c = (globalThis as { crypto: Crypto }).crypto;
  const iv = c.getRandomValues(new Uint8Array(IV_BYTES));
  const data = typeof plaintext === "string" ? new TextEncoder().encode(plaintext) : new Uint8Array(plaintext);
  const sealed = new Uint8Array(await subtle().encrypt({ name: "AES-GCM", iv, tagLength: TAG_BYTES * 8 }, await importKey(key, "encrypt"), data));
  const blob = new Uint8Array(1 + IV_BYTES + sealed.length);
  blob[0] = BLOB_VERSION;
  blob.set(iv, 1);
  blob.set(sealed, 1 + IV_BYTES);
  return toBase64(blob);
}

/** Decrypts a CMEK blob to bytes; throws when the key is wrong or the blob was altered. */
export async function cmekDecryptBytes(key: Uint8Array, blob: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(blob);
  } catch {
    throw new Error("not a CMEK blob (invalid base64)");
  }
  if (bytes.length < 1 + IV_BYTES + TAG_BYTES || bytes[0] !== BLOB_VERSION) throw new Error("not a CMEK blob (expected version 0x01, IV, ciphertext and tag)");
  try {
    const plain = await subtle().decrypt(
      { name: "AES-GCM", iv: bytes.slice(1, 1 + IV_BYTES), tagLength: TAG_BYTES * 8 },
      await importKey(key, "decrypt"),
      bytes.slice(1 + IV_BYTES),
    );
    return new Uint8Array(plain);
  } catch {
    throw new Error("CMEK decryption failed: wrong key or altered value");
  }
}

/** Decrypts a CMEK blob to text (UTF-8). */
export async function cmekDecrypt(key: Uint8Array, blob: string): Promise<string> {
  return new TextDecoder().decode(await cmekDecryptBytes(key, blob));
}

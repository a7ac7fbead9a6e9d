import crypto from "node:crypto";

export interface IdentityKeys {
  /** Raw 32-byte Ed25519 public key, base64. */
  sshPublicKey: string;
  /** 32-byte Ed25519 seed, base64. */
  sshPrivateKey: string;
  /** Uncompressed SEC1 P-256 point (65 bytes), base64. */
  ecdhPublicKey: string;
  /** 32-byte P-256 scalar, base64. */
  ecdhPrivateKey: string;
}

/** A fresh Ed25519 signing key and P-256 ECDH key for an agent (behaviour notes §7.4). */
export function generateIdentityKeys(): IdentityKeys {
  const ed = crypto.generateKeyPairSync("ed25519");
  const edPub = ed.publicKey.export({ format: "jwk" });
  const edPriv = ed.privateKey.export({ format: "jwk" });
  const ecdh = crypto.createECDH("prime256v1");
  ecdh.generateKeys();
  return {
    sshPublicKey: Buffer.from(edPub.x!, "base64url").toString("base64"),
    sshPrivateKey: Buffer.from(edPriv.d!, "base64url").toString("base64"),
    ecdhPublicKey: ecdh.getPublicKey(undefined, "uncompressed").toString("base64"),
    ecdhPrivateKey: leftPad32(ecdh.getPrivateKey()).toString("base64"),
  };
}

const leftPad32 = (b: Buffer) => (b.length >= 32 ? b : Buffer.concat([Buffer.alloc(32 - b.length), b]));

import crypto from "node:crypto";
import { SignJWT, exportJWK, jwtVerify } from "jose";

export type TokenType = "user" | "agent" | "mfa";

export interface TokenClaims {
  sub: string;
  typ: TokenType;
  org_id: string;
  jti: string;
  iat: number;
  exp: number;
  vault_ids?: string[];
  scopes?: string[];
  intents_api_enabled?: boolean;
}

const ISSUER = "oneclaw";

/**
 * EdDSA (Ed25519) access tokens. Verified tokens are cached until they expire, so a repeated
 * token costs a map lookup; revocation is checked by the caller on every request.
 */
export class TokenService {
  private readonly verified = new Map<string, TokenClaims>();
  private readonly publicKey: crypto.KeyObject;

  constructor(
    private readonly privateKey: crypto.KeyObject,
    private readonly maxCache = 50_000,
  ) {
    this.publicKey = crypto.createPublicKey(privateKey);
  }

  static fromPkcs8(der: Buffer): TokenService {
    return new TokenService(crypto.createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  }

  static generatePkcs8(): Buffer {
    return crypto.generateKeyPairSync("ed25519").privateKey.export({ format: "der", type: "pkcs8" });
  }

  async sign(
    claims: Omit<TokenClaims, "jti" | "iat" | "exp">,
    ttlSeconds: number,
  ): Promise<{ token: string; claims: TokenClaims }> {
    const iat = Math.floor(Date.now() / 1000);
    const full: TokenClaims = { ...claims, jti: crypto.randomUUID(), iat, exp: iat + ttlSeconds };
    const token = await new SignJWT({ ...full })
      .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
      .setIssuer(ISSUER)
      .sign(this.privateKey);
    return { token, claims: full };
  }

  /** Returns the claims of a valid, unexpired token, or null. Only EdDSA is accepted. */
  async verify(token: string): Promise<TokenClaims | null> {
    const now = Math.floor(Date.now() / 1000);
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp > now) return hit;
      this.verified.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { algorithms: ["EdDSA"], issuer: ISSUER });
      const c = payload as unknown as TokenClaims;
      if (typeof c.sub !== "string" || typeof c.jti !== "string" || typeof c.org_id !== "string" || typeof c.exp !== "number") {
        return null;
      }
      if (this.verified.size >= this.maxCache) this.evictExpired(now);
      if (this.verified.size < this.maxCache) this.verified.set(token, c);
      return c;
    } catch {
      return null;
    }
  }

  private evictExpired(now: number) {
    for (const [t, c] of this.verified) if (c.exp <= now) this.verified.delete(t);
    // Still full: drop the oldest half rather than grow without bound.
    if (this.verified.size >= this.maxCache) {
      let n = this.verified.size / 2;
      for (const t of this.verified.keys()) {
        if (n-- <= 0) break;
        this.verified.delete(t);
      }
    }
  }

  publicKeyBase64(): string {
    const spki = this.publicKey.export({ format: "der", type: "spki" });
    return spki.subarray(spki.length - 32).toString("base64");
  }

  async jwks() {
    const jwk = await exportJWK(this.publicKey);
    return { keys: [{ ...jwk, alg: "EdDSA", use: "sig", kid: "oneclaw-1" }] };
  }
}

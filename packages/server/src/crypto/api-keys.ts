import crypto from "node:crypto";

/** API keys are 256-bit random; a keyed hash (not argon2) keeps verification off the hot path's budget. */
export class ApiKeyHasher {
  constructor(private readonly pepper: Buffer) {}

  static generate(prefix: "1ck_" | "ocv_"): string {
    return prefix + crypto.randomBytes(32).toString("base64url");
  }

  hash(key: string): string {
    return crypto.createHmac("sha256", this.pepper).update(key).digest("hex");
  }

  /** Constant-time comparison of a presented key against a stored hash. */
  matches(key: string, storedHash: string): boolean {
    const a = Buffer.from(this.hash(key), "hex");
    const b = Buffer.from(storedHash, "hex");
    return a.length === b.length && crypto.timingSafeEqual(a, b);
  }
}

/** The displayable, non-secret prefix stored next to the hash (behaviour notes §3.3). */
export const keyPrefix = (key: string) => key.slice(0, 12);

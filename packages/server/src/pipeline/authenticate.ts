import type { FastifyRequest } from "fastify";
import type { TokenClaims, TokenService } from "../crypto/tokens.js";
import { unauthorized } from "./errors.js";
import type { Principal } from "./principal.js";

export type ClaimsResolver = (claims: TokenClaims, req: FastifyRequest) => Promise<Principal>;
export type BearerScheme = (credential: string, req: FastifyRequest) => Promise<Principal>;

/**
 * Turns a Bearer credential into a Principal. JWTs are verified (cached), checked against
 * the revocation list, and handed to the resolver for their `typ`, which confirms the user
 * or agent still exists and is active. Other credentials (`1ck_…`) go to a prefix scheme.
 */
export class Authenticator {
  private readonly resolvers = new Map<string, ClaimsResolver>();
  private readonly schemes = new Map<string, BearerScheme>();
  private readonly revoked = new Map<string, number>();

  constructor(private readonly tokens: TokenService) {}

  onTokenType(typ: string, resolver: ClaimsResolver) {
    this.resolvers.set(typ, resolver);
  }

  onBearerPrefix(prefix: string, scheme: BearerScheme) {
    this.schemes.set(prefix, scheme);
  }

  markRevoked(jti: string, exp: number) {
    this.revoked.set(jti, exp);
  }

  isRevoked(jti: string): boolean {
    const exp = this.revoked.get(jti);
    if (exp === undefined) return false;
    if (exp * 1000 < Date.now()) this.revoked.delete(jti);
    return true;
  }

  async authenticate(req: FastifyRequest): Promise<Principal> {
    const header = req.headers.authorization;
    if (!header) throw unauthorized("Missing Authorization header");
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw unauthorized("Authorization header must be 'Bearer <token>'");
    const credential = m[1];
    for (const [prefix, scheme] of this.schemes) {
      if (credential.startsWith(prefix)) return scheme(credential, req);
    }
    const claims = await this.tokens.verify(credential);
    if (!claims || this.isRevoked(claims.jti)) throw unauthorized();
    const resolve = this.resolvers.get(claims.typ);
    if (!resolve) throw unauthorized();
    return resolve(claims, req);
  }
}

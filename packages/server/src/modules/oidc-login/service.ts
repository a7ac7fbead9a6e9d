import crypto from "node:crypto";
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from "jose";
import type { AppContext } from "../../context.js";
import { ApiError, unauthorized } from "../../pipeline/errors.js";
import { bit, nowIso } from "../../store/db.js";
import { NO_ORG } from "../audit/service.js";
import type { AuthService } from "../auth/service.js";
import type { UserRow } from "../auth/store.js";

const DISCOVERY_TIMEOUT_MS = 5000;

interface Discovery {
  issuer: string;
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/**
 * "Sign in with Google" (POST /v1/auth/google), or any OpenID Connect issuer: the ID token is
 * verified against the issuer's JWKS (found by discovery), for our client id as audience, and its
 * email must be verified by the issuer. A new email gets its own account and org.
 */
export class OidcLoginService {
  private discovery: Promise<Discovery> | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly auth: AuthService,
  ) {}

  async login(idToken: string, ip: string) {
    const clientId = this.ctx.config.oidcClientId;
    if (!clientId) throw new ApiError(501, "Google / OIDC login is not configured on this server (set ONECLAW_OIDC_CLIENT_ID)");
    const { issuer, jwks } = await this.discover();
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(idToken, jwks, { issuer, audience: clientId, algorithms: ["RS256", "ES256", "PS256", "EdDSA"] }));
    } catch (e) {
      await this.fail(ip, "invalid_id_token");
      if ((e as { code?: string }).code === "ERR_JOSE_GENERIC" || (e as { code?: string }).code === "ERR_JWKS_TIMEOUT") {
        throw new ApiError(503, "The identity provider's signing keys could not be fetched");
      }
      throw unauthorized("Invalid ID token");
    }
    const email = typeof claims.email === "string" ? claims.email.toLowerCase() : "";
    if (!email || email.length > 254 || !email.includes("@")) {
      await this.fail(ip, "no_email");
      throw unauthorized("The ID token carries no email address");
    }
    if (claims.email_verified !== true && claims.email_verified !== "true") {
      await this.fail(ip, "email_not_verified");
      throw unauthorized("The identity provider has not verified this email address");
    }
    const name = typeof claims.name === "string" ? claims.name.slice(0, 200) : undefined;
    const user = (await this.auth.store.userByEmail(email)) ?? (await this.createAccount(email, name, ip));
    if (user.email_verified !== 1) await this.ctx.uow.run(({ trx }) => this.auth.store.updateUser(trx, user.id, { email_verified: 1 }));
    for (const hook of this.auth.loginHooks) {
      const extra = await hook(user, ip);
      if (extra && "mfa_required" in extra) return extra as { access_token: string; token_type: string; expires_in: number; mfa_required: true; mfa_token: string };
    }
    await this.ctx.uow.audit({ orgId: user.org_id, action: "auth.success", actorId: `user:${user.id}`, actorType: "user", resourceType: "session", details: { method: "google" }, ip });
    return this.auth.issueUserToken(user);
  }

  private async createAccount(email: string, displayName: string | undefined, ip: string): Promise<UserRow> {
    const now = nowIso();
    const user: UserRow = {
      id: crypto.randomUUID(),
      org_id: crypto.randomUUID(),
      email,
      password_hash: null,
      display_name: displayName ?? null,
      role: "owner",
      auth_method: "google",
      email_verified: 1,
      marketing_emails: 0,
      totp_enabled: 0,
      is_platform_admin: 0,
      created_at: now,
    };
    const created = await this.ctx.uow.run(async ({ trx, audit }) => {
      const existing = await this.auth.store.userByEmailIn(trx, email);
      if (existing) return existing;
      user.is_platform_admin = bit((await this.auth.store.countUsers(trx)) === 0);
      await this.auth.store.insertOrg(trx, { id: user.org_id, name: `${displayName ?? email}'s org`, billing_tier: this.ctx.config.billingEnabled ? "free" : "enterprise", created_at: now });
      await this.auth.store.insertUser(trx, user);
      audit({ orgId: user.org_id, action: "user.signup", actorId: `user:${user.id}`, actorType: "user", resourceType: "user", resourceId: user.id, details: { method: "google", platform_admin: user.is_platform_admin === 1 }, ip });
      return user;
    });
    if (created === user) {
      this.ctx.mailer.queue({ to: email, subject: "Welcome to oneclaw", text: "Your oneclaw account was created with Google sign-in." });
    }
    return created;
  }

  private fail(ip: string, reason: string) {
    return this.ctx.uow.audit({ orgId: NO_ORG, action: "auth.failure", actorId: "anonymous", actorType: "anonymous", resourceType: "session", details: { method: "google", reason }, ip });
  }

  /** Discovery document and JWKS of the configured issuer, fetched once (jose caches and refreshes keys). */
  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const issuer = this.ctx.config.oidcIssuer;
      let doc: { issuer?: unknown; jwks_uri?: unknown };
      try {
        const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        doc = (await res.json()) as typeof doc;
      } catch (e) {
        this.ctx.log.warn({ err: { message: (e as Error).message }, issuer }, "OIDC discovery failed");
        throw new ApiError(503, "The identity provider could not be reached; try again later");
      }
      if (doc.issuer !== issuer || typeof doc.jwks_uri !== "string") {
        throw new ApiError(503, "The identity provider's discovery document does not match the configured issuer");
      }
      return { issuer, jwks: createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS }) };
    })();
    this.discovery.catch(() => (this.discovery = undefined));
    return this.discovery;
  }
}

import crypto from "node:crypto";
import { DELETE_ACCOUNT_CONFIRMATION } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from "../../crypto/passwords.js";
import type { TokenClaims } from "../../crypto/tokens.js";
import { ApiError, badRequest, conflict, invalidField, unauthorized } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { bit, nowIso } from "../../store/db.js";
import { NO_ORG } from "../audit/service.js";
import { AuthStore, type UserRow } from "./store.js";

interface CachedUser {
  orgId: string;
  role: string;
  isPlatformAdmin: boolean;
}

const USER_TOPIC = "user.changed";
const REVOKE_TOPIC = "token.revoked";
const VERIFICATION_TTL_MS = 24 * 3600 * 1000;

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

export class AuthService {
  readonly store: AuthStore;
  private readonly users = new Map<string, CachedUser>();
  /** Hooks other modules register to clean up when an account is deleted. */
  private readonly userDeletedHooks: Array<(trx: any, user: UserRow, orgDeleted: boolean) => Promise<void>> = [];

  constructor(private readonly ctx: AppContext) {
    this.store = new AuthStore(ctx.db);
    ctx.authenticator.onTokenType("user", (claims) => this.resolveUser(claims));
    ctx.bus.subscribe(USER_TOPIC, (id) => this.users.delete(id));
    ctx.bus.subscribe(REVOKE_TOPIC, (data) => {
      const [jti, exp] = data.split(" ");
      ctx.authenticator.markRevoked(jti, Number(exp));
    });
  }

  async init() {
    for (const r of await this.store.activeRevocations(Math.floor(Date.now() / 1000))) {
      this.ctx.authenticator.markRevoked(r.jti, r.expires_at);
    }
  }

  /** Runs the cleanup other modules registered, inside the deleting transaction (admin user deletion). */
  async runUserDeletedHooks(trx: any, user: UserRow, orgDeleted: boolean) {
    for (const hook of this.userDeletedHooks) await hook(trx, user, orgDeleted);
  }

  /** Revokes one token id on every replica (single-use MFA challenges). */
  async revokeJti(jti: string, exp: number) {
    await this.ctx.uow.run(({ trx }) => this.store.revoke(trx, jti, exp));
    await this.ctx.bus.publish(REVOKE_TOPIC, `${jti} ${exp}`);
  }

  onUserDeleted(hook: (trx: any, user: UserRow, orgDeleted: boolean) => Promise<void>) {
    this.userDeletedHooks.push(hook);
  }

  /** Confirms the token's user still exists; role and admin flag come from the current record. */
  private async resolveUser(claims: TokenClaims): Promise<Principal> {
    let u = this.users.get(claims.sub);
    if (!u) {
      const row = await this.store.userById(claims.sub);
      if (!row) throw unauthorized();
      u = { orgId: row.org_id, role: row.role, isPlatformAdmin: row.is_platform_admin === 1 };
      if (this.users.size > 50_000) this.users.clear();
      this.users.set(claims.sub, u);
    }
    if (u.orgId !== claims.org_id) throw unauthorized();
    return { type: "user", id: claims.sub, orgId: u.orgId, role: u.role, isPlatformAdmin: u.isPlatformAdmin, scopes: claims.scopes, jti: claims.jti, tokenExp: claims.exp, via: "jwt" };
  }

  /** Drops cached state of a user on every replica (role change, deletion). */
  userChanged(userId: string) {
    return this.ctx.bus.publish(USER_TOPIC, userId);
  }

  async issueUserToken(user: Pick<UserRow, "id" | "org_id">, ttl = this.ctx.config.userTokenTtlSeconds) {
    const { token } = await this.ctx.tokens.sign({ sub: user.id, typ: "user", org_id: user.org_id }, ttl);
    return { access_token: token, token_type: "Bearer", expires_in: ttl };
  }

  async signup(input: { email: string; password: string; display_name?: string }, ip: string) {
    const problem = passwordProblem(input.password);
    if (problem) throw invalidField("password", problem);
    const email = input.email.toLowerCase();
    if (await this.store.userByEmail(email)) throw conflict("An account with this email already exists");
    const passwordHash = await hashPassword(input.password);
    const verify = this.ctx.config.requireEmailVerification;
    const userId = crypto.randomUUID();
    const orgId = crypto.randomUUID();
    const now = nowIso();
    const verificationToken = crypto.randomBytes(32).toString("base64url");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      if (await this.store.userByEmailIn(trx, email)) throw conflict("An account with this email already exists");
      const first = (await this.store.countUsers(trx)) === 0;
      await this.store.insertOrg(trx, { id: orgId, name: `${input.display_name ?? email}'s org`, billing_tier: this.ctx.config.billingEnabled ? "free" : "enterprise", created_at: now });
      await this.store.insertUser(trx, {
        id: userId,
        org_id: orgId,
        email,
        password_hash: passwordHash,
        display_name: input.display_name ?? null,
        role: "owner",
        auth_method: "password",
        email_verified: bit(!verify),
        marketing_emails: 0,
        totp_enabled: 0,
        is_platform_admin: bit(first),
        created_at: now,
      });
      if (verify) {
        await this.store.saveVerification(trx, sha256(verificationToken), userId, new Date(Date.now() + VERIFICATION_TTL_MS).toISOString());
      }
      audit({ orgId, action: "user.signup", actorId: `user:${userId}`, actorType: "user", resourceType: "user", resourceId: userId, details: { platform_admin: first }, ip });
    });
    for (const hook of this.signupHooks) await hook({ id: userId, email, org_id: orgId, email_verified: !verify }, ip);
    if (verify) {
      this.ctx.mailer.queue({
        to: email,
        subject: "Verify your oneclaw account",
        text: `Confirm your email address by opening:\n${this.ctx.config.publicUrl}/verify-email?token=${verificationToken}\n\nThe link expires in 24 hours.`,
      });
      return { message: "Account created. Check your email to verify your address.", email };
    }
    return { message: "Account created", email, ...(await this.issueUserToken({ id: userId, org_id: orgId })) };
  }

  async verifyEmail(token: string, ip: string) {
    const user = await this.ctx.uow.run(async ({ trx, audit }) => {
      const row = await this.store.takeVerification(trx, sha256(token));
      if (!row || row.expires_at < nowIso()) return null;
      await this.store.updateUser(trx, row.user_id, { email_verified: 1 });
      const user = await this.store.userByIdIn(trx, row.user_id);
      if (user) audit({ orgId: user.org_id, action: "user.verify_email", actorId: `user:${user.id}`, actorType: "user", resourceType: "user", resourceId: user.id, ip });
      return user;
    });
    if (!user) throw invalidField("token", "is invalid or has expired");
    return this.issueUserToken(user);
  }

  /** Email + password login. Every failure is the same 401 and costs the same argon2 time. */
  async login(email: string, password: string, ip: string) {
    const user = await this.store.userByEmail(email);
    const ok = await verifyPassword(user?.password_hash ?? (await dummyPasswordHash()), password);
    if (!user || !ok) {
      await this.ctx.uow.audit({
        orgId: user?.org_id ?? NO_ORG,
        action: "auth.failure",
        actorId: user ? `user:${user.id}` : "anonymous",
        actorType: user ? "user" : "anonymous",
        resourceType: "session",
        details: { method: "password", reason: user ? "wrong_password" : "unknown_email" },
        ip,
      });
      throw unauthorized("Invalid credentials");
    }
    if (!user.email_verified && this.ctx.config.requireEmailVerification) {
      throw new ApiError(403, "Email address not verified; follow the link sent to you");
    }
    const extra = await this.loginHooks.reduce(async (acc, hook) => ({ ...(await acc), ...((await hook(user, ip)) ?? {}) }), Promise.resolve({}));
    if ("mfa_required" in extra) return extra as any;
    await this.ctx.uow.audit({ orgId: user.org_id, action: "auth.success", actorId: `user:${user.id}`, actorType: "user", resourceType: "session", details: { method: "password" }, ip });
    return this.issueUserToken(user);
  }

  /** Signup hooks (pending-share claims) run once the new account is committed. */
  readonly signupHooks: Array<(user: { id: string; email: string; org_id: string; email_verified: boolean }, ip: string) => Promise<void>> = [];

  /** Login hooks (MFA challenge, pending-share claims) run after the password checks out. */
  readonly loginHooks: Array<(user: UserRow, ip: string) => Promise<Record<string, unknown> | void>> = [];

  async profile(p: Principal) {
    const u = await this.store.userById(p.id);
    if (!u) throw unauthorized();
    return toProfile(u);
  }

  async updateProfile(p: Principal, patch: { display_name?: string; marketing_emails?: boolean }, ip: string) {
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const set: Partial<UserRow> = {};
      if (patch.display_name !== undefined) set.display_name = patch.display_name;
      if (patch.marketing_emails !== undefined) set.marketing_emails = bit(patch.marketing_emails);
      if (Object.keys(set).length) await this.store.updateUser(trx, p.id, set);
      audit({ orgId: p.orgId, action: "user.update", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: p.id, details: { fields: Object.keys(set) }, ip });
    });
    return this.profile(p);
  }

  async changePassword(p: Principal, current: string, next: string, ip: string) {
    const u = await this.store.userById(p.id);
    if (!u || !(await verifyPassword(u.password_hash, current))) throw invalidField("current_password", "is incorrect");
    const problem = passwordProblem(next);
    if (problem) throw invalidField("new_password", problem);
    if (current === next) throw invalidField("new_password", "must differ from the current password");
    const hash = await hashPassword(next);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.updateUser(trx, p.id, { password_hash: hash });
      audit({ orgId: p.orgId, action: "user.change_password", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: p.id, ip });
    });
    this.ctx.mailer.queue({ to: u.email, subject: "Your oneclaw password was changed", text: "The password of your oneclaw account was just changed. If this was not you, contact your administrator." });
  }

  async revoke(p: Principal, ip: string) {
    if (!p.jti || !p.tokenExp) throw badRequest("Only token sessions can be revoked; delete API keys at /v1/auth/api-keys");
    const { jti, tokenExp } = p;
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.revoke(trx, jti, tokenExp);
      audit({ orgId: p.orgId, action: "auth.revoke", actorId: actorId(p), actorType: p.type, resourceType: "session", resourceId: jti, ip });
    });
    await this.ctx.bus.publish(REVOKE_TOPIC, `${jti} ${tokenExp}`);
  }

  async deleteAccount(p: Principal, confirmation: string, ip: string) {
    if (confirmation !== DELETE_ACCOUNT_CONFIRMATION) throw invalidField("confirmation", `must be exactly "${DELETE_ACCOUNT_CONFIRMATION}"`);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const u = await this.store.userByIdIn(trx, p.id);
      if (!u) throw unauthorized();
      const members = await this.store.orgMemberCount(trx, u.org_id);
      if (u.role === "owner" && members > 1 && (await this.store.otherOwners(trx, u.org_id, u.id)) === 0) {
        throw conflict("You are the last owner of an organisation with other members; make another member an owner first");
      }
      const orgDeleted = members === 1;
      for (const hook of this.userDeletedHooks) await hook(trx, u, orgDeleted);
      await this.store.deleteUser(trx, u.id);
      audit({ orgId: u.org_id, action: "user.delete", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: u.id, details: { org_deleted: orgDeleted }, ip });
    });
    if (p.jti && p.tokenExp) await this.ctx.bus.publish(REVOKE_TOPIC, `${p.jti} ${p.tokenExp}`);
    await this.userChanged(p.id);
  }
}

export function toProfile(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    display_name: u.display_name,
    auth_method: u.auth_method,
    role: u.role,
    email_verified: u.email_verified === 1,
    marketing_emails: u.marketing_emails === 1,
    totp_enabled: u.totp_enabled === 1,
    created_at: u.created_at,
  };
}

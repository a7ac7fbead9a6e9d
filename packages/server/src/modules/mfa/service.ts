import crypto from "node:crypto";
import * as OTPAuth from "otpauth";
import type { AppContext } from "../../context.js";
import { open, seal } from "../../crypto/aead.js";
import { verifyPassword } from "../../crypto/passwords.js";
import { badRequest, conflict, invalidField, unauthorized } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso } from "../../store/db.js";
import type { AuthService } from "../auth/service.js";
import type { UserRow } from "../auth/store.js";
import { MfaStore, type MfaRow } from "./store.js";

const MFA_TOKEN_TTL = 300;
const PERIOD = 30;
const RECOVERY_CODES = 8;
/** Wrong codes allowed per MFA challenge token before it is burned. */
const MAX_ATTEMPTS = 5;
const BASE32 = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/**
 * TOTP (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step). Secrets are sealed with AES-256-GCM under the
 * server's `mfa_key` (itself wrapped by the root key); recovery codes are stored only as keyed hashes.
 */
export class MfaService {
  readonly store: MfaStore;
  private key!: Buffer;
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly ctx: AppContext,
    private readonly auth: AuthService,
  ) {
    this.store = new MfaStore(ctx.db);
    auth.loginHooks.push((user) => this.challenge(user));
  }

  async init() {
    this.key = await this.ctx.systemKeys.get("mfa_key");
  }

  async status(p: Principal) {
    const u = await this.auth.store.userById(p.id);
    return { enabled: u?.totp_enabled === 1 };
  }

  async setup(p: Principal, ip: string) {
    const u = await this.user(p);
    if (u.totp_enabled === 1) throw conflict("MFA is already enabled; disable it before enrolling again");
    const secret = new OTPAuth.Secret({ size: 20 });
    const totp = this.totp(secret, u.email);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.savePending(trx, u.id, this.seal(u.id, "pending", secret.base32), nowIso());
      audit({ orgId: p.orgId, action: "mfa.setup", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: u.id, ip });
    });
    return { otpauth_uri: totp.toString(), secret: secret.base32 };
  }

  async verifySetup(p: Principal, code: string, ip: string) {
    const u = await this.user(p);
    if (u.totp_enabled === 1) throw conflict("MFA is already enabled");
    const row = await this.store.byUser(u.id);
    if (!row?.pending_secret_sealed) throw badRequest("No MFA enrollment in progress; call POST /v1/auth/mfa/setup first");
    const base32 = this.open(u.id, "pending", row.pending_secret_sealed);
    const step = this.matchStep(base32, code);
    if (step === null) throw invalidField("code", "is incorrect or expired");
    const codes = Array.from({ length: RECOVERY_CODES }, () => recoveryCode());
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.enable(trx, u.id, this.seal(u.id, "active", base32), codes.map((c) => this.hashRecovery(u.id, c.replace("-", ""))), step, nowIso());
      audit({ orgId: p.orgId, action: "mfa.enable", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: u.id, ip });
    });
    await this.auth.userChanged(u.id);
    return { recovery_codes: codes };
  }

  /** Login hook: with MFA on, the password (or Google) login yields only a 5-minute challenge token. */
  private async challenge(user: UserRow) {
    if (user.totp_enabled !== 1) return undefined;
    const { token } = await this.ctx.tokens.sign({ sub: user.id, typ: "mfa", org_id: user.org_id }, MFA_TOKEN_TTL);
    return { mfa_required: true, mfa_token: token, access_token: "", token_type: "Bearer", expires_in: MFA_TOKEN_TTL };
  }

  /** POST /v1/auth/mfa/verify: the only place an MFA token is accepted. */
  async verify(mfaToken: string, code: string, ip: string) {
    const claims = await this.ctx.tokens.verify(mfaToken);
    if (!claims || claims.typ !== "mfa" || this.ctx.authenticator.isRevoked(claims.jti)) throw unauthorized("Invalid or expired MFA token");
    const u = await this.auth.store.userById(claims.sub);
    const row = u && u.totp_enabled === 1 ? await this.store.byUser(u.id) : undefined;
    if (!u || !row?.secret_sealed || u.org_id !== claims.org_id) throw unauthorized("Invalid or expired MFA token");
    const method = await this.consumeCode(u, row, code);
    if (!method) {
      const n = (this.attempts.get(claims.jti) ?? 0) + 1;
      this.attempts.set(claims.jti, n);
      if (n >= MAX_ATTEMPTS) await this.auth.revokeJti(claims.jti, claims.exp);
      await this.ctx.uow.audit({ orgId: u.org_id, action: "auth.failure", actorId: `user:${u.id}`, actorType: "user", resourceType: "session", details: { method: "mfa", reason: "wrong_code" }, ip });
      throw unauthorized("Invalid MFA code");
    }
    this.attempts.delete(claims.jti);
    // The challenge is single-use.
    await this.auth.revokeJti(claims.jti, claims.exp);
    await this.ctx.uow.audit({ orgId: u.org_id, action: "auth.success", actorId: `user:${u.id}`, actorType: "user", resourceType: "session", details: { method: "mfa", factor: method }, ip });
    return this.auth.issueUserToken(u);
  }

  async disable(p: Principal, input: { code?: string; password?: string }, ip: string) {
    const u = await this.user(p);
    const row = await this.store.byUser(u.id);
    if (u.totp_enabled !== 1 || !row?.secret_sealed) throw badRequest("MFA is not enabled");
    if (input.code !== undefined) {
      if (!(await this.consumeCode(u, row, input.code))) throw invalidField("code", "is incorrect or expired");
    } else if (!(await verifyPassword(u.password_hash, input.password ?? ""))) {
      throw invalidField("password", "is incorrect");
    }
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.disable(trx, u.id);
      audit({ orgId: p.orgId, action: "mfa.disable", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: u.id, details: { with: input.code !== undefined ? "code" : "password" }, ip });
    });
    await this.auth.userChanged(u.id);
  }

  /** A TOTP code (each time step usable once) or an unused recovery code (burned on use). */
  private async consumeCode(u: UserRow, row: MfaRow, raw: string): Promise<"totp" | "recovery" | null> {
    const code = raw.replace(/[\s-]/g, "").toUpperCase();
    if (/^\d{6}$/.test(code)) {
      const step = this.matchStep(this.open(u.id, "active", row.secret_sealed!), code);
      if (step === null || step <= row.last_step) return null;
      const ok = await this.ctx.uow.run(({ trx }) => this.store.claimStep(trx, u.id, step));
      return ok ? "totp" : null;
    }
    const hash = this.hashRecovery(u.id, code);
    const hashes = JSON.parse(row.recovery_codes) as string[];
    const i = hashes.findIndex((h) => crypto.timingSafeEqual(Buffer.from(h, "hex"), Buffer.from(hash, "hex")));
    if (i < 0) return null;
    const rest = hashes.filter((_, j) => j !== i);
    const ok = await this.ctx.uow.run(async ({ trx, audit }) => {
      const ok = await this.store.consumeRecovery(trx, u.id, row.recovery_codes, JSON.stringify(rest));
      if (ok) audit({ orgId: u.org_id, action: "mfa.recovery_code_used", actorId: `user:${u.id}`, actorType: "user", resourceType: "user", resourceId: u.id, details: { remaining: rest.length } });
      return ok;
    });
    return ok ? "recovery" : null;
  }

  /** The time step a code belongs to (current ±1), or null. */
  private matchStep(base32: string, code: string): number | null {
    if (!/^\d{6}$/.test(code.trim())) return null;
    const now = Date.now();
    const delta = this.totp(OTPAuth.Secret.fromBase32(base32), "x").validate({ token: code.trim(), timestamp: now, window: 1 });
    return delta === null ? null : Math.floor(now / 1000 / PERIOD) + delta;
  }

  private totp(secret: OTPAuth.Secret, label: string) {
    return new OTPAuth.TOTP({ issuer: "oneclaw", label, algorithm: "SHA1", digits: 6, period: PERIOD, secret });
  }

  private seal(userId: string, kind: string, base32: string) {
    return seal(this.key, Buffer.from(base32), Buffer.from(`mfa:${kind}:${userId}`));
  }

  private open(userId: string, kind: string, sealed: Buffer) {
    return open(this.key, sealed, Buffer.from(`mfa:${kind}:${userId}`)).toString();
  }

  private hashRecovery(userId: string, code: string) {
    return crypto.createHmac("sha256", this.key).update(`recovery:${userId}:${code}`).digest("hex");
  }

  private async user(p: Principal): Promise<UserRow> {
    const u = await this.auth.store.userById(p.id);
    if (!u) throw unauthorized();
    return u;
  }
}

/** 10 characters from a 32-symbol alphabet (50 bits), shown as XXXXX-XXXXX. */
function recoveryCode(): string {
  const bytes = crypto.randomBytes(10);
  const chars = Array.from(bytes, (b) => BASE32[b & 31]).join("");
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}


import crypto from "node:crypto";
import { DEVICE_GRANT_TYPE } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { conflict, forbidden, gone, invalidField, notFound, tooManyRequests } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso } from "../../store/db.js";
import type { AuthService } from "../auth/service.js";
import { DeviceStore, type DeviceCodeRow } from "./store.js";

export const DEVICE_CODE_TTL_S = 600;
export const POLL_INTERVAL_S = 5;
const DEVICE_TOKEN_TTL_S = 86400;
/** RFC 8628 §6.1: consonants only (no vowels, no look-alikes), 20^8 ≈ 2^34.6 codes. */
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";
/** Unknown user codes one IP may try per window before it gets 429 (enumeration guard). */
const MAX_LOOKUP_FAILURES = 10;
const FAILURE_WINDOW_MS = 10 * 60_000;

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** Accepts "bcdf-ghjk", "BCDFGHJK", "BCDF GHJK"; returns the canonical "BCDF-GHJK". */
export function normalizeUserCode(raw: string): string {
  const s = raw.toUpperCase().replace(/[\s-]/g, "");
  return s.length === 8 ? `${s.slice(0, 4)}-${s.slice(4)}` : s;
}

/** OAuth 2.0 device authorization grant (RFC 8628) for `1claw login`. */
export class DeviceService {
  readonly store: DeviceStore;
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly ctx: AppContext,
    private readonly auth: AuthService,
  ) {
    this.store = new DeviceStore(ctx.db);
  }

  async issue(clientId: string) {
    const deviceCode = crypto.randomBytes(32).toString("base64url");
    const now = Date.now();
    for (let attempt = 0; ; attempt++) {
      const userCode = randomUserCode();
      const row: DeviceCodeRow = {
        device_code_hash: sha256(deviceCode),
        user_code: userCode,
        client_id: clientId,
        status: "pending",
        user_id: null,
        expires_at: new Date(now + DEVICE_CODE_TTL_S * 1000).toISOString(),
        last_poll_at: null,
        created_at: new Date(now).toISOString(),
      };
      try {
        await this.ctx.uow.run(async ({ trx }) => {
          await this.store.deleteExpired(trx, nowIso());
          await this.store.insert(trx, row);
        });
      } catch (e) {
        if (attempt < 3 && (await this.store.byUserCode(userCode))) continue; // user code collision
        throw e;
      }
      const verification = `${this.ctx.config.publicUrl}/cli/verify`;
      return {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: verification,
        verification_uri_complete: `${verification}?code=${encodeURIComponent(userCode)}`,
        expires_in: DEVICE_CODE_TTL_S,
        interval: POLL_INTERVAL_S,
      };
    }
  }

  /** The CLI's poll. Pending answers come back as 200 with an RFC 8628 `error`. */
  async poll(deviceCode: string, grantType: string, ip: string) {
    if (grantType !== DEVICE_GRANT_TYPE) throw invalidField("grant_type", `must be "${DEVICE_GRANT_TYPE}"`);
    const hash = sha256(deviceCode);
    const row = await this.store.byDeviceHash(hash);
    if (!row) throw invalidField("device_code", "is unknown or was already used");
    const now = Date.now();
    if (Date.parse(row.expires_at) <= now) {
      await this.ctx.uow.run(({ trx }) => this.store.take(trx, hash));
      return { error: "expired_token", error_description: "The device code has expired; run the login again" };
    }
    if (row.status === "denied") {
      await this.ctx.uow.run(({ trx }) => this.store.take(trx, hash));
      return { error: "access_denied", error_description: "The login was denied" };
    }
    if (row.status === "pending") {
      const tooFast = row.last_poll_at !== null && now - Date.parse(row.last_poll_at) < POLL_INTERVAL_S * 1000;
      await this.ctx.uow.run(({ trx }) => this.store.touchPoll(trx, hash, new Date(now).toISOString()));
      return tooFast
        ? { error: "slow_down", error_description: `Poll at most every ${POLL_INTERVAL_S} seconds` }
        : { error: "authorization_pending", error_description: "Waiting for the user to approve the login" };
    }
    const taken = await this.ctx.uow.run(({ trx }) => this.store.take(trx, hash));
    const user = taken?.user_id ? await this.auth.store.userById(taken.user_id) : undefined;
    if (!taken || !user) return { error: "expired_token", error_description: "The device code is no longer valid" };
    const token = await this.auth.issueUserToken(user, DEVICE_TOKEN_TTL_S);
    await this.ctx.uow.audit({ orgId: user.org_id, action: "auth.success", actorId: `user:${user.id}`, actorType: "user", resourceType: "session", details: { method: "device", client_id: taken.client_id }, ip });
    return { ...token, email: user.email, user_id: user.id, org_id: user.org_id };
  }

  /** Public status lookup; unknown codes count against the caller's IP. */
  async status(rawUserCode: string, ip: string) {
    const row = await this.find(rawUserCode, ip);
    const expired = Date.parse(row.expires_at) <= Date.now();
    return { user_code: row.user_code, client_id: row.client_id, status: expired ? ("expired" as const) : row.status, expires_at: row.expires_at };
  }

  async decide(p: Principal, rawUserCode: string, decision: "approved" | "denied", ip: string) {
    if (p.scopes?.length) throw forbidden("A scoped API key cannot approve device logins");
    const row = await this.find(rawUserCode, ip);
    if (Date.parse(row.expires_at) <= Date.now()) throw gone("Device code has expired");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      if (!(await this.store.decide(trx, row.user_code, decision, p.id))) throw conflict("Device code was already approved or denied");
      audit({ orgId: p.orgId, action: decision === "approved" ? "device.approve" : "device.deny", actorId: actorId(p), actorType: "user", resourceType: "device_code", resourceId: row.user_code, details: { client_id: row.client_id }, ip });
    });
    return { status: decision, user_code: row.user_code };
  }

  private async find(rawUserCode: string, ip: string): Promise<DeviceCodeRow> {
    const now = Date.now();
    let f = this.failures.get(ip);
    if (f && now - f.since > FAILURE_WINDOW_MS) {
      this.failures.delete(ip);
      f = undefined;
    }
    if (f && f.count >= MAX_LOOKUP_FAILURES) throw tooManyRequests((f.since + FAILURE_WINDOW_MS - now) / 1000, "Too many unknown device codes; try again later");
    const code = normalizeUserCode(rawUserCode);
    const row = /^[A-Z]{4}-[A-Z]{4}$/.test(code) ? await this.store.byUserCode(code) : undefined;
    if (!row) {
      if (this.failures.size > 100_000) this.failures.clear();
      this.failures.set(ip, { count: (f?.count ?? 0) + 1, since: f?.since ?? now });
      throw notFound("Device code not found");
    }
    return row;
  }
}

function randomUserCode(): string {
  const out: string[] = [];
  for (let i = 0; i < 8; i++) out.push(USER_CODE_ALPHABET[crypto.randomInt(USER_CODE_ALPHABET.length)]);
  return `${out.slice(0, 4).join("")}-${out.slice(4).join("")}`;
}

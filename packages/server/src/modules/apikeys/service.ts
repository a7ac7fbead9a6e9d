import crypto from "node:crypto";
import type { AppContext } from "../../context.js";
import { ApiKeyHasher, keyPrefix } from "../../crypto/api-keys.js";
import { forbidden, invalidField, notFound, unauthorized } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso } from "../../store/db.js";
import type { AuthService } from "../auth/service.js";
import { ApiKeyStore, type ApiKeyRow } from "./store.js";

const REVOKED_TOPIC = "api_key.revoked";
const USER_TOPIC = "user.changed";
/** last_used_at is written at most this often per key, so the hot path stays write-free. */
const TOUCH_INTERVAL_MS = 60_000;
const CACHE_TTL_MS = 30_000;

interface CachedKey {
  id: string;
  userId: string;
  orgId: string;
  role: string;
  isPlatformAdmin: boolean;
  scopes: string[];
  expiresAt: number | null;
  loadedAt: number;
}

/** Personal API keys (`1ck_…`): created and listed by their human owner, usable directly as Bearer. */
export class ApiKeyService {
  readonly store: ApiKeyStore;
  private readonly cache = new Map<string, CachedKey>();
  private readonly lastTouched = new Map<string, number>();
  private pendingTouches = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ctx: AppContext,
    private readonly auth: AuthService,
  ) {
    this.store = new ApiKeyStore(ctx.db);
    ctx.authenticator.onBearerPrefix("1ck_", (key) => this.authenticate(key));
    ctx.bus.subscribe(REVOKED_TOPIC, (hash) => this.cache.delete(hash));
    ctx.bus.subscribe(USER_TOPIC, (userId) => {
      for (const [hash, k] of this.cache) if (k.userId === userId) this.cache.delete(hash);
    });
    this.timer = setInterval(() => void this.flushLastUsed().catch((e) => ctx.log.warn({ err: e }, "api key last_used_at flush failed")), 10_000);
    this.timer.unref();
  }

  async create(p: Principal, input: { name: string; scopes?: string[]; expires_at?: string }, ip: string) {
    if (p.scopes?.length) throw forbidden("A scoped API key cannot create API keys");
    if (input.expires_at && Date.parse(input.expires_at) <= Date.now()) throw invalidField("expires_at", "must be in the future");
    const key = ApiKeyHasher.generate("1ck_");
    const row: ApiKeyRow = {
      id: crypto.randomUUID(),
      user_id: p.id,
      org_id: p.orgId,
      name: input.name,
      key_prefix: keyPrefix(key),
      key_hash: this.ctx.apiKeys.hash(key),
      scopes: JSON.stringify(input.scopes ?? []),
      is_active: 1,
      created_at: nowIso(),
      expires_at: input.expires_at ? new Date(input.expires_at).toISOString() : null,
      last_used_at: null,
    };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.insert(trx, row);
      audit({ orgId: p.orgId, action: "api_key.create", actorId: actorId(p), actorType: "user", resourceType: "api_key", resourceId: row.id, details: { name: row.name, key_prefix: row.key_prefix }, ip });
    });
    const user = await this.auth.store.userById(p.id);
    if (user) {
      this.ctx.mailer.queue({
        to: user.email,
        subject: "A new oneclaw API key was created",
        text: `A personal API key named "${row.name}" (${row.key_prefix}…) was created for your account. If this was not you, revoke it under API keys and change your password.`,
      });
    }
    return { key: toApiKeyResponse(row), api_key: key };
  }

  async list(p: Principal) {
    return (await this.store.listByUser(p.id)).map(toApiKeyResponse);
  }

  async revoke(p: Principal, id: string, ip: string) {
    const row = await this.ctx.uow.run(async ({ trx, audit }) => {
      const row = await this.store.deactivate(trx, id, p.id);
      if (!row) throw notFound("API key not found");
      audit({ orgId: p.orgId, action: "api_key.revoke", actorId: actorId(p), actorType: "user", resourceType: "api_key", resourceId: id, details: { key_prefix: row.key_prefix }, ip });
      return row;
    });
    await this.ctx.bus.publish(REVOKED_TOPIC, row.key_hash);
  }

  /** Bearer `1ck_…`: one keyed hash, a cached lookup, no write (last use is recorded in batches). */
  async authenticate(key: string): Promise<Principal> {
    const k = await this.resolve(key);
    if (!k) throw unauthorized("Invalid, revoked or expired API key");
    this.markUsed(k.id);
    return { type: "user", id: k.userId, orgId: k.orgId, role: k.role, isPlatformAdmin: k.isPlatformAdmin, scopes: k.scopes.length ? k.scopes : undefined, via: "api_key" };
  }

  /** POST /v1/auth/api-key-token: a user JWT carrying the key's scope ceiling. */
  async exchange(key: string, ip: string) {
    const k = key.startsWith("1ck_") ? await this.resolve(key) : undefined;
    if (!k) {
      await this.ctx.uow.audit({ orgId: "00000000-0000-0000-0000-000000000000", action: "auth.failure", actorId: "anonymous", actorType: "anonymous", resourceType: "session", details: { method: "api_key" }, ip });
      throw unauthorized("Invalid, revoked or expired API key");
    }
    this.markUsed(k.id);
    const ttl = this.ctx.config.userTokenTtlSeconds;
    const { token } = await this.ctx.tokens.sign({ sub: k.userId, typ: "user", org_id: k.orgId, ...(k.scopes.length ? { scopes: k.scopes } : {}) }, ttl);
    await this.ctx.uow.audit({ orgId: k.orgId, action: "auth.success", actorId: `user:${k.userId}`, actorType: "user", resourceType: "session", details: { method: "api_key", key_id: k.id }, ip });
    return { access_token: token, token_type: "Bearer", expires_in: ttl };
  }

  private async resolve(key: string): Promise<CachedKey | undefined> {
    if (key.length > 200) return undefined;
    const hash = this.ctx.apiKeys.hash(key);
    const now = Date.now();
    let k = this.cache.get(hash);
    if (!k || now - k.loadedAt > CACHE_TTL_MS) {
      const row = await this.store.byHash(hash);
      if (!row || row.is_active !== 1 || row.org_id !== row.user_org_id) {
        this.cache.delete(hash);
        return undefined;
      }
      k = {
        id: row.id,
        userId: row.user_id,
        orgId: row.org_id,
        role: row.role,
        isPlatformAdmin: row.is_platform_admin === 1,
        scopes: JSON.parse(row.scopes) as string[],
        expiresAt: row.expires_at ? Date.parse(row.expires_at) : null,
        loadedAt: now,
      };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, k);
    }
    if (k.expiresAt !== null && k.expiresAt <= now) return undefined;
    return k;
  }

  private markUsed(id: string) {
    const now = Date.now();
    if (now - (this.lastTouched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now);
    if (this.lastTouched.size > 50_000) this.lastTouched.clear();
    this.pendingTouches.set(id, new Date(now).toISOString());
  }

  /** Writes the batched last_used_at times (timer, and on shutdown). */
  async flushLastUsed() {
    if (!this.pendingTouches.size) return;
    const batch = this.pendingTouches;
    this.pendingTouches = new Map();
    await this.store.touch(batch);
  }

  async close() {
    clearInterval(this.timer);
    await this.flushLastUsed();
  }
}

export function toApiKeyResponse(r: ApiKeyRow) {
  return {
    id: r.id,
    name: r.name,
    key_prefix: r.key_prefix,
    scopes: JSON.parse(r.scopes) as string[],
    is_active: r.is_active === 1 && (!r.expires_at || r.expires_at > nowIso()),
    created_at: r.created_at,
    expires_at: r.expires_at,
    last_used_at: r.last_used_at,
  };
}

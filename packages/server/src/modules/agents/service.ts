import crypto from "node:crypto";
import {
  ShroudConfig,
  type CreateAgentRequest,
  type PutSecretRequest,
  type UpdateAgentRequest,
} from "@oneclaw/contract";
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { AppContext } from "../../context.js";
import { ApiKeyHasher, keyPrefix } from "../../crypto/api-keys.js";
import type { TokenClaims } from "../../crypto/tokens.js";
import type { AuthService } from "../auth/service.js";
import { ApiError, forbidden, invalidField, notFound, tooManyRequests, unauthorized } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { bit, nowIso, type Tx } from "../../store/db.js";
import { NO_ORG } from "../audit/service.js";
import { globProblem } from "../policies/glob.js";
import type { PolicyService, PrincipalDirectory } from "../policies/service.js";
import type { SecretService } from "../secrets/service.js";
import type { VaultService } from "../vaults/service.js";
import type { VaultRow } from "../vaults/store.js";
import { generateIdentityKeys } from "./identity-keys.js";
import { AgentStore, type AgentRow } from "./store.js";

const AGENT_TOPIC = "agent.changed";
/** "<agent id> <creator user id>": lets every replica know who may open an agent-created vault. */
const CREATED_TOPIC = "agent.created";
export const AGENT_KEYS_VAULT = "__agent-keys";
const ENROLL_COOLDOWN_MS = 10 * 60 * 1000;
const TOUCH_INTERVAL_MS = 60_000;
const OIDC_DISCOVERY_TTL_MS = 3600_000;
const BLOCKED_FOR_INTENTS = new Set(["private_key", "ssh_key"]);

/** What a request needs to know about an agent, cached per replica and dropped on every change. */
interface AgentState {
  id: string;
  orgId: string;
  createdBy: string;
  usable: boolean;
  expiresAt: number | null;
  vaultIds: string[];
  /** Path-glob scopes only (strings like "vaults:read" are not globs and are ignored). */
  scopes: string[] | undefined;
  intentsApiEnabled: boolean;
  keyGeneration: number;
}

/** The presented TLS client certificate, when the connection has one. */
export interface ClientCertificate {
  authorized: boolean;
  fingerprint256: string;
}

/** Extra token claim: the key generation the token was minted under. */
type AgentClaims = TokenClaims & { kgen?: number };

const parseList = (s: string | null): string[] => (s ? (JSON.parse(s) as string[]) : []);

/** Canonical certificate fingerprint: 64 lowercase hex digits (accepts "AB:CD:…" and a "sha256:" prefix). */
export function normalizeFingerprint(raw: string): string | null {
  const hex = raw.trim().replace(/^sha256:/i, "").replace(/:/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : null;
}

function issuerProblem(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "must be a URL";
  }
  if (u.protocol === "https:") return null;
  if (u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname)) return null;
  return "must be an https URL (http only for localhost)";
}

export class AgentService implements PrincipalDirectory {
  readonly store: AgentStore;
  /** Checks before an agent is created (tier limits), inside the creating transaction. */
  readonly hooks = { beforeCreate: [] as Array<(trx: Tx, p: Principal) => Promise<void>> };
  private readonly cache = new Map<string, AgentState>();
  private readonly creators = new Map<string, string>();
  private readonly touched = new Map<string, number>();
  private readonly jwks = new Map<string, { get: JWTVerifyGetKey; at: number }>();
  private readonly keyVaultLocks = new Map<string, Promise<VaultRow>>();

  constructor(
    private readonly ctx: AppContext,
    private readonly deps: { vaults: VaultService; secrets: SecretService; policies: PolicyService; auth: AuthService },
  ) {
    this.store = new AgentStore(ctx.db);
    ctx.authenticator.onTokenType("agent", (claims) => this.resolveToken(claims as AgentClaims));
    ctx.bus.subscribe(AGENT_TOPIC, (id) => this.cache.delete(id));
    ctx.bus.subscribe(CREATED_TOPIC, (data) => {
      const [id, createdBy] = data.split(" ");
      if (id && createdBy) this.creators.set(id, createdBy);
    });
    deps.secrets.readGuards.push((p, _vault, secret) => this.intentsGuard(p, secret.type));
    deps.policies.bind(deps.vaults, this);
    deps.auth.onUserDeleted((trx, user, orgDeleted) => this.userDeleted(trx, user.id, user.org_id, orgDeleted));
  }

  /**
   * A deleted user's policies go with them; when the org's last user leaves, its agents are
   * deleted too (nobody is left to manage them). Caches are told after the commit has had time
   * to land, since this runs inside the account deletion's transaction.
   */
  private async userDeleted(trx: Tx, userId: string, orgId: string, orgDeleted: boolean) {
    await this.deps.policies.forgetPrincipal(trx, "user", userId);
    if (!orgDeleted) return;
    const now = nowIso();
    const ids = await this.store.idsByOrgIn(trx, orgId);
    for (const id of ids) await this.store.update(trx, id, { is_active: 0, deleted_at: now, updated_at: now, api_key_hash: null });
    setTimeout(() => ids.forEach((id) => void this.changed(id).catch(() => undefined)), 200).unref();
  }

  async init() {
    for (const r of await this.store.creators()) this.creators.set(r.id, r.created_by);
  }

  // --- Principal resolution (every agent request) ---

  private async state(id: string): Promise<AgentState | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = await this.store.byId(id);
    if (!row) return undefined;
    const s = toState(row);
    if (this.cache.size >= 50_000) this.cache.clear();
    this.cache.set(id, s);
    this.creators.set(id, row.created_by);
    return s;
  }

  private changed(id: string) {
    return this.ctx.bus.publish(AGENT_TOPIC, id);
  }

  /**
   * Confirms a token's agent is still usable, from its current record: deactivated, deleted or
   * expired agents and tokens minted under a rotated-away key stop on the next request. Binding,
   * scopes and the intents flag also come from the current record, so narrowing applies at once.
   */
  private async resolveToken(claims: AgentClaims): Promise<Principal> {
    const s = await this.state(claims.sub);
    if (!s || !s.usable || s.orgId !== claims.org_id) throw unauthorized();
    if (s.expiresAt !== null && s.expiresAt <= Date.now()) throw unauthorized("Agent has expired");
    if ((claims.kgen ?? 1) !== s.keyGeneration) throw unauthorized();
    this.touch(s.id);
    return {
      type: "agent",
      id: s.id,
      orgId: s.orgId,
      vaultIds: s.vaultIds,
      scopes: s.scopes,
      intentsApiEnabled: s.intentsApiEnabled,
      jti: claims.jti,
      tokenExp: claims.exp,
      via: "jwt",
    };
  }

  /** last_active_at, written at most once a minute per agent and never on the request's path. */
  private touch(id: string) {
    const now = Date.now();
    if ((this.touched.get(id) ?? 0) > now - TOUCH_INTERVAL_MS) return;
    if (this.touched.size > 50_000) this.touched.clear();
    this.touched.set(id, now);
    void this.store.touch(id, new Date(now).toISOString()).catch((e) => this.ctx.log.warn({ err: e }, "could not record agent activity"));
  }

  /** DESIGN decision 6: judged from the agent's current record, not the token. */
  private async intentsGuard(p: Principal, type: string) {
    if (p.type !== "agent" || !BLOCKED_FOR_INTENTS.has(type)) return;
    const s = await this.state(p.id);
    if (!s || s.intentsApiEnabled) throw forbidden("Agents with the Intents API enabled cannot read private keys; use the transaction endpoints");
  }

  // --- PrincipalDirectory (used by policies) ---

  async exists(type: "user" | "agent", id: string, orgId: string): Promise<boolean> {
    if (type === "user") return !!(await this.store.userInOrg(id, orgId));
    const row = await this.store.byId(id);
    return !!row && row.org_id === orgId && !row.deleted_at;
  }

  agentCreatorSync(agentId: string) {
    return this.creators.get(agentId);
  }

  async agentCreator(agentId: string) {
    const known = this.creators.get(agentId);
    if (known) return known;
    return (await this.state(agentId))?.createdBy;
  }

  // --- Management ---

  private humanOnly(p: Principal) {
    if (p.type !== "user") throw forbidden("This endpoint is for human accounts");
  }

  /** An agent of the caller's org that is not deleted, or 404. */
  private async inOrg(p: Principal, id: string): Promise<AgentRow> {
    const row = await this.store.byId(id);
    if (!row || row.org_id !== p.orgId || row.deleted_at) throw notFound("Agent not found");
    return row;
  }

  /** Org owners and admins manage every agent of the org; members manage the agents they created. */
  private async manageable(p: Principal, id: string): Promise<AgentRow> {
    this.humanOnly(p);
    const row = await this.inOrg(p, id);
    if (p.role !== "owner" && p.role !== "admin" && row.created_by !== p.id) {
      throw forbidden("Only the agent's creator or an org owner or admin can change it");
    }
    return row;
  }

  async list(p: Principal) {
    this.humanOnly(p);
    return this.store.listByOrg(p.orgId);
  }

  async get(p: Principal, id: string) {
    if (p.type === "agent" && p.id !== id) throw forbidden("Agents can only read their own record");
    return this.inOrg(p, id);
  }

  async me(p: Principal) {
    if (p.type !== "agent") throw forbidden("This endpoint is for agent tokens");
    return this.inOrg(p, p.id);
  }

  private async checkVaultIds(p: Principal, ids: string[]) {
    for (const [i, id] of ids.entries()) {
      const v = await this.deps.vaults.find(id);
      if (!v || v.org_id !== p.orgId) throw invalidField(`vault_ids.${i}`, "is not a vault of your organization");
    }
    return [...new Set(ids)];
  }

  private checkScopes(scopes: string[]) {
    scopes.forEach((s, i) => {
      if (s.includes(":")) return; // documented non-glob scope strings ("vaults:read") are accepted and ignored
      const problem = globProblem(s);
      if (problem) throw invalidField(`scopes.${i}`, problem);
    });
    return [...new Set(scopes)];
  }

  private checkExpiry(expiresAt: string | null | undefined): string | null | undefined {
    if (expiresAt === undefined || expiresAt === null) return expiresAt;
    const t = Date.parse(expiresAt);
    if (t <= Date.now()) throw invalidField("expires_at", "must be in the future");
    return new Date(t).toISOString();
  }

  async create(p: Principal, input: CreateAgentRequest, ip: string, opts: { createdBy?: string; audit?: string; id?: string } = {}) {
    if (!opts.createdBy) this.humanOnly(p);
    const id = opts.id ?? crypto.randomUUID();
    let fingerprint: string | null = null;
    let issuer: string | null = null;
    let clientId: string | null = null;
    if (input.auth_method === "mtls") {
      if (!input.client_cert_fingerprint) throw invalidField("client_cert_fingerprint", "is required for mtls agents");
      fingerprint = normalizeFingerprint(input.client_cert_fingerprint);
      if (!fingerprint) throw invalidField("client_cert_fingerprint", "must be a SHA-256 fingerprint (64 hex digits, colons allowed)");
    } else if (input.client_cert_fingerprint) throw invalidField("client_cert_fingerprint", "is only for mtls agents");
    if (input.auth_method === "oidc_client_credentials") {
      if (!input.oidc_issuer) throw invalidField("oidc_issuer", "is required for oidc_client_credentials agents");
      const problem = issuerProblem(input.oidc_issuer);
      if (problem) throw invalidField("oidc_issuer", problem);
      if (!input.oidc_client_id) throw invalidField("oidc_client_id", "is required for oidc_client_credentials agents");
      issuer = input.oidc_issuer;
      clientId = input.oidc_client_id;
    } else if (input.oidc_issuer || input.oidc_client_id) throw invalidField(input.oidc_issuer ? "oidc_issuer" : "oidc_client_id", "is only for oidc_client_credentials agents");
    const vaultIds = await this.checkVaultIds(p, input.vault_ids ?? []);
    const scopes = input.scopes ? this.checkScopes(input.scopes) : null;
    const expiresAt = this.checkExpiry(input.expires_at) ?? null;
    const apiKey = input.auth_method === "api_key" ? ApiKeyHasher.generate("ocv_") : undefined;
    const keys = generateIdentityKeys();
    const now = nowIso();
    const row: AgentRow = {
      id,
      org_id: p.orgId,
      name: input.name,
      description: input.description ?? null,
      auth_method: input.auth_method,
      scopes: scopes ? JSON.stringify(scopes) : null,
      is_active: 1,
      deleted_at: null,
      expires_at: expiresAt,
      token_ttl_seconds: input.token_ttl_seconds ?? null,
      vault_ids: JSON.stringify(vaultIds),
      intents_api_enabled: bit(input.intents_api_enabled),
      tx_to_allowlist: JSON.stringify(input.tx_to_allowlist ?? []),
      tx_max_value_eth: input.tx_max_value_eth ?? null,
      tx_daily_limit_eth: input.tx_daily_limit_eth ?? null,
      tx_allowed_chains: JSON.stringify(input.tx_allowed_chains ?? []),
      shroud_enabled: bit(input.shroud_enabled),
      shroud_config: JSON.stringify(input.shroud_config ?? ShroudConfig.parse({})),
      client_cert_fingerprint: fingerprint,
      oidc_issuer: issuer,
      oidc_client_id: clientId,
      ssh_public_key: keys.sshPublicKey,
      ecdh_public_key: keys.ecdhPublicKey,
      api_key_hash: apiKey ? this.ctx.apiKeys.hash(apiKey) : null,
      key_prefix: apiKey ? keyPrefix(apiKey) : null,
      key_generation: 1,
      created_by: opts.createdBy ?? p.id,
      created_at: now,
      updated_at: now,
      last_active_at: null,
    };
    // Limits first (nothing stored if refused), then the private halves: an agent never exists without its identity keys stored.
    await this.ctx.uow.run(async ({ trx }) => {
      for (const check of this.hooks.beforeCreate) await check(trx, p);
    });
    await this.storeIdentityKeys(p.orgId, id, keys, ip);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      for (const check of this.hooks.beforeCreate) await check(trx, p);
      await this.store.insert(trx, row);
      audit({
        orgId: p.orgId,
        action: opts.audit ?? "agent.register",
        // A self-enrolled agent registered itself; otherwise the calling human did.
        actorId: opts.createdBy ? `agent:${id}` : actorId(p),
        actorType: opts.createdBy ? "agent" : p.type,
        resourceType: "agent",
        resourceId: id,
        details: { name: row.name, auth_method: row.auth_method, vault_ids: vaultIds },
        ip,
      });
    });
    await this.ctx.bus.publish(CREATED_TOPIC, `${id} ${row.created_by}`);
    return { agent: row, apiKey };
  }

  /** The org's `__agent-keys` vault, created on first use; owned by the system, so only org owners/admins and policies reach it. */
  private async agentKeysVault(orgId: string, ip: string): Promise<VaultRow> {
    const pending = this.keyVaultLocks.get(orgId);
    if (pending) return pending;
    const work = (async () => {
      const existing = (await this.deps.vaults.store.listByOrg(orgId)).find((v) => v.name === AGENT_KEYS_VAULT && v.created_by_type === "system");
      if (existing) return existing;
      return this.deps.vaults.create(systemPrincipal(orgId), { name: AGENT_KEYS_VAULT, description: "Agent identity private keys" }, ip);
    })();
    this.keyVaultLocks.set(orgId, work);
    try {
      return await work;
    } finally {
      this.keyVaultLocks.delete(orgId);
    }
  }

  private async storeIdentityKeys(orgId: string, agentId: string, keys: ReturnType<typeof generateIdentityKeys>, ip: string) {
    const vault = await this.agentKeysVault(orgId, ip);
    const sys = systemPrincipal(orgId);
    const put = (path: string, value: string, type: "ssh_key" | "private_key") =>
      this.deps.secrets.put(sys, vault.id, path, { value, type } as PutSecretRequest, ip);
    await put(`agents/${agentId}/ssh/private_key`, keys.sshPrivateKey, "ssh_key");
    await put(`agents/${agentId}/ecdh/private_key`, keys.ecdhPrivateKey, "private_key");
  }

  async update(p: Principal, id: string, input: UpdateAgentRequest, ip: string) {
    const row = await this.manageable(p, id);
    const patch: Partial<AgentRow> = {};
    if (input.name !== undefined) patch.name = input.name;
    if (input.description !== undefined) patch.description = input.description;
    if (input.is_active !== undefined) patch.is_active = bit(input.is_active);
    if (input.expires_at !== undefined) patch.expires_at = this.checkExpiry(input.expires_at) ?? null;
    if (input.scopes !== undefined) patch.scopes = input.scopes.length ? JSON.stringify(this.checkScopes(input.scopes)) : null;
    if (input.intents_api_enabled !== undefined) patch.intents_api_enabled = bit(input.intents_api_enabled);
    if (input.tx_to_allowlist !== undefined) patch.tx_to_allowlist = JSON.stringify(input.tx_to_allowlist);
    if (input.tx_max_value_eth !== undefined) patch.tx_max_value_eth = input.tx_max_value_eth;
    if (input.tx_daily_limit_eth !== undefined) patch.tx_daily_limit_eth = input.tx_daily_limit_eth;
    if (input.tx_allowed_chains !== undefined) patch.tx_allowed_chains = JSON.stringify(input.tx_allowed_chains);
    if (input.token_ttl_seconds !== undefined) patch.token_ttl_seconds = input.token_ttl_seconds;
    if (input.vault_ids !== undefined) patch.vault_ids = JSON.stringify(await this.checkVaultIds(p, input.vault_ids));
    if (input.shroud_enabled !== undefined) patch.shroud_enabled = bit(input.shroud_enabled);
    if (input.shroud_config !== undefined) patch.shroud_config = JSON.stringify(input.shroud_config);
    patch.updated_at = nowIso();
    const changed = Object.keys(patch).filter((k) => k !== "updated_at");
    const action = input.is_active === false && row.is_active === 1 ? "agent.deactivate" : "agent.update";
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.update(trx, id, patch);
      audit({ orgId: p.orgId, action, actorId: actorId(p), actorType: p.type, resourceType: "agent", resourceId: id, details: { changed }, ip });
    });
    await this.changed(id);
    return { ...row, ...patch };
  }

  /** DESIGN decision 7: deactivates and hides; keys and tokens stop at once, audit history stays. */
  async delete(p: Principal, id: string, ip: string) {
    await this.manageable(p, id);
    const now = nowIso();
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.update(trx, id, { is_active: 0, deleted_at: now, updated_at: now, api_key_hash: null });
      audit({ orgId: p.orgId, action: "agent.delete", actorId: actorId(p), actorType: p.type, resourceType: "agent", resourceId: id, ip });
    });
    await this.changed(id);
    await this.retireIdentityKeys(p.orgId, id, ip);
  }

  /** A deleted agent's private identity keys are deleted too (they stay only as encrypted history). */
  private async retireIdentityKeys(orgId: string, agentId: string, ip: string) {
    const vault = (await this.deps.vaults.store.listByOrg(orgId)).find((v) => v.name === AGENT_KEYS_VAULT && v.created_by_type === "system");
    if (!vault) return;
    for (const path of [`agents/${agentId}/ssh/private_key`, `agents/${agentId}/ecdh/private_key`]) {
      await this.deps.secrets.delete(systemPrincipal(orgId), vault.id, path, ip).catch((e) => {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      });
    }
  }

  /** New key; the old key and every token minted with it stop at once. Humans, or the agent itself. */
  async rotateKey(p: Principal, id: string, ip: string) {
    const row = p.type === "agent" && p.id === id ? await this.inOrg(p, id) : await this.manageable(p, id);
    if (row.auth_method !== "api_key") throw new ApiError(400, `auth_method: agent uses ${row.auth_method}, which has no API key`);
    const apiKey = ApiKeyHasher.generate("ocv_");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.update(trx, id, {
        api_key_hash: this.ctx.apiKeys.hash(apiKey),
        key_prefix: keyPrefix(apiKey),
        key_generation: row.key_generation + 1,
        updated_at: nowIso(),
      });
      audit({ orgId: p.orgId, action: "agent.rotate_key", actorId: actorId(p), actorType: p.type, resourceType: "agent", resourceId: id, ip });
    });
    await this.changed(id);
    return apiKey;
  }

  async rotateIdentityKeys(p: Principal, id: string, ip: string) {
    const row = await this.manageable(p, id);
    const keys = generateIdentityKeys();
    await this.storeIdentityKeys(p.orgId, id, keys, ip);
    const patch = { ssh_public_key: keys.sshPublicKey, ecdh_public_key: keys.ecdhPublicKey, updated_at: nowIso() };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.update(trx, id, patch);
      audit({ orgId: p.orgId, action: "agent.rotate_identity_keys", actorId: actorId(p), actorType: p.type, resourceType: "agent", resourceId: id, ip });
    });
    return { ...row, ...patch };
  }

  // --- Token exchange ---

  /**
   * POST /v1/auth/agent-token. One credential per agent kind: an ocv_ key (alone it finds its
   * agent), a verified TLS client certificate (mtls), or a JWT from the agent's OIDC issuer.
   * Every failure is the same 401 and is audited.
   */
  async exchange(body: { agent_id?: string; api_key?: string; oidc_token?: string }, cert: ClientCertificate | undefined, ip: string) {
    let row: AgentRow | undefined;
    let method: string;
    if (body.api_key) {
      method = "api_key";
      row = await this.store.byKeyHash(this.ctx.apiKeys.hash(body.api_key));
      if (row && (row.auth_method !== "api_key" || (body.agent_id && body.agent_id !== row.id))) row = undefined;
    } else if (body.oidc_token) {
      method = "oidc_client_credentials";
      row = await this.verifyOidc(body.oidc_token, body.agent_id);
    } else if (cert) {
      method = "mtls";
      // Only a certificate that chains to the configured client CA counts; a matching fingerprint alone does not.
      const fp = cert.authorized ? normalizeFingerprint(cert.fingerprint256) : null;
      const candidates = fp ? (await this.store.byCertFingerprint(fp)).filter((a) => a.auth_method === "mtls") : [];
      row = body.agent_id ? candidates.find((a) => a.id === body.agent_id) : candidates.length === 1 ? candidates[0] : undefined;
    } else {
      throw invalidField("api_key", "is required (or oidc_token, or a TLS client certificate for mtls agents)");
    }
    const reason = !row ? "unknown_credential" : row.deleted_at ? "deleted" : !row.is_active ? "inactive" : row.expires_at && Date.parse(row.expires_at) <= Date.now() ? "expired" : null;
    if (!row || reason) {
      await this.ctx.uow.audit({
        orgId: row?.org_id ?? NO_ORG,
        action: "auth.failure",
        actorId: row ? `agent:${row.id}` : "anonymous",
        actorType: row ? "agent" : "anonymous",
        resourceType: "session",
        details: { method, reason },
        ip,
      });
      throw unauthorized(reason === "inactive" ? "Agent is deactivated" : reason === "expired" ? "Agent has expired" : "Invalid agent credentials");
    }
    const s = toState(row);
    const ttl = row.token_ttl_seconds ?? this.ctx.config.agentTokenTtlSeconds;
    const claims: Omit<AgentClaims, "jti" | "iat" | "exp"> = {
      sub: row.id,
      typ: "agent",
      org_id: row.org_id,
      vault_ids: s.vaultIds,
      intents_api_enabled: s.intentsApiEnabled,
      kgen: row.key_generation,
      ...(row.scopes ? { scopes: parseList(row.scopes) } : {}),
    };
    const { token } = await this.ctx.tokens.sign(claims, ttl);
    const now = nowIso();
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.update(trx, row.id, { last_active_at: now });
      audit({ orgId: row.org_id, action: "auth.success", actorId: `agent:${row.id}`, actorType: "agent", resourceType: "session", details: { method }, ip });
    });
    return { access_token: token, token_type: "Bearer", expires_in: ttl, agent_id: row.id, vault_ids: s.vaultIds };
  }

  /** Verifies a JWT against its issuer's JWKS (discovered and cached); audience = the agent's oidc_client_id. */
  private async verifyOidc(token: string, agentId: string | undefined): Promise<AgentRow | undefined> {
    let iss: string | undefined;
    let aud: string[] = [];
    try {
      const c = decodeJwt(token);
      iss = c.iss;
      aud = typeof c.aud === "string" ? [c.aud] : (c.aud ?? []);
    } catch {
      return undefined;
    }
    if (!iss) return undefined;
    const candidates = (await this.store.byOidcIssuer(iss)).filter(
      (a) => a.auth_method === "oidc_client_credentials" && aud.includes(a.oidc_client_id ?? "") && (!agentId || a.id === agentId),
    );
    if (candidates.length !== 1) return undefined;
    const agent = candidates[0];
    try {
      const keys = await this.issuerKeys(iss);
      await jwtVerify(token, keys, { issuer: iss, audience: agent.oidc_client_id!, algorithms: ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"] });
      return agent;
    } catch (e) {
      this.ctx.log.info({ issuer: iss, reason: (e as Error).message }, "OIDC agent token rejected");
      return undefined;
    }
  }

  private async issuerKeys(issuer: string): Promise<JWTVerifyGetKey> {
    const hit = this.jwks.get(issuer);
    if (hit && hit.at > Date.now() - OIDC_DISCOVERY_TTL_MS) return hit.get;
    const res = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
    if (doc.issuer !== issuer || !doc.jwks_uri) throw new Error("discovery document does not match the issuer");
    const get = createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: 5000 });
    this.jwks.set(issuer, { get, at: Date.now() });
    return get;
  }

  // --- Self-enrollment ---

  /**
   * Public: the same answer whether or not the email belongs to a user (DESIGN decision 11). The
   * cooldown is claimed for every email, known or not, so a 429 reveals nothing either. For a known
   * email the agent is created and its key mailed after the answer, so timing does not tell either.
   */
  async enroll(input: { name: string; human_email: string; description?: string }, ip: string) {
    const email = input.human_email.toLowerCase();
    const emailHash = this.ctx.apiKeys.hash(`enroll:${email}`);
    const now = new Date();
    const claimed = await this.ctx.uow.run(({ trx }) =>
      this.store.claimEnrollment(trx, emailHash, now.toISOString(), new Date(now.getTime() - ENROLL_COOLDOWN_MS).toISOString()),
    );
    if (!claimed) {
      const last = await this.store.lastEnrollment(emailHash);
      const retry = last ? (Date.parse(last.last_at) + ENROLL_COOLDOWN_MS - now.getTime()) / 1000 : ENROLL_COOLDOWN_MS / 1000;
      throw tooManyRequests(retry, "An enrollment for this email was made recently; try again later");
    }
    const agentId = crypto.randomUUID();
    void this.completeEnrollment(agentId, email, input, ip).catch((e) => this.ctx.log.error({ err: e }, "agent enrollment failed"));
    return { agent_id: agentId, message: "If this email belongs to an account, its owner will receive the agent's credentials by email." };
  }

  /** The enrollment's work for a known email; exposed for tests that need to wait for it. */
  enrollments: Promise<unknown> = Promise.resolve();

  private completeEnrollment(agentId: string, email: string, input: { name: string; description?: string }, ip: string) {
    const work = (async () => {
      const user = await this.store.userByEmail(email);
      if (!user) return;
      const owner: Principal = { type: "user", id: user.id, orgId: user.org_id, via: "jwt" };
      const { agent, apiKey } = await this.create(
        owner,
        { name: input.name, description: input.description, auth_method: "api_key" },
        ip,
        { createdBy: user.id, audit: "agent.enroll", id: agentId },
      );
      this.ctx.mailer.queue({
        to: user.email,
        subject: `New oneclaw agent enrolled: ${agent.name}`,
        text:
          `An agent named "${agent.name}" enrolled itself in your organization.\n\n` +
          `Agent ID: ${agent.id}\nAPI key: ${apiKey}\n\n` +
          `The key is shown only in this message. The agent has no access until you grant it a policy.\n` +
          `If you did not expect this, delete the agent: DELETE ${this.ctx.config.publicUrl}/v1/agents/${agent.id}\n`,
      });
    })();
    this.enrollments = this.enrollments.then(() => work).catch(() => undefined);
    return work;
  }
}

function systemPrincipal(orgId: string): Principal {
  return { type: "system" as Principal["type"], id: "system", orgId, via: "jwt" };
}

function toState(row: AgentRow): AgentState {
  const scopes = row.scopes ? parseList(row.scopes).filter((s) => !s.includes(":")) : undefined;
  return {
    id: row.id,
    orgId: row.org_id,
    createdBy: row.created_by,
    usable: row.is_active === 1 && !row.deleted_at,
    expiresAt: row.expires_at ? Date.parse(row.expires_at) : null,
    vaultIds: parseList(row.vault_ids),
    // Explicit scopes that are all non-globs leave no ceiling (behaviour notes §14.1).
    scopes: scopes?.length ? scopes : undefined,
    intentsApiEnabled: row.intents_api_enabled === 1,
    keyGeneration: row.key_generation,
  };
}

export function toAgentResponse(r: AgentRow) {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    auth_method: r.auth_method as "api_key" | "mtls" | "oidc_client_credentials",
    scopes: r.scopes ? parseList(r.scopes) : [],
    is_active: r.is_active === 1,
    intents_api_enabled: r.intents_api_enabled === 1,
    tx_to_allowlist: parseList(r.tx_to_allowlist),
    tx_max_value_eth: r.tx_max_value_eth,
    tx_daily_limit_eth: r.tx_daily_limit_eth,
    tx_allowed_chains: parseList(r.tx_allowed_chains),
    token_ttl_seconds: r.token_ttl_seconds,
    vault_ids: parseList(r.vault_ids),
    client_cert_fingerprint: r.client_cert_fingerprint,
    oidc_issuer: r.oidc_issuer,
    oidc_client_id: r.oidc_client_id,
    ssh_public_key: r.ssh_public_key,
    ecdh_public_key: r.ecdh_public_key,
    shroud_enabled: r.shroud_enabled === 1,
    shroud_config: r.shroud_config ? JSON.parse(r.shroud_config) : null,
    created_at: r.created_at,
    expires_at: r.expires_at,
    last_active_at: r.last_active_at,
  };
}

export function toAgentSelfResponse(r: AgentRow) {
  const full = toAgentResponse(r);
  return {
    id: full.id,
    name: full.name,
    description: full.description,
    org_id: r.org_id,
    scopes: full.scopes,
    is_active: full.is_active,
    intents_api_enabled: full.intents_api_enabled,
    created_by: r.created_by,
    created_at: full.created_at,
    expires_at: full.expires_at,
    last_active_at: full.last_active_at,
    ssh_public_key: full.ssh_public_key,
    ecdh_public_key: full.ecdh_public_key,
    shroud_enabled: full.shroud_enabled,
    shroud_config: full.shroud_config,
    vault_ids: full.vault_ids,
  };
}

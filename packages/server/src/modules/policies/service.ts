import crypto from "node:crypto";
import { POLICY_PERMISSIONS, type CreatePolicyRequest, type PolicyConditions, type UpdatePolicyRequest } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { badRequest, forbidden, invalidField, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { VaultService } from "../vaults/service.js";
import type { VaultRow } from "../vaults/store.js";
import { compileConditions, validateConditions, type CompiledConditions } from "./conditions.js";
import { compileGlob, globProblem, type PathMatcher } from "./glob.js";
import { PolicyStore, type PolicyRow } from "./store.js";

export type Permission = "read" | "write" | "delete";

const POLICY_TOPIC = "policy.changed";
const VAULT_TOPIC = "vault.changed";
const MAX_CACHED_VAULTS = 10_000;

interface CompiledPolicy {
  id: string;
  read: boolean;
  write: boolean;
  delete: boolean;
  matches: PathMatcher;
  expiresAt: number | null;
  conditions: CompiledConditions | null;
}

/** A vault's policies indexed by principal ("agent:<id>"), so a decision looks only at the caller's own. */
type VaultIndex = Map<string, CompiledPolicy[]>;

/** What the policy module needs to know about principals it does not own. */
export interface PrincipalDirectory {
  /** Whether a user or (not deleted) agent of this id exists in the org. */
  exists(type: "user" | "agent", id: string, orgId: string): Promise<boolean>;
  /** The human who created an agent (for agent-created vaults); sync form may miss, async never does. */
  agentCreatorSync(agentId: string): string | undefined;
  agentCreator(agentId: string): Promise<string | undefined>;
}

const key = (type: string, id: string) => `${type}:${id}`;

/**
 * The access decision for vault contents (behaviour notes §5.5 settled by DESIGN decisions 1, 4, 5):
 * agent vault binding, then the agent's explicit scope ceiling, then owner bypass (vault creator,
 * org owner/admin, the human creator of an agent-created vault), then the caller's policies —
 * unexpired, conditions satisfied, granting the permission. Policies are compiled and cached per
 * vault; every change is announced on the bus so every replica drops its copy before the next request.
 */
export class PolicyService {
  readonly store: PolicyStore;
  private readonly index = new Map<string, VaultIndex>();
  /** Bumped on every invalidation, so a load that raced with a change is not cached. */
  private readonly generation = new Map<string, number>();
  private readonly scopeCache = new WeakMap<readonly string[], PathMatcher[]>();
  private vaults?: VaultService;
  private directory?: PrincipalDirectory;

  constructor(private readonly ctx: AppContext) {
    this.store = new PolicyStore(ctx.db);
    const drop = (vaultId: string) => {
      this.generation.set(vaultId, (this.generation.get(vaultId) ?? 0) + 1);
      this.index.delete(vaultId);
    };
    ctx.bus.subscribe(POLICY_TOPIC, drop);
    ctx.bus.subscribe(VAULT_TOPIC, drop);
  }

  /** Late wiring: the vault service is built after this one. */
  bind(vaults: VaultService, directory: PrincipalDirectory) {
    this.vaults = vaults;
    this.directory = directory;
  }

  /** Full access without a policy: creator, an org owner/admin, or the human creator of an agent-created vault. */
  isVaultOwner(p: Principal, vault: VaultRow): boolean {
    if (vault.created_by_type === p.type && vault.created_by === p.id) return true;
    if (p.type !== "user") return false;
    if (p.role === "owner" || p.role === "admin") return true;
    return vault.created_by_type === "agent" && this.directory?.agentCreatorSync(vault.created_by) === p.id;
  }

  private async hasFullAccess(p: Principal, vault: VaultRow): Promise<boolean> {
    if (this.isVaultOwner(p, vault)) return true;
    if (p.type === "user" && vault.created_by_type === "agent") return (await this.directory?.agentCreator(vault.created_by)) === p.id;
    return false;
  }

  /** An agent bound to vaults may touch no other vault, whatever its policies say. */
  private boundElsewhere(p: Principal, vault: VaultRow): boolean {
    return p.type === "agent" && !!p.vaultIds?.length && !p.vaultIds.includes(vault.id);
  }

  private withinScopes(p: Principal, segments: readonly string[]): boolean {
    // Agents' scopes and the scopes of personal API keys (1ck_) are both a ceiling.
    if (!p.scopes?.length) return true;
    let matchers = this.scopeCache.get(p.scopes);
    if (!matchers) {
      matchers = p.scopes.filter((s) => globProblem(s) === null).map(compileGlob);
      this.scopeCache.set(p.scopes, matchers);
    }
    return matchers.some((m) => m(segments));
  }

  /** Throws 403 unless the principal may perform `perm` on `path` in the vault. */
  async authorize(p: Principal, vault: VaultRow, path: string, perm: Permission, ip: string): Promise<void> {
    if (this.boundElsewhere(p, vault)) throw forbidden("This agent is bound to other vaults");
    const segments = path.split("/");
    if (!this.withinScopes(p, segments)) throw forbidden();
    if (await this.hasFullAccess(p, vault)) return;
    const mine = (await this.vaultIndex(vault.id)).get(key(p.type, p.id));
    if (mine) {
      const now = new Date();
      const t = now.getTime();
      for (const pol of mine) {
        if (!grants(pol, perm)) continue;
        if (pol.expiresAt !== null && pol.expiresAt <= t) continue;
        if (!pol.matches(segments)) continue;
        if (pol.conditions && !pol.conditions.applies(ip, now)) continue;
        return;
      }
    }
    throw forbidden();
  }

  /** For listings: 403 when the caller cannot see the vault, else a predicate for readable paths. */
  async readablePaths(p: Principal, vault: VaultRow, ip: string): Promise<(path: string) => boolean> {
    if (this.boundElsewhere(p, vault)) throw forbidden("This agent is bound to other vaults");
    const full = await this.hasFullAccess(p, vault);
    const inScope = (path: string) => this.withinScopes(p, path.split("/"));
    if (full) return inScope;
    const now = new Date();
    const t = now.getTime();
    const mine = (await this.vaultIndex(vault.id)).get(key(p.type, p.id)) ?? [];
    const live = mine.filter((pol) => pol.expiresAt === null || pol.expiresAt > t);
    const bound = p.type === "agent" && !!p.vaultIds?.length;
    if (!live.length && !bound) throw forbidden();
    const readable = live.filter((pol) => pol.read && (!pol.conditions || pol.conditions.applies(ip, now)));
    return (path) => {
      const segments = path.split("/");
      return this.withinScopes(p, segments) && readable.some((pol) => pol.matches(segments));
    };
  }

  /** Whether the principal may see the vault at all: full access, bound to it, or holding a live policy on it. */
  async canSeeVault(p: Principal, vault: VaultRow): Promise<boolean> {
    if (this.boundElsewhere(p, vault)) return false;
    if (await this.hasFullAccess(p, vault)) return true;
    if (p.type === "agent" && p.vaultIds?.length) return true;
    const mine = (await this.vaultIndex(vault.id)).get(key(p.type, p.id));
    const t = Date.now();
    return !!mine?.some((pol) => pol.expiresAt === null || pol.expiresAt > t);
  }

  private async vaultIndex(vaultId: string): Promise<VaultIndex> {
    const hit = this.index.get(vaultId);
    if (hit) return hit;
    const gen = this.generation.get(vaultId) ?? 0;
    const rows = await this.store.byVault(vaultId);
    const idx: VaultIndex = new Map();
    for (const r of rows) {
      const k = key(r.principal_type, r.principal_id);
      const list = idx.get(k);
      const c = compile(r);
      if (list) list.push(c);
      else idx.set(k, [c]);
    }
    if ((this.generation.get(vaultId) ?? 0) === gen) {
      if (this.index.size >= MAX_CACHED_VAULTS) this.index.clear();
      this.index.set(vaultId, idx);
    }
    return idx;
  }

  private changed(vaultId: string) {
    return this.ctx.bus.publish(POLICY_TOPIC, vaultId);
  }

  /** Removes every policy naming a principal that no longer exists (inside the deleting transaction). */
  async forgetPrincipal(trx: Tx, type: "user" | "agent", id: string) {
    const vaultIds = await this.store.deleteByPrincipal(trx, type, id);
    if (vaultIds.length) setTimeout(() => vaultIds.forEach((v) => void this.changed(v).catch(() => undefined)), 200).unref();
  }

  // --- Management (routes /v1/vaults/{vault_id}/policies) ---

  /** Agents manage policies only on vaults they created; humans need full access to the vault. */
  private async manageable(p: Principal, vaultId: string): Promise<VaultRow> {
    const vault = await this.vaults!.inOrg(p, vaultId);
    if (p.type === "agent") {
      if (vault.created_by_type === "agent" && vault.created_by === p.id && !this.boundElsewhere(p, vault)) return vault;
      throw forbidden("Agents may manage policies only on vaults they created");
    }
    if (!(await this.hasFullAccess(p, vault))) throw forbidden("Only the vault's creator or an org owner or admin can manage its policies");
    return vault;
  }

  async list(p: Principal, vaultId: string): Promise<PolicyRow[]> {
    const vault = await this.manageable(p, vaultId);
    return this.store.byVault(vault.id);
  }

  async create(p: Principal, vaultId: string, input: CreatePolicyRequest, ip: string): Promise<PolicyRow> {
    const vault = await this.manageable(p, vaultId);
    const problem = globProblem(input.secret_path_pattern);
    if (problem) throw invalidField("secret_path_pattern", problem);
    const permissions = checkPermissions(input.permissions);
    validateConditions(input.conditions);
    const expiresAt = checkExpiry(input.expires_at);
    if (!(await this.directory!.exists(input.principal_type, input.principal_id, p.orgId))) {
      throw invalidField("principal_id", `no ${input.principal_type} with this id in your organization`);
    }
    const row: PolicyRow = {
      id: crypto.randomUUID(),
      vault_id: vault.id,
      org_id: vault.org_id,
      secret_path_pattern: input.secret_path_pattern,
      principal_type: input.principal_type,
      principal_id: input.principal_id,
      permissions: JSON.stringify(permissions),
      conditions: JSON.stringify(input.conditions ?? {}),
      expires_at: expiresAt,
      created_by: p.id,
      created_by_type: p.type,
      created_at: nowIso(),
    };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.insert(trx, row);
      audit({
        orgId: p.orgId,
        action: "policy.create",
        actorId: actorId(p),
        actorType: p.type,
        resourceType: "policy",
        resourceId: row.id,
        details: { vault_id: vault.id, secret_path_pattern: row.secret_path_pattern, principal_type: row.principal_type, principal_id: row.principal_id, permissions },
        ip,
      });
    });
    await this.changed(vault.id);
    return row;
  }

  async update(p: Principal, vaultId: string, policyId: string, input: UpdatePolicyRequest, ip: string): Promise<PolicyRow> {
    const vault = await this.manageable(p, vaultId);
    const existing = await this.store.byId(vault.id, policyId);
    if (!existing) throw notFound("Policy not found");
    const patch: Partial<PolicyRow> = {};
    if (input.permissions !== undefined) patch.permissions = JSON.stringify(checkPermissions(input.permissions));
    if (input.conditions !== undefined) {
      validateConditions(input.conditions);
      patch.conditions = JSON.stringify(input.conditions);
    }
    if (input.expires_at !== undefined) patch.expires_at = checkExpiry(input.expires_at);
    if (!Object.keys(patch).length) throw badRequest("body: nothing to update (permissions, conditions, expires_at)");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.update(trx, existing.id, patch);
      audit({
        orgId: p.orgId,
        action: "policy.update",
        actorId: actorId(p),
        actorType: p.type,
        resourceType: "policy",
        resourceId: existing.id,
        details: { vault_id: vault.id, changed: Object.keys(patch) },
        ip,
      });
    });
    await this.changed(vault.id);
    return { ...existing, ...patch };
  }

  async delete(p: Principal, vaultId: string, policyId: string, ip: string): Promise<void> {
    const vault = await this.manageable(p, vaultId);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      if (!(await this.store.delete(trx, vault.id, policyId))) throw notFound("Policy not found");
      audit({ orgId: p.orgId, action: "policy.delete", actorId: actorId(p), actorType: p.type, resourceType: "policy", resourceId: policyId, details: { vault_id: vault.id }, ip });
    });
    await this.changed(vault.id);
  }
}

function grants(pol: CompiledPolicy, perm: Permission): boolean {
  if (perm === "read") return pol.read;
  if (perm === "write") return pol.write;
  return pol.delete || pol.write;
}

function compile(r: PolicyRow): CompiledPolicy {
  const perms = new Set<string>(JSON.parse(r.permissions));
  const conditions = JSON.parse(r.conditions) as PolicyConditions;
  return {
    id: r.id,
    read: perms.has("read"),
    write: perms.has("write"),
    delete: perms.has("delete"),
    // A stored pattern that no longer parses grants nothing rather than failing every request.
    matches: globProblem(r.secret_path_pattern) === null ? compileGlob(r.secret_path_pattern) : () => false,
    expiresAt: r.expires_at ? Date.parse(r.expires_at) : null,
    conditions: compileConditions(conditions),
  };
}

function checkPermissions(perms: string[]): string[] {
  perms.forEach((perm, i) => {
    if (!(POLICY_PERMISSIONS as readonly string[]).includes(perm)) {
      throw invalidField(`permissions.${i}`, `unknown permission "${perm}"; expected one of ${POLICY_PERMISSIONS.join(", ")}`);
    }
  });
  return [...new Set(perms)];
}

function checkExpiry(expiresAt: string | null | undefined): string | null {
  if (!expiresAt) return null;
  const t = Date.parse(expiresAt);
  if (t <= Date.now()) throw invalidField("expires_at", "must be in the future");
  return new Date(t).toISOString();
}

export function toPolicyResponse(r: PolicyRow) {
  return {
    id: r.id,
    vault_id: r.vault_id,
    secret_path_pattern: r.secret_path_pattern,
    principal_type: r.principal_type,
    principal_id: r.principal_id,
    permissions: JSON.parse(r.permissions) as string[],
    conditions: JSON.parse(r.conditions) as Record<string, unknown>,
    expires_at: r.expires_at,
    created_by: r.created_by,
    created_by_type: r.created_by_type,
    created_at: r.created_at,
  };
}

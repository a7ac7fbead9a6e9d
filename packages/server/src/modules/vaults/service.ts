import crypto from "node:crypto";
import type { AppContext } from "../../context.js";
import { forbidden, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { PolicyService } from "../policies/service.js";
import { VaultStore, type VaultRow } from "./store.js";

const VAULT_TOPIC = "vault.changed";

export class VaultService {
  readonly store: VaultStore;
  private readonly cache = new Map<string, VaultRow>();

  constructor(
    private readonly ctx: AppContext,
    private readonly policies: PolicyService,
  ) {
    this.store = new VaultStore(ctx.db);
    ctx.bus.subscribe(VAULT_TOPIC, (id) => {
      this.cache.delete(id);
      ctx.keyring.forget(id);
    });
  }

  /** Vault row by id, cached; invalidated on every replica when the vault changes. */
  async find(id: string): Promise<VaultRow | undefined> {
    const hit = this.cache.get(id);
    if (hit) return hit;
    const row = await this.store.byId(id);
    if (row) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(id, row);
    }
    return row;
  }

  changed(id: string) {
    return this.ctx.bus.publish(VAULT_TOPIC, id);
  }

  /** A vault of the caller's org, or 404 (another org's vault is indistinguishable from none). */
  async inOrg(p: Principal, id: string): Promise<VaultRow> {
    const v = await this.find(id);
    if (!v || v.org_id !== p.orgId) throw notFound("Vault not found");
    return v;
  }

  async create(p: Principal, input: { name: string; description?: string }, ip: string, extra?: (trx: Tx, v: VaultRow) => Promise<void>) {
    const id = crypto.randomUUID();
    const wrappedKek = await this.ctx.keyring.createVaultKey(id);
    const row: VaultRow = {
      id,
      org_id: p.orgId,
      name: input.name,
      description: input.description ?? null,
      created_by: p.id,
      created_by_type: p.type,
      wrapped_kek: wrappedKek,
      kek_version: 1,
      cmek_enabled: 0,
      cmek_fingerprint: null,
      created_at: nowIso(),
    };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.hooks.beforeCreate.reduce((acc, h) => acc.then(() => h(trx, p)), Promise.resolve());
      await this.store.insert(trx, row);
      if (extra) await extra(trx, row);
      audit({ orgId: p.orgId, action: "vault.create", actorId: actorId(p), actorType: p.type, resourceType: "vault", resourceId: id, details: { name: row.name }, ip });
    });
    return row;
  }

  /** Hooks other modules use (tier limits before a vault is created). */
  readonly hooks = { beforeCreate: [] as Array<(trx: Tx, p: Principal) => Promise<void>> };

  async list(p: Principal): Promise<VaultRow[]> {
    const rows = await this.store.listByOrg(p.orgId);
    const out: VaultRow[] = [];
    for (const v of rows) if (await this.policies.canSeeVault(p, v)) out.push(v);
    return out;
  }

  async get(p: Principal, id: string): Promise<VaultRow> {
    const v = await this.inOrg(p, id);
    if (!(await this.policies.canSeeVault(p, v))) throw forbidden();
    return v;
  }

  async delete(p: Principal, id: string, ip: string) {
    const v = await this.inOrg(p, id);
    if (!this.policies.isVaultOwner(p, v)) throw forbidden("Only the vault's creator or an org owner or admin can delete it");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.delete(trx, id);
      audit({ orgId: p.orgId, action: "vault.delete", actorId: actorId(p), actorType: p.type, resourceType: "vault", resourceId: id, details: { name: v.name }, ip });
    });
    await this.changed(id);
  }
}

export function toVaultResponse(v: VaultRow) {
  return {
    id: v.id,
    name: v.name,
    description: v.description,
    created_by: v.created_by,
    created_by_type: v.created_by_type,
    created_at: v.created_at,
    cmek_enabled: v.cmek_enabled === 1,
    cmek_fingerprint: v.cmek_fingerprint,
  };
}

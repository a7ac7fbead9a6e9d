import crypto from "node:crypto";
import type { AppContext } from "../../context.js";
import { conflict, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { bit, nowIso } from "../../store/db.js";
import { ChainStore, type ChainRow } from "./store.js";

/** EVM chain registry (behaviour notes §8.8): public read, platform-admin write. */
export class ChainService {
  readonly store: ChainStore;
  constructor(private readonly ctx: AppContext) {
    this.store = new ChainStore(ctx.db);
  }

  list(includeDisabled: boolean) {
    return this.store.list(!includeDisabled);
  }

  /** By name (`ethereum`) or numeric chain id (`8453`); disabled chains are only visible to admins. */
  async resolve(identifier: string, includeDisabled = false): Promise<ChainRow> {
    const row = /^\d{1,16}$/.test(identifier) ? await this.store.byChainId(Number(identifier)) : await this.store.byName(identifier.toLowerCase());
    if (!row || (!includeDisabled && row.is_enabled !== 1)) throw notFound("Chain not found");
    return row;
  }

  async create(
    p: Principal,
    input: { name: string; display_name: string; chain_id: number; rpc_url?: string | null; ws_url?: string | null; explorer_url?: string | null; native_currency?: string; is_testnet?: boolean; is_enabled?: boolean },
    ip: string,
  ) {
    const now = nowIso();
    const row: ChainRow = {
      id: crypto.randomUUID(),
      name: input.name,
      display_name: input.display_name,
      chain_id: input.chain_id,
      rpc_url: input.rpc_url ?? null,
      ws_url: input.ws_url ?? null,
      explorer_url: input.explorer_url ?? null,
      native_currency: input.native_currency ?? "ETH",
      is_testnet: bit(input.is_testnet ?? false),
      is_enabled: bit(input.is_enabled ?? true),
      created_at: now,
      updated_at: now,
    };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const clash = await this.store.clash(trx, row.name, row.chain_id);
      if (clash) throw conflict(clash.name === row.name ? `A chain named "${row.name}" already exists` : `A chain with chain_id ${row.chain_id} already exists`);
      await this.store.insert(trx, row);
      audit({ orgId: p.orgId, action: "admin.chain_create", actorId: actorId(p), actorType: "user", resourceType: "chain", resourceId: row.id, details: { name: row.name, chain_id: row.chain_id }, ip });
    });
    return row;
  }

  async update(p: Principal, id: string, patch: Record<string, unknown>, ip: string) {
    const set: Partial<ChainRow> = { updated_at: nowIso() };
    for (const k of ["display_name", "rpc_url", "ws_url", "explorer_url", "native_currency"] as const) {
      if (patch[k] !== undefined) (set as Record<string, unknown>)[k] = patch[k];
    }
    if (patch.is_testnet !== undefined) set.is_testnet = bit(patch.is_testnet as boolean);
    if (patch.is_enabled !== undefined) set.is_enabled = bit(patch.is_enabled as boolean);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      if (!(await this.store.byId(id, trx))) throw notFound("Chain not found");
      await this.store.update(trx, id, set);
      audit({ orgId: p.orgId, action: "admin.chain_update", actorId: actorId(p), actorType: "user", resourceType: "chain", resourceId: id, details: { fields: Object.keys(patch) }, ip });
    });
    return (await this.store.byId(id))!;
  }

  async delete(p: Principal, id: string, ip: string) {
    await this.ctx.uow.run(async ({ trx, audit }) => {
      if (!(await this.store.delete(trx, id))) throw notFound("Chain not found");
      audit({ orgId: p.orgId, action: "admin.chain_delete", actorId: actorId(p), actorType: "user", resourceType: "chain", resourceId: id, ip });
    });
  }
}

export function toChainResponse(r: ChainRow) {
  return {
    id: r.id,
    name: r.name,
    display_name: r.display_name,
    chain_id: Number(r.chain_id),
    rpc_url: r.rpc_url,
    ws_url: r.ws_url,
    explorer_url: r.explorer_url,
    native_currency: r.native_currency,
    is_testnet: r.is_testnet === 1,
    is_enabled: r.is_enabled === 1,
    created_at: r.created_at,
    updated_at: r.updated_at,
  };
}

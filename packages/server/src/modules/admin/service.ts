import type { FastifyRequest } from "fastify";
import type { AppContext } from "../../context.js";
import { ApiError, conflict, forbidden, invalidField, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso } from "../../store/db.js";
import type { AuthService } from "../auth/service.js";
import type { BillingService } from "../billing/service.js";
import { currentMonth } from "../billing/tiers.js";
import { AdminStore, type SettingRow } from "./store.js";

const SETTINGS_TOPIC = "platform.settings.changed";
const BOOLEAN_SETTINGS = new Set(["maintenance_mode", "intents_api.require_simulation"]);
const truthy = (v: string | undefined) => v !== undefined && /^(true|1|on|yes)$/i.test(v);

/** The principal of a platform-admin route; everyone else (agents, other humans, scoped keys) gets 403. */
export function platformAdminOf(req: { principal?: Principal }): Principal {
  const p = req.principal;
  if (!p || p.type !== "user" || !p.isPlatformAdmin || p.scopes?.length) throw forbidden("Platform admin access required");
  return p;
}

/** Platform settings (maintenance mode), x402 configuration and user administration. */
export class AdminService {
  readonly store: AdminStore;
  private settings = new Map<string, SettingRow>();

  constructor(
    private readonly ctx: AppContext,
    private readonly auth: AuthService,
    private readonly billing: BillingService,
  ) {
    this.store = new AdminStore(ctx.db);
    ctx.bus.subscribe(SETTINGS_TOPIC, () => void this.load().catch((e) => ctx.log.warn({ err: e }, "settings reload failed")));
    ctx.hooks.afterAuth.push(async (req) => this.enforceMaintenance(req));
  }

  async init() {
    await this.load();
  }

  private async load() {
    this.settings = new Map((await this.store.settings()).map((r) => [r.key, r]));
  }

  setting(key: string): string | undefined {
    return this.settings.get(key)?.value;
  }

  /** Maintenance mode: every authenticated request except a platform admin's gets 503 (health and public routes stay up). */
  private enforceMaintenance(req: FastifyRequest) {
    if (!truthy(this.setting("maintenance_mode")) || req.principal?.isPlatformAdmin) return;
    throw new ApiError(503, "oneclaw is in maintenance mode; try again later", "about:blank", undefined, { "Retry-After": "60" });
  }

  listSettings() {
    return [...this.settings.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  async putSetting(p: Principal, key: string, value: string, ip: string) {
    if (BOOLEAN_SETTINGS.has(key) && !/^(true|false)$/.test(value)) throw invalidField("value", `${key} must be "true" or "false"`);
    const row: SettingRow = { key, value, updated_by: actorId(p), updated_at: nowIso() };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.putSetting(trx, row);
      audit({ orgId: p.orgId, action: "admin.setting_update", actorId: actorId(p), actorType: "user", resourceType: "setting", resourceId: key, details: { key, value }, ip });
    });
    await this.load();
    await this.ctx.bus.publish(SETTINGS_TOPIC, key);
    return row;
  }

  async deleteSetting(p: Principal, key: string, ip: string) {
    await this.ctx.uow.run(async ({ trx, audit }) => {
      if (!(await this.store.deleteSetting(trx, key))) throw notFound("Setting not found");
      audit({ orgId: p.orgId, action: "admin.setting_delete", actorId: actorId(p), actorType: "user", resourceType: "setting", resourceId: key, details: { key }, ip });
    });
    await this.load();
    await this.ctx.bus.publish(SETTINGS_TOPIC, key);
  }

  async x402() {
    const row = await this.store.x402();
    const stored = row ? (JSON.parse(row.config) as Record<string, unknown>) : {};
    return { pay_to: null, network: null, scheme: null, free_tier_limit: null, facilitator_url: null, ...stored };
  }

  /** Stored only: no x402 payments are taken until a payment adapter uses it. */
  async putX402(p: Principal, patch: Record<string, unknown>, ip: string) {
    const next = { ...(await this.x402()), ...patch };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.putX402(trx, JSON.stringify(next), actorId(p), nowIso());
      audit({ orgId: p.orgId, action: "admin.x402_update", actorId: actorId(p), actorType: "user", resourceType: "setting", resourceId: "x402", details: { fields: Object.keys(patch) }, ip });
    });
    return next;
  }

  async users(limit: number, offset: number) {
    await this.billing.flush();
    const { rows, total } = await this.store.users(limit, offset, currentMonth());
    return {
      users: rows.map((r) => ({
        id: r.id,
        email: r.email,
        display_name: r.display_name,
        role: r.role,
        auth_method: r.auth_method,
        org_id: r.org_id,
        org_name: r.org_name,
        billing_tier: r.billing_tier,
        created_at: r.created_at,
        free_tier_override: r.free_tier_override ?? null,
        is_sponsored: r.is_sponsored === 1,
        current_month_requests: Number(r.requests ?? 0),
        is_platform_admin: r.is_platform_admin === 1,
      })),
      total,
    };
  }

  /**
   * Deletes a user with the cascade of behaviour notes §10.7: modules' user-deleted hooks (share
   * links, agents.created_by) run in the same transaction; API keys, MFA and device codes go by
   * foreign-key cascade. Never oneself, the last platform admin, or the last owner of the platform org.
   */
  async deleteUser(p: Principal, userId: string, ip: string) {
    if (userId === p.id) throw conflict("You cannot delete your own account here; use DELETE /v1/auth/me");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const u = await this.auth.store.userByIdIn(trx, userId);
      if (!u) throw notFound("User not found");
      if (u.is_platform_admin === 1 && (await this.store.platformAdminCount(trx)) <= 1) throw conflict("Cannot delete the last platform admin");
      const members = await this.auth.store.orgMemberCount(trx, u.org_id);
      const lastOwner = u.role === "owner" && (await this.auth.store.otherOwners(trx, u.org_id, u.id)) === 0;
      if (lastOwner && (u.is_platform_admin === 1 || (await this.store.orgHasOtherPlatformAdmin(trx, u.org_id, u.id)))) {
        throw conflict("Cannot delete the last owner of the platform organization; make another member an owner first");
      }
      if (lastOwner && members > 1) throw conflict("This user is the last owner of an organization with other members; make another member an owner first");
      const orgDeleted = members === 1;
      await this.auth.runUserDeletedHooks(trx, u, orgDeleted);
      await this.auth.store.deleteUser(trx, u.id);
      audit({ orgId: u.org_id, action: "admin.user_delete", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: u.id, details: { email_domain: u.email.split("@")[1], org_deleted: orgDeleted }, ip });
    });
    await this.auth.userChanged(userId);
  }
}

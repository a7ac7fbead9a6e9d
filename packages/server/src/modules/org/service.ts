import crypto from "node:crypto";
import type { OrgRole } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { conflict, forbidden, gone, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { AuthService } from "../auth/service.js";
import type { VaultService } from "../vaults/service.js";
import { OrgStore, type MemberRow } from "./store.js";

const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** Runs inside the unit of work that moves a user out of an org (shares clean up here). */
export type MemberLeftHook = (trx: Tx, userId: string, orgId: string) => Promise<void>;

/**
 * Organisation membership. Owners and admins manage members; only owners grant, change or
 * remove the owner role; an org always keeps an owner. A user belongs to one org: joining
 * another moves them, removal moves them to a fresh personal org.
 */
export class OrgService {
  readonly store: OrgStore;
  readonly memberLeftHooks: MemberLeftHook[] = [];

  constructor(
    private readonly ctx: AppContext,
    private readonly auth: AuthService,
    private readonly vaults: VaultService,
  ) {
    this.store = new OrgStore(ctx.db, ctx.store.dialect);
  }

  userById(id: string) {
    return this.store.userById(id);
  }

  userByEmail(email: string) {
    return this.store.userByEmail(email);
  }

  async members(p: Principal) {
    humanOf(p);
    return this.store.members(p.orgId);
  }

  async invite(p: Principal, email: string, role: OrgRole, ip: string) {
    const actor = manager(p);
    if (role === "owner" && actor.role !== "owner") throw forbidden("Only an owner can invite an owner");
    const address = email.toLowerCase();
    const existing = await this.store.userByEmail(address);
    if (existing?.org_id === p.orgId) throw conflict("This address is already a member of the organisation");
    const token = crypto.randomBytes(32).toString("base64url");
    const now = nowIso();
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.dropPendingInvites(trx, p.orgId, address);
      await this.store.insertInvite(trx, {
        id: crypto.randomUUID(),
        org_id: p.orgId,
        email: address,
        role,
        token_hash: sha256(token),
        invited_by: p.id,
        expires_at: new Date(Date.now() + INVITE_TTL_MS).toISOString(),
        accepted_at: null,
        created_at: now,
      });
      audit({ orgId: p.orgId, action: "org.invite", actorId: actorId(p), actorType: p.type, resourceType: "org", resourceId: p.orgId, details: { email: address, role }, ip });
    });
    const base = this.ctx.config.publicUrl;
    this.ctx.mailer.queue({
      to: address,
      subject: "You are invited to an organisation on oneclaw",
      text:
        `You have been invited to join an organisation on oneclaw as ${role}.\n\n` +
        `Sign in (or sign up) with this address, then accept:\n${base}/invite?token=${token}\n\n` +
        `From the API: POST ${base}/v1/org/invites/accept with your bearer token and the body {"token": "${token}"}.\n` +
        `The invitation expires in 7 days.`,
    });
    return { message: "Invitation sent", email: address };
  }

  /** The signed-in user joins the inviting org with the invited role; returns a token for it. */
  async acceptInvite(p: Principal, token: string, ip: string) {
    humanOf(p);
    const invite = await this.store.inviteByTokenHash(sha256(token));
    if (!invite || invite.accepted_at) throw notFound("Invitation not found");
    if (invite.expires_at <= nowIso()) throw gone("Invitation has expired");
    const user = await this.store.userById(p.id);
    if (!user) throw notFound("Invitation not found");
    if (user.email !== invite.email) throw forbidden("This invitation was sent to another email address");
    if (user.org_id === invite.org_id) throw conflict("You are already a member of this organisation");
    const oldOrg = user.org_id;
    const vaultCount = (await this.vaults.list(p)).length;
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.lockOrg(trx, oldOrg);
      const members = await this.store.countMembers(trx, oldOrg);
      if (members === 1 && vaultCount > 0) {
        throw conflict("Your current organisation still holds vaults that would become unreachable; delete them before joining another organisation");
      }
      if (members > 1) await this.keepAnOwner(trx, user, oldOrg);
      if (!(await this.store.takeInvite(trx, invite.id, nowIso()))) throw notFound("Invitation not found");
      await this.leave(trx, user.id, oldOrg);
      await this.store.setMembership(trx, user.id, invite.org_id, invite.role);
      audit({ orgId: oldOrg, action: "org.member_leave", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: user.id, details: { joined_org: invite.org_id }, ip });
      audit({ orgId: invite.org_id, action: "org.member_join", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: user.id, details: { role: invite.role, invite_id: invite.id }, ip });
    });
    await this.auth.userChanged(user.id);
    const session = await this.auth.issueUserToken({ id: user.id, org_id: invite.org_id });
    return { org_id: invite.org_id, role: invite.role, ...session };
  }

  async updateRole(p: Principal, userId: string, role: OrgRole, ip: string) {
    const actor = manager(p);
    const updated = await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.lockOrg(trx, p.orgId);
      const target = await this.store.userByIdIn(trx, userId);
      if (!target || target.org_id !== p.orgId) throw notFound("Member not found");
      if ((target.role === "owner" || role === "owner") && actor.role !== "owner") throw forbidden("Only an owner can grant or change the owner role");
      if (target.role === "owner" && role !== "owner") await this.keepAnOwner(trx, target, p.orgId);
      await this.store.setMembership(trx, target.id, p.orgId, role);
      audit({ orgId: p.orgId, action: "org.member_role", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: target.id, details: { from: target.role, to: role }, ip });
      return { ...target, role };
    });
    await this.auth.userChanged(userId);
    return updated;
  }

  /** Removes a member; their account stays and moves to a new personal org of their own. */
  async remove(p: Principal, userId: string, ip: string) {
    const actor = manager(p);
    const now = nowIso();
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.lockOrg(trx, p.orgId);
      const target = await this.store.userByIdIn(trx, userId);
      if (!target || target.org_id !== p.orgId) throw notFound("Member not found");
      if (target.role === "owner" && actor.role !== "owner") throw forbidden("Only an owner can remove an owner");
      if (target.role === "owner") await this.keepAnOwner(trx, target, p.orgId);
      const personal = crypto.randomUUID();
      await this.store.insertOrg(trx, { id: personal, name: `${target.display_name ?? target.email}'s org`, billing_tier: this.ctx.config.billingEnabled ? "free" : "enterprise", created_at: now });
      await this.leave(trx, target.id, p.orgId);
      await this.store.setMembership(trx, target.id, personal, "owner");
      audit({ orgId: p.orgId, action: "org.member_remove", actorId: actorId(p), actorType: "user", resourceType: "user", resourceId: target.id, details: { email: target.email, role: target.role }, ip });
    });
    await this.auth.userChanged(userId);
  }

  private async keepAnOwner(trx: Tx, user: MemberRow, orgId: string) {
    if (user.role === "owner" && (await this.store.countMembers(trx, orgId, "owner")) <= 1) {
      throw conflict("An organisation must keep at least one owner; make another member an owner first");
    }
  }

  private async leave(trx: Tx, userId: string, orgId: string) {
    for (const hook of this.memberLeftHooks) await hook(trx, userId, orgId);
  }
}

function humanOf(p: Principal): Principal {
  if (p.type !== "user") throw forbidden("This endpoint is for human accounts");
  return p;
}

/** Owners and admins manage the organisation. */
export function manager(p: Principal): Principal {
  humanOf(p);
  if (p.role !== "owner" && p.role !== "admin") throw forbidden("Only organisation owners and admins can do this");
  return p;
}

export function toMember(u: MemberRow) {
  return { id: u.id, email: u.email, display_name: u.display_name, role: u.role, auth_method: u.auth_method, created_at: u.created_at };
}

import crypto from "node:crypto";
import { DEFAULT_SHARE_MAX_ACCESS_COUNT, type CreateShareRequest } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { hashPassword, verifyPassword } from "../../crypto/passwords.js";
import { ApiError, forbidden, gone, invalidField, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { AuthService } from "../auth/service.js";
import type { OrgService } from "../org/service.js";
import type { RateLimitService } from "../ratelimit/service.js";
import type { SecretService } from "../secrets/service.js";
import { cidrContains, parseCidr, parseClientIp } from "../security/cidr.js";
import { ShareStore, type ShareListRow, type ShareRow } from "./store.js";

/** What sharing needs to know about agents (the agents module's service). */
export interface AgentDirectory {
  exists(type: "agent", id: string, orgId: string): Promise<boolean>;
  /** The human who created the agent. */
  agentCreator(agentId: string): Promise<string | undefined>;
}

/** Wrong-passphrase guessing: at most 10 attempts at once per share, then one every 6 seconds. */
const PASSPHRASE_ATTEMPTS = { rate: 1 / 6, burst: 10 };

/**
 * Secret shares (behaviour notes §6, DESIGN decision 12). A share points at a secret by id and
 * always serves its latest version. Link shares are public; targeted shares need the
 * recipient's bearer token and prior acceptance. The access count is taken atomically.
 */
export class SharingService {
  readonly store: ShareStore;

  constructor(
    private readonly ctx: AppContext,
    private readonly agents: AgentDirectory,
    private readonly secrets: SecretService,
    private readonly org: OrgService,
    auth: AuthService,
    private readonly limits: RateLimitService,
  ) {
    this.store = new ShareStore(ctx.db);
    auth.loginHooks.push(async (user, ip) => void (await this.claim(user.email, user.id, ip)));
    // An unverified address claims nothing; it claims at its first login, after verification.
    auth.signupHooks.push(async (user, ip) => void (user.email_verified && (await this.claim(user.email, user.id, ip))));
    org.memberLeftHooks.push((trx, userId, orgId) => this.memberLeft(trx, userId, orgId));
    auth.onUserDeleted((trx, user) => this.memberLeft(trx, user.id, user.org_id));
  }

  async create(p: Principal, secretId: string, body: CreateShareRequest, ip: string) {
    const expiresAt = new Date(body.expires_at);
    if (expiresAt.getTime() <= Date.now()) throw invalidField("expires_at", "must be in the future");
    const allowlist = (body.ip_allowlist ?? []).map((c, i) => {
      const parsed = parseCidr(c);
      if (!parsed) throw invalidField(`ip_allowlist.${i}`, "must be an IPv4 or IPv6 address or CIDR block");
      return parsed.canonical;
    });
    const recipient = await this.recipientOf(p, body);
    const { vault, row: secret } = await this.secrets.authorizeShare(p, secretId, ip);
    await this.limits.take(`share:${p.orgId}`, this.limits.shareCreation, "Share creation limit reached for this organisation; try again later");
    const passphraseHash = body.passphrase !== undefined ? await hashPassword(body.passphrase) : null;
    const share: ShareRow = {
      id: crypto.randomUUID(),
      org_id: p.orgId,
      secret_id: secret.id,
      created_by: p.id,
      created_by_type: p.type,
      recipient_type: body.recipient_type,
      recipient_id: recipient.id,
      recipient_principal_type: recipient.id ? recipient.type : null,
      recipient_email: recipient.email,
      permissions: JSON.stringify(["read"]),
      passphrase_hash: passphraseHash,
      ip_allowlist: allowlist.length ? JSON.stringify(allowlist) : null,
      max_access_count: body.max_access_count ?? DEFAULT_SHARE_MAX_ACCESS_COUNT,
      access_count: 0,
      expires_at: expiresAt.toISOString(),
      accepted_at: null,
      declined_at: null,
      revoked_at: null,
      created_at: nowIso(),
    };
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.insert(trx, share);
      audit({
        orgId: p.orgId,
        action: "share.create",
        actorId: actorId(p),
        actorType: p.type,
        resourceType: "share",
        resourceId: share.id,
        details: {
          secret_id: secret.id,
          vault_id: vault.id,
          path: secret.path,
          recipient_type: share.recipient_type,
          recipient_id: share.recipient_id,
          recipient_email: share.recipient_email,
          expires_at: share.expires_at,
          max_access_count: share.max_access_count,
          passphrase: passphraseHash !== null,
          ip_allowlist: allowlist,
        },
        ip,
      });
    });
    const shareUrl = `${this.ctx.config.publicUrl}/v1/share/${share.id}`;
    if (share.recipient_type === "external_email" && share.recipient_email) {
      this.ctx.mailer.queue({
        to: share.recipient_email,
        subject: "A secret was shared with you on oneclaw",
        text:
          `A secret was shared with you on oneclaw. Sign up or sign in at ${this.ctx.config.publicUrl} with this address (${share.recipient_email}), ` +
          `accept the share under Inbound shares, then open it:\n${shareUrl}\n\nThe share expires at ${share.expires_at} ` +
          `and can be opened ${share.max_access_count} time(s).${passphraseHash ? " The sender will give you its passphrase separately." : ""}`,
      });
    }
    return {
      id: share.id,
      share_url: shareUrl,
      recipient_type: share.recipient_type,
      recipient_email: share.recipient_email,
      expires_at: share.expires_at,
      max_access_count: share.max_access_count,
    };
  }

  /** Who a new share is for; 400 naming the field when the body does not fit the recipient type. */
  private async recipientOf(p: Principal, body: CreateShareRequest): Promise<{ id: string | null; type: "user" | "agent"; email: string | null }> {
    const t = body.recipient_type;
    const needsId = t === "user" || t === "agent";
    if (needsId && !body.recipient_id) throw invalidField("recipient_id", `is required for recipient_type ${t}`);
    if (!needsId && body.recipient_id) throw invalidField("recipient_id", `must not be set for recipient_type ${t}`);
    if (t === "external_email" && !body.email) throw invalidField("email", "is required for recipient_type external_email");
    if (t !== "external_email" && body.email) throw invalidField("email", `must not be set for recipient_type ${t}`);
    switch (t) {
      case "user": {
        const u = await this.org.userById(body.recipient_id!);
        if (!u || u.org_id !== p.orgId) throw notFound("Recipient not found");
        if (p.type === "user" && u.id === p.id) throw invalidField("recipient_id", "is yourself; you can already read this secret");
        return { id: u.id, type: "user", email: null };
      }
      case "agent": {
        const id = body.recipient_id!;
        if (!(await this.agents.exists("agent", id, p.orgId))) throw notFound("Recipient not found");
        if (p.type === "agent" && id === p.id) throw invalidField("recipient_id", "is yourself; you can already read this secret");
        return { id, type: "agent", email: null };
      }
      case "external_email": {
        if (p.type !== "user") throw forbidden("Agents cannot create email shares");
        const email = body.email!.toLowerCase();
        const existing = await this.org.userByEmail(email);
        return { id: existing?.id ?? null, type: "user", email };
      }
      case "creator": {
        if (p.type !== "agent") throw invalidField("recipient_type", "creator is for agents: it shares with the human who created the agent");
        const creator = await this.agents.agentCreator(p.id);
        const human = creator ? await this.org.userById(creator) : undefined;
        if (!human || human.org_id !== p.orgId) throw new ApiError(409, "This agent has no human creator in its organisation to share with");
        return { id: human.id, type: "user", email: null };
      }
      default:
        return { id: null, type: "user", email: null };
    }
  }

  /**
   * Opens a share. `authenticate` is called only for targeted shares (a bearer sent with a
   * link share is ignored). Order: gone/not yours (404) → not accepted (403) → expired or used
   * up (410) → IP allowlist (403) → passphrase (403) → count and read.
   */
  async access(shareId: string, authenticate: () => Promise<Principal>, passphrase: string | undefined, ip: string) {
    const share = await this.store.byId(shareId);
    if (!share || share.revoked_at || share.declined_at) throw notFound("Share not found");
    // a deleted agent's shares end with it
    if (share.created_by_type === "agent" && !(await this.agents.exists("agent", share.created_by, share.org_id))) throw notFound("Share not found");
    let reader: Principal | undefined;
    if (share.recipient_type !== "anyone_with_link") {
      reader = await authenticate();
      if (!this.isRecipient(share, reader)) throw notFound("Share not found");
      if (!share.accepted_at) throw forbidden("Accept this share first: POST /v1/shares/{share_id}/accept");
    }
    this.checkLive(share);
    if (share.ip_allowlist) {
      const addr = parseClientIp(ip);
      const allowed = (JSON.parse(share.ip_allowlist) as string[]).some((c) => {
        const parsed = parseCidr(c);
        return addr !== null && parsed !== null && cidrContains(parsed.cidr, addr);
      });
      if (!allowed) throw forbidden("Access denied from this IP address");
    }
    if (share.passphrase_hash) {
      await this.limits.take(`share-pass:${share.id}`, PASSPHRASE_ATTEMPTS, "Too many passphrase attempts for this share; try again later");
      if (!passphrase) throw forbidden("This share needs a passphrase in the X-Share-Passphrase header");
      if (!(await verifyPassword(share.passphrase_hash, passphrase))) throw forbidden("Wrong passphrase");
    }
    let accessCount = 0;
    const { row, value } = await this.secrets.readForShare(share.secret_id, async ({ trx, audit }) => {
      const count = await this.store.consume(trx, share.id, nowIso());
      if (count === undefined) {
        const now = await this.store.byIdIn(trx, share.id);
        if (!now || now.revoked_at || now.declined_at) throw notFound("Share not found");
        this.checkLive(now);
        throw gone("Share is no longer available");
      }
      accessCount = count;
      audit({
        orgId: share.org_id,
        action: "share.access",
        actorId: reader ? actorId(reader) : "anonymous",
        actorType: reader?.type ?? "anonymous",
        resourceType: "share",
        resourceId: share.id,
        details: { secret_id: share.secret_id, recipient_type: share.recipient_type, access_count: count, max_access_count: share.max_access_count },
        ip,
      });
    });
    void this.notifyCreator(share, row.path, accessCount, ip).catch((e) => this.ctx.log.warn({ err: e }, "share access mail failed"));
    return { id: row.id, path: row.path, type: row.type, value, access_count: accessCount, max_access_count: share.max_access_count };
  }

  private checkLive(share: ShareRow) {
    if (share.expires_at <= nowIso()) throw gone("Share has expired");
    if (share.access_count >= share.max_access_count) throw gone("Share has reached its maximum access count");
  }

  private isRecipient(share: ShareRow, p: Principal) {
    return share.recipient_id !== null && share.recipient_id === p.id && share.recipient_principal_type === p.type;
  }

  /** "Your share was accessed" to the human behind the share (an agent's creator for agent shares). */
  private async notifyCreator(share: ShareRow, path: string, count: number, ip: string) {
    let userId: string | null = share.created_by;
    if (share.created_by_type === "agent") userId = (await this.agents.agentCreator(share.created_by)) ?? null;
    const user = userId ? await this.org.userById(userId) : undefined;
    if (!user) return;
    this.ctx.mailer.queue({
      to: user.email,
      subject: "Your shared secret was accessed",
      text:
        `Share ${share.id} of secret "${path}"${share.created_by_type === "agent" ? ` (created by your agent ${share.created_by})` : ""} ` +
        `was opened from ${ip} at ${nowIso()} (${count} of ${share.max_access_count} accesses used).\n\n` +
        `If this was not expected, revoke it: DELETE ${this.ctx.config.publicUrl}/v1/share/${share.id}`,
    });
  }

  /** Live shares of an org (billing usage). */
  liveCount(orgId: string) {
    return this.store.countLive(orgId, nowIso());
  }

  outbound(p: Principal) {
    return this.store.outbound(p.orgId, p.id, p.type);
  }

  async inbound(p: Principal, ip: string) {
    await this.claimFor(p, ip);
    return this.store.inbound(p.id, p.type);
  }

  async respond(p: Principal, shareId: string, answer: "accept" | "decline", ip: string) {
    await this.claimFor(p, ip);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const share = await this.store.byIdIn(trx, shareId);
      if (!share || share.revoked_at || share.declined_at || !this.isRecipient(share, p)) throw notFound("Share not found");
      if (answer === "accept") {
        if (share.expires_at <= nowIso()) throw gone("Share has expired");
        if (!share.accepted_at) await this.store.update(trx, share.id, { accepted_at: nowIso() });
      } else {
        await this.store.update(trx, share.id, { declined_at: nowIso() });
      }
      audit({ orgId: share.org_id, action: `share.${answer}`, actorId: actorId(p), actorType: p.type, resourceType: "share", resourceId: share.id, details: { secret_id: share.secret_id }, ip });
    });
  }

  async revoke(p: Principal, shareId: string, ip: string) {
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const share = await this.store.byIdIn(trx, shareId);
      if (!share || share.org_id !== p.orgId || share.revoked_at) throw notFound("Share not found");
      if (share.created_by !== p.id || share.created_by_type !== p.type) throw forbidden("Only the share's creator can revoke it");
      await this.store.update(trx, share.id, { revoked_at: nowIso() });
      audit({ orgId: p.orgId, action: "share.revoke", actorId: actorId(p), actorType: p.type, resourceType: "share", resourceId: share.id, details: { secret_id: share.secret_id }, ip });
    });
  }

  /**
   * Also claimed when a signed-in user looks at their shares: a token proves the address was
   * verified when verification is required (verify-email issues a token without a login).
   */
  private async claimFor(p: Principal, ip: string) {
    if (p.type !== "user") return;
    const user = await this.org.userById(p.id);
    if (user && (await this.store.hasPendingFor(user.email))) await this.claim(user.email, user.id, ip);
  }

  /** Pending email shares to this address become the user's (at signup and login). */
  private async claim(email: string, userId: string, ip: string) {
    await this.ctx.uow.run(async ({ trx, audit }) => {
      for (const s of await this.store.claimEmail(trx, email.toLowerCase(), userId)) {
        audit({ orgId: s.org_id, action: "share.claim", actorId: `user:${userId}`, actorType: "user", resourceType: "share", resourceId: s.id, details: { recipient_email: s.recipient_email }, ip });
      }
    });
  }

  private async memberLeft(trx: Tx, userId: string, orgId: string) {
    await this.store.revokeForLeaver(trx, orgId, userId, nowIso());
  }
}

export function toShareListItem(s: ShareListRow) {
  return {
    id: s.id,
    secret_path: s.secret_path,
    recipient_type: s.recipient_type,
    recipient_email: s.recipient_email,
    access_count: s.access_count,
    max_access_count: s.max_access_count,
    expires_at: s.expires_at,
    created_at: s.created_at,
    is_expired: s.expires_at <= nowIso(),
    is_accepted: s.accepted_at !== null,
  };
}

import crypto from "node:crypto";
import type { AppContext } from "../../context.js";
import type { Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { AuditInput } from "../../store/unit-of-work.js";
import { AuditStore, type AuditFilter, type AuditRow } from "./store.js";

export const GENESIS_HASH = "0".repeat(64);
/** Events that belong to no org (failed logins for unknown emails) are chained under this id. */
export const NO_ORG = "00000000-0000-0000-0000-000000000000";

/** SHA-256 over every stored field of the event and the previous event's hash. */
export function eventHash(e: Omit<AuditRow, "hash">): string {
  const canonical = JSON.stringify([
    e.prev_hash,
    e.id,
    e.org_id,
    Number(e.seq),
    e.action,
    e.actor_id,
    e.actor_type,
    e.resource_type,
    e.resource_id,
    e.details,
    e.ip_address,
    e.created_at,
  ]);
  return crypto.createHash("sha256").update(canonical).digest("hex");
}

export class AuditService {
  private readonly store: AuditStore;

  constructor(private readonly ctx: AppContext) {
    this.store = new AuditStore(ctx.db);
  }

  /** Called by the unit of work inside the batch transaction: chains and stores the events. */
  async writeBatch(trx: Tx, events: AuditInput[]): Promise<void> {
    const byOrg = new Map<string, AuditInput[]>();
    for (const e of events) {
      const list = byOrg.get(e.orgId);
      if (list) list.push(e);
      else byOrg.set(e.orgId, [e]);
    }
    const rows: AuditRow[] = [];
    for (const [orgId, list] of byOrg) {
      const head = await this.store.lockHead(trx, orgId, this.ctx.store.dialect === "postgres");
      let seq = Number(head?.seq ?? 0);
      let prev = head?.hash ?? GENESIS_HASH;
      const createdAt = nowIso();
      for (const e of list) {
        const row = {
          id: crypto.randomUUID(),
          org_id: orgId,
          seq: ++seq,
          action: e.action,
          actor_id: e.actorId,
          actor_type: e.actorType,
          resource_type: e.resourceType,
          resource_id: e.resourceId ?? null,
          details: JSON.stringify(e.details ?? {}),
          ip_address: e.ip ?? null,
          created_at: createdAt,
          prev_hash: prev,
        };
        prev = eventHash(row);
        rows.push({ ...row, hash: prev });
      }
      await this.store.saveHead(trx, orgId, seq, prev);
    }
    await this.store.insertEvents(trx, rows);
  }

  async query(principal: Principal, f: Omit<AuditFilter, "orgId">, limit: number, offset: number) {
    const { rows, total } = await this.store.query({ ...f, orgId: principal.orgId }, limit, offset);
    return { events: rows.map(toResponse), count: total };
  }

  /** Walks the org's chain and reports the first event whose hash or link does not match. */
  async verify(orgId: string) {
    let prev = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const page = await this.store.chainPage(orgId, expectedSeq - 1, 1000);
      if (!page.length) break;
      for (const row of page) {
        checked++;
        const { hash, ...rest } = row;
        if (Number(row.seq) !== expectedSeq) return bad(row.id, checked, `sequence gap before event ${row.seq}`);
        if (row.prev_hash !== prev) return bad(row.id, checked, "previous-hash link does not match");
        if (eventHash(rest) !== hash) return bad(row.id, checked, "event content does not match its hash");
        prev = hash;
        expectedSeq++;
      }
    }
    const head = await this.store.head(orgId);
    if (head && (Number(head.seq) !== expectedSeq - 1 || head.hash !== prev)) {
      return { valid: false, checked, first_bad_event_id: null, reason: "events are missing from the end of the chain" };
    }
    return { valid: true, checked, first_bad_event_id: null, reason: null };
  }
}

function bad(id: string, checked: number, reason: string) {
  return { valid: false, checked, first_bad_event_id: id, reason };
}

function toResponse(r: AuditRow) {
  let details: Record<string, unknown> = {};
  try {
    details = JSON.parse(r.details);
  } catch {
    /* keep empty */
  }
  return {
    id: r.id,
    action: r.action,
    actor_id: r.actor_id,
    actor_type: r.actor_type,
    resource_type: r.resource_type,
    resource_id: r.resource_id,
    org_id: r.org_id,
    details,
    ip_address: r.ip_address,
    created_at: r.created_at,
    prev_hash: r.prev_hash,
    hash: r.hash,
  };
}

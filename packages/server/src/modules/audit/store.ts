import type { CoreTables, Db, Tx } from "../../store/db.js";

export type AuditRow = CoreTables["audit_events"];

export interface AuditFilter {
  orgId: string;
  resourceId?: string;
  actorId?: string;
  actorType?: string;
  action?: string;
  from?: string;
  to?: string;
}

export class AuditStore {
  constructor(private readonly db: Db) {}

  async lockHead(trx: Tx, orgId: string, postgres: boolean) {
    let q = trx.selectFrom("audit_heads").select(["seq", "hash"]).where("org_id", "=", orgId);
    if (postgres) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  async insertEvents(trx: Tx, rows: AuditRow[]) {
    for (let i = 0; i < rows.length; i += 500) await trx.insertInto("audit_events").values(rows.slice(i, i + 500)).execute();
  }

  async saveHead(trx: Tx, orgId: string, seq: number, hash: string) {
    await trx
      .insertInto("audit_heads")
      .values({ org_id: orgId, seq, hash })
      .onConflict((oc) => oc.column("org_id").doUpdateSet({ seq, hash }))
      .execute();
  }

  private filtered(f: AuditFilter) {
    let q = this.db.selectFrom("audit_events").where("org_id", "=", f.orgId);
    if (f.resourceId) q = q.where("resource_id", "=", f.resourceId);
    if (f.actorId) {
      const ids = f.actorId.includes(":") ? [f.actorId] : [`user:${f.actorId}`, `agent:${f.actorId}`, f.actorId];
      q = q.where("actor_id", "in", ids);
    }
    if (f.actorType) q = q.where("actor_type", "=", f.actorType);
    if (f.action) q = q.where("action", "=", f.action);
    if (f.from) q = q.where("created_at", ">=", f.from);
    if (f.to) q = q.where("created_at", "<=", f.to);
    return q;
  }

  async query(f: AuditFilter, limit: number, offset: number) {
    const [rows, total] = await Promise.all([
      this.filtered(f).selectAll().orderBy("seq", "desc").limit(limit).offset(offset).execute(),
      this.filtered(f).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n) };
  }

  /** The org's chain in order, a page at a time. */
  chainPage(orgId: string, afterSeq: number, limit: number) {
    return this.db
      .selectFrom("audit_events")
      .selectAll()
      .where("org_id", "=", orgId)
      .where("seq", ">", afterSeq)
      .orderBy("seq", "asc")
      .limit(limit)
      .execute();
  }

  head(orgId: string) {
    return this.db.selectFrom("audit_heads").select(["seq", "hash"]).where("org_id", "=", orgId).executeTakeFirst();
  }
}

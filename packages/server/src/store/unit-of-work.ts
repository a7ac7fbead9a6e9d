import type { ControlledTransaction } from "kysely";
import type { CoreTables, Db, Tx } from "./db.js";

/** An audit event as a service records it; the audit module adds id, time, sequence and hashes. */
export interface AuditInput {
  orgId: string;
  action: string;
  actorId: string;
  actorType: string;
  resourceType: string;
  resourceId?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export interface WorkContext {
  trx: Tx;
  audit(event: AuditInput): void;
}

export type BatchWriter = (trx: Tx, events: AuditInput[]) => Promise<void>;

interface Pending {
  fn: (ctx: WorkContext) => unknown;
  /** Only records events (no queries), so it needs no savepoint of its own. */
  auditOnly?: boolean;
  resolve: (v: any) => void;
  reject: (e: unknown) => void;
}

/**
 * Group commit. Work submitted within `flushMs` of each other runs in one database
 * transaction (each item isolated by a savepoint), the audit events of every item that
 * succeeded are written by the batch writer in the same transaction, and every caller is
 * answered only after the commit. If the commit or the audit write fails, every item fails.
 */
export class UnitOfWork {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly db: Db,
    private readonly writeAudit: BatchWriter,
    private readonly flushMs: number,
  ) {}

  run<T>(fn: (ctx: WorkContext) => Promise<T> | T): Promise<T> {
    if (this.closed) return Promise.reject(new Error("unit of work is closed"));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve, reject });
      this.schedule();
    });
  }

  /** Records audit events that belong to no other change (reads, logins). */
  audit(...events: AuditInput[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error("unit of work is closed"));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ fn: (ctx) => events.forEach((e) => ctx.audit(e)), auditOnly: true, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.queue.length) this.schedule();
      });
    }, this.flushMs);
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    if (!batch.length) return;
    let trx: ControlledTransaction<CoreTables>;
    try {
      trx = await this.db.startTransaction().execute();
    } catch (e) {
      batch.forEach((p) => p.reject(e));
      return;
    }
    const ok: Array<{ p: Pending; result: unknown }> = [];
    const events: AuditInput[] = [];
    const isolate = batch.length > 1;
    try {
      for (const p of batch) {
        const mine: AuditInput[] = [];
        const ctx: WorkContext = { trx, audit: (e) => mine.push(e) };
        if (!isolate || p.auditOnly) {
          try {
            ok.push({ p, result: await p.fn(ctx) });
            events.push(...mine);
          } catch (e) {
            p.reject(e);
          }
          continue;
        }
        const sp = await trx.savepoint("uow").execute();
        try {
          const result = await p.fn({ trx: sp, audit: ctx.audit });
          await sp.releaseSavepoint("uow").execute();
          ok.push({ p, result });
          events.push(...mine);
        } catch (e) {
          await sp.rollbackToSavepoint("uow").execute();
          p.reject(e);
        }
      }
      if (events.length) await this.writeAudit(trx, events);
      await trx.commit().execute();
    } catch (e) {
      await trx.rollback().execute().catch(() => undefined);
      // A promise settles once: items already rejected on their own keep their own error.
      batch.forEach((p) => p.reject(e));
      return;
    }
    ok.forEach(({ p, result }) => p.resolve(result));
  }

  /** Waits for queued work to commit; new work is refused afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.queue.length || this.flushing || this.timer) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
        this.flushing = this.flush().finally(() => (this.flushing = null));
      }
      await this.flushing;
    }
  }
}

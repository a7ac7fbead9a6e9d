import crypto from "node:crypto";
import type { CmekRotationJobResponse } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { openSecret, sealSecret, secretAad } from "../../crypto/envelope.js";
import { ApiError, conflict, forbidden, invalidField, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso } from "../../store/db.js";
import type { BillingService } from "../billing/service.js";
import type { PolicyService } from "../policies/service.js";
import type { SecretService } from "../secrets/service.js";
import type { VaultService } from "../vaults/service.js";
import type { VaultRow } from "../vaults/store.js";
import { CMEK_BLOB_VERSION, parseCmekBlob, strictBase64 } from "./blob.js";
import { CmekStore, type CmekJobRow } from "./store.js";

export const CMEK_BATCH = 100;
/** A running job with no progress for this long was cut off (server stopped); it may be resumed. */
const STALE_MS = 60_000;
const CMEK_TIERS = new Set(["business", "enterprise"]);

const fingerprintOf = (key: Buffer) => crypto.createHash("sha256").update(key).digest("hex");

/** A CMEK key from a header: base64 of exactly 32 bytes. The value itself never reaches an error or log. */
function headerKey(raw: string | string[] | undefined, header: string): Buffer {
  if (raw === undefined || raw === "") throw invalidField(header, "header is required (base64 of the 32-byte CMEK key)");
  const key = typeof raw === "string" ? strictBase64(raw.trim()) : undefined;
  if (!key || key.length !== 32) throw invalidField(header, "must be the base64 encoding of a 32-byte AES-256 key");
  return key;
}

function cmekOpen(key: Buffer, blob: Buffer): Buffer {
  const iv = blob.subarray(1, 13);
  const tag = blob.subarray(blob.length - 16);
  const d = crypto.createDecipheriv("aes-256-gcm", key, iv);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(blob.subarray(13, blob.length - 16)), d.final()]);
}

function cmekSeal(key: Buffer, plain: Buffer): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([CMEK_BLOB_VERSION]), iv, body, c.getAuthTag()]);
}

export function toJobResponse(j: CmekJobRow): CmekRotationJobResponse {
  return {
    id: j.id,
    vault_id: j.vault_id,
    old_fingerprint: j.old_fingerprint,
    new_fingerprint: j.new_fingerprint,
    status: j.status,
    total_secrets: j.total_secrets,
    processed: j.processed,
    ...(j.error ? { error: j.error } : {}),
    ...(j.started_at ? { started_at: j.started_at } : {}),
    ...(j.completed_at ? { completed_at: j.completed_at } : {}),
    created_at: j.created_at,
  };
}

/**
 * Customer-managed keys: the server stores only the key's fingerprint; values in a CMEK vault
 * are the client's AES-256-GCM blobs, still envelope-encrypted by the server on top.
 */
export class CmekService {
  readonly store: CmekStore;
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;
  /** Test seam: runs after each committed batch (a test throws here to cut a job off). */
  afterBatch: ((jobId: string, batch: number) => void) | undefined;

  constructor(
    private readonly ctx: AppContext,
    private readonly vaults: VaultService,
    private readonly policies: PolicyService,
    private readonly secrets: SecretService,
    private readonly billing: BillingService,
  ) {
    this.store = new CmekStore(ctx.db);
  }

  /** Creator or org owner/admin of a vault in a Business or Enterprise org. */
  private async managed(p: Principal, vaultId: string, needsPlan: boolean): Promise<VaultRow> {
    const vault = await this.vaults.inOrg(p, vaultId);
    if (!this.policies.isVaultOwner(p, vault)) throw forbidden("Only the vault's creator or an org owner or admin can manage its CMEK settings");
    // Self-hosted without billing (ONECLAW_BILLING off) every org is on Enterprise.
    if (needsPlan && this.billing.enforced) {
      const { tier } = await this.billing.plan(p.orgId);
      if (!CMEK_TIERS.has(tier)) throw forbidden("Customer-managed keys need the Business or Enterprise plan");
    }
    return vault;
  }

  private async reload(id: string): Promise<VaultRow> {
    await this.vaults.changed(id);
    const v = await this.vaults.find(id);
    if (!v) throw notFound("Vault not found");
    return v;
  }

  async enable(p: Principal, vaultId: string, fingerprint: string, ip: string): Promise<VaultRow> {
    const vault = await this.managed(p, vaultId, true);
    if (vault.cmek_enabled && vault.cmek_fingerprint === fingerprint) return vault;
    if (vault.cmek_enabled) throw conflict("CMEK is already enabled with another key; use POST /v1/vaults/{vault_id}/cmek-rotate to change it");
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.setCmek(trx, vault.id, true, fingerprint);
      audit({ orgId: p.orgId, action: "vault.cmek_enable", actorId: actorId(p), actorType: p.type, resourceType: "vault", resourceId: vault.id, details: { fingerprint }, ip });
    });
    return this.reload(vault.id);
  }

  async disable(p: Principal, vaultId: string, ip: string): Promise<VaultRow> {
    const vault = await this.managed(p, vaultId, false);
    if (await this.liveJob(vault.id)) throw conflict("A CMEK rotation is running on this vault; wait for it to finish");
    if (!vault.cmek_enabled) return vault;
    await this.ctx.uow.run(async ({ trx, audit }) => {
      await this.store.setCmek(trx, vault.id, false, null);
      audit({ orgId: p.orgId, action: "vault.cmek_disable", actorId: actorId(p), actorType: p.type, resourceType: "vault", resourceId: vault.id, details: { fingerprint: vault.cmek_fingerprint }, ip });
    });
    return this.reload(vault.id);
  }

  /** A job that is still making progress (one cut off by a stopped server is failed here). */
  private async liveJob(vaultId: string): Promise<CmekJobRow | undefined> {
    const job = await this.store.runningJob(vaultId);
    if (!job) return undefined;
    return (await this.expireIfStale(job)).status === "running" ? job : undefined;
  }

  private async expireIfStale(job: CmekJobRow): Promise<CmekJobRow> {
    if (job.status !== "running" || this.running.has(job.id)) return job;
    const last = Date.parse(job.heartbeat_at ?? job.started_at ?? job.created_at);
    if (Date.now() - last < STALE_MS) return job;
    const error = "interrupted before it finished; POST cmek-rotate again with the same keys to resume";
    const at = nowIso();
    await this.store.finish(job.id, "failed", at, error);
    return { ...job, status: "failed", error, completed_at: at };
  }

  async job(p: Principal, vaultId: string, jobId: string): Promise<CmekRotationJobResponse> {
    const vault = await this.managed(p, vaultId, false);
    const job = await this.store.job(vault.id, jobId);
    if (!job) throw notFound("CMEK rotation job not found");
    return toJobResponse(await this.expireIfStale(job));
  }

  async startRotation(
    p: Principal,
    vaultId: string,
    headers: { old?: string | string[]; new?: string | string[] },
    newFingerprint: string,
    ip: string,
  ): Promise<CmekRotationJobResponse> {
    const vault = await this.managed(p, vaultId, true);
    const oldKey = headerKey(headers.old, "x-cmek-old-key");
    const newKey = headerKey(headers.new, "x-cmek-new-key");
    try {
      if (!vault.cmek_enabled || !vault.cmek_fingerprint) throw new ApiError(400, "vault_id: CMEK is not enabled on this vault");
      const oldFp = fingerprintOf(oldKey);
      if (fingerprintOf(newKey) !== newFingerprint) throw invalidField("x-cmek-new-key", "does not match new_fingerprint");
      if (oldFp === newFingerprint) throw invalidField("new_fingerprint", "must differ from the current key's fingerprint");
      // The old key is the vault's key, or, to resume an interrupted rotation, the key it was rotating from.
      const resuming = vault.cmek_fingerprint === newFingerprint && (await this.store.priorJob(vault.id, oldFp, newFingerprint)) !== undefined;
      if (oldFp !== vault.cmek_fingerprint && !resuming) throw invalidField("x-cmek-old-key", "does not match the vault's CMEK fingerprint");
      if (await this.liveJob(vault.id)) throw conflict("A CMEK rotation is already running on this vault");

      const now = nowIso();
      const job: CmekJobRow = {
        id: crypto.randomUUID(),
        vault_id: vault.id,
        old_fingerprint: oldFp,
        new_fingerprint: newFingerprint,
        status: "running",
        total_secrets: await this.store.countUnder(vault.id, oldFp),
        processed: 0,
        error: null,
        created_by: actorId(p),
        created_at: now,
        started_at: now,
        heartbeat_at: now,
        completed_at: null,
      };
      await this.ctx.uow.run(async ({ trx, audit }) => {
        await this.store.insertJob(trx, job);
        // New writes use the new key from now on; the job moves the rest.
        await this.store.setCmek(trx, vault.id, true, newFingerprint);
        audit({ orgId: p.orgId, action: "vault.cmek_rotate", actorId: actorId(p), actorType: p.type, resourceType: "vault", resourceId: vault.id, details: { job_id: job.id, old_fingerprint: oldFp, new_fingerprint: newFingerprint, total_secrets: job.total_secrets, resumed: resuming }, ip });
      });
      await this.vaults.changed(vault.id);
      const run = this.process(job, oldKey, newKey, p.orgId).finally(() => {
        this.running.delete(job.id);
        oldKey.fill(0);
        newKey.fill(0);
      });
      this.running.set(job.id, run);
      return toJobResponse(job);
    } catch (e) {
      oldKey.fill(0);
      newKey.fill(0);
      throw e;
    }
  }

  /** Batches of 100, each re-sealed and committed atomically; resumable because rows move fingerprint. */
  private async process(job: CmekJobRow, oldKey: Buffer, newKey: Buffer, orgId: string): Promise<void> {
    let batchNo = 0;
    try {
      for (;;) {
        if (this.stopping) return; // left "running"; it goes stale and can be resumed
        const vault = await this.vaults.find(job.vault_id);
        if (!vault) throw new Error("the vault was deleted");
        const items = await this.store.batchUnder(vault.id, job.old_fingerprint, CMEK_BATCH);
        if (!items.length) break;
        const kek = await this.secrets.kekFor(vault, vault.kek_version);
        const resealed: Array<{ item: (typeof items)[number]; sealed: Awaited<ReturnType<typeof sealSecret>> }> = [];
        for (const item of items) {
          const aad = secretAad(vault.id, item.path, item.version);
          const opened = await openSecret(await this.secrets.kekFor(vault, item.kek_version), { ciphertext: item.ciphertext, iv: item.iv, wrappedDek: item.wrapped_dek }, aad);
          const blob = parseCmekBlob(opened.toString("utf8")) ? Buffer.from(opened.toString("utf8"), "base64") : undefined;
          opened.fill(0);
          let inner: Buffer;
          try {
            if (!blob) throw new Error();
            inner = cmekOpen(oldKey, blob);
          } catch {
            throw new Error(`secret "${item.path}" version ${item.version} does not open with the old CMEK key`);
          }
          const value = Buffer.from(cmekSeal(newKey, inner).toString("base64"), "utf8");
          inner.fill(0);
          const sealed = await sealSecret(kek, value, aad);
          resealed.push({ item, sealed });
        }
        await this.ctx.uow.run(async ({ trx }) => {
          for (const { item, sealed } of resealed) {
            await this.store.reseal(trx, item, job.old_fingerprint, {
              ciphertext: sealed.ciphertext,
              iv: sealed.iv,
              wrapped_dek: sealed.wrappedDek,
              kek_version: vault.kek_version,
              cmek_fingerprint: job.new_fingerprint,
            });
          }
          await this.store.progress(trx, job.id, items.length, nowIso());
        });
        this.afterBatch?.(job.id, ++batchNo);
      }
      await this.store.finish(job.id, "completed", nowIso(), null);
      await this.ctx.uow.audit({ orgId, action: "vault.cmek_rotate.complete", actorId: job.created_by, actorType: job.created_by.split(":")[0] ?? "user", resourceType: "vault", resourceId: job.vault_id, details: { job_id: job.id } });
    } catch (e) {
      const error = (e as Error).message || "rotation failed";
      await this.store.finish(job.id, "failed", nowIso(), error).catch(() => undefined);
      this.ctx.log.warn({ job_id: job.id, vault_id: job.vault_id, error }, "CMEK rotation failed");
    }
  }

  /** Stops taking new batches and waits for the one in flight (server shutdown). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }
}

import crypto from "node:crypto";
import { secretAad } from "../../crypto/envelope.js";
import { KeyIntegrityError, supportsRotation, type KeyProvider, type VaultKey } from "../../crypto/key-provider.js";
import type { LocalKeyProvider } from "../../crypto/local-provider.js";
import { kekAad } from "../../crypto/local-provider.js";
import type { Pkcs11KeyProvider } from "../../crypto/pkcs11-provider.js";
import type { Bus } from "../../store/bus.js";
import { nowIso, type Db } from "../../store/db.js";
import type { AuditInput, UnitOfWork } from "../../store/unit-of-work.js";
import { KeyStore, type KeyJobRow } from "./store.js";

/** Server-wide events (root rotation, migration) are chained under the no-org id. */
const SERVER_ORG = "00000000-0000-0000-0000-000000000000";
export const DEK_BATCH = 100;

export interface JobEnv {
  db: Db;
  uow: UnitOfWork;
  provider: KeyProvider;
  bus?: Bus;
  /** Progress lines for the operator. */
  out(line: string): void;
  /** Called after each item is re-wrapped (tests interrupt the job here). */
  afterItem?(): void;
  actor?: string;
}

/**
 * Key rotation and migration jobs. Each is resumable: the job row records the target, every
 * item is re-wrapped compare-and-set, and a pass that finds nothing left to do ends the job,
 * so rerunning after an interruption (crash, kill, Ctrl-C) finishes it.
 */
export class KeyJobs {
  readonly keys: KeyStore;

  constructor(private readonly env: JobEnv) {
    this.keys = new KeyStore(env.db);
  }

  private audit(e: Omit<AuditInput, "actorId" | "actorType">) {
    return this.env.uow.audit({ ...e, actorId: this.env.actor ?? "system:server-command", actorType: "system" });
  }

  private async startOrResume(kind: KeyJobRow["kind"], subject: string, target: () => Promise<number>) {
    const open = await this.keys.openJob(kind, subject);
    if (open) {
      this.env.out(`resuming ${kind} job ${open.id} (target version ${open.target_version}, ${open.processed} done so far)`);
      return { job: open, resumed: true };
    }
    const job: KeyJobRow = {
      id: crypto.randomUUID(),
      kind,
      subject,
      target_version: await target(),
      status: "running",
      processed: 0,
      error: null,
      created_at: nowIso(),
      completed_at: null,
    };
    await this.keys.insertJob(this.keys.db, job);
    return { job, resumed: false };
  }

  private async step(jobId: string) {
    await this.keys.progress(this.keys.db, jobId, 1);
    this.env.afterItem?.();
  }

  /** Re-wraps every vault KEK and server key under a new root key version, then retires the old ones. */
  async rotateRoot(): Promise<KeyJobRow> {
    const p = this.env.provider;
    if (!supportsRotation(p)) {
      throw new Error(
        "rotate-root-key needs ONECLAW_KEY_PROVIDER=pkcs11 (root key versions live in the HSM); a local master key is replaced by moving it into an HSM with migrate-keys --to pkcs11",
      );
    }
    const { job, resumed } = await this.startOrResume("root", "", async () => (await p.currentRootVersion()) + 1);
    const target = job.target_version;
    await p.createRootVersion(target);
    if (!resumed) await this.audit({ orgId: SERVER_ORG, action: "key.root_rotation.start", resourceType: "root_key", resourceId: String(target), details: { job_id: job.id, target_version: target } });
    this.env.out(`re-wrapping every vault key and server key under root key version ${target}`);
    for (;;) {
      let changed = 0;
      const { vaults, old, server } = await this.keys.rootWrapped();
      for (const v of vaults) {
        if (p.rootVersionOf(v.wrapped_kek) === target) continue;
        await this.keys.swapVaultKek(v.id, v.wrapped_kek, await p.rewrapKek(v.id, v.wrapped_kek, target));
        changed++;
        await this.step(job.id);
      }
      for (const k of old) {
        if (p.rootVersionOf(k.wrapped_kek) === target) continue;
        await this.keys.swapOldKek(k.vault_id, k.version, k.wrapped_kek, await p.rewrapKek(k.vault_id, k.wrapped_kek, target));
        changed++;
        await this.step(job.id);
      }
      for (const s of server) {
        if (p.rootVersionOf(s.wrapped) === target) continue;
        await this.keys.swapServerKey(s.name, s.wrapped, await p.rewrap(s.wrapped, Buffer.from(s.name), target));
        changed++;
        await this.step(job.id);
      }
      if (changed === 0) break;
    }
    for (const v of p.rootVersions()) if (v < target) await p.retireRootVersion(v);
    await this.keys.finishJob(job.id, "completed", nowIso());
    await this.audit({ orgId: SERVER_ORG, action: "key.root_rotation.complete", resourceType: "root_key", resourceId: String(target), details: { job_id: job.id, target_version: target } });
    const done = await this.keys.job(job.id);
    this.env.out(`root key rotated to version ${target}: ${done.processed} keys re-wrapped, older root versions destroyed`);
    return done;
  }

  /** New KEK for a vault: new versions use it at once; older DEKs are re-wrapped in batches. */
  async rotateVault(vaultId: string): Promise<KeyJobRow> {
    const vault = await this.keys.db.selectFrom("vaults").selectAll().where("id", "=", vaultId).executeTakeFirst();
    if (!vault) throw new Error(`no vault ${vaultId}`);
    const { job, resumed } = await this.startOrResume("vault", vaultId, async () => vault.kek_version + 1);
    const target = job.target_version;
    if (!resumed) {
      const fresh = await this.env.provider.createVaultKey(vaultId);
      await this.env.uow.run(async ({ trx, audit }) => {
        const t = this.keys.tx(trx);
        await t
          .insertInto("vault_keks")
          .values({ vault_id: vaultId, version: vault.kek_version, wrapped_kek: vault.wrapped_kek, created_at: vault.created_at, retired_at: null })
          .onConflict((oc) => oc.columns(["vault_id", "version"]).doNothing())
          .execute();
        const r = await t.updateTable("vaults").set({ wrapped_kek: fresh, kek_version: target }).where("id", "=", vaultId).where("kek_version", "=", vault.kek_version).executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) throw new Error(`vault ${vaultId} was re-keyed concurrently; rerun the command`);
        audit({ orgId: vault.org_id, action: "vault.kek_rotate", actorId: this.env.actor ?? "system:server-command", actorType: "system", resourceType: "vault", resourceId: vaultId, details: { job_id: job.id, from_version: vault.kek_version, to_version: target } });
      });
      await this.env.bus?.publish("vault.changed", vaultId);
    }
    const current = await this.keys.db.selectFrom("vaults").select("wrapped_kek").where("id", "=", vaultId).executeTakeFirstOrThrow();
    const newKek = await this.env.provider.openVaultKey(vaultId, current.wrapped_kek);
    const oldKeks = new Map<number, VaultKey>();
    const oldKek = async (version: number) => {
      let k = oldKeks.get(version);
      if (!k) {
        const row = await this.keys.kek(vaultId, version);
        if (!row) throw new KeyIntegrityError(`vault ${vaultId}: KEK version ${version} is missing`);
        k = await this.env.provider.openVaultKey(vaultId, row.wrapped_kek);
        oldKeks.set(version, k);
      }
      return k;
    };
    this.env.out(`vault ${vaultId}: new versions use KEK version ${target}; re-wrapping older DEKs in batches of ${DEK_BATCH}`);
    for (;;) {
      const batch = await this.keys.staleDeks(vaultId, target, DEK_BATCH);
      if (!batch.length) break;
      const rewrapped: Buffer[] = [];
      for (const d of batch) {
        const aad = secretAad(vaultId, d.path, d.version);
        const dek = await (await oldKek(d.kek_version)).unwrapDek(d.wrapped_dek, aad);
        try {
          rewrapped.push(await newKek.wrapDek(dek, aad));
        } finally {
          dek.fill(0);
        }
        this.env.afterItem?.();
      }
      // One transaction per batch: an interrupted batch leaves every row as it was.
      await this.env.uow.run(async ({ trx }) => {
        for (let i = 0; i < batch.length; i++) await this.keys.rewrapDek(trx, batch[i]!, rewrapped[i]!, target);
        await this.keys.progress(trx, job.id, batch.length);
      });
    }
    await this.keys.retireOldKeks(vaultId, target, nowIso());
    await this.keys.finishJob(job.id, "completed", nowIso());
    await this.audit({ orgId: vault.org_id, action: "vault.kek_rotate.complete", resourceType: "vault", resourceId: vaultId, details: { job_id: job.id, kek_version: target } });
    const done = await this.keys.job(job.id);
    this.env.out(`vault ${vaultId}: KEK version ${target}; ${done.processed} secret versions re-wrapped`);
    return done;
  }

  /** Moves every root-wrapped key from the local master key into the HSM (offline: stop the server first). */
  async migrateToPkcs11(source: LocalKeyProvider, target: Pkcs11KeyProvider): Promise<KeyJobRow> {
    const { job, resumed } = await this.startOrResume("migrate", "pkcs11", async () => target.currentRootVersion());
    if (!resumed) await this.audit({ orgId: SERVER_ORG, action: "key.migrate.start", resourceType: "root_key", resourceId: "pkcs11", details: { job_id: job.id, to: "pkcs11", token: target.options.tokenLabel } });
    /** Source blob → target blob, or undefined when the target already holds it (a rerun). */
    const move = async (blob: Buffer, aad: Buffer, isKek: boolean): Promise<Buffer | undefined> => {
      let plain: Buffer;
      try {
        plain = await source.unwrap(blob, aad);
      } catch (e) {
        if (!(e instanceof KeyIntegrityError)) throw e;
        if (isKek) target.unwrapKekToSession(blob, false);
        else (await target.unwrap(blob, aad)).fill(0);
        return undefined;
      }
      try {
        return isKek ? await target.importVaultKey(plain) : await target.wrap(plain, aad);
      } finally {
        plain.fill(0);
      }
    };
    for (;;) {
      let changed = 0;
      const { vaults, old, server } = await this.keys.rootWrapped();
      for (const v of vaults) {
        const to = await move(v.wrapped_kek, kekAad(v.id), true);
        if (!to) continue;
        await this.keys.swapVaultKek(v.id, v.wrapped_kek, to);
        changed++;
        await this.step(job.id);
      }
      for (const k of old) {
        const to = await move(k.wrapped_kek, kekAad(k.vault_id), true);
        if (!to) continue;
        await this.keys.swapOldKek(k.vault_id, k.version, k.wrapped_kek, to);
        changed++;
        await this.step(job.id);
      }
      for (const s of server) {
        const to = await move(s.wrapped, Buffer.from(s.name), false);
        if (!to) continue;
        await this.keys.swapServerKey(s.name, s.wrapped, to);
        changed++;
        await this.step(job.id);
      }
      if (changed === 0) break;
    }
    await this.keys.finishJob(job.id, "completed", nowIso());
    await this.audit({ orgId: SERVER_ORG, action: "key.migrate.complete", resourceType: "root_key", resourceId: "pkcs11", details: { job_id: job.id, to: "pkcs11" } });
    return this.keys.job(job.id);
  }
}

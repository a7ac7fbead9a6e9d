import crypto from "node:crypto";
import { SecretPath, type PutSecretRequest } from "@oneclaw/contract";
import type { AppContext } from "../../context.js";
import { openSecret, sealSecret, secretAad } from "../../crypto/envelope.js";
import type { VaultKey } from "../../crypto/key-provider.js";
import { checkCmekBlob } from "../cmek/blob.js";
import { gone, invalidField, notFound } from "../../pipeline/errors.js";
import { actorId, type Principal } from "../../pipeline/principal.js";
import { nowIso, type Tx } from "../../store/db.js";
import type { WorkContext } from "../../store/unit-of-work.js";
import type { PolicyService } from "../policies/service.js";
import type { VaultService } from "../vaults/service.js";
import type { VaultRow } from "../vaults/store.js";
import { SecretStore, type SecretWithVersion } from "./store.js";

/** Validates a secret path the same way for every operation (DESIGN decision 3). */
export function checkPath(raw: string): string {
  const r = SecretPath.safeParse(raw);
  if (!r.success) throw invalidField("path", r.error.issues[0]?.message ?? "is invalid");
  return r.data;
}

export type ReadGuard = (p: Principal, vault: VaultRow, secret: SecretWithVersion) => Promise<void> | void;

export class SecretService {
  readonly store: SecretStore;
  /** Checks other modules add before a value is released (e.g. the intents private-key block). */
  readonly readGuards: ReadGuard[] = [];
  /** Checks before a new secret path is created (tier limits). */
  readonly beforeCreate: Array<(trx: Tx, p: Principal, vault: VaultRow) => Promise<void>> = [];
  /** The vault key a version was written under (the keys module adds KEK versions). */
  kekFor: (vault: VaultRow, kekVersion: number) => Promise<VaultKey> = (v, version) => this.ctx.keyring.vaultKey(v.id, v.wrapped_kek, version);

  constructor(
    private readonly ctx: AppContext,
    private readonly vaults: VaultService,
    private readonly policies: PolicyService,
  ) {
    this.store = new SecretStore(ctx.db);
  }

  async put(p: Principal, vaultId: string, rawPath: string, body: PutSecretRequest, ip: string) {
    const path = checkPath(rawPath);
    const vault = await this.vaults.inOrg(p, vaultId);
    await this.policies.authorize(p, vault, path, "write", ip);
    if (body.expires_at && Date.parse(body.expires_at) <= Date.now()) throw invalidField("expires_at", "must be in the future");
    const metadata = body.metadata ? JSON.stringify(body.metadata) : null;
    if (metadata && metadata.length > 64 * 1024) throw invalidField("metadata", "must be at most 64 KiB as JSON");
    const cmekFingerprint = vault.cmek_enabled ? checkCmekBlob(body.value, vault.cmek_fingerprint) : null;
    const kek = await this.kekFor(vault, vault.kek_version);
    const plaintext = Buffer.from(body.value, "utf8");
    const now = nowIso();
    const result = await this.ctx.uow.run(async ({ trx, audit }) => {
      const { id, version } = await this.store.nextVersion(trx, crypto.randomUUID(), vault.id, path, now);
      if (version === 1) for (const check of this.beforeCreate) await check(trx, p, vault);
      const sealed = await sealSecret(kek, plaintext, secretAad(vault.id, path, version));
      await this.store.insertVersion(trx, {
        secret_id: id,
        version,
        type: body.type,
        ciphertext: sealed.ciphertext,
        iv: sealed.iv,
        wrapped_dek: sealed.wrappedDek,
        kek_version: vault.kek_version,
        metadata,
        expires_at: body.expires_at ? new Date(body.expires_at).toISOString() : null,
        max_access_count: body.max_access_count ?? null,
        access_count: 0,
        cmek_fingerprint: cmekFingerprint,
        created_by: p.id,
        created_by_type: p.type,
        created_at: now,
      });
      audit({ orgId: p.orgId, action: "secret.write", actorId: actorId(p), actorType: p.type, resourceType: "secret", resourceId: id, details: { vault_id: vault.id, path, version, type: body.type }, ip });
      return { id, version };
    });
    plaintext.fill(0);
    return {
      id: result.id,
      path,
      type: body.type,
      version: result.version,
      metadata: body.metadata ?? null,
      created_at: now,
      expires_at: body.expires_at ? new Date(body.expires_at).toISOString() : null,
      max_access_count: body.max_access_count ?? null,
      access_count: 0,
      cmek_encrypted: cmekFingerprint !== null,
    };
  }

  /** The hot path: authorize, load one row, decrypt, count the access and audit in one group commit. */
  async get(p: Principal, vaultId: string, rawPath: string, version: number | undefined, ip: string) {
    const path = checkPath(rawPath);
    const vault = await this.vaults.inOrg(p, vaultId);
    await this.policies.authorize(p, vault, path, "read", ip);
    const row = await this.usable(vault.id, path, version);
    for (const guard of this.readGuards) await guard(p, vault, row);
    const kek = await this.kekFor(vault, row.kek_version);
    const value = await openSecret(kek, { ciphertext: row.ciphertext, iv: row.iv, wrappedDek: row.wrapped_dek }, secretAad(vault.id, path, row.version));
    const event = { orgId: p.orgId, action: "secret.read", actorId: actorId(p), actorType: p.type, resourceType: "secret", resourceId: row.id, details: { vault_id: vault.id, path, version: row.version }, ip };
    let accessCount = row.access_count;
    if (row.max_access_count === null) {
      await this.ctx.uow.audit(event);
    } else {
      accessCount = await this.ctx.uow.run(async ({ trx, audit }) => {
        const after = await this.store.consumeAccess(trx, row.id, row.version);
        if (after === null) throw gone("Secret has reached its maximum access count");
        audit(event);
        return after;
      });
    }
    return {
      ...toMetadata(row),
      access_count: accessCount,
      value: value.toString("utf8"),
      created_by: `${row.created_by_type}:${row.created_by}`,
    };
  }

  /** Metadata of the latest (or given) version; does not count as an access. */
  async describe(p: Principal, vaultId: string, rawPath: string, version: number | undefined, ip: string) {
    const path = checkPath(rawPath);
    const vault = await this.vaults.inOrg(p, vaultId);
    await this.policies.authorize(p, vault, path, "read", ip);
    const row = await this.store.find(vault.id, path, version);
    if (!row) throw notFound("Secret not found");
    if (row.deleted_at) throw gone("Secret has been deleted");
    return toMetadata(row);
  }

  async versions(p: Principal, vaultId: string, rawPath: string, ip: string) {
    const path = checkPath(rawPath);
    const vault = await this.vaults.inOrg(p, vaultId);
    await this.policies.authorize(p, vault, path, "read", ip);
    const latest = await this.store.find(vault.id, path);
    if (!latest) throw notFound("Secret not found");
    if (latest.deleted_at) throw gone("Secret has been deleted");
    const rows = await this.store.versions(latest.id);
    return rows.map((r) => toMetadata({ ...r, path }));
  }

  async list(p: Principal, vaultId: string, prefix: string | undefined, ip: string) {
    const vault = await this.vaults.inOrg(p, vaultId);
    const readable = await this.policies.readablePaths(p, vault, ip);
    const rows = await this.store.list(vault.id, prefix);
    return rows.filter((r) => readable(r.path)).map(toMetadata);
  }

  async delete(p: Principal, vaultId: string, rawPath: string, ip: string) {
    const path = checkPath(rawPath);
    const vault = await this.vaults.inOrg(p, vaultId);
    await this.policies.authorize(p, vault, path, "delete", ip);
    await this.ctx.uow.run(async ({ trx, audit }) => {
      const id = await this.store.softDelete(trx, vault.id, path, nowIso());
      if (!id) throw notFound("Secret not found");
      audit({ orgId: p.orgId, action: "secret.delete", actorId: actorId(p), actorType: p.type, resourceType: "secret", resourceId: id, details: { vault_id: vault.id, path }, ip });
    });
  }

  /** A readable version or the precise reason it is not: 404 never existed, 410 deleted/expired/used up. */
  private async usable(vaultId: string, path: string, version?: number): Promise<SecretWithVersion> {
    const row = await this.store.find(vaultId, path, version);
    if (!row) throw notFound(version ? `Secret version ${version} not found` : "Secret not found");
    if (row.deleted_at) throw gone("Secret has been deleted");
    if (row.expires_at && row.expires_at <= nowIso()) throw gone("Secret has expired");
    if (row.max_access_count !== null && row.access_count >= row.max_access_count) {
      throw gone("Secret has reached its maximum access count");
    }
    return row;
  }

  /**
   * Shares: the latest readable version of a secret given by id, for a principal about to share
   * it. Same checks as a read (org, policy, read guards, deleted/expired/used up), no value.
   */
  async authorizeShare(p: Principal, secretId: string, ip: string): Promise<{ vault: VaultRow; row: SecretWithVersion }> {
    const loc = await this.store.locate(secretId);
    const vault = loc ? await this.vaults.find(loc.vault_id) : undefined;
    if (!loc || !vault || vault.org_id !== p.orgId) throw notFound("Secret not found");
    await this.policies.authorize(p, vault, loc.path, "read", ip);
    const row = await this.usable(vault.id, loc.path);
    for (const guard of this.readGuards) await guard(p, vault, row);
    return { vault, row };
  }

  /**
   * Shares: opens the latest version of a secret by id. `consume` runs in the unit of work that
   * also counts the read against the secret's own access limit, so both counts commit together.
   */
  async readForShare(secretId: string, consume: (w: WorkContext, row: SecretWithVersion) => Promise<void>) {
    const loc = await this.store.locate(secretId);
    const vault = loc ? await this.vaults.find(loc.vault_id) : undefined;
    if (!loc || !vault) throw notFound("Secret not found");
    const row = await this.usable(vault.id, loc.path);
    const kek = await this.kekFor(vault, row.kek_version);
    const value = await openSecret(kek, { ciphertext: row.ciphertext, iv: row.iv, wrappedDek: row.wrapped_dek }, secretAad(vault.id, loc.path, row.version));
    await this.ctx.uow.run(async (w) => {
      await consume(w, row);
      if (row.max_access_count !== null && !(await this.store.consumeAccess(w.trx, row.id, row.version))) {
        throw gone("Secret has reached its maximum access count");
      }
    });
    const text = value.toString("utf8");
    value.fill(0);
    return { row, value: text };
  }
}

interface MetadataSource {
  id: string;
  path: string;
  type: string;
  version: number;
  metadata: string | null;
  created_at: string;
  expires_at: string | null;
  max_access_count: number | null;
  access_count: number;
  cmek_fingerprint: string | null;
}

export function toMetadata(r: MetadataSource) {
  let metadata: Record<string, unknown> | null = null;
  if (r.metadata) {
    try {
      metadata = JSON.parse(r.metadata);
    } catch {
      metadata = null;
    }
  }
  return {
    id: r.id,
    path: r.path,
    type: r.type,
    version: r.version,
    metadata,
    created_at: r.created_at,
    expires_at: r.expires_at,
    max_access_count: r.max_access_count,
    access_count: r.access_count,
    cmek_encrypted: r.cmek_fingerprint !== null,
  };
}

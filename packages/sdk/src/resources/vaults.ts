import { type HttpClient, seg } from "../http.js";
import { toBase64 } from "../cmek.js";
import type { CmekRotationJob, CreateVaultRequest, Vault, VaultList } from "../types.js";

export class VaultsResource {
  constructor(private readonly http: HttpClient) {}

  create(body: CreateVaultRequest) {
    return this.http.request<Vault>("POST", "/v1/vaults", { body });
  }
  get(vaultId: string) {
    return this.http.request<Vault>("GET", `/v1/vaults/${seg(vaultId)}`);
  }
  list() {
    return this.http.request<VaultList>("GET", "/v1/vaults");
  }
  delete(vaultId: string) {
    return this.http.request<null>("DELETE", `/v1/vaults/${seg(vaultId)}`);
  }

  /** Turns on CMEK with the key's fingerprint (see cmekFingerprint); the key itself is never sent. */
  enableCmek(vaultId: string, fingerprint: string) {
    return this.http.request<Vault>("POST", `/v1/vaults/${seg(vaultId)}/cmek`, { body: { fingerprint } });
  }
  disableCmek(vaultId: string) {
    return this.http.request<Vault>("DELETE", `/v1/vaults/${seg(vaultId)}/cmek`);
  }
  /** Starts server-assisted re-encryption from oldKey to newKey (both sent once, in headers, over TLS). */
  rotateCmek(vaultId: string, oldKey: Uint8Array, newKey: Uint8Array, newFingerprint: string) {
    return this.http.request<CmekRotationJob>("POST", `/v1/vaults/${seg(vaultId)}/cmek-rotate`, {
      body: { new_fingerprint: newFingerprint },
      headers: { "x-cmek-old-key": toBase64(oldKey), "x-cmek-new-key": toBase64(newKey) },
    });
  }
  cmekRotation(vaultId: string, jobId: string) {
    return this.http.request<CmekRotationJob>("GET", `/v1/vaults/${seg(vaultId)}/cmek-rotate/${seg(jobId)}`);
  }
}

import { type HttpClient, seg } from "../http.js";
import type { CreateVaultRequest, Vault, VaultList } from "../types.js";

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
}

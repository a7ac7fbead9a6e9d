import { type HttpClient, seg } from "../http.js";
import type { ApiKeyCreated, ApiKeyList, CreateApiKeyRequest } from "../types.js";

/** Personal `1ck_` API keys of the signed-in human. */
export class ApiKeysResource {
  constructor(private readonly http: HttpClient) {}

  /** The full key is in `data.api_key`, shown once. */
  create(body: CreateApiKeyRequest) {
    return this.http.request<ApiKeyCreated>("POST", "/v1/auth/api-keys", { body });
  }
  list() {
    return this.http.request<ApiKeyList>("GET", "/v1/auth/api-keys");
  }
  revoke(keyId: string) {
    return this.http.request<null>("DELETE", `/v1/auth/api-keys/${seg(keyId)}`);
  }
}

import { ValidationError } from "../errors.js";
import { type HttpClient, type OneclawResponse, secretPath, seg } from "../http.js";
import type { PutSecretRequest, Secret, SecretList, SecretMetadata, SecretVersionList } from "../types.js";

export type SetSecretOptions = Omit<PutSecretRequest, "value">;
export interface VersionOption {
  /** A specific version instead of the latest. */
  version?: number;
}

export class SecretsResource {
  constructor(private readonly http: HttpClient) {}

  private url(vaultId: string, kind: "secrets" | "metadata" | "versions", key: string) {
    return `/v1/vaults/${seg(vaultId)}/${kind}/${secretPath(key)}`;
  }

  /**
   * URL parsers collapse `.` and `..` segments (even percent-encoded), which would send the request
   * to another resource; such paths are refused before anything is sent. The server validates the rest.
   */
  private call<T>(method: string, vaultId: string, kind: "secrets" | "metadata" | "versions", key: string, o: Parameters<HttpClient["request"]>[2] = {}): Promise<OneclawResponse<T>> {
    if (key.split("/").some((s) => /^(\.|%2e){1,2}$/i.test(s))) {
      const error = new ValidationError(400, "path: '.' and '..' segments are not allowed", { type: "invalid_path" });
      return Promise.resolve({ data: null, error, meta: { status: 0, headers: null, retries: 0 } });
    }
    return this.http.request<T>(method, this.url(vaultId, kind, key), o);
  }

  /** Stores a value at `key`, creating the secret or adding a version. */
  set(vaultId: string, key: string, value: string, options: SetSecretOptions = {}) {
    return this.call<SecretMetadata>("PUT", vaultId, "secrets", key, { body: { ...options, value } });
  }
  /** Reads and decrypts the latest version (or `{ version }`); counts one access. */
  get(vaultId: string, key: string, options: VersionOption = {}) {
    return this.call<Secret>("GET", vaultId, "secrets", key, { query: { version: options.version } });
  }
  /** Metadata of every secret (never values), optionally under a path prefix. */
  list(vaultId: string, prefix?: string) {
    return this.http.request<SecretList>("GET", `/v1/vaults/${seg(vaultId)}/secrets`, { query: { prefix } });
  }
  delete(vaultId: string, key: string) {
    return this.call<null>("DELETE", vaultId, "secrets", key);
  }
  /** Metadata of the latest version (or `{ version }`) without the value; does not count an access. */
  describe(vaultId: string, key: string, options: VersionOption = {}) {
    return this.call<SecretMetadata>("GET", vaultId, "metadata", key, { query: { version: options.version } });
  }
  /** Metadata of every version, newest first as the server orders them. */
  versions(vaultId: string, key: string) {
    return this.call<SecretVersionList>("GET", vaultId, "versions", key);
  }
  /**
   * Stores `newValue` as a new version, keeping the secret's type and metadata (read from its
   * metadata, which does not count an access). Options override them.
   */
  async rotate(vaultId: string, key: string, newValue: string, options: SetSecretOptions = {}): Promise<OneclawResponse<SecretMetadata>> {
    const current = await this.describe(vaultId, key);
    if (current.error) return current;
    const keep: SetSecretOptions = { type: current.data.type as SetSecretOptions["type"] };
    if (current.data.metadata) keep.metadata = current.data.metadata;
    return this.set(vaultId, key, newValue, { ...keep, ...options });
  }
}

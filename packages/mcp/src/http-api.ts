import type { PolicyBody, PutSecretBody, Secret, SecretMeta, ShareBody, TransactionBody, Vault, VaultApi } from "./api.js";
import { VaultApiError } from "./api.js";

export type Credential =
  /** A bearer used as is: an agent JWT (static, ~1 h) or a `1ck_` personal key. */
  | { token: string }
  /** An agent key `ocv_…`, exchanged at POST /v1/auth/agent-token and refreshed 60 s before expiry. */
  | { apiKey: string; agentId?: string };

export interface HttpVaultApiOptions {
  baseUrl: string;
  credential: Credential;
  /** Vault to work in; when absent, the first vault of the agent-token response. */
  vaultId?: string;
  fetch?: typeof fetch;
  /** Seconds before expiry at which the JWT is renewed. */
  refreshSkewSeconds?: number;
}

/** Turns a bearer given to the MCP server into a credential: `ocv_` keys are exchanged, anything else is sent as is. */
export function credentialFromBearer(bearer: string): Credential {
  return bearer.startsWith("ocv_") ? { apiKey: bearer } : { token: bearer };
}

const seg = (path: string) => path.split("/").map(encodeURIComponent).join("/");

/** VaultApi over the Vault's HTTP API with `fetch`. */
export class HttpVaultApi implements VaultApi {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private token?: string;
  private tokenExpiresAt = 0;
  private exchanging?: Promise<void>;
  private discoveredAgentId?: string;
  private discoveredVaultIds: string[] = [];

  constructor(private readonly opts: HttpVaultApiOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetchFn = opts.fetch ?? fetch;
    if ("token" in opts.credential) this.token = opts.credential.token;
  }

  async vaultId(): Promise<string> {
    if (this.opts.vaultId) return this.opts.vaultId;
    await this.bearer();
    const first = this.discoveredVaultIds[0];
    if (first) return first;
    // A token without bound vaults: the first vault the agent can list.
    const vaults = await this.listVaults();
    if (!vaults[0]) throw new VaultApiError(404, "No vault is available to this agent; set ONECLAW_VAULT_ID or ask a human to bind one");
    return vaults[0].id;
  }

  async agentId(): Promise<string | undefined> {
    if ("apiKey" in this.opts.credential && this.opts.credential.agentId) return this.opts.credential.agentId;
    await this.bearer();
    if (this.discoveredAgentId) return this.discoveredAgentId;
    const sub = this.token ? jwtClaims(this.token)?.sub : undefined;
    if (typeof sub === "string" && sub.startsWith("agent:")) return sub.slice("agent:".length);
    return undefined;
  }

  /** The bearer to send, exchanging or renewing the agent key when needed. */
  private async bearer(): Promise<string> {
    const cred = this.opts.credential;
    if ("token" in cred) return cred.token;
    const skew = (this.opts.refreshSkewSeconds ?? 60) * 1000;
    if (!this.token || Date.now() >= this.tokenExpiresAt - skew) {
      this.exchanging ??= this.exchange(cred).finally(() => (this.exchanging = undefined));
      await this.exchanging;
    }
    return this.token!;
  }

  private async exchange(cred: { apiKey: string; agentId?: string }) {
    const body: Record<string, string> = { api_key: cred.apiKey };
    if (cred.agentId) body.agent_id = cred.agentId;
    const res = await this.raw("POST", "/v1/auth/agent-token", body, false);
    const expiresIn = typeof res.expires_in === "number" ? res.expires_in : (jwtClaims(res.access_token)?.exp ?? 0) - Date.now() / 1000;
    this.token = res.access_token;
    this.tokenExpiresAt = Date.now() + Math.max(0, expiresIn) * 1000;
    if (typeof res.agent_id === "string") this.discoveredAgentId = res.agent_id;
    if (Array.isArray(res.vault_ids)) this.discoveredVaultIds = res.vault_ids;
  }

  private async raw(method: string, path: string, body?: unknown, auth = true, extraHeaders: Record<string, string> = {}): Promise<any> {
    const headers: Record<string, string> = { accept: "application/json", ...extraHeaders };
    if (auth) headers.authorization = `Bearer ${await this.bearer()}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await this.fetchFn(this.baseUrl + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new VaultApiError(503, `The vault API at ${this.baseUrl} is unreachable (${(e as Error).message})`);
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const detail = typeof json?.detail === "string" ? json.detail : typeof json?.message === "string" ? json.message : res.statusText;
      throw new VaultApiError(res.status, detail, typeof json?.type === "string" ? json.type : undefined, res.headers.get("retry-after") ?? undefined);
    }
    return json;
  }

  private async inVault(suffix: string) {
    return `/v1/vaults/${encodeURIComponent(await this.vaultId())}${suffix}`;
  }

  async listSecrets(prefix?: string): Promise<SecretMeta[]> {
    const q = prefix ? `?prefix=${encodeURIComponent(prefix)}` : "";
    return (await this.raw("GET", await this.inVault(`/secrets${q}`))).secrets;
  }
  async getSecret(path: string): Promise<Secret> {
    return this.raw("GET", await this.inVault(`/secrets/${seg(path)}`));
  }
  async describeSecret(path: string): Promise<SecretMeta> {
    return this.raw("GET", await this.inVault(`/metadata/${seg(path)}`));
  }
  async putSecret(path: string, body: PutSecretBody): Promise<SecretMeta> {
    return this.raw("PUT", await this.inVault(`/secrets/${seg(path)}`), body);
  }
  async deleteSecret(path: string): Promise<void> {
    await this.raw("DELETE", await this.inVault(`/secrets/${seg(path)}`));
  }
  async createVault(name: string, description?: string): Promise<Vault> {
    return this.raw("POST", "/v1/vaults", description === undefined ? { name } : { name, description });
  }
  async listVaults(): Promise<Vault[]> {
    return (await this.raw("GET", "/v1/vaults")).vaults;
  }
  async createPolicy(vaultId: string, body: PolicyBody) {
    return this.raw("POST", `/v1/vaults/${encodeURIComponent(vaultId)}/policies`, body);
  }
  async createShare(secretId: string, body: ShareBody) {
    return this.raw("POST", `/v1/secrets/${encodeURIComponent(secretId)}/share`, body);
  }
  private async agentPath(suffix: string) {
    const id = await this.agentId();
    if (!id) throw new VaultApiError(400, "Transactions need an agent identity: use an agent key (ONECLAW_AGENT_API_KEY) or an agent JWT");
    return `/v1/agents/${encodeURIComponent(id)}/transactions${suffix}`;
  }
  async simulateTransaction(body: TransactionBody) {
    return this.raw("POST", await this.agentPath("/simulate"), body);
  }
  async submitTransaction(body: TransactionBody, idempotencyKey: string) {
    return this.raw("POST", await this.agentPath(""), body, true, { "idempotency-key": idempotencyKey });
  }
}

/** Claims of a JWT without verifying it (the Vault API verifies; this only reads `sub`/`exp`). */
function jwtClaims(token: string): Record<string, any> | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

import { createClient, RateLimitError, type OneclawClient, type OneclawResponse } from "@oneclaw/sdk";
import { VaultApiError, type PolicyBody, type PutSecretBody, type Secret, type SecretMeta, type ShareBody, type TransactionBody, type Vault, type VaultApi } from "./api.js";

export type Credential =
  /** A bearer used as is: an agent JWT (static, ~1 h) or a `1ck_` personal key. */
  | { token: string }
  /** An agent key `ocv_…`, exchanged at POST /v1/auth/agent-token and renewed by the SDK 60 s before expiry. */
  | { apiKey: string; agentId?: string };

/** Turns a bearer given to the MCP server into a credential: `ocv_` keys are exchanged, anything else is sent as is. */
export function credentialFromBearer(bearer: string): Credential {
  return bearer.startsWith("ocv_") ? { apiKey: bearer } : { token: bearer };
}

export interface SdkVaultApiOptions {
  baseUrl: string;
  credential: Credential;
  /** Vault to work in; when absent, the first vault of the agent-token response (or the first listed). */
  vaultId?: string;
  fetch?: typeof fetch;
}

/** VaultApi over @oneclaw/sdk: one SDK client (one token, one refresh loop) per MCP session. */
export class SdkVaultApi implements VaultApi {
  readonly client: OneclawClient;

  constructor(private readonly opts: SdkVaultApiOptions) {
    const c = opts.credential;
    this.client = createClient({
      baseUrl: opts.baseUrl,
      ...("token" in c ? { token: c.token } : { apiKey: c.apiKey, agentId: c.agentId }),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
  }

  private async data<T>(p: Promise<OneclawResponse<T>>): Promise<T> {
    const r = await p;
    if (r.error) {
      const e = r.error;
      if (e.status === 0) throw new VaultApiError(503, `The vault API at ${this.opts.baseUrl} is unreachable (${e.detail})`);
      const retryAfter = e instanceof RateLimitError && e.retryAfterSeconds !== undefined ? String(e.retryAfterSeconds) : undefined;
      throw new VaultApiError(e.status, e.detail || e.message, e.type, retryAfter);
    }
    return r.data as T;
  }

  async vaultId(): Promise<string> {
    if (this.opts.vaultId) return this.opts.vaultId;
    await this.token();
    const bound = this.client.vaultIds?.[0];
    if (bound) return bound;
    const vaults = await this.listVaults();
    if (!vaults[0]) throw new VaultApiError(404, "No vault is available to this agent; set ONECLAW_VAULT_ID or ask a human to bind one");
    return vaults[0].id;
  }

  private async token() {
    try {
      return await this.client.getToken();
    } catch (e) {
      const err = e as { status?: number; detail?: string; message?: string };
      throw new VaultApiError(err.status || 503, err.detail ?? err.message ?? "token exchange failed");
    }
  }

  async agentId(): Promise<string | undefined> {
    const token = await this.token();
    if (this.client.agentId) return this.client.agentId;
    const sub = token ? jwtSub(token) : undefined;
    return sub?.startsWith("agent:") ? sub.slice("agent:".length) : undefined;
  }

  async listSecrets(prefix?: string): Promise<SecretMeta[]> {
    return (await this.data(this.client.secrets.list(await this.vaultId(), prefix))).secrets as SecretMeta[];
  }
  async getSecret(path: string): Promise<Secret> {
    return (await this.data(this.client.secrets.get(await this.vaultId(), path))) as Secret;
  }
  async describeSecret(path: string): Promise<SecretMeta> {
    return (await this.data(this.client.secrets.describe(await this.vaultId(), path))) as SecretMeta;
  }
  async putSecret(path: string, body: PutSecretBody): Promise<SecretMeta> {
    const { value, ...options } = body;
    return (await this.data(this.client.secrets.set(await this.vaultId(), path, value, options as never))) as SecretMeta;
  }
  async deleteSecret(path: string): Promise<void> {
    await this.data(this.client.secrets.delete(await this.vaultId(), path));
  }
  async createVault(name: string, description?: string): Promise<Vault> {
    return (await this.data(this.client.vaults.create(description === undefined ? { name } : { name, description }))) as Vault;
  }
  async listVaults(): Promise<Vault[]> {
    return (await this.data(this.client.vaults.list())).vaults as Vault[];
  }
  async createPolicy(vaultId: string, body: PolicyBody) {
    return (await this.data(this.client.access.create(vaultId, body as never))) as { id: string };
  }
  async createShare(secretId: string, body: ShareBody) {
    return (await this.data(this.client.sharing.create(secretId, body as never))) as { id: string; share_url?: string };
  }
  private async requireAgent() {
    const id = await this.agentId();
    if (!id) throw new VaultApiError(400, "Transactions need an agent identity: use an agent key (ONECLAW_AGENT_API_KEY) or an agent JWT");
    return id;
  }
  async simulateTransaction(body: TransactionBody) {
    return (await this.data(this.client.agents.simulateTransaction(await this.requireAgent(), body as never))) as Record<string, unknown>;
  }
  async submitTransaction(body: TransactionBody, idempotencyKey: string) {
    return (await this.data(this.client.agents.submitTransaction(await this.requireAgent(), body as never, { idempotencyKey }))) as Record<string, unknown>;
  }
}

/** `sub` of a JWT without verifying it (the Vault API verifies; this only names the agent for transaction URLs). */
function jwtSub(token: string): string | undefined {
  try {
    const sub = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")).sub;
    return typeof sub === "string" ? sub : undefined;
  } catch {
    return undefined;
  }
}

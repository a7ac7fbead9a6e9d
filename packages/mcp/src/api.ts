/**
 * The narrow slice of the Vault API the MCP tools need. Tools talk only to this interface, so the
 * transport underneath (the @oneclaw/sdk client over HTTP, or in-process inject inside the Vault API)
 * can change without touching a tool.
 */
import type { TransactionRequest } from "@oneclaw/sdk";

export interface SecretMeta {
  id: string;
  path: string;
  type: string;
  version: number;
  metadata?: Record<string, unknown> | null;
  created_at: string;
  expires_at?: string | null;
  max_access_count?: number | null;
  access_count?: number;
}

export interface Secret extends SecretMeta {
  value: string;
}

export interface Vault {
  id: string;
  name: string;
  description?: string | null;
  created_at: string;
}

export interface PutSecretBody {
  value: string;
  type?: string;
  metadata?: Record<string, unknown>;
  expires_at?: string;
  max_access_count?: number;
}

export interface PolicyBody {
  secret_path_pattern: string;
  principal_type: "user" | "agent";
  principal_id: string;
  permissions: string[];
}

export interface ShareBody {
  recipient_type: string;
  recipient_id?: string;
  expires_at: string;
  max_access_count?: number;
}

/** Intents API request body, as the SDK defines it from the reference OpenAPI. */
export type TransactionBody = TransactionRequest;

/** What the MCP tools may do against one vault, as one agent. */
export interface VaultApi {
  /** The vault the tools work in (X-Vault-ID, ONECLAW_VAULT_ID, or discovered from the agent token). */
  vaultId(): Promise<string>;
  /** The agent these credentials belong to, when known (needed for transactions). */
  agentId(): Promise<string | undefined>;
  listSecrets(prefix?: string): Promise<SecretMeta[]>;
  /** Decrypts the latest version; counts one access on the server. */
  getSecret(path: string): Promise<Secret>;
  /** Metadata of the latest version without the value; does not count an access. */
  describeSecret(path: string): Promise<SecretMeta>;
  putSecret(path: string, body: PutSecretBody): Promise<SecretMeta>;
  deleteSecret(path: string): Promise<void>;
  createVault(name: string, description?: string): Promise<Vault>;
  listVaults(): Promise<Vault[]>;
  createPolicy(vaultId: string, body: PolicyBody): Promise<{ id: string } & Record<string, unknown>>;
  createShare(secretId: string, body: ShareBody): Promise<{ id: string; share_url?: string } & Record<string, unknown>>;
  simulateTransaction(body: TransactionBody): Promise<Record<string, unknown>>;
  submitTransaction(body: TransactionBody, idempotencyKey: string): Promise<Record<string, unknown>>;
}

/** An error answer of the Vault API (problem+json `detail` kept, never a secret value). */
export class VaultApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly type?: string,
    readonly retryAfter?: string,
  ) {
    super(`${status}: ${detail}`);
    this.name = "VaultApiError";
  }
}

/** A tool refusing on its own (never containing a secret value); the message is shown to the model as is. */
export class ToolRefusal extends Error {}

/**
 * Wire types. Domains that packages/contract already describes are inferred from its zod schemas
 * (types only: nothing from contract or zod is loaded at run time). The rest follow the reference
 * OpenAPI (1claw-openapi v0.13.0) field for field.
 */
import type * as C from "@oneclaw/contract";
import type { z } from "zod";

// ---- from packages/contract -------------------------------------------------------------------
export type LoginRequest = z.input<typeof C.LoginRequest>;
export type LoginResponse = z.infer<typeof C.LoginResponse>;
export type TokenResponse = z.infer<typeof C.TokenResponse> & {
  /** Present on agent-token exchanges (key-only mode resolves the agent). */
  agent_id?: string;
  vault_ids?: string[];
};
export type SignupRequest = z.input<typeof C.SignupRequest>;
export type SignupResponse = z.infer<typeof C.SignupResponse>;
export type ChangePasswordRequest = z.input<typeof C.ChangePasswordRequest>;
export type UserProfile = z.infer<typeof C.UserProfileResponse>;
export type UpdateProfileRequest = z.input<typeof C.UpdateProfileRequest>;
export type JwtPublicKey = z.infer<typeof C.JwtPublicKeyResponse>;

export type CreateVaultRequest = z.input<typeof C.CreateVaultRequest>;
export type Vault = z.infer<typeof C.VaultResponse>;
export type VaultList = z.infer<typeof C.VaultListResponse>;

export type PutSecretRequest = z.input<typeof C.PutSecretRequest>;
export type SecretType = z.infer<typeof C.SecretType>;
export type SecretMetadata = z.infer<typeof C.SecretMetadataResponse>;
export type Secret = z.infer<typeof C.SecretResponse>;
export type SecretList = z.infer<typeof C.SecretListResponse>;
export type SecretVersionList = z.infer<typeof C.SecretVersionListResponse>;

export type AuditEvent = z.infer<typeof C.AuditEvent>;
export type AuditEventList = z.infer<typeof C.AuditEventsResponse>;
export type AuditQuery = Partial<Omit<z.input<typeof C.AuditEventsQuery>, "limit" | "offset">> & { limit?: number; offset?: number };
export type AuditVerify = z.infer<typeof C.AuditVerifyResponse>;

export type Health = z.infer<typeof C.HealthResponse>;
export type HsmHealth = z.infer<typeof C.HsmHealthResponse>;

// ---- from the reference OpenAPI ---------------------------------------------------------------
export type Permission = "read" | "write" | "delete" | (string & {});

export interface AgentTokenRequest {
  api_key: string;
  /** Optional: the key alone identifies the agent. */
  agent_id?: string;
}

export interface MfaStatus {
  enabled?: boolean;
}
export interface MfaSetup {
  otpauth_uri?: string;
  secret?: string;
}
export interface MfaVerifySetup {
  recovery_codes?: string[];
}
export interface MfaDisableRequest {
  code?: string;
  password?: string;
}

export interface DeviceCode {
  device_code?: string;
  user_code?: string;
  verification_uri?: string;
  expires_in?: number;
  interval?: number;
}
export interface DeviceToken {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  /** RFC 8628: authorization_pending, slow_down, access_denied, expired_token. */
  error?: string;
  email?: string;
  user_id?: string;
  org_id?: string;
}
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";

export interface CreateApiKeyRequest {
  name: string;
  scopes?: string[];
  expires_at?: string;
}
export interface ApiKey {
  id?: string;
  name?: string;
  key_prefix?: string;
  scopes?: string[];
  is_active?: boolean;
  created_at?: string;
  expires_at?: string | null;
  last_used_at?: string | null;
}
export interface ApiKeyCreated {
  key?: ApiKey;
  /** The full key; shown once. */
  api_key?: string;
}
export interface ApiKeyList {
  keys?: ApiKey[];
}

export interface CreatePolicyRequest {
  secret_path_pattern: string;
  principal_type: "user" | "agent";
  principal_id: string;
  permissions: Permission[];
  conditions?: Record<string, unknown>;
  expires_at?: string;
}
export interface UpdatePolicyRequest {
  permissions?: Permission[];
  conditions?: Record<string, unknown>;
  expires_at?: string | null;
}
export interface Policy {
  id: string;
  vault_id: string;
  secret_path_pattern: string;
  principal_type: string;
  principal_id: string;
  permissions: Permission[];
  conditions?: Record<string, unknown> | null;
  expires_at?: string | null;
  created_by?: string | null;
  created_by_type?: string | null;
  created_at: string;
}
export interface PolicyList {
  policies?: Policy[];
}
export interface GrantOptions {
  /** Glob of secret paths; default `**` (everything in the vault). */
  path?: string;
  conditions?: Record<string, unknown>;
  expires_at?: string;
}

type Action = "block" | "sanitize" | "decode" | "warn" | "log";
export interface ShroudConfig {
  pii_policy?: "block" | "redact" | "warn" | "allow";
  injection_threshold?: number;
  context_injection_threshold?: number;
  allowed_providers?: string[];
  allowed_models?: string[];
  denied_models?: string[];
  max_tokens_per_request?: number;
  max_requests_per_minute?: number;
  max_requests_per_day?: number;
  daily_budget_usd?: number;
  enable_secret_redaction?: boolean;
  enable_response_filtering?: boolean;
  unicode_normalization?: { enabled?: boolean; strip_zero_width?: boolean; normalize_homoglyphs?: boolean; normalization_form?: "NFC" | "NFKC" | "NFD" | "NFKD" };
  command_injection_detection?: { enabled?: boolean; action?: Action; patterns?: "default" | "strict" | "custom"; custom_patterns?: string[]; strictness?: string };
  social_engineering_detection?: { enabled?: boolean; action?: Action; sensitivity?: "low" | "medium" | "high" };
  encoding_detection?: { enabled?: boolean; action?: Action; detect_base64?: boolean; detect_hex?: boolean; detect_unicode_escape?: boolean };
  network_detection?: { enabled?: boolean; action?: Action; blocked_domains?: string[]; allowed_domains?: string[] };
  filesystem_detection?: { enabled?: boolean; action?: Action; blocked_paths?: string[] };
  sanitization_mode?: "block" | "surgical" | "log_only";
  threat_logging?: boolean;
  [extra: string]: unknown;
}

interface AgentSettings {
  scopes?: string[];
  expires_at?: string | null;
  intents_api_enabled?: boolean;
  tx_to_allowlist?: string[];
  tx_max_value_eth?: string;
  tx_daily_limit_eth?: string;
  tx_allowed_chains?: string[];
  token_ttl_seconds?: number | null;
  vault_ids?: string[];
  shroud_enabled?: boolean;
  shroud_config?: ShroudConfig;
}
export interface CreateAgentRequest extends AgentSettings {
  name: string;
  description?: string;
  auth_method?: "api_key" | "mtls" | "oidc_client_credentials";
  client_cert_fingerprint?: string;
  oidc_issuer?: string;
  oidc_client_id?: string;
}
export interface UpdateAgentRequest extends AgentSettings {
  name?: string;
  description?: string;
  is_active?: boolean;
}
export interface Agent {
  id: string;
  name: string;
  description?: string | null;
  auth_method: "api_key" | "mtls" | "oidc_client_credentials";
  scopes?: string[] | null;
  is_active: boolean;
  intents_api_enabled: boolean;
  tx_to_allowlist?: string[] | null;
  tx_max_value_eth?: string | null;
  tx_daily_limit_eth?: string | null;
  tx_allowed_chains?: string[] | null;
  token_ttl_seconds?: number | null;
  vault_ids?: string[] | null;
  client_cert_fingerprint?: string | null;
  oidc_issuer?: string | null;
  oidc_client_id?: string | null;
  ssh_public_key?: string | null;
  ecdh_public_key?: string | null;
  shroud_enabled: boolean;
  shroud_config?: ShroudConfig | null;
  created_at: string;
  expires_at?: string | null;
  last_active_at?: string | null;
}
export interface AgentSelf extends Partial<Agent> {
  org_id?: string;
  created_by?: string;
}
export interface AgentCreated {
  agent: Agent;
  /** `ocv_…` key for api_key agents; shown once. */
  api_key?: string;
}
export interface AgentList {
  agents?: Agent[];
}
export interface AgentKeyRotated {
  api_key?: string;
}
export interface EnrollAgentRequest {
  name: string;
  human_email: string;
  description?: string;
}
export interface EnrollAgentResponse {
  agent_id?: string;
  message?: string;
}

export interface TransactionRequest {
  to: string;
  value: string;
  chain: string;
  data?: string;
  signing_key_path?: string;
  nonce?: number;
  gas_price?: string;
  gas_limit?: number;
  max_fee_per_gas?: string;
  max_priority_fee_per_gas?: string;
  simulate_first?: boolean;
}
export type SimulateTransactionRequest = Pick<TransactionRequest, "to" | "value" | "chain" | "data" | "signing_key_path" | "gas_limit">;
export interface Transaction {
  id?: string;
  agent_id?: string;
  chain?: string;
  chain_id?: number;
  to?: string;
  value_wei?: string;
  status?: "pending" | "signed" | "broadcast" | "failed" | "simulation_failed";
  signed_tx?: string;
  tx_hash?: string;
  error_message?: string;
  created_at?: string;
  signed_at?: string;
  simulation_id?: string;
  simulation_status?: string;
  tenderly_dashboard_url?: string;
  max_fee_per_gas?: string;
  max_priority_fee_per_gas?: string;
}
export interface TransactionList {
  transactions?: Transaction[];
}
export interface Simulation {
  simulation_id?: string;
  status?: "success" | "reverted" | "error";
  gas_used?: number;
  gas_estimate_usd?: string;
  balance_changes?: { address?: string; token?: string; token_symbol?: string; before?: string; after?: string; change?: string }[];
  error?: string;
  error_code?: string;
  error_human_readable?: string;
  revert_reason?: string;
  tenderly_dashboard_url?: string;
  simulated_at?: string;
}
export interface BundleSimulation {
  simulations?: Simulation[];
}

export interface Chain {
  id?: string;
  name?: string;
  display_name?: string;
  chain_id?: number;
  rpc_url?: string;
  ws_url?: string;
  explorer_url?: string;
  native_currency?: string;
  is_testnet?: boolean;
  is_enabled?: boolean;
  created_at?: string;
  updated_at?: string;
}
export interface ChainList {
  chains?: Chain[];
}

export type ShareRecipientType = "user" | "agent" | "external_email" | "anyone_with_link" | "creator";
export interface CreateShareRequest {
  recipient_type: ShareRecipientType;
  recipient_id?: string;
  email?: string;
  permissions?: string[];
  max_access_count?: number;
  expires_at: string;
  passphrase?: string;
  ip_allowlist?: string[];
}
export interface Share {
  id?: string;
  share_url?: string;
  recipient_type?: string;
  recipient_email?: string | null;
  expires_at?: string;
  max_access_count?: number | null;
}
export interface SharedSecret {
  id?: string;
  path?: string;
  type?: string;
  value?: string;
  access_count?: number;
  max_access_count?: number | null;
}
export interface ShareListItem {
  id?: string;
  secret_path?: string;
  recipient_type?: string;
  recipient_email?: string | null;
  access_count?: number;
  max_access_count?: number | null;
  expires_at?: string;
  created_at?: string;
  is_expired?: boolean;
  is_accepted?: boolean;
  [extra: string]: unknown;
}
export interface ShareList {
  shares?: ShareListItem[];
}

export interface OrgMember {
  id?: string;
  email?: string;
  display_name?: string | null;
  role?: string;
  auth_method?: string;
  created_at?: string;
}
export interface OrgMemberList {
  members?: OrgMember[];
}
export type OrgRole = "owner" | "admin" | "member";
export interface InviteMemberResponse {
  message?: string;
  email?: string;
}

export interface UsageSummary {
  billing_tier?: string;
  free_tier_limit?: number;
  current_month?: { total_requests?: number; paid_requests?: number; free_requests?: number; total_cost_usd?: string };
}
export interface UsageHistory {
  events?: {
    id?: string;
    principal_type?: string;
    principal_id?: string;
    method?: string;
    endpoint?: string;
    status_code?: number;
    price_usd?: string;
    is_paid?: boolean;
    created_at?: string;
  }[];
}
export interface UsageMeter {
  used?: number;
  limit?: number;
}
export interface Subscription {
  tier?: string;
  interval?: string;
  period_end?: string;
  status?: string;
  credit_balance_cents?: number;
  credit_balance_usd?: string;
  overage_method?: string;
  usage?: Partial<Record<"requests" | "secrets" | "agents" | "vaults" | "team_members" | "intent_transactions" | "shares", UsageMeter>>;
}
export interface CreditBalance {
  balance_cents?: number;
  balance_usd?: string;
  expiring_within_90_days?: { amount_cents?: number; earliest_expiry?: string };
}
export interface CreditTransactions {
  transactions?: { id?: string; type?: string; amount_cents?: number; balance_after_cents?: number; description?: string; created_at?: string }[];
  page?: number;
  limit?: number;
}

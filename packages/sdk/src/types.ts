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
export type CmekRotationJob = z.infer<typeof C.CmekRotationJobResponse>;
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

export type Permission = "read" | "write" | "delete" | (string & {});

export type AgentTokenRequest = z.input<typeof C.AgentTokenRequest>;
export type AgentTokenResponse = z.infer<typeof C.AgentTokenResponse>;

export type MfaStatus = z.infer<typeof C.MfaStatusResponse>;
export type MfaSetup = z.infer<typeof C.MfaSetupResponse>;
export type MfaVerifySetup = z.infer<typeof C.MfaVerifySetupResponse>;
export type MfaDisableRequest = z.input<typeof C.MfaDisableRequest>;

export type DeviceCode = z.infer<typeof C.DeviceCodeResponse>;
/** While pending the 200 body carries `error` (RFC 8628: authorization_pending, slow_down, access_denied, expired_token). */
export type DeviceToken = z.infer<typeof C.DeviceTokenResponse>;
export type DeviceCodeStatus = z.infer<typeof C.DeviceCodeStatusResponse>;
export type DeviceDecision = z.infer<typeof C.DeviceDecisionResponse>;
export const DEVICE_CODE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";

export type CreateApiKeyRequest = z.input<typeof C.CreateApiKeyRequest>;
export type ApiKey = z.infer<typeof C.ApiKeyResponse>;
/** `api_key` is the full key, shown once. */
export type ApiKeyCreated = z.infer<typeof C.ApiKeyCreatedResponse>;
export type ApiKeyList = z.infer<typeof C.ApiKeyListResponse>;

export type CreatePolicyRequest = z.input<typeof C.CreatePolicyRequest>;
export type UpdatePolicyRequest = z.input<typeof C.UpdatePolicyRequest>;
export type Policy = z.infer<typeof C.PolicyResponse>;
export type PolicyList = z.infer<typeof C.PolicyListResponse>;
export type PolicyConditions = z.input<typeof C.PolicyConditions>;
export interface GrantOptions {
  /** Glob of secret paths; default `**` (everything in the vault). */
  path?: string;
  conditions?: PolicyConditions;
  expires_at?: string;
}

export type ShroudConfig = z.input<typeof C.ShroudConfig>;
export type CreateAgentRequest = z.input<typeof C.CreateAgentRequest>;
export type UpdateAgentRequest = z.input<typeof C.UpdateAgentRequest>;
export type Agent = z.infer<typeof C.AgentResponse>;
export type AgentSelf = z.infer<typeof C.AgentSelfResponse>;
/** `api_key` (`ocv_…`) is shown once, for api_key agents. */
export type AgentCreated = z.infer<typeof C.AgentCreatedResponse>;
export type AgentList = z.infer<typeof C.AgentListResponse>;
export type AgentKeyRotated = z.infer<typeof C.AgentKeyRotatedResponse>;
export type EnrollAgentRequest = z.input<typeof C.EnrollAgentRequest>;
export type EnrollAgentResponse = z.infer<typeof C.EnrollAgentResponse>;

// Intents API: no contract schemas yet, so these follow the reference OpenAPI.
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

export type Chain = z.infer<typeof C.ChainResponse>;
export type ChainList = z.infer<typeof C.ChainListResponse>;

export type ShareRecipientType = z.infer<typeof C.ShareRecipientType>;
export type CreateShareRequest = z.input<typeof C.CreateShareRequest>;
export type Share = z.infer<typeof C.ShareResponse>;
export type SharedSecret = z.infer<typeof C.SharedSecretResponse>;
export type ShareListItem = z.infer<typeof C.ShareListItem>;
export type ShareList = z.infer<typeof C.ShareListResponse>;

export type OrgMember = z.infer<typeof C.OrgMemberResponse>;
export type OrgMemberList = z.infer<typeof C.OrgMemberListResponse>;
export type OrgRole = z.infer<typeof C.OrgRole>;
export type InviteMemberResponse = z.infer<typeof C.InviteMemberResponse>;
export type AcceptInviteResponse = z.infer<typeof C.AcceptInviteResponse>;

export type UsageSummary = z.infer<typeof C.UsageSummaryResponse>;
export type UsageHistory = z.infer<typeof C.UsageHistoryResponse>;
export type UsageMeter = z.infer<typeof C.UsageMeter>;
export type Subscription = z.infer<typeof C.SubscriptionResponse>;
export type CreditBalance = z.infer<typeof C.CreditBalanceResponse>;
export type CreditTransactions = z.infer<typeof C.CreditTransactionsListResponse>;
export type OverageMethod = z.infer<typeof C.OverageMethodResponse>;

export type CreateIpRuleRequest = z.input<typeof C.CreateIpRuleRequest>;
export type IpRule = z.infer<typeof C.IpRuleResponse>;
export type IpRuleList = z.infer<typeof C.IpRulesListResponse>;

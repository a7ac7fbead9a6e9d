import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

export const AGENT_AUTH_METHODS = ["api_key", "mtls", "oidc_client_credentials"] as const;
export const AgentAuthMethod = z.enum(AGENT_AUTH_METHODS);

const Action4 = z.enum(["block", "sanitize", "warn", "log"]);

/**
 * Per-agent Shroud configuration (behaviour notes §9.3). Parsing fills every default, so a
 * stored config is always complete; unknown keys are rejected so a typo cannot go unnoticed.
 */
export const ShroudConfig = z.strictObject({
  pii_policy: z.enum(["block", "redact", "warn", "allow"]).default("redact"),
  injection_threshold: z.number().min(0).max(1).default(0.7),
  context_injection_threshold: z.number().min(0).max(1).default(0.7),
  allowed_providers: z.array(z.string().max(100)).max(100).default([]),
  allowed_models: z.array(z.string().max(200)).max(500).default([]),
  denied_models: z.array(z.string().max(200)).max(500).default([]),
  max_tokens_per_request: z.number().int().min(1).max(10_000_000).default(8192),
  max_requests_per_minute: z.number().int().min(1).max(1_000_000).default(60),
  max_requests_per_day: z.number().int().min(1).max(100_000_000).default(10_000),
  daily_budget_usd: z.number().min(0).max(1e9).default(0),
  enable_secret_redaction: z.boolean().default(true),
  enable_response_filtering: z.boolean().default(true),
  unicode_normalization: z
    .strictObject({
      enabled: z.boolean().default(true),
      strip_zero_width: z.boolean().default(true),
      normalize_homoglyphs: z.boolean().default(true),
      normalization_form: z.enum(["NFC", "NFKC", "NFD", "NFKD"]).default("NFKC"),
    })
    .prefault({}),
  command_injection_detection: z
    .strictObject({
      enabled: z.boolean().default(true),
      action: Action4.default("block"),
      patterns: z.enum(["default", "strict", "custom"]).default("default"),
      custom_patterns: z.array(z.string().max(1000)).max(100).default([]),
    })
    .prefault({}),
  social_engineering_detection: z
    .strictObject({
      enabled: z.boolean().default(true),
      action: z.enum(["block", "warn", "log"]).default("warn"),
      sensitivity: z.enum(["low", "medium", "high"]).default("medium"),
    })
    .prefault({}),
  encoding_detection: z
    .strictObject({
      enabled: z.boolean().default(true),
      action: z.enum(["block", "decode", "warn", "log"]).default("warn"),
      detect_base64: z.boolean().default(true),
      detect_hex: z.boolean().default(true),
      detect_unicode_escape: z.boolean().default(true),
    })
    .prefault({}),
  network_detection: z
    .strictObject({
      enabled: z.boolean().default(true),
      action: z.enum(["block", "warn", "log"]).default("warn"),
      blocked_domains: z.array(z.string().max(253)).max(1000).default([]),
      allowed_domains: z.array(z.string().max(253)).max(1000).default([]),
    })
    .prefault({}),
  filesystem_detection: z
    .strictObject({
      enabled: z.boolean().default(false),
      action: Action4.default("log"),
      blocked_paths: z.array(z.string().max(1000)).max(1000).default([]),
    })
    .prefault({}),
  sanitization_mode: z.enum(["block", "surgical", "log_only"]).default("block"),
  threat_logging: z.boolean().default(true),
});
export type ShroudConfig = z.infer<typeof ShroudConfig>;

export const EthAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");
/** A non-negative decimal amount of ETH, at most 18 fractional digits (wei precision). */
export const EthAmount = z.string().regex(/^(0|[1-9]\d{0,29})(\.\d{1,18})?$/, "must be a non-negative decimal string such as \"0.5\"");
const ChainName = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9_\-]+$/, "must be a chain name or numeric chain id");
export const AgentScope = z.string().min(1).max(512);
export const MIN_AGENT_TOKEN_TTL = 60;
export const MAX_AGENT_TOKEN_TTL = 7 * 86400;
const TokenTtl = z.number().int().min(MIN_AGENT_TOKEN_TTL).max(MAX_AGENT_TOKEN_TTL).nullable();

const agentFields = {
  description: z.string().max(2000).nullable().optional(),
  scopes: z.array(AgentScope).max(100).optional(),
  expires_at: DateTime.nullable().optional(),
  intents_api_enabled: z.boolean().optional(),
  tx_to_allowlist: z.array(EthAddress).max(1000).optional(),
  tx_max_value_eth: EthAmount.nullable().optional(),
  tx_daily_limit_eth: EthAmount.nullable().optional(),
  tx_allowed_chains: z.array(ChainName).max(100).optional(),
  token_ttl_seconds: TokenTtl.optional(),
  vault_ids: z.array(Uuid).max(1000).optional(),
  shroud_enabled: z.boolean().optional(),
  shroud_config: ShroudConfig.optional(),
};

export const CreateAgentRequest = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200),
  auth_method: AgentAuthMethod.default("api_key"),
  client_cert_fingerprint: z.string().max(200).optional(),
  oidc_issuer: z.string().max(2048).optional(),
  oidc_client_id: z.string().min(1).max(512).optional(),
  ...agentFields,
});
export type CreateAgentRequest = z.infer<typeof CreateAgentRequest>;

export const UpdateAgentRequest = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200).optional(),
  is_active: z.boolean().optional(),
  ...agentFields,
});
export type UpdateAgentRequest = z.infer<typeof UpdateAgentRequest>;

export const AgentResponse = z.object({
  id: Uuid,
  name: z.string(),
  description: opt(z.string()),
  auth_method: AgentAuthMethod,
  scopes: z.array(z.string()).optional(),
  is_active: z.boolean(),
  intents_api_enabled: z.boolean(),
  tx_to_allowlist: z.array(z.string()).optional(),
  tx_max_value_eth: opt(z.string()),
  tx_daily_limit_eth: opt(z.string()),
  tx_allowed_chains: z.array(z.string()).optional(),
  token_ttl_seconds: z.number().int().nullable().optional(),
  vault_ids: z.array(Uuid).optional(),
  client_cert_fingerprint: opt(z.string()),
  oidc_issuer: opt(z.string()),
  oidc_client_id: opt(z.string()),
  ssh_public_key: opt(z.string()),
  ecdh_public_key: opt(z.string()),
  shroud_enabled: z.boolean(),
  shroud_config: ShroudConfig.nullable().optional(),
  created_at: DateTime,
  expires_at: opt(DateTime),
  last_active_at: opt(DateTime),
});
export type AgentResponse = z.infer<typeof AgentResponse>;

export const AgentCreatedResponse = z.object({ agent: AgentResponse, api_key: z.string().optional() });
export const AgentListResponse = z.object({ agents: z.array(AgentResponse) });
export const AgentKeyRotatedResponse = z.object({ api_key: z.string() });
export const AgentSelfResponse = z.object({
  id: Uuid,
  name: z.string(),
  description: opt(z.string()),
  org_id: Uuid,
  scopes: z.array(z.string()).optional(),
  is_active: z.boolean(),
  intents_api_enabled: z.boolean(),
  created_by: opt(z.string()),
  created_at: DateTime,
  expires_at: opt(DateTime),
  last_active_at: opt(DateTime),
  ssh_public_key: opt(z.string()),
  ecdh_public_key: opt(z.string()),
  shroud_enabled: z.boolean(),
  shroud_config: ShroudConfig.nullable().optional(),
  vault_ids: z.array(Uuid).optional(),
});
export const AgentIdParams = z.object({ agent_id: Uuid });

/**
 * `{agent_id, api_key}`, `{api_key}` alone (the key finds its agent), `{agent_id?}` over a TLS
 * connection with a client certificate (mtls agents), or `{agent_id?, oidc_token}` (a JWT from the
 * agent's OIDC issuer, oidc_client_credentials agents).
 */
export const AgentTokenRequest = z.object({
  agent_id: Uuid.optional(),
  api_key: z.string().min(1).max(256).optional(),
  oidc_token: z.string().min(1).max(16_384).optional(),
});
export const AgentTokenResponse = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int(),
  /** Never issued (refresh tokens are not implemented); named for reference clients. */
  refresh_token: z.string().optional(),
  agent_id: Uuid,
  vault_ids: z.array(Uuid),
});

export const EnrollAgentRequest = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200),
  human_email: z.email().max(254),
  description: z.string().max(2000).optional(),
});
export const EnrollAgentResponse = z.object({ agent_id: Uuid, message: z.string() });

import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

// --- Personal API keys (1ck_) ---

export const API_KEY_SCOPE_PATTERN = /^[A-Za-z0-9_\-/*]{1,512}$/;
export const CreateApiKeyRequest = z.object({
  name: z.string().trim().min(1, "name must not be empty").max(200),
  scopes: z
    .array(z.string().regex(API_KEY_SCOPE_PATTERN, "each scope must be a secret path glob (letters, digits, _ - / *)"))
    .max(50)
    .optional(),
  expires_at: DateTime.optional(),
});
export const ApiKeyResponse = z.object({
  id: Uuid,
  name: z.string(),
  key_prefix: z.string(),
  scopes: z.array(z.string()),
  is_active: z.boolean(),
  created_at: DateTime,
  expires_at: opt(DateTime),
  last_used_at: opt(DateTime),
});
export const ApiKeyCreatedResponse = z.object({ key: ApiKeyResponse, api_key: z.string() });
export const ApiKeyListResponse = z.object({ keys: z.array(ApiKeyResponse) });
export const ApiKeyIdParams = z.object({ key_id: Uuid });
export const UserApiKeyTokenRequest = z.object({ api_key: z.string().min(1).max(512) });

// --- MFA (TOTP) ---

export const MfaStatusResponse = z.object({ enabled: z.boolean() });
export const MfaSetupResponse = z.object({ otpauth_uri: z.string(), secret: z.string() });
export const MfaCode = z.string().trim().min(6).max(32);
export const MfaVerifySetupRequest = z.object({ code: MfaCode });
export const MfaVerifySetupResponse = z.object({ recovery_codes: z.array(z.string()) });
export const MfaVerifyRequest = z.object({ mfa_token: z.string().min(1).max(4096), code: MfaCode });
export const MfaDisableRequest = z
  .object({ code: MfaCode.optional(), password: z.string().min(1).max(1024).optional() })
  .refine((b) => b.code !== undefined || b.password !== undefined, { message: "code or password is required", path: ["code"] });

// --- Device authorization (RFC 8628) ---

export const DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code";
export const DeviceCodeRequest = z.object({ client_id: z.string().trim().min(1).max(200) });
export const DeviceCodeResponse = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string().optional(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});
export const DeviceTokenRequest = z.object({ device_code: z.string().min(1).max(512), grant_type: z.string().min(1).max(200) });
export const DeviceTokenResponse = z.object({
  access_token: z.string().optional(),
  token_type: z.string().optional(),
  expires_in: z.number().int().optional(),
  error: z.string().optional(),
  error_description: z.string().optional(),
  email: z.string().optional(),
  user_id: z.string().optional(),
  org_id: z.string().optional(),
});
export const UserCode = z.string().trim().min(1).max(32);
export const DeviceApproveRequest = z.object({ user_code: UserCode });
export const DeviceCodeStatusResponse = z.object({
  user_code: z.string(),
  client_id: z.string(),
  status: z.enum(["pending", "approved", "denied", "expired"]),
  expires_at: DateTime,
});
export const DeviceDecisionResponse = z.object({ status: z.enum(["approved", "denied"]), user_code: z.string() });

// --- Billing ---

export const BILLING_TIERS = ["free", "pro", "business", "enterprise"] as const;
export const BillingTier = z.enum(BILLING_TIERS);
export const UsageSummaryResponse = z.object({
  billing_tier: z.string(),
  free_tier_limit: z.number().int().nullable(),
  current_month: z.object({
    total_requests: z.number().int(),
    paid_requests: z.number().int(),
    free_requests: z.number().int(),
    total_cost_usd: z.string(),
  }),
});
export const UsageHistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
export const UsageHistoryResponse = z.object({
  events: z.array(
    z.object({
      id: Uuid,
      principal_type: z.string(),
      principal_id: z.string(),
      method: z.string(),
      endpoint: z.string(),
      status_code: z.number().int(),
      price_usd: z.string(),
      is_paid: z.boolean(),
      created_at: DateTime,
    }),
  ),
});
export const SubscribeRequest = z.object({
  tier: z.enum(["pro", "business"]),
  interval: z.enum(["monthly", "yearly"]),
  trial: z.boolean().optional(),
});
export const TopupRequest = z.object({ amount_usd: z.number().int().min(5).max(1000) });
export const OverageMethodRequest = z.object({ method: z.enum(["credits", "x402"]) });
export const OverageMethodResponse = z.object({ overage_method: z.string() });
/** `limit: null` means unlimited. */
export const UsageMeter = z.object({ used: z.number().int(), limit: z.number().int().nullable() });
export const SubscriptionResponse = z.object({
  tier: z.string(),
  interval: z.string().nullable(),
  period_end: DateTime.nullable(),
  status: z.string(),
  credit_balance_cents: z.number().int(),
  credit_balance_usd: z.string(),
  overage_method: z.string(),
  usage: z.object({
    requests: UsageMeter,
    secrets: UsageMeter,
    agents: UsageMeter,
    vaults: UsageMeter,
    team_members: UsageMeter,
    intent_transactions: UsageMeter,
    shares: UsageMeter,
  }),
});
export const CreditBalanceResponse = z.object({
  balance_cents: z.number().int(),
  balance_usd: z.string(),
  expiring_within_90_days: z.object({ amount_cents: z.number().int(), earliest_expiry: DateTime.nullable() }),
});
export const CreditTransactionsQuery = z.object({
  page: z.coerce.number().int().min(1).max(100000).default(1),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export const CreditTransactionsListResponse = z.object({
  transactions: z.array(
    z.object({
      id: Uuid,
      type: z.string(),
      amount_cents: z.number().int(),
      balance_after_cents: z.number().int(),
      description: z.string().nullable(),
      created_at: DateTime,
    }),
  ),
  page: z.number().int(),
  limit: z.number().int(),
});

// --- Admin ---

export const SettingKey = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,99}$/, "key must be 1-100 characters of a-z, 0-9, '_', '.', '-'");
export const SettingKeyParams = z.object({ key: SettingKey });
export const SettingResponse = z.object({ key: z.string(), value: z.string(), updated_by: z.string(), updated_at: DateTime });
export const SettingsListResponse = z.object({ settings: z.array(SettingResponse) });
export const UpdateSettingRequest = z.object({ value: z.string().max(4096) });
export const X402Config = z
  .object({
    pay_to: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "pay_to must be a 0x-prefixed 20-byte address").nullable().optional(),
    network: z.string().trim().min(1).max(100).nullable().optional(),
    scheme: z.string().trim().min(1).max(50).nullable().optional(),
    free_tier_limit: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
    facilitator_url: z.url({ protocol: /^https?$/ }).max(2048).nullable().optional(),
  })
  .strict();
export const AdminUsersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export const AdminUsersListResponse = z.object({
  users: z.array(
    z.object({
      id: Uuid,
      email: z.string(),
      display_name: opt(z.string()),
      role: z.string(),
      auth_method: z.string(),
      org_id: Uuid,
      org_name: z.string(),
      billing_tier: z.string(),
      created_at: DateTime,
      free_tier_override: z.number().int().nullable(),
      is_sponsored: z.boolean(),
      current_month_requests: z.number().int(),
      is_platform_admin: z.boolean(),
    }),
  ),
  total: z.number().int(),
});
export const AdminUserIdParams = z.object({ user_id: Uuid });
export const OrgIdParams = z.object({ org_id: Uuid });
export const UpdateOrgLimitsRequest = z
  .object({
    free_tier_override: z.number().int().min(0).max(1_000_000_000).nullable().optional(),
    is_sponsored: z.boolean().optional(),
  })
  .strict();
export const OrgLimitsResponse = z.object({ org_id: Uuid, free_tier_override: z.number().int().nullable(), is_sponsored: z.boolean() });
export const SetBillingTierRequest = z.object({ tier: BillingTier, duration_days: z.number().int().min(1).max(3650).optional() });
export const BillingTierResponse = z.object({ org_id: Uuid, tier: BillingTier, period_end: DateTime.nullable() });

// --- Chains ---

const ChainName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "name must be a lowercase slug (a-z, 0-9, '-')");
const HttpUrl = z.url({ protocol: /^https?$/ }).max(2048);
const WsUrl = z.url({ protocol: /^wss?$/ }).max(2048);
export const ChainResponse = z.object({
  id: Uuid,
  name: z.string(),
  display_name: z.string(),
  chain_id: z.number().int(),
  rpc_url: z.string().nullable(),
  ws_url: z.string().nullable(),
  explorer_url: z.string().nullable(),
  native_currency: z.string(),
  is_testnet: z.boolean(),
  is_enabled: z.boolean(),
  created_at: DateTime,
  updated_at: DateTime,
});
export const ChainListResponse = z.object({ chains: z.array(ChainResponse) });
export const CreateChainRequest = z.object({
  name: ChainName,
  display_name: z.string().trim().min(1).max(100),
  chain_id: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  rpc_url: HttpUrl.nullable().optional(),
  ws_url: WsUrl.nullable().optional(),
  explorer_url: HttpUrl.nullable().optional(),
  native_currency: z.string().trim().min(1).max(16).optional(),
  is_testnet: z.boolean().optional(),
  is_enabled: z.boolean().optional(),
});
export const UpdateChainRequest = z
  .object({
    display_name: z.string().trim().min(1).max(100).optional(),
    rpc_url: HttpUrl.nullable().optional(),
    ws_url: WsUrl.nullable().optional(),
    explorer_url: HttpUrl.nullable().optional(),
    native_currency: z.string().trim().min(1).max(16).optional(),
    is_testnet: z.boolean().optional(),
    is_enabled: z.boolean().optional(),
  })
  .strict();
export const ChainIdParams = z.object({ chain_id: Uuid });
export const ChainIdentifierParams = z.object({ identifier: z.string().min(1).max(100) });

/** Bodiless POSTs: no body (null), `{}`, or an empty JSON body. */
export const NoBody = z.object({}).strict().nullish();

/** Google/OIDC login: a token, or the MFA challenge (`access_token: ""`, `mfa_required`, `mfa_token`). */
export const OidcLoginResponse = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int().optional(),
  refresh_token: z.string().optional(),
  mfa_required: z.boolean().optional(),
  mfa_token: z.string().optional(),
});
export const CheckoutUrlResponse = z.object({ checkout_url: z.url() });
export const PortalUrlResponse = z.object({ portal_url: z.url() });

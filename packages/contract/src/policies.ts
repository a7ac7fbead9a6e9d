import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

export const POLICY_PERMISSIONS = ["read", "write", "delete"] as const;
export const POLICY_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
/** Longest glob a policy or agent scope may hold (same bound as a secret path). */
export const MAX_PATTERN_LENGTH = 512;

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (00:00–23:59)");

/**
 * Conditions a policy applies under. Unknown keys are rejected: a misspelt condition silently
 * ignored would grant more than its author meant.
 */
export const PolicyConditions = z.strictObject({
  ip_allowlist: z.array(z.string().max(64)).max(256).optional(),
  time_window: z
    .strictObject({
      after: HHMM,
      before: HHMM,
      timezone: z.string().max(64).default("UTC"),
      days: z.array(z.enum(POLICY_DAYS)).min(1).max(7).optional(),
    })
    .optional(),
});
export type PolicyConditions = z.infer<typeof PolicyConditions>;

const Permissions = z
  .array(z.string().max(32))
  .min(1, "must name at least one permission")
  .max(3);

export const CreatePolicyRequest = z.object({
  secret_path_pattern: z.string().min(1, "is required").max(MAX_PATTERN_LENGTH),
  principal_type: z.enum(["user", "agent"]),
  principal_id: Uuid,
  permissions: Permissions,
  conditions: PolicyConditions.optional(),
  expires_at: DateTime.nullable().optional(),
});
export type CreatePolicyRequest = z.infer<typeof CreatePolicyRequest>;

export const UpdatePolicyRequest = z.object({
  permissions: Permissions.optional(),
  conditions: PolicyConditions.optional(),
  expires_at: DateTime.nullable().optional(),
});
export type UpdatePolicyRequest = z.infer<typeof UpdatePolicyRequest>;

export const PolicyResponse = z.object({
  id: Uuid,
  vault_id: Uuid,
  secret_path_pattern: z.string(),
  principal_type: z.string(),
  principal_id: z.string(),
  permissions: z.array(z.string()),
  conditions: z.record(z.string(), z.unknown()).optional(),
  expires_at: opt(DateTime),
  created_by: opt(z.string()),
  created_by_type: opt(z.string()),
  created_at: DateTime,
});
export type PolicyResponse = z.infer<typeof PolicyResponse>;
export const PolicyListResponse = z.object({ policies: z.array(PolicyResponse) });
export const PolicyIdParams = z.object({ vault_id: Uuid, policy_id: Uuid });

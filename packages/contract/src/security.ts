import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

/** `block` and `description` are the names the product docs use; they mean `deny` and `label`. */
export const IP_RULE_TYPES = ["allow", "deny", "block"] as const;
export const IP_RULE_TARGETS = ["all", "users", "agents"] as const;

export const CreateIpRuleRequest = z.object({
  rule_type: z.enum(IP_RULE_TYPES),
  cidr: z.string().min(1, "is required").max(64),
  label: z.string().max(200).optional(),
  description: z.string().max(200).optional(),
  applies_to: z.enum(IP_RULE_TARGETS).optional(),
});
export type CreateIpRuleRequest = z.infer<typeof CreateIpRuleRequest>;

export const IpRuleResponse = z.object({
  id: Uuid,
  org_id: Uuid,
  rule_type: z.string(),
  cidr: z.string(),
  label: opt(z.string()),
  applies_to: z.string(),
  created_by: z.string(),
  created_at: DateTime,
});
export const IpRulesListResponse = z.object({ rules: z.array(IpRuleResponse) });
export const IpRuleIdParams = z.object({ rule_id: Uuid });

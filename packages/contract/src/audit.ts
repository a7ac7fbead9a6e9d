import { z } from "zod";
import { DateTime, JsonObject, Uuid, opt } from "./common.js";

export const AuditEvent = z.object({
  id: Uuid,
  action: z.string(),
  actor_id: z.string(),
  actor_type: z.string(),
  resource_type: z.string(),
  resource_id: opt(z.string()),
  org_id: Uuid,
  details: JsonObject,
  ip_address: opt(z.string()),
  created_at: DateTime,
  prev_hash: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;
export const AuditEventsQuery = z.object({
  resource_id: z.string().max(512).optional(),
  actor_id: z.string().max(128).optional(),
  actor_type: z.enum(["user", "agent", "system", "anonymous"]).optional(),
  action: z.string().max(128).optional(),
  from: DateTime.optional(),
  to: DateTime.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
export const AuditEventsResponse = z.object({ events: z.array(AuditEvent), count: z.number().int() });
export const AuditVerifyResponse = z.object({
  valid: z.boolean(),
  checked: z.number().int(),
  first_bad_event_id: opt(Uuid),
  reason: opt(z.string()),
});

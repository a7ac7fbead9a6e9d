import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

export const SHARE_RECIPIENT_TYPES = ["user", "agent", "external_email", "anyone_with_link", "creator"] as const;
export const ShareRecipientType = z.enum(SHARE_RECIPIENT_TYPES);
export const DEFAULT_SHARE_MAX_ACCESS_COUNT = 5;
export const MAX_SHARE_ACCESS_COUNT = 10_000;
export const MAX_SHARE_IP_ALLOWLIST = 100;
/** Header carrying a share's passphrase (never the URL, which ends up in logs). */
export const SHARE_PASSPHRASE_HEADER = "x-share-passphrase";

export const CreateShareRequest = z.object({
  recipient_type: ShareRecipientType,
  recipient_id: Uuid.optional(),
  email: z.email().max(320).optional(),
  permissions: z.array(z.literal("read", { error: 'shares grant read access only; use ["read"]' })).max(1).optional(),
  max_access_count: z.number().int().min(1).max(MAX_SHARE_ACCESS_COUNT).optional(),
  expires_at: DateTime,
  passphrase: z.string().min(1, "must not be empty").max(1024).optional(),
  ip_allowlist: z.array(z.string().max(64)).max(MAX_SHARE_IP_ALLOWLIST).optional(),
});
export type CreateShareRequest = z.infer<typeof CreateShareRequest>;

export const ShareResponse = z.object({
  id: Uuid,
  share_url: z.string(),
  recipient_type: z.string(),
  recipient_email: opt(z.string()),
  expires_at: DateTime,
  max_access_count: z.number().int(),
});

export const SharedSecretResponse = z.object({
  id: Uuid,
  path: z.string(),
  type: z.string(),
  value: z.string(),
  access_count: z.number().int(),
  max_access_count: z.number().int(),
});

export const ShareListItem = z.object({
  id: Uuid,
  secret_path: z.string(),
  recipient_type: z.string(),
  recipient_email: opt(z.string()),
  access_count: z.number().int(),
  max_access_count: z.number().int(),
  expires_at: DateTime,
  created_at: DateTime,
  is_expired: z.boolean(),
  is_accepted: z.boolean(),
});
export const ShareListResponse = z.object({ shares: z.array(ShareListItem) });

export const SecretIdParams = z.object({ secret_id: Uuid });
export const ShareIdParams = z.object({ share_id: Uuid });

import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

export const CreateVaultRequest = z.object({
  name: z.string().trim().min(1, "name must not be empty").max(200),
  description: z.string().max(2000).optional(),
});
export const VaultResponse = z.object({
  id: Uuid,
  name: z.string(),
  description: opt(z.string()),
  created_by: opt(z.string()),
  created_by_type: opt(z.string()),
  created_at: DateTime,
  cmek_enabled: z.boolean().optional(),
  cmek_fingerprint: opt(z.string()),
});
export type VaultResponse = z.infer<typeof VaultResponse>;
export const VaultListResponse = z.object({ vaults: z.array(VaultResponse) });
export const VaultIdParams = z.object({ vault_id: Uuid });

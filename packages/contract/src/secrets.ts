import { z } from "zod";
import { DateTime, JsonObject, SecretType, Uuid, opt } from "./common.js";

export const PutSecretRequest = z.object({
  value: z.string(),
  type: SecretType.default("generic"),
  metadata: JsonObject.optional(),
  expires_at: DateTime.optional(),
  rotation_policy: JsonObject.optional(),
  max_access_count: z.number().int().min(1).max(1_000_000_000).optional(),
});
export type PutSecretRequest = z.infer<typeof PutSecretRequest>;

export const SecretMetadataResponse = z.object({
  id: Uuid,
  path: z.string(),
  type: z.string(),
  version: z.number().int(),
  metadata: opt(JsonObject),
  created_at: DateTime,
  expires_at: opt(DateTime),
  max_access_count: opt(z.number().int()),
  access_count: z.number().int().optional(),
  cmek_encrypted: z.boolean().optional(),
});
export type SecretMetadataResponse = z.infer<typeof SecretMetadataResponse>;

export const SecretResponse = SecretMetadataResponse.extend({
  value: z.string(),
  created_by: opt(z.string()),
  cmek_encrypted: z.boolean().optional(),
});
export type SecretResponse = z.infer<typeof SecretResponse>;

export const SecretListResponse = z.object({ secrets: z.array(SecretMetadataResponse) });
export const SecretVersionListResponse = z.object({ versions: z.array(SecretMetadataResponse) });
export const ListSecretsQuery = z.object({ prefix: z.string().max(512).optional() });
export const GetSecretQuery = z.object({ version: z.coerce.number().int().min(1).max(2_147_483_647).optional() });

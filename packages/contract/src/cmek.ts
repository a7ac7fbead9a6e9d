import { z } from "zod";
import { DateTime, Uuid } from "./common.js";

/** SHA-256 of the client's AES-256 key, as 64 hex characters (stored lower-case). */
export const CmekFingerprint = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, "must be the SHA-256 of the key as 64 hex characters")
  .transform((s) => s.toLowerCase());

export const EnableCmekRequest = z.object({ fingerprint: CmekFingerprint });
export type EnableCmekRequest = z.infer<typeof EnableCmekRequest>;

export const CmekRotateRequest = z.object({ new_fingerprint: CmekFingerprint });
export type CmekRotateRequest = z.infer<typeof CmekRotateRequest>;

export const CmekRotationJobResponse = z.object({
  id: Uuid,
  vault_id: Uuid,
  old_fingerprint: z.string().optional(),
  new_fingerprint: z.string().optional(),
  status: z.enum(["pending", "running", "completed", "failed"]),
  total_secrets: z.number().int(),
  processed: z.number().int(),
  error: z.string().optional(),
  started_at: DateTime.optional(),
  completed_at: DateTime.optional(),
  created_at: DateTime,
});
export type CmekRotationJobResponse = z.infer<typeof CmekRotationJobResponse>;

export const CmekJobParams = z.object({ vault_id: Uuid, job_id: Uuid });

/** Client-side blob layout: version byte, IV, ciphertext, GCM tag. */
export const CMEK_BLOB = { version: 0x01, ivBytes: 12, tagBytes: 16 } as const;

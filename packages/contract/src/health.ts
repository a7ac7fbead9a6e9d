import { z } from "zod";

export const HealthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  service: z.string(),
  version: z.string(),
});
export const HsmHealthResponse = z.object({
  status: z.enum(["ok", "degraded", "unavailable"]),
  hsm_provider: z.string(),
  connected: z.boolean(),
  token: z.string().optional(),
});

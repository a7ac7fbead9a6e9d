import { z } from "zod";

export const Uuid = z.uuid();
export const DateTime = z.iso.datetime({ offset: true });
/** Optional response field that the server may send as null. */
export const opt = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const ProblemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
});
export type ProblemDetails = z.infer<typeof ProblemDetails>;

export const MAX_BODY_BYTES = 5 * 1024 * 1024;
export const MAX_SECRET_PATH_LENGTH = 512;
export const SECRET_PATH_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9_\-/]*[A-Za-z0-9])?$/;

/** Secret paths per DESIGN decision 3: same rule on read, write and delete. */
export const SecretPath = z
  .string()
  .min(1, "path is required")
  .max(MAX_SECRET_PATH_LENGTH, `path must be at most ${MAX_SECRET_PATH_LENGTH} characters`)
  .regex(SECRET_PATH_PATTERN, "path may contain only letters, digits, '_', '-' and '/', and must start and end with a letter or digit")
  .refine((p) => !p.includes("//"), "path must not contain empty segments");

export const SECRET_TYPES = [
  "api_key",
  "password",
  "private_key",
  "certificate",
  "file",
  "note",
  "ssh_key",
  "env_bundle",
  "generic",
  "env",
] as const;
export const SecretType = z.enum(SECRET_TYPES);
export type SecretType = z.infer<typeof SecretType>;

export const JsonObject = z.record(z.string(), z.unknown());

/** Bodiless endpoints accept an absent body, `{}`, or an empty body sent with a JSON content type. */
export const EmptyBody = z.object({}).strict().optional();

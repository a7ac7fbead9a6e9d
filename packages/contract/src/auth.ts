import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

export const LoginRequest = z.object({ email: z.email().max(254), password: z.string().min(1).max(1024) });
/** Either a session (access_token, token_type, expires_in) or an MFA challenge (mfa_required, mfa_token). */
export const LoginResponse = z.object({
  access_token: z.string().optional(),
  token_type: z.string().optional(),
  expires_in: z.number().int().optional(),
  refresh_token: z.string().optional(),
  mfa_required: z.boolean().optional(),
  mfa_token: z.string().optional(),
});
export const TokenResponse = z.object({
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int().optional(),
  refresh_token: z.string().optional(),
});
export const RefreshRequest = z.object({ refresh_token: z.string() });
export const JwtPublicKeyResponse = z.object({ alg: z.string(), public_key_base64: z.string() });
export const SignupRequest = z.object({
  email: z.email().max(254),
  password: z.string().max(1024),
  display_name: z.string().trim().min(1).max(200).optional(),
});
export const SignupResponse = z.object({
  message: z.string(),
  email: z.string(),
  access_token: z.string().optional(),
  token_type: z.string().optional(),
  expires_in: z.number().int().optional(),
});
export const VerifyEmailRequest = z.object({ token: z.string().min(1).max(512) });
export const GoogleAuthRequest = z.object({ id_token: z.string().min(1).max(16384) });
export const ChangePasswordRequest = z.object({
  current_password: z.string().min(1).max(1024),
  new_password: z.string().max(1024),
});
export const UserProfileResponse = z.object({
  id: Uuid,
  email: z.string(),
  display_name: opt(z.string()),
  auth_method: z.string(),
  role: z.string(),
  email_verified: z.boolean(),
  marketing_emails: z.boolean(),
  totp_enabled: z.boolean(),
  created_at: DateTime,
});
export const UpdateProfileRequest = z
  .object({ display_name: z.string().trim().min(1).max(200).optional(), marketing_emails: z.boolean().optional() })
  .strict();
export const DELETE_ACCOUNT_CONFIRMATION = "DELETE MY ACCOUNT";
export const DeleteAccountRequest = z.object({ confirmation: z.string() });
export const JwksResponse = z.object({ keys: z.array(z.record(z.string(), z.unknown())) });

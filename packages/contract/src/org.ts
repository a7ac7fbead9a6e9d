import { z } from "zod";
import { DateTime, Uuid, opt } from "./common.js";

export const ORG_ROLES = ["owner", "admin", "member"] as const;
export const OrgRole = z.enum(ORG_ROLES);
export type OrgRole = z.infer<typeof OrgRole>;

export const OrgMemberResponse = z.object({
  id: Uuid,
  email: z.string(),
  display_name: opt(z.string()),
  role: z.string(),
  auth_method: z.string(),
  created_at: DateTime,
});
export const OrgMemberListResponse = z.object({ members: z.array(OrgMemberResponse) });

export const InviteMemberRequest = z.object({
  email: z.email().max(320),
  role: OrgRole.default("member"),
});
export const InviteMemberResponse = z.object({ message: z.string(), email: z.string() });

export const UpdateMemberRoleRequest = z.object({ role: OrgRole });
export const MemberIdParams = z.object({ user_id: Uuid });

/** Invitation tokens are 32 random bytes, base64url. */
export const AcceptInviteRequest = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "is not an invitation token") });
export const AcceptInviteResponse = z.object({
  org_id: Uuid,
  role: z.string(),
  access_token: z.string(),
  token_type: z.string(),
  expires_in: z.number().int(),
});

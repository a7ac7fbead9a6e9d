import {
  AcceptInviteRequest,
  AcceptInviteResponse,
  InviteMemberRequest,
  InviteMemberResponse,
  MemberIdParams,
  OrgMemberListResponse,
  OrgMemberResponse,
  UpdateMemberRoleRequest,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toMember } from "./service.js";

const tags = ["Organization"];

export function orgRoutes(app: FastifyInstance, { org }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get("/v1/org/members", { schema: { tags, operationId: "listOrgMembers", response: { 200: OrgMemberListResponse } } }, async (req) => ({
    members: (await org.members(principalOf(req))).map(toMember),
  }));
  r.post(
    "/v1/org/invite",
    { schema: { tags, operationId: "inviteMember", body: InviteMemberRequest, response: { 200: InviteMemberResponse } } },
    async (req) => org.invite(principalOf(req), req.body.email, req.body.role, req.ip),
  );
  r.post(
    "/v1/org/invites/accept",
    {
      schema: {
        tags,
        operationId: "acceptOrgInvite",
        description:
          "Joins the inviting organisation (the token comes from the invitation mail, in the body so it stays out of URLs and logs) with the invited role. The caller must be signed in with the invited address. " +
          "The user leaves their current organisation (refused while they are its last owner with other members, or while it " +
          "is theirs alone and still holds vaults). Tokens for the old organisation stop working; use the returned token.",
        body: AcceptInviteRequest,
        response: { 200: AcceptInviteResponse },
      },
    },
    async (req) => org.acceptInvite(principalOf(req), req.body.token, req.ip),
  );
  r.patch(
    "/v1/org/members/:user_id",
    { schema: { tags, operationId: "updateMemberRole", params: MemberIdParams, body: UpdateMemberRoleRequest, response: { 200: OrgMemberResponse } } },
    async (req) => toMember(await org.updateRole(principalOf(req), req.params.user_id, req.body.role, req.ip)),
  );
  r.delete(
    "/v1/org/members/:user_id",
    { schema: { tags, operationId: "removeMember", params: MemberIdParams, response: { 204: z.null().describe("Member removed") } } },
    async (req, reply) => {
      await org.remove(principalOf(req), req.params.user_id, req.ip);
      return reply.status(204).send(null);
    },
  );
}

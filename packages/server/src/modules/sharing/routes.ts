import {
  CreateShareRequest,
  EmptyBody,
  SecretIdParams,
  SHARE_PASSPHRASE_HEADER,
  SharedSecretResponse,
  ShareIdParams,
  ShareListResponse,
  ShareResponse,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AppContext } from "../../context.js";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toShareListItem } from "./service.js";

const tags = ["Sharing"];
const noContent = (what: string) => ({ 204: z.null().describe(what) });

export function sharingRoutes(app: FastifyInstance, { sharing }: Services, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/v1/secrets/:secret_id/share",
    {
      schema: {
        tags,
        operationId: "createShare",
        description:
          "recipient_type user|agent (recipient_id of the same org), external_email (humans only; email), anyone_with_link, " +
          "creator (agents only: the human who created the agent). expires_at must be in the future; max_access_count " +
          "defaults to 5; passphrase is stored hashed and sent back as X-Share-Passphrase; ip_allowlist holds addresses or CIDRs. " +
          "At most 10 share creations per minute per organisation (429).",
        params: SecretIdParams,
        body: CreateShareRequest,
        response: { 201: ShareResponse },
      },
    },
    async (req, reply) => reply.status(201).send(await sharing.create(principalOf(req), req.params.secret_id, req.body, req.ip)),
  );
  r.get(
    "/v1/share/:share_id",
    {
      config: { auth: "public" },
      schema: {
        tags,
        operationId: "accessShare",
        security: [],
        description:
          "Public for anyone_with_link shares (a bearer sent along is ignored). Targeted shares need the recipient's bearer token " +
          "and prior acceptance. Passphrase in the X-Share-Passphrase header. 404 revoked/declined/unknown, 403 not accepted, " +
          "wrong passphrase or IP, 410 expired or used up.",
        params: ShareIdParams,
        headers: z.object({ [SHARE_PASSPHRASE_HEADER]: z.string().max(1024).optional() }).loose(),
        response: { 200: SharedSecretResponse },
      },
    },
    async (req, reply) => {
      const authenticate = async () => {
        req.principal = await ctx.authenticator.authenticate(req);
        for (const hook of ctx.hooks.afterAuth) await hook(req, reply);
        return req.principal;
      };
      const passphrase = req.headers[SHARE_PASSPHRASE_HEADER];
      return sharing.access(req.params.share_id, authenticate, typeof passphrase === "string" ? passphrase : undefined, req.ip);
    },
  );
  r.delete(
    "/v1/share/:share_id",
    { schema: { tags, operationId: "revokeShare", params: ShareIdParams, response: noContent("Share revoked") } },
    async (req, reply) => {
      await sharing.revoke(principalOf(req), req.params.share_id, req.ip);
      return reply.status(204).send(null);
    },
  );
  r.get("/v1/shares/outbound", { schema: { tags, operationId: "listOutboundShares", response: { 200: ShareListResponse } } }, async (req) => ({
    shares: (await sharing.outbound(principalOf(req))).map(toShareListItem),
  }));
  r.get("/v1/shares/inbound", { schema: { tags, operationId: "listInboundShares", response: { 200: ShareListResponse } } }, async (req) => ({
    shares: (await sharing.inbound(principalOf(req), req.ip)).map(toShareListItem),
  }));
  for (const answer of ["accept", "decline"] as const) {
    r.post(
      `/v1/shares/:share_id/${answer}`,
      { schema: { tags, operationId: `${answer}Share`, params: ShareIdParams, body: EmptyBody.nullable(), response: noContent(`Share ${answer}d`) } },
      async (req, reply) => {
        await sharing.respond(principalOf(req), req.params.share_id, answer, req.ip);
        return reply.status(204).send(null);
      },
    );
  }
}

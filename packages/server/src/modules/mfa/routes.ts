import {
  NoBody,
  MfaDisableRequest,
  MfaSetupResponse,
  MfaStatusResponse,
  MfaVerifyRequest,
  MfaVerifySetupRequest,
  MfaVerifySetupResponse,
  TokenResponse,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { humanOf } from "../../pipeline/human.js";
import type { Services } from "../index.js";

const tags = ["Authentication"];

export function mfaRoutes(app: FastifyInstance, { mfa }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get("/v1/auth/mfa/status", { schema: { tags, operationId: "mfaStatus", response: { 200: MfaStatusResponse } } }, async (req) => mfa.status(humanOf(req)));
  r.post(
    "/v1/auth/mfa/setup",
    { schema: { tags, operationId: "mfaSetup", body: NoBody, response: { 200: MfaSetupResponse } } },
    async (req) => mfa.setup(humanOf(req), req.ip),
  );
  r.post(
    "/v1/auth/mfa/verify-setup",
    { schema: { tags, operationId: "mfaVerifySetup", body: MfaVerifySetupRequest, response: { 200: MfaVerifySetupResponse } } },
    async (req) => mfa.verifySetup(humanOf(req), req.body.code, req.ip),
  );
  r.post(
    "/v1/auth/mfa/verify",
    { config: { auth: "public", rateLimit: "auth" }, schema: { tags, operationId: "mfaVerify", security: [], body: MfaVerifyRequest, response: { 200: TokenResponse } } },
    async (req) => mfa.verify(req.body.mfa_token, req.body.code, req.ip),
  );
  r.delete(
    "/v1/auth/mfa",
    { schema: { tags, operationId: "mfaDisable", body: MfaDisableRequest, response: { 204: z.null().describe("MFA disabled") } } },
    async (req, reply) => {
      await mfa.disable(humanOf(req), req.body, req.ip);
      return reply.status(204).send(null);
    },
  );
}

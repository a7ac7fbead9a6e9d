import {
  DeviceApproveRequest,
  DeviceCodeRequest,
  DeviceCodeResponse,
  DeviceCodeStatusResponse,
  DeviceDecisionResponse,
  DeviceTokenRequest,
  DeviceTokenResponse,
  UserCode,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { humanOf } from "../../pipeline/human.js";
import type { Services } from "../index.js";
import { VERIFY_CSS, VERIFY_HTML, VERIFY_JS } from "./page.js";

const tags = ["Authentication"];
const publicAuth = { auth: "public" as const, rateLimit: "auth" as const };

export function deviceRoutes(app: FastifyInstance, { device }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/v1/auth/device/code",
    { config: publicAuth, schema: { tags, operationId: "deviceCode", security: [], body: DeviceCodeRequest, response: { 200: DeviceCodeResponse } } },
    async (req) => device.issue(req.body.client_id),
  );
  r.post(
    "/v1/auth/device/token",
    { config: publicAuth, schema: { tags, operationId: "deviceToken", security: [], body: DeviceTokenRequest, response: { 200: DeviceTokenResponse } } },
    async (req) => device.poll(req.body.device_code, req.body.grant_type, req.ip),
  );
  r.get(
    "/v1/auth/device/code/:user_code",
    {
      config: publicAuth,
      schema: { tags, operationId: "deviceCodeStatus", security: [], params: z.object({ user_code: UserCode }), response: { 200: DeviceCodeStatusResponse } },
    },
    async (req) => device.status(req.params.user_code, req.ip),
  );
  r.post(
    "/v1/auth/device/approve",
    { schema: { tags, operationId: "deviceApprove", body: DeviceApproveRequest, response: { 200: DeviceDecisionResponse } } },
    async (req) => device.decide(humanOf(req), req.body.user_code, "approved", req.ip),
  );
  r.post(
    "/v1/auth/device/deny",
    { schema: { tags, operationId: "deviceDeny", body: DeviceApproveRequest, response: { 200: DeviceDecisionResponse } } },
    async (req) => device.decide(humanOf(req), req.body.user_code, "denied", req.ip),
  );

  // The approval page the CLI sends the human to. Static HTML + same-origin script and style (CSP 'self').
  const page = { config: { auth: "public" as const }, schema: { hide: true } };
  r.get("/cli/verify", page, async (_req, reply) => reply.type("text/html; charset=utf-8").send(VERIFY_HTML));
  r.get("/cli/verify.js", page, async (_req, reply) => reply.type("text/javascript; charset=utf-8").send(VERIFY_JS));
  r.get("/cli/verify.css", page, async (_req, reply) => reply.type("text/css; charset=utf-8").send(VERIFY_CSS));
}

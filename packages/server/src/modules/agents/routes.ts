import type { TLSSocket } from "node:tls";
import {
  AgentCreatedResponse,
  AgentIdParams,
  AgentKeyRotatedResponse,
  AgentListResponse,
  AgentResponse,
  AgentSelfResponse,
  AgentTokenRequest,
  AgentTokenResponse,
  CreateAgentRequest,
  EnrollAgentRequest,
  EnrollAgentResponse,
  UpdateAgentRequest,
} from "@oneclaw/contract";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toAgentResponse, toAgentSelfResponse, type ClientCertificate } from "./service.js";

const tags = ["Agents"];
const publicRoute = { auth: "public" as const, rateLimit: "auth" as const };

/** The TLS client certificate of the connection, when the server runs TLS and the client sent one. */
function clientCertificate(req: FastifyRequest): ClientCertificate | undefined {
  const sock = req.raw.socket as TLSSocket;
  if (!sock.encrypted || typeof sock.getPeerCertificate !== "function") return undefined;
  const cert = sock.getPeerCertificate();
  if (!cert || !cert.fingerprint256) return undefined;
  return { authorized: sock.authorized === true, fingerprint256: cert.fingerprint256 };
}

export function agentRoutes(app: FastifyInstance, { agents }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/v1/auth/agent-token",
    {
      config: publicRoute,
      schema: {
        tags: ["Authentication"],
        operationId: "agentToken",
        security: [],
        description: "Exchange agent credentials for a JWT: `{api_key}` (agent_id optional), a TLS client certificate (mtls agents), or `{oidc_token}` (oidc_client_credentials agents).",
        body: AgentTokenRequest,
        response: { 200: AgentTokenResponse },
      },
    },
    async (req) => agents.exchange(req.body, clientCertificate(req), req.ip),
  );
  r.post(
    "/v1/agents/enroll",
    { config: publicRoute, schema: { tags, operationId: "enrollAgent", security: [], body: EnrollAgentRequest, response: { 201: EnrollAgentResponse } } },
    async (req, reply) => reply.status(201).send(await agents.enroll(req.body, req.ip)),
  );
  r.post(
    "/v1/agents",
    { schema: { tags, operationId: "createAgent", body: CreateAgentRequest, response: { 201: AgentCreatedResponse } } },
    async (req, reply) => {
      const { agent, apiKey } = await agents.create(principalOf(req), req.body, req.ip);
      return reply.status(201).send({ agent: toAgentResponse(agent), ...(apiKey ? { api_key: apiKey } : {}) });
    },
  );
  r.get("/v1/agents", { schema: { tags, operationId: "listAgents", response: { 200: AgentListResponse } } }, async (req) => ({
    agents: (await agents.list(principalOf(req))).map(toAgentResponse),
  }));
  r.get("/v1/agents/me", { schema: { tags, operationId: "getAgentSelf", response: { 200: AgentSelfResponse } } }, async (req) =>
    toAgentSelfResponse(await agents.me(principalOf(req))),
  );
  r.get(
    "/v1/agents/:agent_id",
    { schema: { tags, operationId: "getAgent", params: AgentIdParams, response: { 200: AgentResponse } } },
    async (req) => toAgentResponse(await agents.get(principalOf(req), req.params.agent_id)),
  );
  r.patch(
    "/v1/agents/:agent_id",
    { schema: { tags, operationId: "updateAgent", params: AgentIdParams, body: UpdateAgentRequest, response: { 200: AgentResponse } } },
    async (req) => toAgentResponse(await agents.update(principalOf(req), req.params.agent_id, req.body, req.ip)),
  );
  r.delete(
    "/v1/agents/:agent_id",
    { schema: { tags, operationId: "deleteAgent", params: AgentIdParams, response: { 204: z.null().describe("Agent deactivated and hidden") } } },
    async (req, reply) => {
      await agents.delete(principalOf(req), req.params.agent_id, req.ip);
      return reply.status(204).send(null);
    },
  );
  r.post(
    "/v1/agents/:agent_id/rotate-key",
    { schema: { tags, operationId: "rotateAgentKey", params: AgentIdParams, response: { 200: AgentKeyRotatedResponse } } },
    async (req) => ({ api_key: await agents.rotateKey(principalOf(req), req.params.agent_id, req.ip) }),
  );
  r.post(
    "/v1/agents/:agent_id/rotate-identity-keys",
    { schema: { tags, operationId: "rotateAgentIdentityKeys", params: AgentIdParams, response: { 200: AgentResponse } } },
    async (req) => toAgentResponse(await agents.rotateIdentityKeys(principalOf(req), req.params.agent_id, req.ip)),
  );
}

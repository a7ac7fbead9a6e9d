import { ApiKeyCreatedResponse, ApiKeyIdParams, ApiKeyListResponse, CreateApiKeyRequest, TokenResponse, UserApiKeyTokenRequest } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { humanOf } from "../../pipeline/human.js";
import type { Services } from "../index.js";

const tags = ["API Keys"];

export function apiKeyRoutes(app: FastifyInstance, { apiKeys }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  app.addHook("onClose", async () => apiKeys.close());
  r.post(
    "/v1/auth/api-keys",
    { schema: { tags, operationId: "createApiKey", body: CreateApiKeyRequest, response: { 201: ApiKeyCreatedResponse } } },
    async (req, reply) => reply.status(201).send(await apiKeys.create(humanOf(req), req.body, req.ip)),
  );
  r.get("/v1/auth/api-keys", { schema: { tags, operationId: "listApiKeys", response: { 200: ApiKeyListResponse } } }, async (req) => ({
    keys: await apiKeys.list(humanOf(req)),
  }));
  r.delete(
    "/v1/auth/api-keys/:key_id",
    { schema: { tags, operationId: "revokeApiKey", params: ApiKeyIdParams, response: { 204: z.null().describe("Key revoked") } } },
    async (req, reply) => {
      await apiKeys.revoke(humanOf(req), req.params.key_id, req.ip);
      return reply.status(204).send(null);
    },
  );
  r.post(
    "/v1/auth/api-key-token",
    {
      config: { auth: "public", rateLimit: "auth" },
      schema: { tags: ["Authentication"], operationId: "apiKeyToken", security: [], body: UserApiKeyTokenRequest, response: { 200: TokenResponse } },
    },
    async (req) => apiKeys.exchange(req.body.api_key, req.ip),
  );
}

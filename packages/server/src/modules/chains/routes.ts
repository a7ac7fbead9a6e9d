import { ChainIdParams, ChainIdentifierParams, ChainListResponse, ChainResponse, CreateChainRequest, UpdateChainRequest } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { platformAdminOf } from "../admin/service.js";
import type { Services } from "../index.js";
import { toChainResponse } from "./service.js";

const tags = ["Chains"];

export function chainRoutes(app: FastifyInstance, { chains }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get("/v1/chains", { config: { auth: "public" }, schema: { tags, operationId: "listChains", security: [], response: { 200: ChainListResponse } } }, async () => ({
    chains: (await chains.list(false)).map(toChainResponse),
  }));
  r.get(
    "/v1/chains/:identifier",
    { config: { auth: "public" }, schema: { tags, operationId: "getChain", security: [], params: ChainIdentifierParams, response: { 200: ChainResponse } } },
    async (req) => toChainResponse(await chains.resolve(req.params.identifier)),
  );
  r.get("/v1/admin/chains", { schema: { tags, operationId: "adminListChains", response: { 200: ChainListResponse } } }, async (req) => {
    platformAdminOf(req);
    return { chains: (await chains.list(true)).map(toChainResponse) };
  });
  r.post(
    "/v1/admin/chains",
    { schema: { tags, operationId: "createChain", body: CreateChainRequest, response: { 201: ChainResponse } } },
    async (req, reply) => reply.status(201).send(toChainResponse(await chains.create(platformAdminOf(req), req.body, req.ip))),
  );
  r.put(
    "/v1/admin/chains/:chain_id",
    { schema: { tags, operationId: "updateChain", params: ChainIdParams, body: UpdateChainRequest, response: { 200: ChainResponse } } },
    async (req) => toChainResponse(await chains.update(platformAdminOf(req), req.params.chain_id, req.body, req.ip)),
  );
  r.delete(
    "/v1/admin/chains/:chain_id",
    { schema: { tags, operationId: "deleteChain", params: ChainIdParams, response: { 204: z.null().describe("Chain removed") } } },
    async (req, reply) => {
      await chains.delete(platformAdminOf(req), req.params.chain_id, req.ip);
      return reply.status(204).send(null);
    },
  );
}

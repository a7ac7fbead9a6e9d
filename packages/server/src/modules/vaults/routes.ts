import { CreateVaultRequest, VaultIdParams, VaultListResponse, VaultResponse } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toVaultResponse } from "./service.js";

const tags = ["Vaults"];

export function vaultRoutes(app: FastifyInstance, { vaults }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/v1/vaults",
    { schema: { tags, operationId: "createVault", body: CreateVaultRequest, response: { 201: VaultResponse } } },
    async (req, reply) => reply.status(201).send(toVaultResponse(await vaults.create(principalOf(req), req.body, req.ip))),
  );
  r.get("/v1/vaults", { schema: { tags, operationId: "listVaults", response: { 200: VaultListResponse } } }, async (req) => ({
    vaults: (await vaults.list(principalOf(req))).map(toVaultResponse),
  }));
  r.get(
    "/v1/vaults/:vault_id",
    { schema: { tags, operationId: "getVault", params: VaultIdParams, response: { 200: VaultResponse } } },
    async (req) => toVaultResponse(await vaults.get(principalOf(req), req.params.vault_id)),
  );
  r.delete(
    "/v1/vaults/:vault_id",
    { schema: { tags, operationId: "deleteVault", params: VaultIdParams, response: { 204: z.null().describe("Vault deleted") } } },
    async (req, reply) => {
      await vaults.delete(principalOf(req), req.params.vault_id, req.ip);
      return reply.status(204).send(null);
    },
  );
}

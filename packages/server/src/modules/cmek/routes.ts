import { CmekJobParams, CmekRotateRequest, CmekRotationJobResponse, EnableCmekRequest, VaultIdParams, VaultResponse } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toVaultResponse } from "../vaults/service.js";

const tags = ["CMEK"];

export function cmekRoutes(app: FastifyInstance, { cmek }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/v1/vaults/:vault_id/cmek",
    { schema: { tags, operationId: "enableCmek", params: VaultIdParams, body: EnableCmekRequest, response: { 200: VaultResponse } } },
    async (req) => toVaultResponse(await cmek.enable(principalOf(req), req.params.vault_id, req.body.fingerprint, req.ip)),
  );
  r.delete(
    "/v1/vaults/:vault_id/cmek",
    { schema: { tags, operationId: "disableCmek", params: VaultIdParams, response: { 200: VaultResponse } } },
    async (req) => toVaultResponse(await cmek.disable(principalOf(req), req.params.vault_id, req.ip)),
  );
  r.post(
    "/v1/vaults/:vault_id/cmek-rotate",
    { schema: { tags, operationId: "rotateCmek", params: VaultIdParams, body: CmekRotateRequest, response: { 202: CmekRotationJobResponse } } },
    async (req, reply) =>
      reply
        .status(202)
        .send(
          await cmek.startRotation(
            principalOf(req),
            req.params.vault_id,
            { old: req.headers["x-cmek-old-key"], new: req.headers["x-cmek-new-key"] },
            req.body.new_fingerprint,
            req.ip,
          ),
        ),
  );
  r.get(
    "/v1/vaults/:vault_id/cmek-rotate/:job_id",
    { schema: { tags, operationId: "getCmekRotationJob", params: CmekJobParams, response: { 200: CmekRotationJobResponse } } },
    async (req) => cmek.job(principalOf(req), req.params.vault_id, req.params.job_id),
  );
  app.addHook("onClose", () => cmek.stop());
}

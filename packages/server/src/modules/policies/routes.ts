import { CreatePolicyRequest, PolicyIdParams, PolicyListResponse, PolicyResponse, UpdatePolicyRequest, VaultIdParams } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toPolicyResponse } from "./service.js";

const tags = ["Policies"];

export function policyRoutes(app: FastifyInstance, { policies }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    "/v1/vaults/:vault_id/policies",
    { schema: { tags, operationId: "createPolicy", params: VaultIdParams, body: CreatePolicyRequest, response: { 201: PolicyResponse } } },
    async (req, reply) => reply.status(201).send(toPolicyResponse(await policies.create(principalOf(req), req.params.vault_id, req.body, req.ip))),
  );
  r.get(
    "/v1/vaults/:vault_id/policies",
    { schema: { tags, operationId: "listPolicies", params: VaultIdParams, response: { 200: PolicyListResponse } } },
    async (req) => ({ policies: (await policies.list(principalOf(req), req.params.vault_id)).map(toPolicyResponse) }),
  );
  r.put(
    "/v1/vaults/:vault_id/policies/:policy_id",
    { schema: { tags, operationId: "updatePolicy", params: PolicyIdParams, body: UpdatePolicyRequest, response: { 200: PolicyResponse } } },
    async (req) => toPolicyResponse(await policies.update(principalOf(req), req.params.vault_id, req.params.policy_id, req.body, req.ip)),
  );
  r.delete(
    "/v1/vaults/:vault_id/policies/:policy_id",
    { schema: { tags, operationId: "deletePolicy", params: PolicyIdParams, response: { 204: z.null().describe("Policy revoked") } } },
    async (req, reply) => {
      await policies.delete(principalOf(req), req.params.vault_id, req.params.policy_id, req.ip);
      return reply.status(204).send(null);
    },
  );
}

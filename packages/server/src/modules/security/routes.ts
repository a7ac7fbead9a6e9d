import { CreateIpRuleRequest, IpRuleIdParams, IpRuleResponse, IpRulesListResponse } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";
import { toIpRule } from "./service.js";

const tags = ["Security"];

export function securityRoutes(app: FastifyInstance, { security }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get("/v1/security/ip-rules", { schema: { tags, operationId: "listIpRules", response: { 200: IpRulesListResponse } } }, async (req) => ({
    rules: (await security.list(principalOf(req))).map(toIpRule),
  }));
  r.post(
    "/v1/security/ip-rules",
    {
      schema: {
        tags,
        operationId: "createIpRule",
        description:
          "rule_type allow|deny (block = deny), label (description = label), applies_to all|users|agents (default all). " +
          "A rule that would block the caller's own address is refused with 409.",
        body: CreateIpRuleRequest,
        response: { 201: IpRuleResponse },
      },
    },
    async (req, reply) => reply.status(201).send(toIpRule(await security.create(principalOf(req), req.body, req.ip))),
  );
  r.delete(
    "/v1/security/ip-rules/:rule_id",
    { schema: { tags, operationId: "deleteIpRule", params: IpRuleIdParams, response: { 204: z.null().describe("Rule deleted") } } },
    async (req, reply) => {
      await security.delete(principalOf(req), req.params.rule_id, req.ip);
      return reply.status(204).send(null);
    },
  );
}

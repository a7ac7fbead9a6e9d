import { AuditEventsQuery, AuditEventsResponse, AuditVerifyResponse } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";

export function auditRoutes(app: FastifyInstance, { audit }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/v1/audit/events",
    { schema: { tags: ["Audit"], operationId: "queryAuditEvents", querystring: AuditEventsQuery, response: { 200: AuditEventsResponse } } },
    async (req) => {
      const { limit, offset, resource_id, actor_id, actor_type, action, from, to } = req.query;
      return audit.query(principalOf(req), { resourceId: resource_id, actorId: actor_id, actorType: actor_type, action, from, to }, limit, offset);
    },
  );
  r.get(
    "/v1/audit/verify",
    { schema: { tags: ["Audit"], operationId: "verifyAuditChain", response: { 200: AuditVerifyResponse } } },
    async (req) => audit.verify(principalOf(req).orgId),
  );
}

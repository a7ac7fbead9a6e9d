import {
  AdminUserIdParams,
  AdminUsersListResponse,
  AdminUsersQuery,
  BillingTierResponse,
  OrgIdParams,
  OrgLimitsResponse,
  SetBillingTierRequest,
  SettingKeyParams,
  SettingResponse,
  SettingsListResponse,
  UpdateOrgLimitsRequest,
  UpdateSettingRequest,
  X402Config,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Services } from "../index.js";
import { platformAdminOf } from "./service.js";

const tags = ["Admin"];

export function adminRoutes(app: FastifyInstance, { admin, billing }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get("/v1/admin/settings", { schema: { tags, operationId: "adminListSettings", response: { 200: SettingsListResponse } } }, async (req) => {
    platformAdminOf(req);
    return { settings: admin.listSettings() };
  });
  r.put(
    "/v1/admin/settings/:key",
    { schema: { tags, operationId: "adminUpdateSetting", params: SettingKeyParams, body: UpdateSettingRequest, response: { 200: SettingResponse } } },
    async (req) => admin.putSetting(platformAdminOf(req), req.params.key, req.body.value, req.ip),
  );
  r.delete(
    "/v1/admin/settings/:key",
    { schema: { tags, operationId: "adminDeleteSetting", params: SettingKeyParams, response: { 204: z.null().describe("Setting deleted") } } },
    async (req, reply) => {
      await admin.deleteSetting(platformAdminOf(req), req.params.key, req.ip);
      return reply.status(204).send(null);
    },
  );
  r.get("/v1/admin/x402", { schema: { tags, operationId: "adminGetX402Config", response: { 200: X402Config } } }, async (req) => {
    platformAdminOf(req);
    return admin.x402();
  });
  r.put(
    "/v1/admin/x402",
    { schema: { tags, operationId: "adminUpdateX402Config", body: X402Config, response: { 200: X402Config } } },
    async (req) => admin.putX402(platformAdminOf(req), req.body, req.ip),
  );
  r.get(
    "/v1/admin/users",
    { schema: { tags, operationId: "adminListUsers", querystring: AdminUsersQuery, response: { 200: AdminUsersListResponse } } },
    async (req) => {
      platformAdminOf(req);
      return admin.users(req.query.limit, req.query.offset);
    },
  );
  r.delete(
    "/v1/admin/users/:user_id",
    { schema: { tags, operationId: "adminDeleteUser", params: AdminUserIdParams, response: { 204: z.null().describe("User deleted") } } },
    async (req, reply) => {
      await admin.deleteUser(platformAdminOf(req), req.params.user_id, req.ip);
      return reply.status(204).send(null);
    },
  );
  r.get(
    "/v1/admin/orgs/:org_id/limits",
    { schema: { tags, operationId: "adminGetOrgLimits", params: OrgIdParams, response: { 200: OrgLimitsResponse } } },
    async (req) => {
      platformAdminOf(req);
      return billing.orgLimits(req.params.org_id);
    },
  );
  r.put(
    "/v1/admin/orgs/:org_id/limits",
    { schema: { tags, operationId: "adminUpdateOrgLimits", params: OrgIdParams, body: UpdateOrgLimitsRequest, response: { 200: OrgLimitsResponse } } },
    async (req) => billing.setOrgLimits(platformAdminOf(req), req.params.org_id, req.body, req.ip),
  );
  r.put(
    "/v1/admin/orgs/:org_id/billing-tier",
    { schema: { tags, operationId: "adminSetBillingTier", params: OrgIdParams, body: SetBillingTierRequest, response: { 200: BillingTierResponse } } },
    async (req) => billing.setTier(platformAdminOf(req), req.params.org_id, req.body.tier, req.body.duration_days ?? 365, req.ip),
  );
}

import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { agentRoutes } from "./agents/routes.js";
import { AgentService } from "./agents/service.js";
import { auditRoutes } from "./audit/routes.js";
import { AuditService } from "./audit/service.js";
import { authRoutes } from "./auth/routes.js";
import { AuthService } from "./auth/service.js";
import { healthRoutes } from "./health/routes.js";
import { policyRoutes } from "./policies/routes.js";
import { PolicyService } from "./policies/service.js";
import { secretRoutes } from "./secrets/routes.js";
import { SecretService } from "./secrets/service.js";
import { vaultRoutes } from "./vaults/routes.js";
import { VaultService } from "./vaults/service.js";
import { RateLimitService } from "./ratelimit/service.js";
import { orgRoutes } from "./org/routes.js";
import { OrgService } from "./org/service.js";
import { securityRoutes } from "./security/routes.js";
import { SecurityService } from "./security/service.js";
import { sharingRoutes } from "./sharing/routes.js";
import { SharingService } from "./sharing/service.js";

export interface Services {
  audit: AuditService;
  auth: AuthService;
  policies: PolicyService;
  vaults: VaultService;
  secrets: SecretService;
  agents: AgentService;
  rateLimits: RateLimitService;
  org: OrgService;
  security: SecurityService;
  sharing: SharingService;
}

/** Builds every module's service in dependency order. */
export async function buildServices(ctx: AppContext): Promise<Services> {
  const audit = new AuditService(ctx);
  const auth = new AuthService(ctx);
  await auth.init();
  const policies = new PolicyService(ctx);
  const vaults = new VaultService(ctx, policies);
  const secrets = new SecretService(ctx, vaults, policies);
  const agents = new AgentService(ctx, { vaults, secrets, policies, auth });
  await agents.init();
  const rateLimits = new RateLimitService(ctx);
  await rateLimits.init();
  const org = new OrgService(ctx, auth, vaults);
  const security = new SecurityService(ctx);
  const sharing = new SharingService(ctx, agents, secrets, org, auth, rateLimits);
  return { audit, auth, policies, vaults, secrets, agents, rateLimits, org, security, sharing };
}

export async function registerRoutes(app: FastifyInstance, services: Services, ctx: AppContext) {
  healthRoutes(app, ctx);
  authRoutes(app, services, ctx);
  vaultRoutes(app, services);
  secretRoutes(app, services);
  auditRoutes(app, services);
  agentRoutes(app, services);
  policyRoutes(app, services);
  app.addHook("onClose", async () => void (await services.rateLimits.close()));
  orgRoutes(app, services);
  securityRoutes(app, services);
  sharingRoutes(app, services, ctx);
}

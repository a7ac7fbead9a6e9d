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
import { adminRoutes } from "./admin/routes.js";
import { AdminService } from "./admin/service.js";
import { apiKeyRoutes } from "./apikeys/routes.js";
import { ApiKeyService } from "./apikeys/service.js";
import { billingRoutes } from "./billing/routes.js";
import { BillingService } from "./billing/service.js";
import { chainRoutes } from "./chains/routes.js";
import { ChainService } from "./chains/service.js";
import { deviceRoutes } from "./device/routes.js";
import { DeviceService } from "./device/service.js";
import { mfaRoutes } from "./mfa/routes.js";
import { MfaService } from "./mfa/service.js";
import { oidcLoginRoutes } from "./oidc-login/routes.js";
import { OidcLoginService } from "./oidc-login/service.js";
import { KeyService } from "./keys/service.js";
import { cmekRoutes } from "./cmek/routes.js";
import { CmekService } from "./cmek/service.js";

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
  apiKeys: ApiKeyService;
  mfa: MfaService;
  device: DeviceService;
  oidcLogin: OidcLoginService;
  billing: BillingService;
  admin: AdminService;
  chains: ChainService;
  keys: KeyService;
  cmek: CmekService;
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
  // rate limits first and IP rules before usage metering: the order of the request pipeline (behaviour notes §2.1)
  const rateLimits = new RateLimitService(ctx);
  await rateLimits.init();
  const org = new OrgService(ctx, auth, vaults);
  const security = new SecurityService(ctx);
  const sharing = new SharingService(ctx, agents, secrets, org, auth, rateLimits);
  const apiKeys = new ApiKeyService(ctx, auth);
  const mfa = new MfaService(ctx, auth);
  await mfa.init();
  const device = new DeviceService(ctx, auth);
  const oidcLogin = new OidcLoginService(ctx, auth);
  const billing = new BillingService(ctx, vaults, secrets, agents);
  const admin = new AdminService(ctx, auth, billing);
  await admin.init();
  const chains = new ChainService(ctx);
  const keys = new KeyService(ctx, vaults);
  secrets.kekFor = keys.kekFor;
  const cmek = new CmekService(ctx, vaults, policies, secrets, billing);
  return { audit, auth, policies, vaults, secrets, agents, rateLimits, org, security, sharing, apiKeys, mfa, device, oidcLogin, billing, admin, chains, keys, cmek };
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
  apiKeyRoutes(app, services);
  mfaRoutes(app, services);
  deviceRoutes(app, services);
  oidcLoginRoutes(app, services);
  billingRoutes(app, services);
  adminRoutes(app, services);
  chainRoutes(app, services);
  cmekRoutes(app, services);
}

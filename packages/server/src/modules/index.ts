import type { FastifyInstance } from "fastify";
import type { AppContext } from "../context.js";
import { auditRoutes } from "./audit/routes.js";
import { AuditService } from "./audit/service.js";
import { authRoutes } from "./auth/routes.js";
import { AuthService } from "./auth/service.js";
import { healthRoutes } from "./health/routes.js";
import { PolicyService } from "./policies/service.js";
import { secretRoutes } from "./secrets/routes.js";
import { SecretService } from "./secrets/service.js";
import { vaultRoutes } from "./vaults/routes.js";
import { VaultService } from "./vaults/service.js";
import { KeyService } from "./keys/service.js";
import { cmekRoutes } from "./cmek/routes.js";
import { CmekService } from "./cmek/service.js";

export interface Services {
  audit: AuditService;
  auth: AuthService;
  policies: PolicyService;
  vaults: VaultService;
  secrets: SecretService;
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
  const keys = new KeyService(ctx, vaults);
  secrets.kekFor = keys.kekFor;
  const cmek = new CmekService(ctx, vaults, policies, secrets);
  return { audit, auth, policies, vaults, secrets, keys, cmek };
}

export async function registerRoutes(app: FastifyInstance, services: Services, ctx: AppContext) {
  healthRoutes(app, ctx);
  authRoutes(app, services, ctx);
  vaultRoutes(app, services);
  secretRoutes(app, services);
  auditRoutes(app, services);
  cmekRoutes(app, services);
}

export interface Principal {
  type: "user" | "agent";
  id: string;
  orgId: string;
  /** Org role of a user: owner | admin | member. */
  role?: string;
  isPlatformAdmin?: boolean;
  /** Agent tokens: vaults the agent is bound to (empty = every org vault it has policies on). */
  vaultIds?: string[];
  /** Agent tokens: explicit scope ceiling (path globs), when the agent has scopes. */
  scopes?: string[];
  intentsApiEnabled?: boolean;
  jti?: string;
  tokenExp?: number;
  via: "jwt" | "api_key";
}

export type AuthMode = "public" | "required" | "optional";

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route; default "required". */
    auth?: AuthMode;
    /** Rate-limit class: "auth" routes get the strict public-auth bucket. */
    rateLimit?: "auth" | "default";
  }
}

/** The principal of an authenticated route (the pipeline guarantees it is set). */
export function principalOf(req: { principal?: Principal }): Principal {
  if (!req.principal) throw new Error("route is not authenticated");
  return req.principal;
}

export const actorId = (p: Principal) => `${p.type}:${p.id}`;

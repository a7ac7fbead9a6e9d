import { type HttpClient, seg } from "../http.js";
import type { CreatePolicyRequest, GrantOptions, Permission, Policy, PolicyList, UpdatePolicyRequest } from "../types.js";

/** Policies: who (user or agent) may read/write which secret paths of a vault. */
export class AccessResource {
  constructor(private readonly http: HttpClient) {}

  private grant(vaultId: string, principal_type: "user" | "agent", principal_id: string, permissions: Permission[], o: GrantOptions) {
    return this.create(vaultId, {
      secret_path_pattern: o.path ?? "**",
      principal_type,
      principal_id,
      permissions,
      ...(o.conditions ? { conditions: o.conditions } : {}),
      ...(o.expires_at ? { expires_at: o.expires_at } : {}),
    });
  }
  /** Creates a policy from the raw request body. */
  create(vaultId: string, body: CreatePolicyRequest) {
    return this.http.request<Policy>("POST", `/v1/vaults/${seg(vaultId)}/policies`, { body });
  }
  grantAgent(vaultId: string, agentId: string, permissions: Permission[], options: GrantOptions = {}) {
    return this.grant(vaultId, "agent", agentId, permissions, options);
  }
  grantHuman(vaultId: string, userId: string, permissions: Permission[], options: GrantOptions = {}) {
    return this.grant(vaultId, "user", userId, permissions, options);
  }
  listGrants(vaultId: string) {
    return this.http.request<PolicyList>("GET", `/v1/vaults/${seg(vaultId)}/policies`);
  }
  update(vaultId: string, policyId: string, body: UpdatePolicyRequest) {
    return this.http.request<Policy>("PUT", `/v1/vaults/${seg(vaultId)}/policies/${seg(policyId)}`, { body });
  }
  revoke(vaultId: string, policyId: string) {
    return this.http.request<null>("DELETE", `/v1/vaults/${seg(vaultId)}/policies/${seg(policyId)}`);
  }
}

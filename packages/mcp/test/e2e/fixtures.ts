import crypto from "node:crypto";
import { api, expectOk, signup } from "../helpers.js";

export interface Agent {
  id: string;
  apiKey: string;
  /** A JWT from POST /v1/auth/agent-token. */
  token: string;
}

/** A human with a vault, created through the API. */
export async function humanWithVault(base: string, name = "mcp-test") {
  const human = await signup(base);
  const vault = await expectOk(api(base, "POST", "/v1/vaults", { token: human.token, body: { name } }), 201);
  return { ...human, vaultId: vault.id as string };
}

/** An agent (bound to `vaultId` unless told otherwise) with a policy on `pattern`, created through the API as a human would. */
export async function agentWithPolicy(base: string, humanToken: string, vaultId: string, pattern = "**", permissions = ["read"], bindToVault = true): Promise<Agent> {
  const created = await expectOk(
    api(base, "POST", "/v1/agents", { token: humanToken, body: { name: `agent-${crypto.randomBytes(3).toString("hex")}`, ...(bindToVault ? { vault_ids: [vaultId] } : {}) } }),
    201,
  );
  await expectOk(
    api(base, "POST", `/v1/vaults/${vaultId}/policies`, {
      token: humanToken,
      body: { secret_path_pattern: pattern, principal_type: "agent", principal_id: created.agent.id, permissions },
    }),
    201,
  );
  const tok = await expectOk(api(base, "POST", "/v1/auth/agent-token", { body: { api_key: created.api_key } }));
  return { id: created.agent.id, apiKey: created.api_key, token: tok.access_token };
}

export async function putSecret(base: string, token: string, vaultId: string, path: string, body: Record<string, unknown>) {
  return expectOk(api(base, "PUT", `/v1/vaults/${vaultId}/secrets/${path}`, { token, body }), 201);
}

/** A value nobody would write by accident, to grep for. */
export const canary = (label: string) => `oc-canary-${label}-${crypto.randomBytes(12).toString("hex")}`;

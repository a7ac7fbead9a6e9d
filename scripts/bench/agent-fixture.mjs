// Shared by the agent bench scenarios: a vault holding 1,000 policies (one per agent) plus the
// reader's own policy, added last; returns the vault and a token of the reading agent.
export const POLICIES = 1000;

export async function vaultWithThousandPolicies({ api, signup }) {
  const { token } = await signup();
  const vault = await api("POST", "/v1/vaults", { name: "bench-agents" }, token);
  await api("PUT", `/v1/vaults/${vault.id}/secrets/bench/api-key`, { value: "sk-bench-" + "x".repeat(40), type: "api_key" }, token);
  for (let i = 0; i < POLICIES; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, POLICIES - i) }, (_, k) => api("POST", "/v1/agents", { name: `bench-agent-${i + k}` }, token)),
    );
    await Promise.all(
      batch.map((b, k) =>
        api(
          "POST",
          `/v1/vaults/${vault.id}/policies`,
          { secret_path_pattern: (i + k) % 2 ? "bench/*" : "bench/**", principal_type: "agent", principal_id: b.agent.id, permissions: ["read"] },
          token,
        ),
      ),
    );
  }
  const reader = await api("POST", "/v1/agents", { name: "bench-reader" }, token);
  await api("POST", `/v1/vaults/${vault.id}/policies`, { secret_path_pattern: "bench/*", principal_type: "agent", principal_id: reader.agent.id, permissions: ["read"] }, token);
  const { access_token } = await api("POST", "/v1/auth/agent-token", { api_key: reader.api_key });
  const listed = await api("GET", `/v1/vaults/${vault.id}/policies`, undefined, token);
  if (listed.policies.length !== POLICIES + 1) throw new Error(`expected ${POLICIES + 1} policies, found ${listed.policies.length}`);
  return { vault, agentToken: access_token };
}

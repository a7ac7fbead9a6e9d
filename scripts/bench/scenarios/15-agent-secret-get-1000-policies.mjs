// The agent hot path under a busy vault: an agent JWT reads a secret in a vault holding 1,000
// policies (one per agent). Policies are indexed by principal, so the decision looks at the
// reader's own policy only; the agent record and compiled policies come from caches.
const POLICIES = 1000;

export default {
  name: "secret GET, agent token, vault with 1,000 policies",
  order: 15,
  async setup({ url, api, signup }) {
    const { token } = await signup();
    const vault = await api("POST", "/v1/vaults", { name: "bench-agents" }, token);
    await api("PUT", `/v1/vaults/${vault.id}/secrets/bench/api-key`, { value: "sk-bench-" + "x".repeat(40), type: "api_key" }, token);
    const agentIds = [];
    for (let i = 0; i < POLICIES; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, POLICIES - i) }, (_, k) => api("POST", "/v1/agents", { name: `bench-agent-${i + k}` }, token)),
      );
      agentIds.push(...batch.map((b) => b.agent.id));
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
    // The reader's policy is the last of the 1,001, so no scan-in-order shortcut can help.
    await api("POST", `/v1/vaults/${vault.id}/policies`, { secret_path_pattern: "bench/*", principal_type: "agent", principal_id: reader.agent.id, permissions: ["read"] }, token);
    const { access_token } = await api("POST", "/v1/auth/agent-token", { api_key: reader.api_key });
    const listed = await api("GET", `/v1/vaults/${vault.id}/policies`, undefined, token);
    if (listed.policies.length !== POLICIES + 1) throw new Error(`expected ${POLICIES + 1} policies, found ${listed.policies.length}`);
    // autocannon takes the request path as part of the url.
    return { method: "GET", url: `${url}/v1/vaults/${vault.id}/secrets/bench/api-key`, headers: { authorization: `Bearer ${access_token}` } };
  },
};

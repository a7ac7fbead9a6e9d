// The agent hot path under a busy vault: an agent JWT reads a secret in a vault holding 1,000
// policies. Policies are indexed by principal, so the decision looks at the reader's own policy
// only; the agent record and compiled policies come from caches.
import { vaultWithThousandPolicies } from "../agent-fixture.mjs";

export default {
  name: "secret GET, agent token, vault with 1,000 policies",
  order: 15,
  async setup(ctx) {
    const { vault, agentToken } = await vaultWithThousandPolicies(ctx);
    return { method: "GET", path: `/v1/vaults/${vault.id}/secrets/bench/api-key`, headers: { authorization: `Bearer ${agentToken}` } };
  },
};

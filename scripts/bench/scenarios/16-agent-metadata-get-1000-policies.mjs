// The access decision without decryption or the audited read: agent token, 1,000 policies, the
// metadata route (one indexed row lookup). Isolates what agents and policies add to a request.
import { vaultWithThousandPolicies } from "../agent-fixture.mjs";

export default {
  name: "metadata GET, agent token, vault with 1,000 policies",
  order: 16,
  async setup(ctx) {
    const { vault, agentToken } = await vaultWithThousandPolicies(ctx);
    return { method: "GET", path: `/v1/vaults/${vault.id}/metadata/bench/api-key`, headers: { authorization: `Bearer ${agentToken}` } };
  },
};

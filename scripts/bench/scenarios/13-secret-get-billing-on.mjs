// The hot path with tiers enforced: quota check against the in-memory count, quota headers, batched usage metering.
export default {
  name: "secret GET, ONECLAW_BILLING=on (metered, quota headers)",
  order: 13,
  env: { ONECLAW_BILLING: "on" },
  async setup({ url, api, signup }) {
    const admin = await signup(); // first account on this server: platform admin
    const { token } = await signup();
    const me = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    await api("PUT", `/v1/admin/orgs/${me.org_id}/limits`, { free_tier_override: 1_000_000_000 }, admin.token);
    const vault = await api("POST", "/v1/vaults", { name: "bench" }, token);
    await api("PUT", `/v1/vaults/${vault.id}/secrets/bench/api-key`, { value: "sk-bench-" + "x".repeat(40), type: "api_key" }, token);
    // autocannon takes the request path as part of the url.
    return { method: "GET", url: `${url}/v1/vaults/${vault.id}/secrets/bench/api-key`, headers: { authorization: `Bearer ${token}` } };
  },
};

// The hot path with a personal API key (1ck_) as bearer: one keyed hash and a cached lookup, no write per request.
export default {
  name: "secret GET, personal API key (1ck_) bearer",
  order: 12,
  async setup({ url, api, signup }) {
    const { token } = await signup();
    const vault = await api("POST", "/v1/vaults", { name: "bench" }, token);
    await api("PUT", `/v1/vaults/${vault.id}/secrets/bench/api-key`, { value: "sk-bench-" + "x".repeat(40), type: "api_key" }, token);
    const { api_key } = await api("POST", "/v1/auth/api-keys", { name: "bench" }, token);
    // autocannon takes the request path as part of the url.
    return { method: "GET", url: `${url}/v1/vaults/${vault.id}/secrets/bench/api-key`, headers: { authorization: `Bearer ${api_key}` } };
  },
};

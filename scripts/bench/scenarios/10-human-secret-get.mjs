// The hot path: an authenticated secret read (JWT verify (cached), access check, decrypt, audit in a group commit).
export default {
  name: "secret GET, human bearer token",
  order: 10,
  async setup({ api, signup }) {
    const { token } = await signup();
    const vault = await api("POST", "/v1/vaults", { name: "bench" }, token);
    await api("PUT", `/v1/vaults/${vault.id}/secrets/bench/api-key`, { value: "sk-bench-" + "x".repeat(40), type: "api_key" }, token);
    return { method: "GET", path: `/v1/vaults/${vault.id}/secrets/bench/api-key`, headers: { authorization: `Bearer ${token}` } };
  },
};

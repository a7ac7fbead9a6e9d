// Durable writes: every PUT is a new secret version committed (synchronous=FULL) with its audit event.
export default {
  name: "secret PUT (new path each), human bearer",
  order: 20,
  async setup({ api, signup }) {
    const { token } = await signup();
    const vault = await api("POST", "/v1/vaults", { name: "bench-put" }, token);
    let i = 0;
    const body = JSON.stringify({ value: "v".repeat(64), type: "password" });
    return {
      requests: [
        {
          method: "PUT",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body,
          setupRequest: (req) => ({ ...req, path: `/v1/vaults/${vault.id}/secrets/put/${i++}` }),
        },
      ],
    };
  },
};

// Pipeline overhead alone: a public route that runs one trivial database query.
export default {
  name: "GET /v1/health (pipeline + select 1)",
  order: 5,
  async setup() {
    return { method: "GET", path: "/v1/health" };
  },
};

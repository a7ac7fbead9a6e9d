// Durable writes on PostgreSQL (see 30-postgres-secret-get.mjs).
import put from "./20-secret-put.mjs";

export default {
  name: "secret PUT (new path each), PostgreSQL",
  order: 40,
  env: { DATABASE_URL: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  setup: put.setup,
};

// The hot path on PostgreSQL (BENCH_PG_URL, default the local test database): commits are
// asynchronous I/O there, so the event loop keeps serving while a group commit is flushed.
import human from "./10-human-secret-get.mjs";

export default {
  name: "secret GET, human bearer, PostgreSQL",
  order: 30,
  env: { DATABASE_URL: process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  setup: human.setup,
};

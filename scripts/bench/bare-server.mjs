// The baseline: a bare Fastify route returning a small JSON object, no logging.
import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/bare", async () => ({ status: "ok", service: "bare", version: "0" }));
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`LISTENING ${url}\n`);
process.on("SIGTERM", () => app.close().then(() => process.exit(0)));

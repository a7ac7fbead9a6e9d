import { afterAll, beforeAll, expect, it } from "vitest";
import { signup, spawnServer } from "../../sdk/test/server.js";
import { BIN, cli, tempHome } from "./cli.js";

// `1claw server start` runs the Vault API through @oneclaw/server/commands.
let srv: Awaited<ReturnType<typeof spawnServer>>;
beforeAll(async () => {
  srv = await spawnServer([BIN, "server", "start"]);
});
afterAll(async () => srv?.stop());

it("serves the API that the CLI then talks to, and stops on SIGTERM", async () => {
  const health = await (await fetch(`${srv.baseUrl}/v1/health`)).json();
  expect(health.status).toBe("ok");
  const { token } = await signup(srv.baseUrl);
  const r = await cli(["vault", "create", "from-server-start", "--json"], { env: { ...tempHome().env, ONECLAW_API_URL: srv.baseUrl, ONECLAW_TOKEN: token } });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout).name).toBe("from-server-start");
  const exited = new Promise<number | null>((resolve) => srv.child.once("exit", (code) => resolve(code)));
  srv.child.kill("SIGTERM");
  expect(await exited).toBe(0);
});

it("an unknown server command is a usage error", async () => {
  const r = await cli(["server", "no-such-command"], { env: tempHome().env });
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/unknown server command/);
});

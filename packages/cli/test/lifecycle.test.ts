import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer } from "../../sdk/test/server.js";
import { cli, tempHome } from "./cli.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let env: Record<string, string>;
let me: string;
const run = (args: string[], extra: Record<string, string> = {}) => cli(args, { env: { ...env, ...extra } });

beforeAll(async () => {
  srv = await startServer();
  const u = await srv.t.signup();
  me = u.userId;
  env = { ...tempHome().env, ONECLAW_API_URL: srv.baseUrl, ONECLAW_TOKEN: u.token };
});
afterAll(async () => srv?.t.destroy());

it("vault get, link and delete (with --yes off a terminal)", async () => {
  const id = JSON.parse((await run(["vault", "create", "doomed", "--json"])).stdout).id;
  const got = await run(["vault", "get", id]);
  expect(got.stdout).toMatch(/^id\s+/m);
  expect(got.stdout).toMatch(/cmek_enabled\s+false/);
  expect((await run(["vault", "link", id])).stderr).toContain(`Default vault: doomed (${id})`);
  expect((await run(["config", "get", "default-vault"])).stdout.trim()).toBe(id);
  expect((await run(["vault", "delete", id])).code).toBe(2);
  expect((await run(["vault", "delete", id, "--yes"])).code).toBe(0);
  expect((await run(["vault", "get", id])).code).toBe(5);
  expect((await run(["config", "get", "default-vault"])).code).toBe(5); // the link went with the vault
});

it("policy create --user grants a human; agent delete; env run is the same as run", async () => {
  const vault = JSON.parse((await run(["vault", "create", "shared", "--link", "--json"])).stdout).id;
  const p = await run(["policy", "create", "--user", me, "--path", "team/*", "--permissions", "read", "--json"]);
  expect(p.code).toBe(0);
  expect(JSON.parse(p.stdout)).toMatchObject({ principal_type: "user", principal_id: me, vault_id: vault });
  const outsider = await srv.t.signup(); // another org: refused, naming the field
  const refused = await run(["policy", "create", "--user", outsider.userId, "--path", "team/*"]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(/principal_id/);

  const agent = JSON.parse((await run(["agent", "create", "temp", "--json"])).stdout);
  expect((await run(["agent", "delete", agent.agent.id])).code).toBe(0);
  expect((await run(["agent", "get", agent.agent.id])).code).toBe(5);
  expect((await run(["vault", "list"], { ONECLAW_TOKEN: "", ONECLAW_API_KEY: agent.api_key })).code).toBe(3);

  expect((await run(["secret", "set", "team/token", "t0k"])).code).toBe(0);
  const r = await run(["env", "run", "--prefix", "team/", "--", process.execPath, "-e", "process.exit(process.env.TOKEN === 't0k' ? 0 : 1)"]);
  expect(r.code).toBe(0);
});

import fs from "node:fs";
import path from "node:path";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, STRONG_PASSWORD } from "../../sdk/test/server.js";
import { cli, startCli, tempHome } from "./cli.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let admin: { home: string; env: Record<string, string> };
let adminToken: string;
let vaultId: string;
let agentId: string;
let agentKey: string;
let policyId: string;

const as = (who: Record<string, string>, args: string[], input?: string) => cli(args, { env: { ...who, ONECLAW_API_URL: srv.baseUrl }, input });
const asAdmin = (args: string[], input?: string) => as(admin.env, args, input);
/** The agent: only its ocv_ key in the environment, and a home of its own. */
const asAgent = (args: string[], key = agentKey) => as({ ...tempHome().env, ONECLAW_API_KEY: key, ONECLAW_VAULT_ID: vaultId }, args);

const CHECK = `
  const ok = process.env.DATABASE_URL === "postgres://u:p@db/app?sslmode=require" && process.env.API_KEY === "sk-PLANTED-123";
  console.log(ok ? "injected" : "missing");
  process.exit(ok ? 17 : 1);`;

beforeAll(async () => {
  srv = await startServer();
  admin = tempHome();
  const s = await srv.t.signup();
  adminToken = s.token;
  expect((await asAdmin(["login", "--email", s.email], `${STRONG_PASSWORD}\n`)).code).toBe(0);
  vaultId = JSON.parse((await asAdmin(["vault", "create", "ci", "--link", "--json"])).stdout).id;
  expect((await asAdmin(["secret", "set", "app/database-url", "postgres://u:p@db/app?sslmode=require"])).code).toBe(0);
  expect((await asAdmin(["secret", "set", "app/apiKey", "sk-PLANTED-123", "--type", "api_key"])).code).toBe(0);
  expect((await asAdmin(["secret", "set", "private/root", "not-for-agents"])).code).toBe(0);
});
afterAll(async () => srv?.t.destroy());

describe("agent, policy and run: the path from a fresh install to an agent running with secrets", () => {
  it("creates an agent bound to the vault with a token TTL; the key is printed once", async () => {
    const r = await asAdmin(["agent", "create", "ci-bot", "--vault-ids", vaultId, "--token-ttl", "300", "--json"]);
    expect(r.code).toBe(0);
    const created = JSON.parse(r.stdout);
    agentId = created.agent.id;
    agentKey = created.api_key;
    expect(agentKey).toMatch(/^ocv_/);
    expect(created.agent).toMatchObject({ name: "ci-bot", vault_ids: [vaultId], token_ttl_seconds: 300, is_active: true });
    const table = await asAdmin(["agent", "create", "table-bot"]);
    expect(table.stdout).toMatch(/api_key\s+ocv_/);
    expect(table.stderr).toMatch(/shown only once/);
    const list = await asAdmin(["agent", "list"]);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ACTIVE/);
    expect(list.stdout).toContain("ci-bot");
    expect(list.stdout).not.toContain(agentKey);
    expect(JSON.parse((await asAdmin(["agent", "get", agentId, "--json"])).stdout).id).toBe(agentId);
  });

  it("without a policy the agent is refused (exit 4) and run injects nothing", async () => {
    const denied = await asAgent(["secret", "get", "app/apiKey"]);
    expect(denied.code).toBe(4);
    const r = await asAgent(["run", "--prefix", "app/", "--", process.execPath, "-e", CHECK]);
    expect(r.stdout.trim()).toBe("missing");
    expect(r.stderr).toMatch(/no secrets/);
  });

  it("policy create (and the grant alias) lets the agent's program run with the secrets injected", async () => {
    const r = await asAdmin(["policy", "create", "--agent", agentId, "--path", "app/**", "--permissions", "read", "--json"]);
    expect(r.code).toBe(0);
    policyId = JSON.parse(r.stdout).id;
    const listed = await asAdmin(["grant", "list"]);
    expect(listed.stdout).toContain(policyId);
    expect(listed.stdout).toContain("app/**");

    const run = await asAgent(["run", "--prefix", "app/", "--", process.execPath, "-e", CHECK]);
    expect(run.stdout.trim()).toBe("injected");
    expect(run.code).toBe(17);
    expect(run.stdout + run.stderr).not.toContain("sk-PLANTED-123");
    expect(run.stdout + run.stderr).not.toContain("postgres://");
    expect((await asAgent(["secret", "get", "private/root"])).code).toBe(4);
    const who = JSON.parse((await asAgent(["whoami", "--json"])).stdout);
    expect(who).toMatchObject({ type: "agent", id: agentId });
  });

  it("policy update widens to write; policy delete takes access away on the next command", async () => {
    expect((await asAgent(["secret", "set", "app/from-agent", "x"])).code).toBe(4);
    const upd = await asAdmin(["policy", "update", policyId, "--permissions", "read,write", "--json"]);
    expect(JSON.parse(upd.stdout).permissions).toEqual(["read", "write"]);
    expect((await asAgent(["secret", "set", "app/from-agent", "x"])).code).toBe(0);
    expect((await asAdmin(["policy", "update", policyId])).code).toBe(2);
    expect((await asAdmin(["policy", "create", "--path", "x"])).code).toBe(2);
    expect((await asAdmin(["policy", "delete", policyId])).code).toBe(0);
    expect((await asAgent(["secret", "get", "app/apiKey"])).code).toBe(4);
  });

  it("agent update sets shroud, tx limits and deactivation; rotate-key retires the old key", async () => {
    const upd = await asAdmin([
      "agent", "update", agentId, "--shroud", "true", "--intents", "true",
      "--tx-allowed-chains", "base,ethereum", "--tx-max-value", "0.5", "--tx-daily-limit", "2",
      "--tx-to-allowlist", "0x000000000000000000000000000000000000dEaD", "--scopes", "app/**", "--json",
    ]);
    expect(upd.code).toBe(0);
    expect(JSON.parse(upd.stdout)).toMatchObject({
      shroud_enabled: true,
      intents_api_enabled: true,
      tx_allowed_chains: ["base", "ethereum"],
      tx_max_value_eth: "0.5",
      tx_daily_limit_eth: "2",
      scopes: ["app/**"],
    });
    expect((await asAdmin(["agent", "update", agentId, "--shroud", "maybe"])).code).toBe(2);
    expect((await asAdmin(["agent", "update", agentId])).code).toBe(2);

    expect((await asAdmin(["agent", "update", agentId, "--active", "false"])).code).toBe(0);
    expect((await asAgent(["vault", "list"])).code).toBe(3);
    expect((await asAdmin(["agent", "update", agentId, "--active", "true"])).code).toBe(0);

    const rotated = await asAdmin(["agent", "rotate-key", agentId]);
    const newKey = rotated.stdout.trim();
    expect(newKey).toMatch(/^ocv_/);
    expect((await asAgent(["vault", "list"])).code).toBe(3);
    expect((await asAgent(["vault", "list"], newKey)).code).toBe(0);
    agentKey = newKey;
  });

  it("agent token prints only the JWT; agent enroll needs no login", async () => {
    const t = await as(tempHome().env, ["agent", "token", "--api-key", agentKey]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    const viaToken = await as({ ...tempHome().env, ONECLAW_TOKEN: t.stdout }, ["whoami", "--json"]);
    expect(JSON.parse(viaToken.stdout).id).toBe(agentId);
    expect((await as(tempHome().env, ["agent", "token", "--api-key", "ocv_wrong"])).code).toBe(3);

    const e = await as(tempHome().env, ["agent", "enroll", "self-made", "--email", "human@example.com"]);
    expect(e.code).toBe(0);
    expect((await as(tempHome().env, ["agent", "enroll", "x"])).code).toBe(2); // --email is required
  });
});

describe("login variants", () => {
  it("--api-key with a 1ck_ key (stored and renewed), then logout", async () => {
    const created = await (await fetch(`${srv.baseUrl}/v1/auth/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "cli" }),
    })).json();
    const home = tempHome();
    const login = await as(home.env, ["login", "--api-key"], `${created.api_key}\n`);
    expect(login.code).toBe(0);
    const cfg = JSON.parse(fs.readFileSync(path.join(home.env.XDG_CONFIG_HOME, "1claw", "config.json"), "utf8"));
    expect(cfg["api-key"]).toBe(created.api_key);
    expect(JSON.parse((await as(home.env, ["whoami", "--json"])).stdout).type).toBe("user");
    // A revoked stored token is replaced from the stored key on the next command.
    await fetch(`${srv.baseUrl}/v1/auth/token`, { method: "DELETE", headers: { authorization: `Bearer ${cfg.token}` } });
    expect((await as(home.env, ["vault", "list"])).code).toBe(0);
    const renewed = JSON.parse(fs.readFileSync(path.join(home.env.XDG_CONFIG_HOME, "1claw", "config.json"), "utf8")).token;
    expect(renewed).not.toBe(cfg.token);
    expect((await as(home.env, ["logout"])).code).toBe(0);
    expect((await as(home.env, ["vault", "list"])).code).toBe(3);
    expect((await as(tempHome().env, ["login", "--api-key", "1ck_not-a-real-key"])).code).toBe(3);
  });

  it("--api-key with an agent's ocv_ key", async () => {
    const home = tempHome();
    expect((await as(home.env, ["login", "--api-key", agentKey])).code).toBe(0);
    expect(JSON.parse((await as(home.env, ["whoami", "--json"])).stdout)).toMatchObject({ type: "agent", id: agentId });
  });

  it("device flow (RFC 8628): shows the code, polls until a logged-in human approves", async () => {
    const home = tempHome();
    const { child, done } = startCli(["login"], { env: { ...home.env, ONECLAW_API_URL: srv.baseUrl } });
    const userCode = await new Promise<string>((resolve) => {
      let err = "";
      child.stderr!.on("data", (d) => {
        err += d;
        const m = /code ([A-Z0-9-]+)/.exec(err);
        if (m) resolve(m[1]);
      });
    });
    const approve = await fetch(`${srv.baseUrl}/v1/auth/device/approve`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ user_code: userCode }),
    });
    expect(approve.status).toBe(200);
    const r = await done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Logged in/);
    expect((await as(home.env, ["vault", "list", "--json"])).code).toBe(0);
  });

  it("device flow denied exits 3", async () => {
    const { child, done } = startCli(["login"], { env: { ...tempHome().env, ONECLAW_API_URL: srv.baseUrl } });
    const userCode = await new Promise<string>((resolve) => {
      let err = "";
      child.stderr!.on("data", (d) => {
        err += d;
        const m = /code ([A-Z0-9-]+)/.exec(err);
        if (m) resolve(m[1]);
      });
    });
    await fetch(`${srv.baseUrl}/v1/auth/device/deny`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ user_code: userCode }),
    });
    const r = await done;
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/denied/);
  });

  it("email + password answers the MFA prompt when the account has MFA", async () => {
    const u = await srv.t.signup();
    const auth = { authorization: `Bearer ${u.token}`, "content-type": "application/json" };
    const setup = await (await fetch(`${srv.baseUrl}/v1/auth/mfa/setup`, { method: "POST", headers: auth, body: "{}" })).json();
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.secret), digits: 6, period: 30, algorithm: "SHA1" });
    const enabled = await fetch(`${srv.baseUrl}/v1/auth/mfa/verify-setup`, { method: "POST", headers: auth, body: JSON.stringify({ code: totp.generate() }) });
    expect(enabled.status).toBe(200);

    const home = tempHome();
    const wrong = await as(home.env, ["login", "--email", u.email], `${STRONG_PASSWORD}\n000000\n`);
    expect(wrong.code).toBe(3);
    // The setup code's time step is spent (no replay), so answer with the next step's code (±1 step is accepted).
    const ok = await as(home.env, ["login", "--email", u.email], `${STRONG_PASSWORD}\n${totp.generate({ timestamp: Date.now() + 30_000 })}\n`);
    expect(ok.stderr).toContain(`Logged in as ${u.email}`);
    expect(ok.code).toBe(0);
    expect(JSON.parse((await as(home.env, ["whoami", "--json"])).stdout)).toMatchObject({ email: u.email, mfa: true });
  });
});

describe("shares", () => {
  it("create a link share, list it, revoke it; a targeted share is accepted or declined by its recipient", async () => {
    const link = await asAdmin(["share", "create", "app/apiKey", "--to", "link", "--expires", "1h", "--max-access", "2", "--json"]);
    expect(link.code).toBe(0);
    const share = JSON.parse(link.stdout);
    const opened = await (await fetch(`${srv.baseUrl}/v1/share/${share.id}`)).json();
    expect(opened.value).toBe("sk-PLANTED-123");
    expect((await asAdmin(["share", "list"])).stdout).toContain(share.id);
    expect((await asAdmin(["share", "revoke", share.id])).code).toBe(0);
    expect((await fetch(`${srv.baseUrl}/v1/share/${share.id}`)).status).toBe(404);
    expect((await asAdmin(["share", "create", "app/apiKey", "--to", "nobody"])).code).toBe(2);
    expect((await asAdmin(["share", "create", "app/apiKey", "--to", "link", "--expires", "soon"])).code).toBe(2);

    const bob = await srv.t.signup();
    const bobEnv = { ...tempHome().env, ONECLAW_TOKEN: bob.token };
    const one = JSON.parse((await asAdmin(["share", "create", "app/apiKey", "--to", `email:${bob.email}`, "--json"])).stdout);
    const two = JSON.parse((await asAdmin(["share", "create", "app/apiKey", "--to", `email:${bob.email}`, "--json"])).stdout);
    const inbound = await as(bobEnv, ["share", "list", "--inbound", "--json"]);
    expect(JSON.parse(inbound.stdout).map((s: any) => s.id)).toEqual(expect.arrayContaining([one.id, two.id]));
    expect((await as(bobEnv, ["share", "accept", one.id])).code).toBe(0);
    expect((await as(bobEnv, ["share", "decline", two.id])).code).toBe(0);
    const read = await fetch(`${srv.baseUrl}/v1/share/${one.id}`, { headers: { authorization: `Bearer ${bob.token}` } });
    expect((await read.json()).value).toBe("sk-PLANTED-123");
    expect((await as(bobEnv, ["share", "accept", two.id])).code).toBe(5);
  });
});

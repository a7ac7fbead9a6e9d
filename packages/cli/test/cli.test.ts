import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "dotenv";
import { startServer, STRONG_PASSWORD } from "../../sdk/test/server.js";
import { cli, startCli, tempHome } from "./cli.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let user: { home: string; env: Record<string, string> };
let email: string;
let vaultId: string;

/** Values that .env files and shells get wrong. */
const TRICKY: Record<string, string> = {
  PLAIN: "abc123",
  WITH_SPACES: "  leading and trailing  ",
  WITH_EQUALS: "a=b=c",
  WITH_HASH: "value # not a comment",
  DOUBLE_QUOTES: 'say "hi"',
  SINGLE_QUOTE: "it's",
  BOTH_QUOTES: `it's "quoted"`,
  MULTILINE: "line one\nline two\n\nline four",
  BACKSLASH_N: "literal \\n stays",
  EMPTY: "",
  JSON_LIKE: '{"a": 1, "b": [1, 2]}',
};

const run = (args: string[], extra: Record<string, string | undefined> = {}, input?: string) =>
  cli(args, { env: { ...user.env, ONECLAW_API_URL: srv.baseUrl, ...extra }, input });

beforeAll(async () => {
  srv = await startServer();
  user = tempHome();
  email = `cli-${Date.now()}@example.com`;
  const r = await fetch(`${srv.baseUrl}/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password: STRONG_PASSWORD }),
  });
  expect(r.status).toBe(200);
});
afterAll(async () => srv?.t.destroy());

describe("login and config", () => {
  it("needs a login first (exit 3)", async () => {
    const r = await run(["vault", "list"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not logged in/);
  });

  it("rejects a wrong password with the auth exit code", async () => {
    const r = await run(["login", "--email", email], {}, "Wrong-Password-99!\n");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/invalid credentials/i);
  });

  it("logs in with email and password from stdin and stores the token with mode 0600", async () => {
    const r = await run(["login", "--email", email], {}, `${STRONG_PASSWORD}\n`);
    expect(r.stderr).toContain(`Logged in as ${email}`);
    expect(r.code).toBe(0);
    const file = path.join(user.env.XDG_CONFIG_HOME, "1claw", "config.json");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).token).toMatch(/^eyJ/);
    const who = await run(["whoami", "--json"]);
    expect(JSON.parse(who.stdout)).toMatchObject({ type: "user", email });
  });

  it("config set/get/list; credentials masked; bad keys and values are usage errors", async () => {
    expect((await run(["config", "set", "output-format", "plain"])).code).toBe(0);
    expect((await run(["config", "get", "output-format"])).stdout).toBe("plain\n");
    expect((await run(["config", "set", "output-format", "fancy"])).code).toBe(2);
    expect((await run(["config", "set", "colour", "red"])).code).toBe(2);
    expect((await run(["config", "set", "api-url", "not a url"])).code).toBe(2);
    const list = await run(["config", "list", "--json"]);
    const shown = JSON.parse(list.stdout);
    expect(shown["output-format"]).toBe("plain");
    expect(shown.token).toMatch(/…/);
    expect(list.stdout).not.toContain(JSON.parse(fs.readFileSync(path.join(user.env.XDG_CONFIG_HOME, "1claw", "config.json"), "utf8")).token);
    expect((await run(["config", "set", "output-format", "table"])).code).toBe(0);
  });

  it("uses ~/.config when XDG_CONFIG_HOME is unset", async () => {
    const other = tempHome();
    const r = await cli(["config", "set", "default-vault", "abc"], { env: { HOME: other.home } });
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(path.join(other.home, ".config", "1claw", "config.json"), "utf8"))).toEqual({ "default-vault": "abc" });
  });

  it("reports an unreachable server with exit 6", async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const r = await run(["vault", "list"], { ONECLAW_API_URL: `http://127.0.0.1:${port}` });
    expect(r.code).toBe(6);
  });

  it("usage errors exit 2; --version and --help exit 0", async () => {
    expect((await run(["vault", "frobnicate"])).code).toBe(2);
    expect((await run(["secret", "get"])).code).toBe(2);
    const v = await run(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await run(["--help"])).code).toBe(0);
  });
});

describe("vaults and secrets", () => {
  it("creates and links a vault; tables for people, JSON for scripts, no colour off a TTY", async () => {
    const created = await run(["vault", "create", "cli-prod", "--description", "from the CLI", "--link", "--json"]);
    expect(created.code).toBe(0);
    vaultId = JSON.parse(created.stdout).id;
    const table = await run(["vault", "list"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+DESCRIPTION/);
    expect(table.stdout).toContain("cli-prod");
    expect(table.stdout).not.toContain("\x1b[");
    const json = JSON.parse((await run(["vault", "list", "--json"])).stdout);
    expect(json.map((v: any) => v.id)).toContain(vaultId);
  });

  it("sets values from an argument, a file and stdin; get prints only the value", async () => {
    expect((await run(["secret", "set", "app/arg", "from-arg", "--type", "api_key"])).code).toBe(0);
    const file = path.join(user.home, "value.txt");
    fs.writeFileSync(file, "from-file\nsecond line\n");
    expect((await run(["secret", "set", "app/file", "--file", file])).code).toBe(0);
    expect((await run(["secret", "set", "app/stdin"], {}, "from-stdin\n")).code).toBe(0);

    expect((await run(["secret", "get", "app/arg"])).stdout).toBe("from-arg");
    expect((await run(["secret", "get", "app/file"])).stdout).toBe("from-file\nsecond line\n");
    expect((await run(["secret", "get", "app/stdin"])).stdout).toBe("from-stdin");
    const full = JSON.parse((await run(["secret", "get", "app/arg", "--json"])).stdout);
    expect(full).toMatchObject({ path: "app/arg", type: "api_key", value: "from-arg" });
  });

  it("rotates keeping the type; lists versions; reads an old version; describes without the value", async () => {
    const r = await run(["secret", "rotate", "app/arg", "rotated"]);
    expect(r.stderr).toMatch(/version 2, type api_key/);
    expect((await run(["secret", "get", "app/arg"])).stdout).toBe("rotated");
    expect((await run(["secret", "get", "app/arg", "--version", "1"])).stdout).toBe("from-arg");
    const versions = JSON.parse((await run(["secret", "versions", "app/arg", "--json"])).stdout);
    expect(versions.map((v: any) => v.version).sort()).toEqual([1, 2]);
    const described = await run(["secret", "describe", "app/arg", "--json"]);
    expect(JSON.parse(described.stdout)).toMatchObject({ path: "app/arg", version: 2, type: "api_key" });
    expect(described.stdout).not.toContain("rotated");
    const listed = await run(["secret", "list", "--prefix", "app/"]);
    expect(listed.stdout).toContain("app/file");
    expect(listed.stdout).not.toContain("from-file");
  });

  it("exit codes: not found 5; refusing to delete off a TTY without --yes 2", async () => {
    expect((await run(["secret", "get", "app/missing"])).code).toBe(5);
    expect((await run(["vault", "get", "00000000-0000-4000-8000-000000000000"])).code).toBe(5);
    const refused = await run(["secret", "delete", "app/stdin"]);
    expect(refused.code).toBe(2);
    expect((await run(["secret", "get", "app/stdin"])).code).toBe(0);
    expect((await run(["secret", "delete", "app/stdin", "--yes"])).code).toBe(0);
    expect((await run(["secret", "get", "app/stdin"])).code).toBe(5);
  });

  it("--vault and ONECLAW_VAULT_ID override the linked vault", async () => {
    const other = JSON.parse((await run(["vault", "create", "cli-other", "--json"])).stdout).id;
    expect((await run(["secret", "set", "only/there", "v-other", "--vault", other])).code).toBe(0);
    expect((await run(["secret", "get", "only/there", "--vault", other])).stdout).toBe("v-other");
    expect((await run(["secret", "get", "only/there"], { ONECLAW_VAULT_ID: other })).stdout).toBe("v-other");
    expect((await run(["secret", "get", "only/there"])).code).toBe(5); // the linked vault has no such secret
  });

  it("rejects hostile paths with a 400 naming the path (exit 1)", async () => {
    for (const p of ["a b", "x?y", "../etc"]) {
      const r = await run(["secret", "set", p, "v"]);
      expect(r.code, p).toBe(1);
      expect(r.stderr, p).toMatch(/path/);
    }
  });

  it("audit list and verify", async () => {
    const events = JSON.parse((await run(["audit", "list", "--action", "secret.read", "--limit", "5", "--json"])).stdout);
    expect(events.events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).not.toContain("from-file");
    const v = await run(["audit", "verify"]);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/intact/);
  });
});

describe("env pull / push / run", () => {
  it("round-trips a .env with quotes, =, #, spaces and newlines through pull → push → pull", async () => {
    for (const [k, v] of Object.entries(TRICKY)) {
      const r = await run(["secret", "set", `env1/${k}`], {}, `${v}\n`);
      expect(r.code, k).toBe(0);
    }
    const file = path.join(user.home, "one.env");
    const pulled = await run(["env", "pull", "--prefix", "env1/", "-o", file]);
    expect(pulled.code).toBe(0);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, "utf8");
    expect(parse(text)).toEqual(TRICKY); // the dotenv library reads back exactly the values

    expect((await run(["env", "push", file, "--prefix", "env2"])).code).toBe(0);
    expect((await run(["secret", "get", "env2/MULTILINE"])).stdout).toBe(TRICKY.MULTILINE);
    const again = await run(["env", "pull", "--prefix", "env2/"]);
    expect(again.stdout).toBe(text);

    expect((await run(["env", "push", file, "--bundle", "bundles/app"])).code).toBe(0);
    const bundle = JSON.parse((await run(["secret", "get", "bundles/app", "--json"])).stdout);
    expect(bundle.type).toBe("env_bundle");
    const fromBundle = await run(["env", "pull", "--bundle", "bundles/app", "--json"]);
    expect(JSON.parse(fromBundle.stdout)).toEqual(TRICKY);
  });

  it("run injects secrets into the child, forwards its exit code, and never prints values", async () => {
    const check = `
      const want = ${JSON.stringify(TRICKY)};
      const bad = Object.keys(want).filter((k) => process.env[k] !== want[k]);
      console.log(bad.length ? "MISMATCH " + bad.join(",") : "ALL-MATCH");
      process.exit(42);`;
    const r = await run(["run", "--prefix", "env1/", "--", process.execPath, "-e", check]);
    expect(r.stdout.trim()).toBe("ALL-MATCH");
    expect(r.code).toBe(42);
    for (const v of [TRICKY.WITH_HASH, TRICKY.JSON_LIKE, "from-file"]) {
      expect(r.stdout).not.toContain(v);
      expect(r.stderr).not.toContain(v);
    }
    const bundled = await run(["run", "--bundle", "bundles/app", "--", process.execPath, "-e", "process.exit(process.env.WITH_EQUALS === 'a=b=c' ? 0 : 9)"]);
    expect(bundled.code).toBe(0);
    const mapped = await run(["run", "--prefix", "app/", "--", process.execPath, "-e", "process.stdout.write(String(process.env.ARG === 'rotated'))"]);
    expect(mapped.stdout).toBe("true"); // app/arg → ARG (last segment, upper snake case)
  });

  it("run re-raises the child's fatal signal and forwards signals sent to it", async () => {
    const killed = await run(["run", "--prefix", "env1/", "--", process.execPath, "-e", "process.kill(process.pid, 'SIGTERM')"]);
    expect(killed.signal).toBe("SIGTERM");

    const script = `process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const { child, done } = startCli(["run", "--prefix", "env1/", "--", process.execPath, "-e", script], {
      env: { ...user.env, ONECLAW_API_URL: srv.baseUrl },
    });
    await new Promise<void>((resolve) => {
      let seen = "";
      child.stdout!.on("data", (d) => {
        seen += d;
        if (seen.includes("ready")) resolve();
      });
    });
    child.kill("SIGTERM");
    const r = await done;
    expect(r.stdout).toContain("child got SIGTERM");
    expect(r.code).toBe(0);
  });

  it("run without a command is a usage error; an unknown program exits 127", async () => {
    expect((await run(["run", "--prefix", "env1/"])).code).toBe(2);
    expect((await run(["run", "--prefix", "env1/", "--", "no-such-program-xyz"])).code).toBe(127);
  });
});

describe("logout", () => {
  it("revokes the token on the server", async () => {
    const file = path.join(user.env.XDG_CONFIG_HOME, "1claw", "config.json");
    const token = JSON.parse(fs.readFileSync(file, "utf8")).token;
    expect((await run(["logout"])).code).toBe(0);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).token).toBeUndefined();
    expect((await run(["vault", "list"])).code).toBe(3);
    const reuse = await run(["vault", "list"], { ONECLAW_TOKEN: token });
    expect(reuse.code).toBe(3);
  });
});

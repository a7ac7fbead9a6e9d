import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AuthError,
  GoneError,
  createClient,
  NetworkError,
  NotFoundError,
  OneclawError,
  RateLimitError,
  unwrap,
  ValidationError,
  type OneclawClient,
} from "../src/index.js";
import { startServer, STRONG_PASSWORD } from "./server.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let human: { token: string; userId: string; orgId: string; email: string };
let client: OneclawClient;
let vaultId: string;

beforeAll(async () => {
  srv = await startServer();
  human = await srv.t.signup();
  client = createClient({ baseUrl: srv.baseUrl, token: human.token });
  vaultId = unwrap(await client.vaults.create({ name: "sdk-tests" })).id;
});
afterAll(async () => srv?.t.destroy());

describe("auth", () => {
  it("login adopts the token; logout revokes it server-side", async () => {
    const c = createClient({ baseUrl: srv.baseUrl });
    const noAuth = await c.vaults.list();
    expect(noAuth.error).toBeInstanceOf(AuthError);
    expect(noAuth.meta.status).toBe(401);

    const login = await c.auth.login({ email: human.email, password: STRONG_PASSWORD });
    expect(login.error).toBeNull();
    expect(login.data?.access_token).toBeTruthy();
    const me = await c.auth.me();
    expect(me.data?.email).toBe(human.email);
    const token = c.http.token!;

    expect((await c.auth.logout()).error).toBeNull();
    expect(c.http.token).toBeUndefined();
    const reuse = createClient({ baseUrl: srv.baseUrl, token });
    const after = await reuse.vaults.list();
    expect(after.error).toBeInstanceOf(AuthError);
    expect(after.data).toBeNull();
  });

  it("wrong password is an AuthError carrying the server's problem detail", async () => {
    const c = createClient({ baseUrl: srv.baseUrl });
    const res = await c.auth.login({ email: human.email, password: "Wrong-Password-123!" });
    expect(res.error).toBeInstanceOf(AuthError);
    expect(res.error).toBeInstanceOf(OneclawError);
    expect(res.error?.status).toBe(401);
    expect(res.error?.detail).toMatch(/invalid credentials/i);
  });
});

describe("vaults and secrets", () => {
  it("round-trips vaults", async () => {
    const list = unwrap(await client.vaults.list());
    expect(list.vaults?.map((v) => v.id)).toContain(vaultId);
    expect(unwrap(await client.vaults.get(vaultId)).name).toBe("sdk-tests");
    const tmp = unwrap(await client.vaults.create({ name: "tmp", description: "gone soon" }));
    expect((await client.vaults.delete(tmp.id)).meta.status).toBe(204);
    const gone = await client.vaults.get(tmp.id);
    expect(gone.error).toBeInstanceOf(NotFoundError);
  });

  it("sets, reads, lists, describes, versions and rotates secrets", async () => {
    const put = unwrap(await client.secrets.set(vaultId, "svc/api/key", "v1-value", { type: "api_key", metadata: { owner: "ops" } }));
    expect(put.version).toBe(1);
    const got = unwrap(await client.secrets.get(vaultId, "svc/api/key"));
    expect(got).toMatchObject({ path: "svc/api/key", value: "v1-value", type: "api_key", version: 1 });

    const rot = unwrap(await client.secrets.rotate(vaultId, "svc/api/key", "v2-value"));
    expect(rot.version).toBe(2);
    expect(rot.type).toBe("api_key"); // rotate keeps the type instead of falling back to "generic"
    expect(unwrap(await client.secrets.describe(vaultId, "svc/api/key"))).toMatchObject({ version: 2, type: "api_key", metadata: { owner: "ops" } });
    expect((unwrap(await client.secrets.describe(vaultId, "svc/api/key")) as any).value).toBeUndefined();
    expect(unwrap(await client.secrets.get(vaultId, "svc/api/key", { version: 1 })).value).toBe("v1-value");
    expect(unwrap(await client.secrets.get(vaultId, "svc/api/key")).value).toBe("v2-value");
    const versions = unwrap(await client.secrets.versions(vaultId, "svc/api/key")).versions;
    expect(versions.map((v) => v.version).sort()).toEqual([1, 2]);

    await client.secrets.set(vaultId, "other/thing", "x");
    const under = unwrap(await client.secrets.list(vaultId, "svc/")).secrets ?? [];
    expect(under.map((s) => s.path)).toEqual(["svc/api/key"]);
    expect(JSON.stringify(under)).not.toContain("v2-value");

    expect((await client.secrets.delete(vaultId, "other/thing")).error).toBeNull();
    expect((await client.secrets.get(vaultId, "other/thing")).error).toBeInstanceOf(GoneError); // soft-deleted: 410
  });

  it("encodes each path segment, so ?, #, % and spaces reach the server as part of the path", async () => {
    const urls: string[] = [];
    const spy = createClient({
      baseUrl: srv.baseUrl,
      token: human.token,
      fetch: (input, init) => (urls.push(String(input)), fetch(input, init)),
    });
    await spy.secrets.set(vaultId, "db/pass", "PLANTED-db-pass");
    for (const hostile of ["db/pass?version=1", "db/pass#x", "db/pa ss", "db/p%61ss"]) {
      const res = await spy.secrets.get(vaultId, hostile);
      expect(res.error, hostile).toBeInstanceOf(ValidationError);
      expect(res.error?.detail, hostile).toMatch(/path/);
      expect(JSON.stringify(res)).not.toContain("PLANTED-db-pass");
    }
    expect(urls).toContain(`${srv.baseUrl}/v1/vaults/${vaultId}/secrets/db/pass`);
    expect(urls).toContain(`${srv.baseUrl}/v1/vaults/${vaultId}/secrets/db/pass%3Fversion%3D1`);
    expect(urls).toContain(`${srv.baseUrl}/v1/vaults/${vaultId}/secrets/db/pa%20ss`);
    expect(urls).toContain(`${srv.baseUrl}/v1/vaults/${vaultId}/secrets/db/p%2561ss`);
  });

  it("refuses dot segments that a URL parser would collapse into another route", async () => {
    let sent = 0;
    const spy = createClient({ baseUrl: srv.baseUrl, token: human.token, fetch: (i, init) => (sent++, fetch(i, init)) });
    for (const p of ["../../vaults", "a/./b", "a/%2e%2E/b", ".."]) {
      const res = await spy.secrets.get(vaultId, p);
      expect(res.error, p).toBeInstanceOf(ValidationError);
    }
    expect(sent).toBe(0);
  });

  it("maps statuses to typed errors", async () => {
    const missing = await client.vaults.get("00000000-0000-4000-8000-000000000000");
    expect(missing.error).toBeInstanceOf(NotFoundError);
    expect(missing.meta.status).toBe(404);
    const bad = await client.vaults.create({ name: "" });
    expect(bad.error).toBeInstanceOf(ValidationError);
    expect(bad.error?.detail).toMatch(/name/);
    const notUuid = await client.vaults.get("not-a-uuid");
    expect(notUuid.error?.status).toBe(400);
    expect(() => unwrap(missing)).toThrow(NotFoundError);
  });

  it("reports a refused connection as NetworkError with status 0", async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const res = await createClient({ baseUrl: `http://127.0.0.1:${port}`, token: "x" }).vaults.list();
    expect(res.error).toBeInstanceOf(NetworkError);
    expect(res.meta.status).toBe(0);
  });
});

describe("audit", () => {
  it("queries events and verifies the chain", async () => {
    const events = unwrap(await client.audit.query({ action: "secret.read", limit: 5 }));
    expect(events.events.length).toBeGreaterThan(0);
    expect(events.events.every((e) => e.action === "secret.read")).toBe(true);
    expect(JSON.stringify(events)).not.toContain("v2-value");
    expect(unwrap(await client.audit.verify()).valid).toBe(true);
  });
});

describe("429 handling (a local stand-in server, for timing only)", () => {
  let stand: http.Server;
  let base: string;
  let hits = 0;
  let mode: "once" | "always" | "long" = "once";
  beforeAll(async () => {
    stand = http.createServer((req, res) => {
      hits++;
      const limited = mode === "always" || mode === "long" || (mode === "once" && hits === 1);
      if (limited) {
        res.writeHead(429, { "content-type": "application/problem+json", "retry-after": mode === "long" ? "3600" : "1" });
        res.end(JSON.stringify({ type: "about:blank", title: "Too Many Requests", status: 429, detail: "slow down" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ vaults: [] }));
    });
    await new Promise<void>((r) => stand.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(stand.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => stand.close(r)));

  it("waits Retry-After, then succeeds", async () => {
    hits = 0;
    mode = "once";
    const start = Date.now();
    const res = await createClient({ baseUrl: base, token: "t" }).vaults.list();
    expect(res.error).toBeNull();
    expect(res.meta.retries).toBe(1);
    expect(hits).toBe(2);
    expect(Date.now() - start).toBeGreaterThanOrEqual(950);
  });

  it("gives up after maxRetries with a RateLimitError", async () => {
    hits = 0;
    mode = "always";
    const res = await createClient({ baseUrl: base, token: "t", maxRetries: 2 }).vaults.list();
    expect(res.error).toBeInstanceOf(RateLimitError);
    expect((res.error as RateLimitError).retryAfterSeconds).toBe(1);
    expect(res.meta.retries).toBe(2);
    expect(hits).toBe(3);
  });

  it("does not sleep for a Retry-After longer than maxRetryDelayMs", async () => {
    hits = 0;
    mode = "long";
    const start = Date.now();
    const res = await createClient({ baseUrl: base, token: "t" }).vaults.list();
    expect(res.error).toBeInstanceOf(RateLimitError);
    expect(hits).toBe(1);
    expect(Date.now() - start).toBeLessThan(900);
  });
});

import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tooManyRequests } from "../../src/pipeline/errors.js";
import { listenUrl, rawHttp, rawSql, startApp, STRONG_PASSWORD, type TestApp } from "../helpers.js";

let t: TestApp;
let token: string;
let vaultId: string;
beforeAll(async () => {
  t = await startApp({ env: { ONECLAW_HEADERS_TIMEOUT_MS: "300", ONECLAW_REQUEST_TIMEOUT_MS: "600" } });
  ({ token } = await t.signup());
  vaultId = (await t.req("POST", "/v1/vaults", { token, body: { name: "p" } })).body.id;
});
afterAll(async () => t?.destroy());

const PROBLEM = /^application\/problem\+json/;
function expectProblem(r: { status: number; body: any; headers: any }, status: number) {
  expect(r.status).toBe(status);
  expect(r.headers["content-type"]).toMatch(PROBLEM);
  expect(Object.keys(r.body).sort()).toEqual(["detail", "status", "title", "type"]);
  expect(r.body.status).toBe(status);
  expect(typeof r.body.detail).toBe("string");
  expect(r.body.detail).not.toMatch(/at .*\.(js|ts):\d+/);
}

describe("problem+json for every error", () => {
  it("400 names the field", async () => {
    const r = await t.req("POST", "/v1/vaults", { token, body: { name: 7 } });
    expectProblem(r, 400);
    expect(r.body.detail).toMatch(/^name: /);
    const q = await t.req("GET", "/v1/audit/events?limit=x", { token });
    expectProblem(q, 400);
    expect(q.body.detail).toMatch(/querystring limit/);
  });

  it("400 for malformed JSON and prototype pollution attempts", async () => {
    const bad = await t.req("POST", "/v1/vaults", { token, raw: "{not json", headers: { "content-type": "application/json" } });
    expectProblem(bad, 400);
    expect(bad.body.detail).toBe("body: is not valid JSON");
    const proto = await t.req("POST", "/v1/vaults", { token, raw: '{"name":"x","__proto__":{"admin":true}}', headers: { "content-type": "application/json" } });
    expectProblem(proto, 400);
  });

  it("400 for absurdly deep JSON, before any handler sees it", async () => {
    const deep = '{"value":"v","metadata":{"a":' + "[".repeat(100_000) + "]".repeat(100_000) + "}}";
    const r = await t.req("PUT", `/v1/vaults/${vaultId}/secrets/deep`, { token, raw: deep, headers: { "content-type": "application/json" } });
    expectProblem(r, 400);
    expect(r.body.detail).toBe("body: nested deeper than 32 levels");
    const ok = { value: "v", metadata: JSON.parse('{"a":'.repeat(30) + "1" + "}".repeat(30)) };
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/deep`, { token, body: ok })).status).toBe(201);
  });

  it("400 for malformed percent-encoding and malformed HTTP", async () => {
    for (const p of [`/v1/vaults/${vaultId}/secrets/a%`, `/v1/vaults/${vaultId}/secrets/%E0%A4%A`, "/v1/vaults/%ZZ"]) {
      const r = await rawHttp(t, "GET", p, { token });
      expectProblem(r, 400);
      expect(r.body.detail).toBe("The URL is not validly percent-encoded");
    }
    const base = new URL(await listenUrl(t));
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(Number(base.port), base.hostname, () => s.write("GARBAGE / HTTP/9.9\r\n\r\n"));
      let data = "";
      s.on("data", (d) => (data += d));
      s.on("close", () => resolve(data));
    });
    expect(reply).toMatch(/^HTTP\/1.1 400/);
    expect(JSON.parse(reply.split("\r\n\r\n")[1])).toMatchObject({ status: 400, detail: "Malformed HTTP request" });
  });

  it("401, with WWW-Authenticate", async () => {
    const r = await t.req("GET", "/v1/vaults");
    expectProblem(r, 401);
    expect(r.headers["www-authenticate"]).toBe("Bearer");
  });

  it("403 (unverified login)", async () => {
    const v = await startApp({ env: { ONECLAW_REQUIRE_EMAIL_VERIFICATION: "1" } });
    try {
      await v.req("POST", "/v1/auth/signup", { body: { email: "x@example.com", password: STRONG_PASSWORD } });
      expectProblem(await v.req("POST", "/v1/auth/token", { body: { email: "x@example.com", password: STRONG_PASSWORD } }), 403);
    } finally {
      await v.destroy();
    }
  });

  it("404 for unknown routes and resources", async () => {
    expectProblem(await t.req("GET", "/v1/nope"), 404);
    expectProblem(await t.req("GET", "/"), 404);
    expectProblem(await t.req("GET", `/v1/vaults/${crypto.randomUUID()}`, { token }), 404);
  });

  it("405 with Allow for a known path and wrong method", async () => {
    const r = await t.req("POST", "/v1/health");
    expectProblem(r, 405);
    expect(r.headers.allow).toBe("GET");
    const v = await t.req("PATCH", `/v1/vaults/${vaultId}`, { token });
    expectProblem(v, 405);
    expect(String(v.headers.allow).split(", ").sort()).toEqual(["DELETE", "GET"]);
  });

  it("409 on conflict", async () => {
    const e = `c${Date.now()}@example.com`;
    await t.req("POST", "/v1/auth/signup", { body: { email: e, password: STRONG_PASSWORD } });
    expectProblem(await t.req("POST", "/v1/auth/signup", { body: { email: e, password: STRONG_PASSWORD } }), 409);
  });

  it("410 for a deleted secret", async () => {
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/gone`, { token, body: { value: "v" } });
    await t.req("DELETE", `/v1/vaults/${vaultId}/secrets/gone`, { token });
    expectProblem(await t.req("GET", `/v1/vaults/${vaultId}/secrets/gone`, { token }), 410);
  });

  it("413 for a body over 5 MB, and nothing written", async () => {
    const before = await rawSql(t, "select count(*) as n from secret_versions");
    const r = await t.req("PUT", `/v1/vaults/${vaultId}/secrets/big`, { token, body: { value: "x".repeat(5 * 1024 * 1024 + 1) } });
    expectProblem(r, 413);
    expect(r.body.detail).toBe("Request body is larger than 5 MB");
    expect(await rawSql(t, "select count(*) as n from secret_versions")).toEqual(before);
  });

  it("415 for a body that is not JSON", async () => {
    const r = await t.req("POST", "/v1/vaults", { token, raw: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectProblem(r, 415);
    expect(r.body.detail).toContain("application/json");
    expectProblem(await t.req("POST", "/v1/vaults", { token, raw: "name", headers: { "content-type": "text/plain" } }), 415);
  });

  it("429 with Retry-After from a pipeline hook (how rate limiting plugs in)", async () => {
    const hook = async (req: any) => {
      if (req.headers["x-test-throttle"]) throw tooManyRequests(7);
    };
    t.ctx.hooks.beforeAuth.push(hook);
    try {
      const r = await t.req("GET", "/v1/vaults", { token, headers: { "x-test-throttle": "1" } });
      expectProblem(r, 429);
      expect(r.headers["retry-after"]).toBe("7");
      expect((await t.req("GET", "/v1/vaults", { token })).status).toBe(200);
    } finally {
      t.ctx.hooks.beforeAuth.splice(t.ctx.hooks.beforeAuth.indexOf(hook), 1);
    }
  });
});

describe("success bodies", () => {
  it("every non-204 success is JSON; 204s are empty", async () => {
    const calls = [
      await t.req("GET", "/v1/health"),
      await t.req("GET", "/v1/vaults", { token }),
      await t.req("PUT", `/v1/vaults/${vaultId}/secrets/j`, { token, body: { value: "v" } }),
      await t.req("GET", `/v1/vaults/${vaultId}/secrets/j`, { token }),
      await t.req("GET", "/v1/audit/verify", { token }),
      await t.req("GET", "/v1/openapi.json"),
    ];
    for (const r of calls) {
      expect(r.status).toBeLessThan(300);
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
      expect(() => JSON.parse(r.text)).not.toThrow();
    }
  });

  it("accepts Content-Type: application/json with an empty body on DELETE and bodiless requests", async () => {
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/e`, { token, body: { value: "v" } });
    const d = await t.req("DELETE", `/v1/vaults/${vaultId}/secrets/e`, { token, headers: { "content-type": "application/json" }, raw: "" });
    expect(d.status).toBe(204);
    const g = await t.req("GET", "/v1/vaults", { token, headers: { "content-type": "application/json" }, raw: "" });
    expect(g.status).toBe(200);
    const u = await t.signup();
    const revoke = await t.req("DELETE", "/v1/auth/token", { token: u.token, headers: { "content-type": "application/json; charset=utf-8" }, raw: "" });
    expect(revoke.status).toBe(204);
  });
});

describe("request ids, headers, logs", () => {
  it("returns a request id that also appears in the log lines of that request", async () => {
    const r = await t.req("GET", "/v1/vaults", { token });
    const id = r.headers["x-request-id"] as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.logs.some((l) => l.includes(id))).toBe(true);
    expect((await t.req("GET", "/v1/nope")).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sets security headers and no-store", async () => {
    const r = await t.req("GET", "/v1/health");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["x-frame-options"]).toBe("SAMEORIGIN");
    expect(r.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
    expect(r.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(r.headers["referrer-policy"]).toBe("no-referrer");
    expect(r.headers["cache-control"]).toBe("no-store");
    expect(r.headers["x-powered-by"]).toBeUndefined();
  });

  it("never logs Authorization headers, passwords, tokens or secret values, even at trace level", async () => {
    const a = await startApp({ env: { LOG_LEVEL: "trace" } });
    try {
      const pw = "Log-Canary-Passw0rd!";
      const email = `log${Date.now()}@example.com`;
      const s = await a.req("POST", "/v1/auth/signup", { body: { email, password: pw } });
      const tok = s.body.access_token;
      await a.req("POST", "/v1/auth/token", { body: { email, password: pw } });
      await a.req("POST", "/v1/auth/token", { body: { email, password: pw + "x" } });
      const v = (await a.req("POST", "/v1/vaults", { token: tok, body: { name: "l" } })).body.id;
      const canary = "LOG_CANARY_SECRET_VALUE_91";
      await a.req("PUT", `/v1/vaults/${v}/secrets/k`, { token: tok, body: { value: canary } });
      await a.req("GET", `/v1/vaults/${v}/secrets/k`, { token: tok });
      await a.req("PUT", `/v1/vaults/${v}/secrets/a..b`, { token: tok, body: { value: canary } });
      await a.req("GET", "/v1/vaults", { headers: { authorization: "Bearer 1ck_not-a-real-key-canary" } });
      await a.req("GET", "/v1/vaults", { headers: { authorization: `Bearer ${tok}`, "x-share-passphrase": "passphrase-canary" } });
      const log = a.logs.join("");
      expect(log.length).toBeGreaterThan(1000);
      for (const s of [pw, tok, tok.split(".")[2], canary, "1ck_not-a-real-key-canary", "passphrase-canary"]) expect(log).not.toContain(s);
    } finally {
      await a.destroy();
    }
  });
});

describe("CORS", () => {
  it("is off by default", async () => {
    const pre = await t.req("OPTIONS", "/v1/vaults", { headers: { origin: "https://evil.example", "access-control-request-method": "GET" } });
    expect(pre.headers["access-control-allow-origin"]).toBeUndefined();
    const get = await t.req("GET", "/v1/health", { headers: { origin: "https://evil.example" } });
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("allows only the configured origins", async () => {
    const c = await startApp({ env: { ONECLAW_CORS_ORIGINS: "https://app.example, https://admin.example" } });
    try {
      const ok = await c.req("OPTIONS", "/v1/vaults", { headers: { origin: "https://app.example", "access-control-request-method": "GET" } });
      expect(ok.status).toBe(204);
      expect(ok.headers["access-control-allow-origin"]).toBe("https://app.example");
      const other = await c.req("GET", "/v1/health", { headers: { origin: "https://evil.example" } });
      expect(other.headers["access-control-allow-origin"]).toBeUndefined();
    } finally {
      await c.destroy();
    }
  });
});

describe("slow clients", () => {
  function slowSocket(send: (s: net.Socket) => void): Promise<{ data: string; ms: number }> {
    return listenUrl(t).then(
      (base) =>
        new Promise((resolve) => {
          const u = new URL(base);
          const started = Date.now();
          const s = net.connect(Number(u.port), u.hostname, () => send(s));
          let data = "";
          s.on("data", (d) => (data += d));
          s.on("close", () => resolve({ data, ms: Date.now() - started }));
          s.on("error", () => undefined);
        }),
    );
  }

  it("closes a connection whose headers never finish", async () => {
    const r = await slowSocket((s) => s.write("GET /v1/health HTTP/1.1\r\nHost: x\r\n"));
    expect(r.data).toMatch(/^HTTP\/1.1 408/);
    expect(r.data).toContain("application/problem+json");
    expect(JSON.parse(r.data.split("\r\n\r\n")[1])).toEqual({ type: "about:blank", title: "Request Timeout", status: 408, detail: "The request was not received in time" });
    expect(r.ms).toBeLessThan(3000);
  });

  it("closes a connection whose body never finishes", async () => {
    const r = await slowSocket((s) =>
      s.write(`PUT /v1/vaults/${vaultId}/secrets/slow HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"value":`),
    );
    expect(r.data).toMatch(/^HTTP\/1.1 408/);
    expect(r.ms).toBeLessThan(4000);
    expect(await rawSql(t, "select id from secrets where path = 'slow'")).toEqual([]);
  });
});

import crypto from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, ConfigError } from "../../src/config.js";
import { DEFAULT_LIMITS, STRONG_PASSWORD, startApp, type Res, type TestApp } from "../helpers.js";
import { inMinutes, vaultWithSecret } from "../org-helpers.js";

const REDIS_URL = process.env.ONECLAW_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const login = (t: TestApp, headers: Record<string, string> = {}) =>
  t.req("POST", "/v1/auth/token", { body: { email: "nobody@example.com", password: STRONG_PASSWORD }, headers });
const statuses = (rs: Res[]) => rs.map((r) => r.status);
const count = (rs: Res[], status: number) => rs.filter((r) => r.status === status).length;

function expectTooMany(r: Res) {
  expect(r.status).toBe(429);
  expect(r.headers["content-type"]).toMatch(/problem\+json/);
  expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
  expect(r.body).toMatchObject({ status: 429, title: "Too Many Requests" });
}

describe("default limits, in memory", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ env: { ...DEFAULT_LIMITS, ONECLAW_TRUSTED_PROXIES: "127.0.0.1" } });
  });
  afterAll(async () => t?.destroy());

  it("public auth routes: burst 5 per IP, then 429 with Retry-After; generic Invalid credentials", async () => {
    const ip = { "x-forwarded-for": "198.51.100.10" };
    const rs = await Promise.all(Array.from({ length: 9 }, () => login(t, ip)));
    expect(count(rs, 401), statuses(rs).join()).toBeGreaterThanOrEqual(5);
    expect(count(rs, 401)).toBeLessThanOrEqual(6);
    for (const r of rs.filter((r) => r.status === 401)) expect(r.body.detail).toBe("Invalid credentials");
    expectTooMany(rs.find((r) => r.status === 429)!);
    // another client address has its own bucket
    expect((await login(t, { "x-forwarded-for": "198.51.100.11" })).status).toBe(401);
    // one token a second comes back
    await new Promise((r) => setTimeout(r, 1100));
    expect((await login(t, ip)).status).toBe(401);
  });

  it("signup is limited the same way", async () => {
    const ip = { "x-forwarded-for": "198.51.100.20" };
    const rs = await Promise.all(
      Array.from({ length: 8 }, (_, i) => t.req("POST", "/v1/auth/signup", { body: { email: `rl${i}-${crypto.randomUUID()}@example.com`, password: "short" }, headers: ip })),
    );
    expect(count(rs, 400)).toBeGreaterThanOrEqual(5);
    expect(count(rs, 400)).toBeLessThanOrEqual(6);
    expectTooMany(rs.find((r) => r.status === 429)!);
  });

  it("every route: 100/s per IP with a burst of 200", async () => {
    const ip = { "x-forwarded-for": "198.51.100.30" };
    const rs = await Promise.all(Array.from({ length: 320 }, () => t.req("GET", "/v1/health", { headers: ip })));
    const ok = count(rs, 200);
    expect(ok).toBeGreaterThanOrEqual(200);
    expect(ok).toBeLessThan(300);
    expect(count(rs, 429)).toBe(320 - ok);
    expectTooMany(rs.find((r) => r.status === 429)!);
    expect((await t.req("GET", "/v1/health", { headers: { "x-forwarded-for": "198.51.100.31" } })).status).toBe(200);
  });

  it("share creation: 10 per minute per organisation", async () => {
    const owner = await t.signup();
    const s = await vaultWithSecret(t, owner.token, "rl-value");
    const create = () => t.req("POST", `/v1/secrets/${s.secretId}/share`, { token: owner.token, body: { recipient_type: "anyone_with_link", expires_at: inMinutes(10) } });
    for (let i = 0; i < 10; i++) expect((await create()).status).toBe(201);
    const r = await create();
    expectTooMany(r);
    expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(5);
    expect(Number(r.headers["retry-after"])).toBeLessThanOrEqual(6);
    const other = await t.signup();
    const s2 = await vaultWithSecret(t, other.token, "rl-value-2");
    expect((await t.req("POST", `/v1/secrets/${s2.secretId}/share`, { token: other.token, body: { recipient_type: "anyone_with_link", expires_at: inMinutes(10) } })).status).toBe(201);
  });
});

describe("configuration", () => {
  it("limits come from the environment", async () => {
    const t = await startApp({ env: { ONECLAW_RATE_LIMIT_RPS: "1", ONECLAW_RATE_LIMIT_BURST: "3" } });
    try {
      const rs = await Promise.all(Array.from({ length: 6 }, () => t.req("GET", "/v1/health")));
      expect(count(rs, 200)).toBe(3);
      expect(count(rs, 429)).toBe(3);
    } finally {
      await t.destroy();
    }
  });

  it("bad values are refused naming the variable", () => {
    const bad: Array<[Record<string, string>, string]> = [
      [{ ONECLAW_RATE_LIMIT_RPS: "0" }, "ONECLAW_RATE_LIMIT_RPS"],
      [{ ONECLAW_AUTH_RATE_LIMIT_BURST: "lots" }, "ONECLAW_AUTH_RATE_LIMIT_BURST"],
      [{ ONECLAW_SHARE_RATE_LIMIT_PER_MINUTE: "-1" }, "ONECLAW_SHARE_RATE_LIMIT_PER_MINUTE"],
      [{ REDIS_URL: "http://127.0.0.1:6379" }, "REDIS_URL"],
    ];
    for (const [env, variable] of bad) {
      let err: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(variable);
    }
  });
});

describe("Redis-backed limits", () => {
  const prefix = `oneclaw-test:${crypto.randomBytes(6).toString("hex")}:`;
  const env = { ...DEFAULT_LIMITS, REDIS_URL, ONECLAW_RATE_LIMIT_PREFIX: prefix, ONECLAW_TRUSTED_PROXIES: "127.0.0.1" };
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  beforeAll(async () => {
    a = await startApp({ env });
    // a second replica of the same deployment: same database and keys, same Redis
    b = await startApp({ env, dataDir: a.dataDir, pgSchema: a.pgSchema, keepData: true });
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    await b?.destroy();
    await a?.destroy();
  });

  it("two server instances share one auth bucket", async () => {
    const ip = { "x-forwarded-for": "192.0.2.50" };
    const first = await Promise.all([login(a, ip), login(a, ip), login(a, ip)]);
    const second = await Promise.all([login(b, ip), login(b, ip)]);
    expect(statuses([...first, ...second])).toEqual([401, 401, 401, 401, 401]);
    expectTooMany(await login(b, ip));
    expectTooMany(await login(a, ip));
    expect(await redis.exists(`${prefix}auth:/v1/auth/token:192.0.2.50`)).toBe(1);
  });

  it("two server instances share the per-IP bucket", async () => {
    const ip = { "x-forwarded-for": "192.0.2.60" };
    const rs = await Promise.all(Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).req("GET", "/v1/health", { headers: ip })));
    const ok = count(rs, 200);
    expect(ok).toBeGreaterThanOrEqual(200);
    expect(ok).toBeLessThan(290);
  });

  it("two server instances share the per-org share creation limit", async () => {
    const owner = await a.signup();
    const s = await vaultWithSecret(a, owner.token, "replica-value");
    const create = (t: TestApp) =>
      t.req("POST", `/v1/secrets/${s.secretId}/share`, { token: owner.token, body: { recipient_type: "anyone_with_link", expires_at: inMinutes(10) } });
    for (let i = 0; i < 10; i++) expect((await create(i % 2 ? a : b)).status).toBe(201);
    expectTooMany(await create(a));
    expectTooMany(await create(b));
    expect(await redis.exists(`${prefix}share:${owner.orgId}`)).toBe(1);
  });

  it("falls back to per-instance counters when Redis is unreachable", async () => {
    const t = await startApp({ env: { ...DEFAULT_LIMITS, REDIS_URL: "redis://127.0.0.1:1", ONECLAW_RATE_LIMIT_PREFIX: prefix } });
    try {
      const rs = await Promise.all(Array.from({ length: 8 }, () => login(t)));
      expect(count(rs, 429)).toBeGreaterThanOrEqual(2);
      expect(t.logs.join("")).toMatch(/Redis rate-limit store unavailable/);
    } finally {
      await t.destroy();
    }
  });
});

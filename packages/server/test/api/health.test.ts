import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { startApp, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

describe("health", () => {
  it("GET /v1/health answers ok without authentication", async () => {
    const r = await t.req("GET", "/v1/health");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: "ok", service: "oneclaw", version: VERSION });
  });

  it("GET /v1/health/hsm reports the local key provider (DESIGN decision 9)", async () => {
    const r = await t.req("GET", "/v1/health/hsm");
    expect(r.status).toBe(200);
    if (process.env.ONECLAW_TEST_KEYS === "pkcs11") {
      expect(r.body).toEqual({ status: "ok", hsm_provider: "pkcs11", connected: true, token: t.config.pkcs11!.tokenLabel });
    } else {
      expect(r.body).toEqual({ status: "ok", hsm_provider: "local", connected: true });
    }
  });

  it("reports degraded when the database is unreachable", async () => {
    const a = await startApp();
    try {
      await a.ctx.store.close();
      const r = await a.req("GET", "/v1/health");
      expect(r.status).toBe(200);
      expect(r.body.status).toBe("degraded");
    } finally {
      await a.destroy().catch(() => undefined);
    }
  });
});

describe("metrics", () => {
  it("counts requests and latency by route pattern and status, without secret paths or values", async () => {
    const { token } = await t.signup();
    const v = (await t.req("POST", "/v1/vaults", { token, body: { name: "m" } })).body.id;
    const canary = "METRICS_CANARY_VALUE";
    await t.req("PUT", `/v1/vaults/${v}/secrets/very/private-path-name`, { token, body: { value: canary } });
    for (let i = 0; i < 3; i++) await t.req("GET", `/v1/vaults/${v}/secrets/very/private-path-name`, { token });
    await t.req("GET", `/v1/vaults/${v}/secrets/missing-path-name`, { token });
    await t.req("GET", `/v1/nope/unmatched-path-name`);
    const m = await t.req("GET", "/metrics");
    expect(m.status).toBe(200);
    expect(m.headers["content-type"]).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/oneclaw_http_requests_total\{method="GET",route="\/v1\/vaults\/:vault_id\/secrets\/\*",status="200"\} 3/);
    expect(m.text).toMatch(/oneclaw_http_requests_total\{method="GET",route="\/v1\/vaults\/:vault_id\/secrets\/\*",status="404"\} 1/);
    expect(m.text).toMatch(/oneclaw_http_request_duration_seconds_bucket\{le="0.005",method="PUT",route="\/v1\/vaults\/:vault_id\/secrets\/\*",status="201"\} \d+/);
    expect(m.text).toMatch(/route="unmatched",status="404"/);
    for (const s of ["private-path-name", "missing-path-name", "unmatched-path-name", canary, v, token]) expect(m.text).not.toContain(s);
  });
});

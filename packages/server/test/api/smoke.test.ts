import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

describe("smoke", () => {
  it("signs up, creates a vault, writes and reads a secret", async () => {
    const { token } = await t.signup();
    const v = await t.req("POST", "/v1/vaults", { token, body: { name: "prod" } });
    expect(v.status).toBe(201);
    const put = await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/db/password`, { token, body: { value: "s3cret" } });
    expect(put.status).toBe(201);
    expect(put.body.version).toBe(1);
    const get = await t.req("GET", `/v1/vaults/${v.body.id}/secrets/db/password`, { token });
    expect(get.status).toBe(200);
    expect(get.body.value).toBe("s3cret");
    const enc = await t.req("GET", `/v1/vaults/${v.body.id}/secrets/db%2Fpassword`, { token });
    expect(enc.body.value).toBe("s3cret");
    const audit = await t.req("GET", "/v1/audit/events", { token });
    expect(audit.status).toBe(200);
    expect(audit.body.events.map((e: any) => e.action)).toContain("secret.read");
    const verify = await t.req("GET", "/v1/audit/verify", { token });
    expect(verify.body.valid).toBe(true);
  });
});

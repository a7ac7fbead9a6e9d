import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "../helpers.js";

const mode = process.env.ONECLAW_TEST_KEYS === "pkcs11" ? "pkcs11" : "local";
let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

describe("GET /v1/health/hsm", () => {
  it(`reports the ${mode} provider as connected, without auth`, async () => {
    const r = await t.req("GET", "/v1/health/hsm");
    expect(r.status).toBe(200);
    expect(r.body.status).toBe("ok");
    expect(r.body.connected).toBe(true);
    expect(r.body.hsm_provider).toBe(mode);
    if (mode === "pkcs11") expect(r.body.token).toBe(t.config.pkcs11!.tokenLabel);
  });

  it(mode === "pkcs11" ? "creates no master.key file in pkcs11 mode" : "keeps the local root key in master.key (mode 0600)", async () => {
    const file = path.join(t.dataDir, "master.key");
    if (mode === "pkcs11") {
      expect(fs.existsSync(file)).toBe(false);
      expect(fs.readdirSync(t.dataDir).filter((f) => f.includes("key"))).toEqual([]);
    } else {
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it("the system keys are stored only wrapped by the root key", async () => {
    const names = (await t.ctx.db.selectFrom("server_keys").select(["name", "wrapped"]).execute()) as { name: string; wrapped: Buffer }[];
    expect(names.map((n) => n.name)).toEqual(expect.arrayContaining(["root_check", "jwt_ed25519", "api_key_pepper"]));
    const pepper = await t.ctx.systemKeys.get("api_key_pepper");
    for (const row of names) expect(Buffer.from(row.wrapped).includes(pepper)).toBe(false);
    if (mode === "pkcs11") for (const row of names) expect(Buffer.from(row.wrapped)[0]).toBe(0x44);
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, uuid, type TestApp } from "../helpers.js";

let t: TestApp;
let admin: Awaited<ReturnType<TestApp["signup"]>>;
beforeAll(async () => {
  t = await startApp();
  admin = await t.signup();
});
afterAll(async () => t?.destroy());

describe("chain registry", () => {
  it("is public and seeded with the documented chains", async () => {
    const r = await t.req("GET", "/v1/chains");
    expect(r.status).toBe(200);
    const byName = new Map(r.body.chains.map((c: any) => [c.name, c]));
    for (const [name, id] of [["ethereum", 1], ["base", 8453], ["optimism", 10], ["arbitrum-one", 42161], ["polygon", 137], ["sepolia", 11155111], ["base-sepolia", 84532], ["zora", 7777777]] as const) {
      expect((byName.get(name) as any)?.chain_id, name).toBe(id);
    }
    expect((byName.get("sepolia") as any).is_testnet).toBe(true);
    expect((byName.get("ethereum") as any)).toMatchObject({ native_currency: "ETH", is_enabled: true, is_testnet: false, display_name: "Ethereum" });
    expect(r.body.chains.length).toBe(30);
  });

  it("resolves by name or numeric chain id", async () => {
    const byName = await t.req("GET", "/v1/chains/base");
    const byId = await t.req("GET", "/v1/chains/8453");
    expect(byName.status).toBe(200);
    expect(byId.body).toEqual(byName.body);
    expect((await t.req("GET", "/v1/chains/BASE")).body.chain_id).toBe(8453);
    for (const missing of ["nochain", "999999999", "-1", "1.5"]) expect((await t.req("GET", `/v1/chains/${missing}`)).status).toBe(404);
  });

  it("admins add, update, disable and remove chains", async () => {
    const body = { name: "devnet", display_name: "Dev Net", chain_id: 31337, rpc_url: "http://127.0.0.1:8545", ws_url: "ws://127.0.0.1:8546", is_testnet: true };
    const c = await t.req("POST", "/v1/admin/chains", { token: admin.token, body });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ ...body, native_currency: "ETH", is_enabled: true, explorer_url: null });
    expect((await t.req("GET", "/v1/chains/31337")).body.name).toBe("devnet");
    expect((await t.req("POST", "/v1/admin/chains", { token: admin.token, body })).status).toBe(409);
    expect((await t.req("POST", "/v1/admin/chains", { token: admin.token, body: { ...body, name: "devnet2" } })).status).toBe(409);

    const upd = await t.req("PUT", `/v1/admin/chains/${c.body.id}`, { token: admin.token, body: { display_name: "Dev", is_enabled: false, rpc_url: null } });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ display_name: "Dev", is_enabled: false, rpc_url: null, name: "devnet", chain_id: 31337 });
    expect(Date.parse(upd.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(c.body.updated_at));
    // Disabled: hidden from the public registry, visible to admins.
    expect((await t.req("GET", "/v1/chains/devnet")).status).toBe(404);
    expect((await t.req("GET", "/v1/chains")).body.chains.some((x: any) => x.name === "devnet")).toBe(false);
    expect((await t.req("GET", "/v1/admin/chains", { token: admin.token })).body.chains.some((x: any) => x.name === "devnet")).toBe(true);

    expect((await t.req("DELETE", `/v1/admin/chains/${c.body.id}`, { token: admin.token })).status).toBe(204);
    expect((await t.req("DELETE", `/v1/admin/chains/${c.body.id}`, { token: admin.token })).status).toBe(404);
    expect((await t.req("PUT", `/v1/admin/chains/${c.body.id}`, { token: admin.token, body: { display_name: "x" } })).status).toBe(404);
  });

  it("rejects bad chain definitions with the field named", async () => {
    const ok = { name: "good", display_name: "Good", chain_id: 777001 };
    const cases: Array<[unknown, string]> = [
      [{ ...ok, name: "Bad Name" }, "name"],
      [{ ...ok, name: "" }, "name"],
      [{ ...ok, chain_id: 0 }, "chain_id"],
      [{ ...ok, chain_id: "1" }, "chain_id"],
      [{ ...ok, chain_id: 1.5 }, "chain_id"],
      [{ name: "good", chain_id: 5 }, "display_name"],
      [{ ...ok, rpc_url: "ftp://x" }, "rpc_url"],
      [{ ...ok, ws_url: "https://x" }, "ws_url"],
      [{ ...ok, is_testnet: "no" }, "is_testnet"],
    ];
    for (const [body, field] of cases) {
      const r = await t.req("POST", "/v1/admin/chains", { token: admin.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.detail).toContain(field);
    }
    const eth = (await t.req("GET", "/v1/chains/ethereum")).body;
    // Name and chain id are immutable.
    const imm = await t.req("PUT", `/v1/admin/chains/${eth.id}`, { token: admin.token, body: { chain_id: 2 } });
    expect(imm.status).toBe(400);
    expect(imm.body.detail).toContain("chain_id");
    expect((await t.req("PUT", "/v1/admin/chains/not-a-uuid", { token: admin.token, body: {} })).status).toBe(400);
    expect((await t.req("DELETE", `/v1/admin/chains/${uuid()}`, { token: admin.token })).status).toBe(404);
  });

  it("admin chain routes need a platform admin", async () => {
    const u = await t.signup();
    expect((await t.req("GET", "/v1/admin/chains", { token: u.token })).status).toBe(403);
    expect((await t.req("POST", "/v1/admin/chains", { token: u.token, body: { name: "x", display_name: "x", chain_id: 9 } })).status).toBe(403);
    const eth = (await t.req("GET", "/v1/chains/ethereum")).body;
    expect((await t.req("PUT", `/v1/admin/chains/${eth.id}`, { token: u.token, body: { is_enabled: false } })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/admin/chains/${eth.id}`, { token: u.token })).status).toBe(403);
    expect((await t.req("GET", "/v1/admin/chains")).status).toBe(401);
    expect((await t.req("GET", "/v1/chains/ethereum")).body.is_enabled).toBe(true);
  });
});

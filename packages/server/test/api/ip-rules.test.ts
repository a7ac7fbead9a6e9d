import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, startApp, type TestApp } from "../helpers.js";
import { addMember } from "../org-helpers.js";

/** Behind a trusted proxy on 127.0.0.1, X-Forwarded-For names the client. */
let t: TestApp;
beforeAll(async () => {
  t = await startApp({ env: { ONECLAW_TRUSTED_PROXIES: "127.0.0.1" } });
});
afterAll(async () => t?.destroy());

const from = (ip: string) => ({ "x-forwarded-for": ip });
const rules = (token: string, headers: Record<string, string> = {}) => t.req("GET", "/v1/security/ip-rules", { token, headers });
const addRule = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  t.req("POST", "/v1/security/ip-rules", { token, body, headers });

describe("IP rule management", () => {
  it("creates, lists and deletes rules; block and description are accepted as aliases", async () => {
    const owner = await t.signup();
    const a = await addRule(owner.token, { rule_type: "allow", cidr: "127.0.0.1", label: "office" });
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ org_id: owner.orgId, rule_type: "allow", cidr: "127.0.0.1/32", label: "office", applies_to: "all", created_by: owner.userId });
    const b = await addRule(owner.token, { rule_type: "block", cidr: "203.0.113.77/24", description: "bad net", applies_to: "agents" });
    expect(b.status).toBe(201);
    expect(b.body).toMatchObject({ rule_type: "deny", cidr: "203.0.113.0/24", label: "bad net", applies_to: "agents" });
    const six = await addRule(owner.token, { rule_type: "deny", cidr: "2001:DB8::/32" });
    expect(six.body.cidr).toBe("2001:db8::/32");
    const list = await rules(owner.token);
    expect(list.body.rules.map((r: any) => r.id)).toEqual([a.body.id, b.body.id, six.body.id]);
    expect((await t.req("DELETE", `/v1/security/ip-rules/${b.body.id}`, { token: owner.token })).status).toBe(204);
    expect((await t.req("DELETE", `/v1/security/ip-rules/${b.body.id}`, { token: owner.token })).status).toBe(404);
    expect((await rules(owner.token)).body.rules).toHaveLength(2);
    const events = await t.req("GET", "/v1/audit/events?limit=100", { token: owner.token });
    expect(events.body.events.map((e: any) => e.action)).toEqual(expect.arrayContaining(["ip_rule.create", "ip_rule.delete"]));
  });

  it("only owners and admins manage rules; another org's rule is 404", async () => {
    const owner = await t.signup();
    const admin = await addMember(t, owner, "admin");
    const member = await addMember(t, owner, "member");
    const r = await addRule(admin.token, { rule_type: "deny", cidr: "198.18.0.0/15" });
    expect(r.status).toBe(201);
    expect((await rules(member.token)).status).toBe(403);
    expect((await addRule(member.token, { rule_type: "deny", cidr: "198.18.0.0/15" })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/security/ip-rules/${r.body.id}`, { token: member.token })).status).toBe(403);
    const stranger = await t.signup();
    expect((await t.req("DELETE", `/v1/security/ip-rules/${r.body.id}`, { token: stranger.token })).status).toBe(404);
    expect((await rules(stranger.token)).body.rules).toEqual([]);
    expect((await rules("")).status).toBe(401);
  });

  it("rejects bad rules with 400 naming the field", async () => {
    const owner = await t.signup();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ cidr: "10.0.0.0/8" }, /^rule_type: /],
      [{ rule_type: "maybe", cidr: "10.0.0.0/8" }, /^rule_type: /],
      [{ rule_type: "deny" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "10.0.0.0/33" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "2001:db8::/129" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "hello" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "127.1" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "10.0.0.0/8/8" }, /^cidr: /],
      [{ rule_type: "deny", cidr: "10.0.0.0/8", applies_to: "robots" }, /^applies_to: /],
      [{ rule_type: "deny", cidr: "10.0.0.0/8", label: "x".repeat(201) }, /^label: /],
      [{ rule_type: "deny", cidr: "10.0.0.0/8", label: "a", description: "b" }, /^label: /],
      [{ rule_type: "deny", cidr: ["10.0.0.0/8"] }, /^cidr: /],
    ];
    for (const [body, detail] of cases) {
      const r = await addRule(owner.token, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.detail).toMatch(detail);
    }
    expect((await t.req("DELETE", "/v1/security/ip-rules/nope", { token: owner.token })).status).toBe(400);
    expect((await rules(owner.token)).body.rules).toEqual([]);
  });
});

describe("IP rule enforcement", () => {
  it("a matching deny rule refuses every request of the org at once (IPv4, IPv6, IPv4-mapped)", async () => {
    const owner = await t.signup();
    const deny = await addRule(owner.token, { rule_type: "deny", cidr: "203.0.113.0/24" });
    await addRule(owner.token, { rule_type: "deny", cidr: "2001:db8::/32" });
    for (const ip of ["203.0.113.9", "::ffff:203.0.113.9", "2001:db8::1"]) {
      const r = await t.req("GET", "/v1/vaults", { token: owner.token, headers: from(ip) });
      expect(r.status, ip).toBe(403);
      expect(r.body.detail).toMatch(/IP/);
    }
    for (const ip of ["198.51.100.1", "2001:db9::1"]) expect((await t.req("GET", "/v1/vaults", { token: owner.token, headers: from(ip) })).status, ip).toBe(200);
    // another org is not affected, nor are public routes
    const other = await t.signup();
    expect((await t.req("GET", "/v1/vaults", { token: other.token, headers: from("203.0.113.9") })).status).toBe(200);
    expect((await t.req("GET", "/v1/health", { headers: from("203.0.113.9") })).status).toBe(200);
    // deleting the rule applies on the next request
    expect((await t.req("DELETE", `/v1/security/ip-rules/${deny.body.id}`, { token: owner.token })).status).toBe(204);
    expect((await t.req("GET", "/v1/vaults", { token: owner.token, headers: from("203.0.113.9") })).status).toBe(200);
  });

  it("once an allow rule exists the client must match one; the admin cannot lock themselves out", async () => {
    const owner = await t.signup();
    const member = await addMember(t, owner, "member");
    const lockout = await addRule(owner.token, { rule_type: "allow", cidr: "10.0.0.0/8" });
    expect(lockout.status).toBe(409);
    expect(lockout.body.detail).toMatch(/lock you out/);
    expect((await addRule(owner.token, { rule_type: "deny", cidr: "127.0.0.0/8" })).status).toBe(409);
    const home = await addRule(owner.token, { rule_type: "allow", cidr: "127.0.0.1" });
    expect(home.status).toBe(201);
    const office = await addRule(owner.token, { rule_type: "allow", cidr: "10.0.0.0/8" });
    expect(office.status).toBe(201);
    expect((await t.req("GET", "/v1/vaults", { token: member.token, headers: from("192.0.2.1") })).status).toBe(403);
    expect((await t.req("GET", "/v1/vaults", { token: member.token, headers: from("10.20.30.40") })).status).toBe(200);
    expect((await t.req("GET", "/v1/vaults", { token: member.token })).status).toBe(200);
    // removing the rule the caller depends on is refused; from the office it is fine
    expect((await t.req("DELETE", `/v1/security/ip-rules/${home.body.id}`, { token: owner.token })).status).toBe(409);
    expect((await t.req("DELETE", `/v1/security/ip-rules/${home.body.id}`, { token: owner.token, headers: from("10.0.0.5") })).status).toBe(204);
    expect((await t.req("GET", "/v1/vaults", { token: owner.token })).status).toBe(403);
  });

  it("applies_to users leaves other principal types alone and binds humans", async () => {
    const owner = await t.signup();
    await addRule(owner.token, { rule_type: "deny", cidr: "192.0.2.0/24", applies_to: "agents" });
    expect((await t.req("GET", "/v1/vaults", { token: owner.token, headers: from("192.0.2.7") })).status).toBe(200);
    await addRule(owner.token, { rule_type: "deny", cidr: "192.0.2.0/24", applies_to: "users" });
    expect((await t.req("GET", "/v1/vaults", { token: owner.token, headers: from("192.0.2.7") })).status).toBe(403);
  });
});

describe("agents", () => {
  it("rules bind agents too; applies_to agents leaves humans alone; agents cannot manage rules or members", async () => {
    const owner = await t.signup();
    const created = await t.req("POST", "/v1/agents", { token: owner.token, body: { name: "ip-agent" } });
    const agentToken = (await t.req("POST", "/v1/auth/agent-token", { body: { api_key: created.body.api_key } })).body.access_token;
    expect((await t.req("GET", "/v1/agents/me", { token: agentToken, headers: from("192.0.2.7") })).status).toBe(200);
    await addRule(owner.token, { rule_type: "deny", cidr: "192.0.2.0/24", applies_to: "agents" });
    const denied = await t.req("GET", "/v1/agents/me", { token: agentToken, headers: from("192.0.2.7") });
    expect(denied.status).toBe(403);
    expect((await t.req("GET", "/v1/agents/me", { token: agentToken, headers: from("198.51.100.7") })).status).toBe(200);
    expect((await t.req("GET", "/v1/vaults", { token: owner.token, headers: from("192.0.2.7") })).status).toBe(200);
    // the agent-token exchange itself is public, so a denied agent still gets a token it cannot use from there
    expect((await rules(agentToken)).status).toBe(403);
    expect((await addRule(agentToken, { rule_type: "allow", cidr: "0.0.0.0/0" })).status).toBe(403);
    expect((await t.req("GET", "/v1/org/members", { token: agentToken })).status).toBe(403);
    expect((await t.req("POST", "/v1/org/invite", { token: agentToken, body: { email: "x@example.com" } })).status).toBe(403);
  });
});

describe("client address", () => {
  it("X-Forwarded-For is ignored unless the peer is a trusted proxy", async () => {
    const direct = await startApp();
    try {
      const owner = await direct.signup();
      const r = await direct.req("POST", "/v1/security/ip-rules", { token: owner.token, body: { rule_type: "deny", cidr: "203.0.113.0/24" } });
      expect(r.status).toBe(201);
      expect((await direct.req("GET", "/v1/vaults", { token: owner.token, headers: from("203.0.113.9") })).status).toBe(200);
      const events = await direct.req("GET", "/v1/audit/events?limit=10", { token: owner.token, headers: from("203.0.113.9") });
      expect(events.body.events.every((e: any) => e.ip_address !== "203.0.113.9")).toBe(true);
    } finally {
      await direct.destroy();
    }
  });
});

if (dialect === "postgres") {
  describe("replicas", () => {
    it("a rule created on one replica is enforced by another at once", async () => {
      const b = await startApp({ env: { ONECLAW_TRUSTED_PROXIES: "127.0.0.1" }, dataDir: t.dataDir, pgSchema: t.pgSchema, keepData: true });
      try {
        const owner = await t.signup();
        expect((await b.req("GET", "/v1/vaults", { token: owner.token, headers: from("203.0.113.9") })).status).toBe(200);
        await addRule(owner.token, { rule_type: "deny", cidr: "203.0.113.0/24" });
        let status = 0;
        for (let i = 0; i < 50 && status !== 403; i++) {
          status = (await b.req("GET", "/v1/vaults", { token: owner.token, headers: from("203.0.113.9") })).status;
          if (status !== 403) await new Promise((r) => setTimeout(r, 20));
        }
        expect(status).toBe(403);
      } finally {
        await b.destroy();
      }
    });
  });
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, STRONG_PASSWORD, rawSql, startApp, uuid, type TestApp } from "../helpers.js";
import { addMember, inMinutes, outbox, vaultWithSecret, waitForMail } from "../org-helpers.js";

/** Security properties of behaviour notes §13 that sharing, org, IP rules and rate limits own. */
const CANARY = "sk_live_security_sharing_canary";
let t: TestApp;
beforeAll(async () => {
  // default share-creation limit; auth limits stay open here (S5 starts its own app)
  t = await startApp({ env: { ONECLAW_SHARE_RATE_LIMIT_PER_MINUTE: "" } });
});
afterAll(async () => t?.destroy());

type User = Awaited<ReturnType<TestApp["signup"]>>;

async function agentOf(owner: User, vaultId?: string) {
  const r = await t.req("POST", "/v1/agents", { token: owner.token, body: { name: `agent-${uuid().slice(0, 6)}` } });
  expect(r.status).toBe(201);
  const tok = await t.req("POST", "/v1/auth/agent-token", { body: { api_key: r.body.api_key } });
  expect(tok.status).toBe(200);
  let policyId: string | undefined;
  if (vaultId) {
    const p = await t.req("POST", `/v1/vaults/${vaultId}/policies`, {
      token: owner.token,
      body: { secret_path_pattern: "**", principal_type: "agent", principal_id: r.body.agent.id, permissions: ["read"] },
    });
    expect(p.status).toBe(201);
    policyId = p.body.id;
  }
  return { id: r.body.agent.id as string, token: tok.body.access_token as string, policyId };
}

const shareOf = (token: string, secretId: string, body: Record<string, unknown>) =>
  t.req("POST", `/v1/secrets/${secretId}/share`, { token, body: { expires_at: inMinutes(30), ...body } });

describe("S1 cross-org access by id is impossible", () => {
  it("vault, secret, policy, agent, share, IP rule and member of another org all answer 404", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const agent = await agentOf(a, s.vaultId);
    const bob = await addMember(t, a, "member");
    const targeted = await shareOf(a.token, s.secretId, { recipient_type: "user", recipient_id: bob.userId });
    const link = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link" });
    const rule = await t.req("POST", "/v1/security/ip-rules", { token: a.token, body: { rule_type: "deny", cidr: "192.0.2.0/24" } });
    expect([targeted.status, link.status, rule.status]).toEqual([201, 201, 201]);

    const b = await t.signup();
    const ownVault = (await t.req("POST", "/v1/vaults", { token: b.token, body: { name: "b" } })).body.id;
    const bAgent = await agentOf(b, ownVault);
    const calls: Array<[string, string, unknown?]> = [
      ["GET", `/v1/vaults/${s.vaultId}`],
      ["DELETE", `/v1/vaults/${s.vaultId}`],
      ["GET", `/v1/vaults/${s.vaultId}/secrets/${s.path}`],
      ["PUT", `/v1/vaults/${s.vaultId}/secrets/${s.path}`, { value: "overwrite" }],
      ["DELETE", `/v1/vaults/${s.vaultId}/secrets/${s.path}`],
      ["GET", `/v1/vaults/${s.vaultId}/policies`],
      ["PUT", `/v1/vaults/${s.vaultId}/policies/${agent.policyId}`, { permissions: ["read", "write"] }],
      ["DELETE", `/v1/vaults/${s.vaultId}/policies/${agent.policyId}`],
      ["DELETE", `/v1/vaults/${ownVault}/policies/${agent.policyId}`],
      ["GET", `/v1/agents/${agent.id}`],
      ["PATCH", `/v1/agents/${agent.id}`, { is_active: false }],
      ["DELETE", `/v1/agents/${agent.id}`],
      ["POST", `/v1/secrets/${s.secretId}/share`, { recipient_type: "anyone_with_link", expires_at: inMinutes(5) }],
      ["DELETE", `/v1/share/${link.body.id}`],
      ["DELETE", `/v1/share/${targeted.body.id}`],
      ["POST", `/v1/shares/${targeted.body.id}/accept`],
      ["POST", `/v1/shares/${targeted.body.id}/decline`],
      ["GET", `/v1/share/${targeted.body.id}`],
      ["DELETE", `/v1/security/ip-rules/${rule.body.id}`],
      ["PATCH", `/v1/org/members/${bob.userId}`, { role: "admin" }],
      ["DELETE", `/v1/org/members/${bob.userId}`],
    ];
    for (const caller of [b.token, bAgent.token]) {
      for (const [method, url, body] of calls) {
        const r = await t.req(method, url, { token: caller, body });
        // agents may not manage org members or IP rules at all (403 before any lookup); everything else is 404
        const who = caller === b.token ? "user" : "agent";
        // agents may not manage members, IP rules, agents or their own org's policies (403 before any lookup)
        const humanOnly = /^\/v1\/(org|security|agents)\//.test(url) || url.startsWith(`/v1/vaults/${ownVault}/`);
        if (who === "agent" && humanOnly) expect([403, 404], `${who} ${method} ${url}`).toContain(r.status);
        else expect(r.status, `${who} ${method} ${url}`).toBe(404);
        expect(r.text).not.toContain(CANARY);
      }
    }
    // nothing was changed
    expect((await t.req("GET", `/v1/vaults/${s.vaultId}/secrets/${s.path}`, { token: a.token })).body.value).toBe(CANARY);
    expect((await t.req("GET", `/v1/share/${link.body.id}`)).status).toBe(200);
    expect((await t.req("GET", `/v1/agents/${agent.id}`, { token: a.token })).body.is_active).toBe(true);
    expect((await t.req("GET", "/v1/security/ip-rules", { token: a.token })).body.rules).toHaveLength(1);
  });
});

describe("authentication and malformed ids on every sharing, org and IP-rule endpoint", () => {
  it("no token → 401; a malformed id → 400 naming the parameter", async () => {
    const id = uuid();
    const routes: Array<[string, string, unknown?]> = [
      ["POST", `/v1/secrets/${id}/share`, { recipient_type: "anyone_with_link", expires_at: inMinutes(5) }],
      ["DELETE", `/v1/share/${id}`],
      ["GET", "/v1/shares/outbound"],
      ["GET", "/v1/shares/inbound"],
      ["POST", `/v1/shares/${id}/accept`],
      ["POST", `/v1/shares/${id}/decline`],
      ["GET", "/v1/org/members"],
      ["POST", "/v1/org/invite", { email: "a@example.com" }],
      ["POST", "/v1/org/invites/accept", { token: "A".repeat(43) }],
      ["PATCH", `/v1/org/members/${id}`, { role: "admin" }],
      ["DELETE", `/v1/org/members/${id}`],
      ["GET", "/v1/security/ip-rules"],
      ["POST", "/v1/security/ip-rules", { rule_type: "deny", cidr: "10.0.0.0/8" }],
      ["DELETE", `/v1/security/ip-rules/${id}`],
    ];
    for (const [method, url, body] of routes) {
      const r = await t.req(method, url, { body });
      expect(r.status, `${method} ${url}`).toBe(401);
      expect(r.headers["content-type"]).toMatch(/problem\+json/);
    }
    const u = await t.signup();
    for (const [method, url, body] of routes) {
      if (!url.includes(id)) continue;
      const r = await t.req(method, url.replace(id, "../etc"), { token: u.token, body });
      expect([400, 404], `${method} ${url}`).toContain(r.status);
      const bad = await t.req(method, url.replace(id, "not-a-uuid"), { token: u.token, body });
      expect(bad.status, `${method} ${url}`).toBe(400);
      expect(bad.body.detail).toMatch(/^params (secret_id|share_id|user_id|rule_id): /);
    }
  });
});

describe("S3 revoked token", () => {
  it("a revoked token is refused on its next use, including on targeted shares", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const bob = await addMember(t, a, "member");
    const c = await shareOf(a.token, s.secretId, { recipient_type: "user", recipient_id: bob.userId });
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: bob.token })).status).toBe(204);
    expect((await t.req("DELETE", "/v1/auth/token", { token: bob.token })).status).toBe(204);
    expect((await t.req("GET", "/v1/shares/inbound", { token: bob.token })).status).toBe(401);
    expect((await t.req("GET", `/v1/share/${c.body.id}`, { token: bob.token })).status).toBe(401);
    const [row] = await rawSql(t, "select access_count from shares where id = $1", [c.body.id]);
    expect(Number(row.access_count)).toBe(0);
  });

  it("a removed member's token is refused at once", async () => {
    const a = await t.signup();
    const m = await addMember(t, a, "admin");
    expect((await t.req("GET", "/v1/org/members", { token: m.token })).status).toBe(200);
    expect((await t.req("DELETE", `/v1/org/members/${m.userId}`, { token: a.token })).status).toBe(204);
    expect((await t.req("GET", "/v1/org/members", { token: m.token })).status).toBe(401);
  });
});

describe("S5 login and signup are rate limited", () => {
  it("burst 5 at 1/s → 429 with Retry-After; the same generic Invalid credentials for unknown and known emails", async () => {
    const app = await startApp({ env: DEFAULT_LIMITS });
    try {
      const known = await app.signup();
      const unknown = await app.req("POST", "/v1/auth/token", { body: { email: "nobody-here@example.com", password: STRONG_PASSWORD } });
      const wrong = await app.req("POST", "/v1/auth/token", { body: { email: known.email, password: `${STRONG_PASSWORD}x` } });
      expect([unknown.status, wrong.status]).toEqual([401, 401]);
      expect(unknown.body).toEqual(wrong.body);
      expect(unknown.body.detail).toBe("Invalid credentials");
      const more = await Promise.all(Array.from({ length: 6 }, () => app.req("POST", "/v1/auth/token", { body: { email: known.email, password: "nope" } })));
      const limited = more.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThanOrEqual(3);
      expect(Number(limited[0].headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(limited[0].headers["content-type"]).toMatch(/problem\+json/);
      // signup has its own bucket, burst 5 (one was used above)
      const signups = await Promise.all(
        Array.from({ length: 7 }, () => app.req("POST", "/v1/auth/signup", { body: { email: `s5-${uuid()}@example.com`, password: STRONG_PASSWORD } })),
      );
      expect(signups.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(2);
      expect(signups.filter((r) => r.status === 200).length).toBeLessThanOrEqual(5);
    } finally {
      await app.destroy();
    }
  });
});

describe("S26 sharing rules are enforced server-side", () => {
  it("agents cannot create external_email shares; they can share with their creator, who must accept", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const agent = await agentOf(a, s.vaultId);
    const email = `victim-${uuid().slice(0, 6)}@example.com`;
    const spam = await shareOf(agent.token, s.secretId, { recipient_type: "external_email", email });
    expect(spam.status).toBe(403);
    expect(spam.body.detail).toMatch(/Agents cannot create email shares/);
    await new Promise((r) => setTimeout(r, 50));
    expect(outbox(t).filter((m) => m.to === email)).toEqual([]);

    const back = await shareOf(agent.token, s.secretId, { recipient_type: "creator" });
    expect(back.status).toBe(201);
    expect((await t.req("GET", `/v1/share/${back.body.id}`, { token: a.token })).status).toBe(403);
    const inbound = await t.req("GET", "/v1/shares/inbound", { token: a.token });
    expect(inbound.body.shares.map((x: any) => x.id)).toContain(back.body.id);
    expect((await t.req("POST", `/v1/shares/${back.body.id}/accept`, { token: a.token })).status).toBe(204);
    const r = await t.req("GET", `/v1/share/${back.body.id}`, { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body.value).toBe(CANARY);
    // the human behind the agent is told the share was opened, without the value
    const [mail] = await waitForMail(t, a.email, /accessed/);
    expect(mail.text).toContain(agent.id);
    expect(mail.text).not.toContain(CANARY);
    const out = await t.req("GET", "/v1/shares/outbound", { token: agent.token });
    expect(out.body.shares.map((x: any) => x.id)).toEqual([back.body.id]);
  });

  it("agent-to-agent shares need the recipient agent's token and acceptance; an agent without read access cannot share", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const sender = await agentOf(a, s.vaultId);
    const receiver = await agentOf(a);
    const c = await shareOf(sender.token, s.secretId, { recipient_type: "agent", recipient_id: receiver.id });
    expect(c.status).toBe(201);
    expect((await t.req("GET", `/v1/share/${c.body.id}`, { token: receiver.token })).status).toBe(403);
    expect((await t.req("GET", `/v1/share/${c.body.id}`, { token: sender.token })).status).toBe(404);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: receiver.token })).status).toBe(204);
    const r = await t.req("GET", `/v1/share/${c.body.id}`, { token: receiver.token });
    expect(r.status).toBe(200);
    expect(r.body.value).toBe(CANARY);
    // the receiver has no policy: it cannot re-share the secret
    expect((await shareOf(receiver.token, s.secretId, { recipient_type: "anyone_with_link" })).status).toBe(403);
    // humans cannot use "creator", agents of another org are unknown recipients
    expect((await shareOf(a.token, s.secretId, { recipient_type: "creator" })).status).toBe(400);
    const other = await t.signup();
    const foreign = await agentOf(other);
    expect((await shareOf(a.token, s.secretId, { recipient_type: "agent", recipient_id: foreign.id })).status).toBe(404);
  });

  it("shares end with their creator: a deleted agent's or a deleted account's shares answer 404", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const agent = await agentOf(a, s.vaultId);
    const byAgent = await shareOf(agent.token, s.secretId, { recipient_type: "anyone_with_link" });
    expect((await t.req("GET", `/v1/share/${byAgent.body.id}`)).status).toBe(200);
    expect((await t.req("DELETE", `/v1/agents/${agent.id}`, { token: a.token })).status).toBe(204);
    expect((await t.req("GET", `/v1/share/${byAgent.body.id}`)).status).toBe(404);

    const admin = await addMember(t, a, "admin");
    const byAdmin = await shareOf(admin.token, s.secretId, { recipient_type: "anyone_with_link" });
    expect((await t.req("GET", `/v1/share/${byAdmin.body.id}`)).status).toBe(200);
    const del = await t.req("DELETE", "/v1/auth/me", { token: admin.token, body: { confirmation: "DELETE MY ACCOUNT" } });
    expect(del.status).toBe(204);
    expect((await t.req("GET", `/v1/share/${byAdmin.body.id}`)).status).toBe(404);
  });

  it("share creation is limited to 10 per minute per organisation (default)", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const agent = await agentOf(a, s.vaultId);
    for (let i = 0; i < 10; i++) expect((await shareOf(i % 2 ? a.token : agent.token, s.secretId, { recipient_type: "anyone_with_link" })).status).toBe(201);
    const r = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link" });
    expect(r.status).toBe(429);
    expect(Number(r.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect((await shareOf(agent.token, s.secretId, { recipient_type: "anyone_with_link" })).status).toBe(429);
    const b = await t.signup();
    const sb = await vaultWithSecret(t, b.token, "other-org");
    expect((await shareOf(b.token, sb.secretId, { recipient_type: "anyone_with_link" })).status).toBe(201);
  });

  it("passphrase and IP allowlist are checked by the server; revoked → 404; exhausted and expired → 410", async () => {
    const a = await t.signup();
    const s = await vaultWithSecret(t, a.token, CANARY);
    const locked = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link", passphrase: "open sesame", ip_allowlist: ["127.0.0.1/32", "::1"] });
    expect((await t.req("GET", `/v1/share/${locked.body.id}`)).status).toBe(403);
    expect((await t.req("GET", `/v1/share/${locked.body.id}`, { headers: { "x-share-passphrase": "open sesame!" } })).status).toBe(403);
    expect((await t.req("GET", `/v1/share/${locked.body.id}?passphrase=open%20sesame`)).status).toBe(403);
    expect((await t.req("GET", `/v1/share/${locked.body.id}`, { headers: { "x-share-passphrase": "open sesame" } })).status).toBe(200);
    const elsewhere = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link", ip_allowlist: ["198.51.100.0/24"] });
    expect((await t.req("GET", `/v1/share/${elsewhere.body.id}`, { headers: { "x-forwarded-for": "198.51.100.7" } })).status).toBe(403);

    const once = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link", max_access_count: 1 });
    expect((await t.req("GET", `/v1/share/${once.body.id}`)).status).toBe(200);
    expect((await t.req("GET", `/v1/share/${once.body.id}`)).status).toBe(410);

    const old = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link" });
    await rawSql(t, "update shares set expires_at = $1 where id = $2", [new Date(Date.now() - 1000).toISOString(), old.body.id]);
    expect((await t.req("GET", `/v1/share/${old.body.id}`)).status).toBe(410);

    const gone = await shareOf(a.token, s.secretId, { recipient_type: "anyone_with_link" });
    expect((await t.req("DELETE", `/v1/share/${gone.body.id}`, { token: a.token })).status).toBe(204);
    expect((await t.req("GET", `/v1/share/${gone.body.id}`)).status).toBe(404);

    // none of it leaked: not the value, not the passphrase
    const events = await t.req("GET", "/v1/audit/events?limit=500", { token: a.token });
    const text = JSON.stringify(events.body) + t.logs.join("") + JSON.stringify(outbox(t));
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain("open sesame");
  });
});

import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, type TestApp } from "../helpers.js";

let t: TestApp;
let human: Awaited<ReturnType<TestApp["signup"]>>;

beforeAll(async () => {
  t = await startApp();
  human = await t.signup();
});
afterAll(async () => t?.destroy());

const enroll = (body: Record<string, unknown>, app = t) => app.req("POST", "/v1/agents/enroll", { body });
function outbox(): Array<{ to: string; subject: string; text: string }> {
  const dir = t.ctx.mailer.outboxDir;
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
}

describe("agent self-enrollment", () => {
  it("for a known email: creates the agent in the user's org and mails the key, never returning it", async () => {
    const r = await enroll({ name: "self-bot", human_email: human.email.toUpperCase(), description: "enrolled itself" });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["agent_id", "message"]);
    await t.services.agents.enrollments;
    const mail = outbox().find((m) => m.to === human.email);
    expect(mail).toBeDefined();
    const key = /API key: (ocv_[A-Za-z0-9_-]+)/.exec(mail!.text)![1];
    expect(mail!.text).toContain(r.body.agent_id);
    expect(r.text).not.toContain(key);
    const agent = await t.req("GET", `/v1/agents/${r.body.agent_id}`, { token: human.token });
    expect(agent.status).toBe(200);
    expect(agent.body).toMatchObject({ name: "self-bot", description: "enrolled itself", auth_method: "api_key", is_active: true });
    const tok = await t.req("POST", "/v1/auth/agent-token", { body: { api_key: key } });
    expect(tok.status).toBe(200);
    expect(tok.body.agent_id).toBe(r.body.agent_id);
    const me = await t.req("GET", "/v1/agents/me", { token: tok.body.access_token });
    expect(me.body).toMatchObject({ org_id: human.orgId, created_by: human.userId });
    // Zero access until a human grants a policy.
    const v = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "v" } })).body.id;
    await t.req("PUT", `/v1/vaults/${v}/secrets/k`, { token: human.token, body: { value: "x" } });
    expect((await t.req("GET", `/v1/vaults/${v}/secrets/k`, { token: tok.body.access_token })).status).toBe(403);
    const audit = await rawSql(t, "SELECT action, actor_id FROM audit_events WHERE resource_id = $1", [r.body.agent_id]);
    expect(audit.map((e) => e.action)).toContain("agent.enroll");
    expect(JSON.stringify(await rawSql(t, "SELECT * FROM audit_events"))).not.toContain(key);
    expect(t.logs.join("")).not.toContain(key);
  });

  it("for an unknown email: the same status and body shape, no agent, no mail", async () => {
    const before = outbox().length;
    const agentsBefore = (await rawSql(t, "SELECT count(*) AS n FROM agents"))[0].n;
    const r = await enroll({ name: "ghost", human_email: "nobody-here@example.com" });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(["agent_id", "message"]);
    expect(r.body.agent_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r.body.agent_id).not.toBe("00000000-0000-0000-0000-000000000000");
    const known = await enroll({ name: "ghost", human_email: (await t.signup()).email });
    expect(known.body.message).toBe(r.body.message);
    await t.services.agents.enrollments;
    expect(outbox().length).toBe(before + 1);
    expect((await rawSql(t, "SELECT count(*) AS n FROM agents"))[0].n).toBe(Number(agentsBefore) + 1);
  });

  it("allows one enrollment per email per 10 minutes, known or not, across replicas", async () => {
    const other = await t.signup();
    expect((await enroll({ name: "a", human_email: other.email })).status).toBe(201);
    const again = await enroll({ name: "b", human_email: other.email.toUpperCase() });
    expect(again.status).toBe(429);
    expect(Number(again.headers["retry-after"])).toBeGreaterThan(590);
    expect(Number(again.headers["retry-after"])).toBeLessThanOrEqual(600);
    expect((await enroll({ name: "a", human_email: "ghost2@example.com" })).status).toBe(201);
    expect((await enroll({ name: "a", human_email: "ghost2@example.com" })).status).toBe(429);
    const replica = await startApp({ pgSchema: t.pgSchema, dataDir: t.dataDir, keepData: true });
    try {
      expect((await enroll({ name: "c", human_email: other.email }, replica)).status).toBe(429);
    } finally {
      await replica.destroy();
    }
    // After the cooldown the email may enroll again.
    await rawSql(t, "UPDATE agent_enrollments SET last_at = $1", [new Date(Date.now() - 11 * 60_000).toISOString()]);
    expect((await enroll({ name: "d", human_email: other.email })).status).toBe(201);
    await t.services.agents.enrollments;
  });

  it("rejects malformed requests with 400 naming the field", async () => {
    for (const [body, field] of [
      [{ name: "x" }, /human_email/],
      [{ name: "x", human_email: "not-an-email" }, /human_email/],
      [{ human_email: "a@example.com" }, /name/],
      [{ name: "", human_email: "a@example.com" }, /name/],
      [{ name: "x", human_email: "a@example.com", description: "d".repeat(3000) }, /description/],
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const r = await enroll(body);
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatch(field);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialect, rawSql, startApp, uuid, type TestApp } from "../helpers.js";

let t: TestApp;
let human: Awaited<ReturnType<TestApp["signup"]>>;
let vaultId: string;

async function agentToken(body: Record<string, unknown> = {}) {
  const created = await t.req("POST", "/v1/agents", { token: human.token, body: { name: "bot", ...body } });
  expect(created.status).toBe(201);
  const tok = await t.req("POST", "/v1/auth/agent-token", { body: { api_key: created.body.api_key } });
  return { id: created.body.agent.id as string, token: tok.body.access_token as string, apiKey: created.body.api_key as string };
}

const policy = (vault: string, body: Record<string, unknown>, token = human.token) =>
  t.req("POST", `/v1/vaults/${vault}/policies`, { token, body: { permissions: ["read"], ...body } });

beforeAll(async () => {
  t = await startApp();
  human = await t.signup();
  vaultId = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "prod" } })).body.id;
  for (const p of ["api-keys/stripe", "api-keys/nested/deep", "db/password", "top"]) {
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/${p}`, { token: human.token, body: { value: `v-${p}` } })).status).toBe(201);
  }
});
afterAll(async () => t?.destroy());

describe("policies CRUD", () => {
  it("creates, lists, updates and deletes a policy with the reference shape and audit events", async () => {
    const a = await agentToken();
    const c = await policy(vaultId, {
      secret_path_pattern: "api-keys/**",
      principal_type: "agent",
      principal_id: a.id,
      permissions: ["read", "write"],
      conditions: { ip_allowlist: ["127.0.0.0/8"], time_window: { after: "00:00", before: "23:59", timezone: "Europe/Berlin", days: ["mon", "tue"] } },
      expires_at: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({
      vault_id: vaultId,
      secret_path_pattern: "api-keys/**",
      principal_type: "agent",
      principal_id: a.id,
      permissions: ["read", "write"],
      created_by: human.userId,
      created_by_type: "user",
    });
    expect(c.body.conditions.time_window.timezone).toBe("Europe/Berlin");
    const list = await t.req("GET", `/v1/vaults/${vaultId}/policies`, { token: human.token });
    expect(list.body.policies.map((p: any) => p.id)).toContain(c.body.id);
    const up = await t.req("PUT", `/v1/vaults/${vaultId}/policies/${c.body.id}`, { token: human.token, body: { permissions: ["read"], conditions: {}, expires_at: null } });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ permissions: ["read"], conditions: {}, expires_at: null, secret_path_pattern: "api-keys/**" });
    expect((await t.req("DELETE", `/v1/vaults/${vaultId}/policies/${c.body.id}`, { token: human.token })).status).toBe(204);
    expect((await t.req("DELETE", `/v1/vaults/${vaultId}/policies/${c.body.id}`, { token: human.token })).status).toBe(404);
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/policies/${c.body.id}`, { token: human.token, body: { permissions: ["read"] } })).status).toBe(404);
    const actions = (await rawSql(t, "SELECT action FROM audit_events WHERE resource_id = $1", [c.body.id])).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["policy.create", "policy.update", "policy.delete"]));
  });

  it("rejects bad input with 400 naming the field", async () => {
    const a = await agentToken();
    const base = { secret_path_pattern: "x/*", principal_type: "agent", principal_id: a.id };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, permissions: ["read", "admin"] }, /permissions\.1: unknown permission "admin"/],
      [{ ...base, permissions: [] }, /permissions/],
      [{ ...base, conditions: { ip_allowlist: ["10.0.0.0/33"] } }, /conditions\.ip_allowlist\.0/],
      [{ ...base, conditions: { ip_allowlist: ["not-an-ip"] } }, /conditions\.ip_allowlist\.0/],
      [{ ...base, conditions: { time_window: { after: "08:00", before: "20:00", timezone: "Mars/Olympus" } } }, /conditions\.time_window\.timezone/],
      [{ ...base, conditions: { time_window: { after: "8am", before: "20:00" } } }, /conditions\.time_window\.after/],
      [{ ...base, conditions: { time_window: { after: "08:00", before: "20:00", days: ["funday"] } } }, /conditions\.time_window\.days\.0/],
      [{ ...base, conditions: { ip_alowlist: ["10.0.0.0/8"] } }, /conditions/],
      [{ ...base, secret_path_pattern: "a//b" }, /secret_path_pattern/],
      [{ ...base, secret_path_pattern: "/a" }, /secret_path_pattern/],
      [{ ...base, secret_path_pattern: "a/**x" }, /secret_path_pattern/],
      [{ ...base, secret_path_pattern: "a/../b" }, /secret_path_pattern/],
      [{ ...base, secret_path_pattern: "a b" }, /secret_path_pattern/],
      [{ ...base, secret_path_pattern: "" }, /secret_path_pattern/],
      [{ ...base, principal_type: "robot" }, /principal_type/],
      [{ ...base, principal_id: "nope" }, /principal_id/],
      [{ ...base, principal_id: uuid() }, /principal_id: no agent with this id/],
      [{ ...base, expires_at: new Date(Date.now() - 1000).toISOString() }, /expires_at/],
      [{ ...base, expires_at: "tomorrow" }, /expires_at/],
    ];
    for (const [body, detail] of cases) {
      const r = await policy(vaultId, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.headers["content-type"]).toMatch(/problem\+json/);
      expect(r.body.detail, JSON.stringify(body)).toMatch(detail);
    }
    const ok = await policy(vaultId, { ...base, permissions: ["read"] });
    expect(ok.status).toBe(201);
    for (const [body, detail] of [
      [{}, /nothing to update/],
      [{ permissions: ["execute"] }, /permissions\.0/],
      [{ conditions: { ip_allowlist: ["300.1.1.1"] } }, /conditions\.ip_allowlist\.0/],
      [{ conditions: { time_window: { after: "08:00", before: "08:00" } } }, /conditions\.time_window/],
      [{ expires_at: "2000-01-01T00:00:00Z" }, /expires_at/],
      [{ secret_path_pattern: "**" }, /nothing to update/],
    ] as Array<[Record<string, unknown>, RegExp]>) {
      const r = await t.req("PUT", `/v1/vaults/${vaultId}/policies/${ok.body.id}`, { token: human.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.detail).toMatch(detail);
    }
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/policies/not-a-uuid`, { token: human.token, body: { permissions: ["read"] } })).status).toBe(400);
    const unchanged = await t.req("GET", `/v1/vaults/${vaultId}/policies`, { token: human.token });
    expect(unchanged.body.policies.find((p: any) => p.id === ok.body.id)).toMatchObject({ permissions: ["read"], conditions: {}, secret_path_pattern: "x/*" });
    await t.req("DELETE", `/v1/vaults/${vaultId}/policies/${ok.body.id}`, { token: human.token });
    const none = await t.req("GET", `/v1/vaults/${vaultId}/policies`, { token: human.token });
    expect(none.body.policies.filter((p: any) => p.principal_id === a.id)).toEqual([]);
  });

  it("a principal of another org is rejected, and another org's vault is 404", async () => {
    const other = await t.signup();
    const r = await policy(vaultId, { secret_path_pattern: "**", principal_type: "user", principal_id: other.userId });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/principal_id/);
    const theirs = (await t.req("POST", "/v1/vaults", { token: other.token, body: { name: "theirs" } })).body.id;
    expect((await policy(theirs, { secret_path_pattern: "**", principal_type: "user", principal_id: human.userId })).status).toBe(404);
    expect((await t.req("GET", `/v1/vaults/${theirs}/policies`, { token: human.token })).status).toBe(404);
  });
});

describe("policy evaluation", () => {
  it("globs: * is one segment, ** any depth including zero, literal segments match exactly", async () => {
    const a = await agentToken();
    await policy(vaultId, { secret_path_pattern: "api-keys/*", principal_type: "agent", principal_id: a.id });
    const get = (p: string) => t.req("GET", `/v1/vaults/${vaultId}/secrets/${p}`, { token: a.token });
    expect((await get("api-keys/stripe")).status).toBe(200);
    expect((await get("api-keys/nested/deep")).status).toBe(403);
    expect((await get("db/password")).status).toBe(403);
    const b = await agentToken();
    await policy(vaultId, { secret_path_pattern: "api-keys/**", principal_type: "agent", principal_id: b.id });
    const getB = (p: string) => t.req("GET", `/v1/vaults/${vaultId}/secrets/${p}`, { token: b.token });
    expect((await getB("api-keys/nested/deep")).status).toBe(200);
    expect((await getB("api-keys/stripe")).status).toBe(200);
    expect((await getB("top")).status).toBe(403);
    const list = await t.req("GET", `/v1/vaults/${vaultId}/secrets`, { token: b.token });
    expect(list.status).toBe(200);
    expect(list.body.secrets.map((s: any) => s.path).sort()).toEqual(["api-keys/nested/deep", "api-keys/stripe"]);
    const c = await agentToken();
    await policy(vaultId, { secret_path_pattern: "**/deep", principal_type: "agent", principal_id: c.id });
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/api-keys/nested/deep`, { token: c.token })).status).toBe(200);
    const d = await agentToken();
    await policy(vaultId, { secret_path_pattern: "api-*/stri*", principal_type: "agent", principal_id: d.id });
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/api-keys/stripe`, { token: d.token })).status).toBe(200);
  });

  it("read does not allow write or delete; delete allows DELETE but not PUT; write allows both", async () => {
    const r = await agentToken();
    await policy(vaultId, { secret_path_pattern: "w/**", principal_type: "agent", principal_id: r.id, permissions: ["read"] });
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/w/x`, { token: r.token, body: { value: "v" } })).status).toBe(403);
    const w = await agentToken();
    await policy(vaultId, { secret_path_pattern: "w/**", principal_type: "agent", principal_id: w.id, permissions: ["write"] });
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/w/x`, { token: w.token, body: { value: "v" } })).status).toBe(201);
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/w/x`, { token: w.token })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/vaults/${vaultId}/secrets/w/x`, { token: r.token })).status).toBe(403);
    const d = await agentToken();
    await policy(vaultId, { secret_path_pattern: "w/**", principal_type: "agent", principal_id: d.id, permissions: ["delete"] });
    expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/w/x`, { token: d.token, body: { value: "v" } })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/vaults/${vaultId}/secrets/w/x`, { token: d.token })).status).toBe(204);
    await t.req("PUT", `/v1/vaults/${vaultId}/secrets/w/y`, { token: w.token, body: { value: "v" } });
    expect((await t.req("DELETE", `/v1/vaults/${vaultId}/secrets/w/y`, { token: w.token })).status).toBe(204);
  });

  it("a policy change applies on the very next request: update narrows, delete revokes, expiry ends it", async () => {
    const a = await agentToken();
    const p = await policy(vaultId, { secret_path_pattern: "**", principal_type: "agent", principal_id: a.id });
    const get = () => t.req("GET", `/v1/vaults/${vaultId}/secrets/db/password`, { token: a.token });
    expect((await get()).status).toBe(200);
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, { token: human.token, body: { conditions: { ip_allowlist: ["10.0.0.0/8"] } } });
    expect((await get()).status).toBe(403);
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, { token: human.token, body: { conditions: { ip_allowlist: ["127.0.0.1", "::1/128"] } } });
    expect((await get()).status).toBe(200);
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, { token: human.token, body: { expires_at: new Date(Date.now() + 1500).toISOString() } });
    expect((await get()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1600));
    expect((await get()).status).toBe(403);
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, { token: human.token, body: { expires_at: null } });
    expect((await get()).status).toBe(200);
    await t.req("DELETE", `/v1/vaults/${vaultId}/policies/${p.body.id}`, { token: human.token });
    expect((await get()).status).toBe(403);
  });

  it("time windows: inside allows, outside denies, days restrict, windows over midnight wrap", async () => {
    const a = await agentToken();
    const now = new Date();
    const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
    const inOneHour = new Date(now.getTime() + 3600_000);
    const twoHoursAgo = new Date(now.getTime() - 2 * 3600_000);
    const p = await policy(vaultId, {
      secret_path_pattern: "top",
      principal_type: "agent",
      principal_id: a.id,
      conditions: { time_window: { after: hh(twoHoursAgo), before: hh(inOneHour), timezone: "UTC" } },
    });
    const get = () => t.req("GET", `/v1/vaults/${vaultId}/secrets/top`, { token: a.token });
    expect((await get()).status).toBe(200);
    // The complement (from an hour ahead to two hours ago, wrapping midnight) excludes now.
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, {
      token: human.token,
      body: { conditions: { time_window: { after: hh(inOneHour), before: hh(twoHoursAgo), timezone: "UTC" } } },
    });
    expect((await get()).status).toBe(403);
    const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
    const tz = "Asia/Tokyo";
    const localDay = new Intl.DateTimeFormat("en-US", { timeZone: tz, weekday: "short" }).format(now).toLowerCase();
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, {
      token: human.token,
      body: { conditions: { time_window: { after: "00:00", before: "23:59", timezone: tz, days: days.filter((d) => d !== localDay) } } },
    });
    const minute = new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit" }).format(now);
    if (minute !== "23:59") expect((await get()).status).toBe(403);
    await t.req("PUT", `/v1/vaults/${vaultId}/policies/${p.body.id}`, {
      token: human.token,
      body: { conditions: { time_window: { after: "00:00", before: "23:59", timezone: tz, days: [localDay] } } },
    });
    if (minute !== "23:59") expect((await get()).status).toBe(200);
  });

  it("policies for users: an org member needs one; another org's user never gets in", async () => {
    const memberId = uuid();
    await rawSql(t, "INSERT INTO users (id, org_id, email, password_hash, role, auth_method, email_verified, marketing_emails, totp_enabled, is_platform_admin, created_at) VALUES ($1,$2,$3,NULL,'member','password',1,0,0,0,$4)", [
      memberId,
      human.orgId,
      `m-${memberId}@example.com`,
      new Date().toISOString(),
    ]);
    const { access_token: memberToken } = await t.services.auth.issueUserToken({ id: memberId, org_id: human.orgId });
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/top`, { token: memberToken })).status).toBe(403);
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets`, { token: memberToken })).status).toBe(403);
    expect((await t.req("GET", "/v1/vaults", { token: memberToken })).body.vaults).toEqual([]);
    await policy(vaultId, { secret_path_pattern: "top", principal_type: "user", principal_id: memberId });
    expect((await t.req("GET", `/v1/vaults/${vaultId}/secrets/top`, { token: memberToken })).status).toBe(200);
    expect((await t.req("GET", "/v1/vaults", { token: memberToken })).body.vaults.map((v: any) => v.id)).toEqual([vaultId]);
    // A member cannot manage policies on a vault they did not create.
    expect((await policy(vaultId, { secret_path_pattern: "**", principal_type: "user", principal_id: memberId }, memberToken)).status).toBe(403);
  });
});

describe("agents and their own vaults", () => {
  it("an agent manages policies only on vaults it created; its vault is fully open to its human creator", async () => {
    const a = await agentToken();
    const other = await agentToken();
    const own = await t.req("POST", "/v1/vaults", { token: a.token, body: { name: "agent-made" } });
    expect(own.status).toBe(201);
    expect((await t.req("PUT", `/v1/vaults/${own.body.id}/secrets/k`, { token: a.token, body: { value: "x" } })).status).toBe(201);
    const grant = await policy(own.body.id, { secret_path_pattern: "k", principal_type: "agent", principal_id: other.id }, a.token);
    expect(grant.status).toBe(201);
    expect(grant.body.created_by_type).toBe("agent");
    expect((await t.req("GET", `/v1/vaults/${own.body.id}/secrets/k`, { token: other.token })).status).toBe(200);
    expect((await policy(vaultId, { secret_path_pattern: "**", principal_type: "agent", principal_id: a.id }, a.token)).status).toBe(403);
    expect((await t.req("GET", `/v1/vaults/${vaultId}/policies`, { token: a.token })).status).toBe(403);
    // The human who created the agent has full access to the agent's vault.
    expect((await t.req("GET", `/v1/vaults/${own.body.id}/secrets/k`, { token: human.token })).body.value).toBe("x");
    expect((await t.req("GET", `/v1/vaults/${own.body.id}/policies`, { token: human.token })).status).toBe(200);
  });
});

describe("1,000 policies", () => {
  it("decides from the caller's own policies among a thousand others", async () => {
    const v = (await t.req("POST", "/v1/vaults", { token: human.token, body: { name: "busy" } })).body.id;
    await t.req("PUT", `/v1/vaults/${v}/secrets/svc/key`, { token: human.token, body: { value: "busy-value" } });
    const a = await agentToken();
    const now = new Date().toISOString();
    // Bulk rows straight into the table (through the API this would take minutes of test time).
    for (let chunk = 0; chunk < 4; chunk++) {
      const params: unknown[] = [];
      const values: string[] = [];
      for (let i = 0; i < 250; i++) {
        const b = params.length;
        values.push(`(${Array.from({ length: 12 }, (_, k) => `$${b + k + 1}`).join(",")})`);
        params.push(uuid(), v, human.orgId, "svc/*", "agent", uuid(), '["read"]', "{}", null, human.userId, "user", now);
      }
      await rawSql(t, `INSERT INTO policies (id, vault_id, org_id, secret_path_pattern, principal_type, principal_id, permissions, conditions, expires_at, created_by, created_by_type, created_at) VALUES ${values.join(",")}`, params);
    }
    await t.ctx.bus.publish("policy.changed", v);
    expect((await t.req("GET", `/v1/vaults/${v}/secrets/svc/key`, { token: a.token })).status).toBe(403);
    await policy(v, { secret_path_pattern: "svc/*", principal_type: "agent", principal_id: a.id });
    expect((await t.req("GET", `/v1/vaults/${v}/secrets/svc/key`, { token: a.token })).body.value).toBe("busy-value");
    expect((await t.req("GET", `/v1/vaults/${v}/policies`, { token: human.token })).body.policies).toHaveLength(1001);
  });
});

if (dialect === "postgres") {
  describe("two replicas on one PostgreSQL schema", () => {
    it("a policy deleted on one replica stops access on the other's next request", async () => {
      const second = await startApp({ pgSchema: t.pgSchema, dataDir: t.dataDir, keepData: true });
      try {
        const a = await agentToken();
        const p = await policy(vaultId, { secret_path_pattern: "db/*", principal_type: "agent", principal_id: a.id });
        const onSecond = () => second.req("GET", `/v1/vaults/${vaultId}/secrets/db/password`, { token: a.token });
        // Warm the second replica's caches (agent, vault, compiled policies).
        expect((await onSecond()).status).toBe(200);
        expect((await onSecond()).status).toBe(200);
        expect((await t.req("DELETE", `/v1/vaults/${vaultId}/policies/${p.body.id}`, { token: human.token })).status).toBe(204);
        // NOTIFY is delivered asynchronously to the other replica's LISTEN connection.
        await new Promise((r) => setTimeout(r, 100));
        expect((await onSecond()).status).toBe(403);
        // And the other way round: deactivating the agent on the second replica stops it on the first.
        await second.req("PATCH", `/v1/agents/${a.id}`, { token: human.token, body: { is_active: false } });
        await new Promise((r) => setTimeout(r, 100));
        expect((await t.req("GET", "/v1/agents/me", { token: a.token })).status).toBe(401);
      } finally {
        await second.destroy();
      }
    });
  });
}

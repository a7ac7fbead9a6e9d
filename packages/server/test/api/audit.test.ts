import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, STRONG_PASSWORD, type TestApp } from "../helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

async function setup() {
  const u = await t.signup();
  const vault = (await t.req("POST", "/v1/vaults", { token: u.token, body: { name: "audited" } })).body;
  return { ...u, vault };
}

describe("audit events", () => {
  it("records every mutation, read and login with reference AuditEvent fields, newest first", async () => {
    const u = await setup();
    const w = await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/a/b`, { token: u.token, body: { value: "v" } });
    await t.req("GET", `/v1/vaults/${u.vault.id}/secrets/a/b`, { token: u.token });
    await t.req("DELETE", `/v1/vaults/${u.vault.id}/secrets/a/b`, { token: u.token });
    await t.req("PATCH", "/v1/auth/me", { token: u.token, body: { display_name: "Z" } });
    await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: STRONG_PASSWORD } });
    await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: "Wrong-Passw0rd!x" } });
    await t.req("DELETE", `/v1/vaults/${u.vault.id}`, { token: u.token });
    const r = await t.req("GET", "/v1/audit/events", { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body.events.map((e: any) => e.action)).toEqual([
      "vault.delete",
      "auth.failure",
      "auth.success",
      "user.update",
      "secret.delete",
      "secret.read",
      "secret.write",
      "vault.create",
      "user.signup",
    ]);
    expect(r.body.count).toBe(9);
    const e = r.body.events.find((x: any) => x.action === "secret.write");
    expect(e).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      action: "secret.write",
      actor_id: `user:${u.userId}`,
      actor_type: "user",
      resource_type: "secret",
      resource_id: w.body.id,
      org_id: u.orgId,
      details: { vault_id: u.vault.id, path: "a/b", version: 1, type: "generic" },
      ip_address: "127.0.0.1",
      created_at: expect.stringMatching(/Z$/),
      prev_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("filters by resource_id, actor_id, actor_type, action, from/to, and pages with limit/offset", async () => {
    const u = await setup();
    for (let i = 0; i < 5; i++) await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/s${i}`, { token: u.token, body: { value: "v" } });
    const q = (qs: string) => t.req("GET", `/v1/audit/events?${qs}`, { token: u.token });
    expect((await q("action=secret.write")).body.count).toBe(5);
    expect((await q(`resource_id=${u.vault.id}`)).body.events.map((e: any) => e.action)).toEqual(["vault.create"]);
    expect((await q(`actor_id=${u.userId}`)).body.count).toBe(7);
    expect((await q(`actor_id=user:${u.userId}`)).body.count).toBe(7);
    expect((await q("actor_type=agent")).body.count).toBe(0);
    const page = await q("action=secret.write&limit=2&offset=1");
    expect(page.body.count).toBe(5);
    expect(page.body.events.map((e: any) => e.details.path)).toEqual(["s3", "s2"]);
    const all = (await q("limit=100")).body.events;
    const mid = all[3].created_at;
    const from = (await q(`from=${encodeURIComponent(mid)}`)).body.events;
    expect(from.every((e: any) => e.created_at >= mid)).toBe(true);
    const to = (await q(`to=${encodeURIComponent(mid)}`)).body.events;
    expect(to.every((e: any) => e.created_at <= mid)).toBe(true);
    expect(from.length + to.length).toBeGreaterThanOrEqual(all.length);
  });

  it("shows only the caller's org", async () => {
    const a = await setup();
    const b = await setup();
    const ev = await t.req("GET", "/v1/audit/events?limit=1000", { token: b.token });
    expect(ev.body.events.every((e: any) => e.org_id === b.orgId)).toBe(true);
    expect(JSON.stringify(ev.body)).not.toContain(a.vault.id);
    expect((await t.req("GET", `/v1/audit/events?resource_id=${a.vault.id}`, { token: b.token })).body.count).toBe(0);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=ten", "limit"],
    ["offset=-1", "offset"],
    ["from=yesterday", "from"],
    ["to=2024-13-01T00:00:00Z", "to"],
    ["actor_type=robot", "actor_type"],
  ])("rejects %s with 400 naming %s", async (qs, field) => {
    const u = await t.signup();
    const r = await t.req("GET", `/v1/audit/events?${qs}`, { token: u.token });
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain(field);
  });

  it("requires authentication", async () => {
    expect((await t.req("GET", "/v1/audit/events")).status).toBe(401);
    expect((await t.req("GET", "/v1/audit/verify")).status).toBe(401);
  });
});

describe("hash chain", () => {
  it("verifies intact, then names the first event edited directly in the database", async () => {
    const u = await setup();
    for (let i = 0; i < 4; i++) await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/c${i}`, { token: u.token, body: { value: "v" } });
    const ok = await t.req("GET", "/v1/audit/verify", { token: u.token });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ valid: true, checked: 6, first_bad_event_id: null, reason: null });

    const events = (await t.req("GET", "/v1/audit/events?action=secret.write", { token: u.token })).body.events;
    const victim = events.find((e: any) => e.details.path === "c1");
    await rawSql(t, "update audit_events set actor_id = $1 where id = $2", ["user:someone-else", victim.id]);
    const bad = await t.req("GET", "/v1/audit/verify", { token: u.token });
    expect(bad.body).toMatchObject({ valid: false, first_bad_event_id: victim.id, reason: "event content does not match its hash" });
  });

  it("detects a deleted event in the middle and at the end of the chain", async () => {
    const u = await setup();
    for (let i = 0; i < 3; i++) await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/d${i}`, { token: u.token, body: { value: "v" } });
    const events = (await t.req("GET", "/v1/audit/events", { token: u.token })).body.events;
    await rawSql(t, "delete from audit_events where id = $1", [events[0].id]);
    const tail = await t.req("GET", "/v1/audit/verify", { token: u.token });
    expect(tail.body).toMatchObject({ valid: false, reason: "events are missing from the end of the chain" });
    await rawSql(t, "delete from audit_events where id = $1", [events[2].id]);
    const mid = await t.req("GET", "/v1/audit/verify", { token: u.token });
    expect(mid.body).toMatchObject({ valid: false, first_bad_event_id: events[1].id });
  });

  it("keeps the chain intact under concurrent writers in one org", async () => {
    const u = await setup();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/p${i % 3}`, { token: u.token, body: { value: String(i) } })),
    );
    const v = await t.req("GET", "/v1/audit/verify", { token: u.token });
    expect(v.body).toMatchObject({ valid: true, checked: 32 });
  });
});

describe("fail closed", () => {
  it("fails the request and keeps no change when the audit event cannot be stored", async () => {
    const u = await setup();
    await rawSql(t, "alter table audit_events rename to audit_events_off");
    let r;
    try {
      r = await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/unaudited`, { token: u.token, body: { value: "must-not-stay" } });
    } finally {
      await rawSql(t, "alter table audit_events_off rename to audit_events");
    }
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ type: "about:blank", title: "Internal Server Error", status: 500, detail: "An unexpected error occurred" });
    expect(await rawSql(t, "select id from secrets where path = 'unaudited'")).toEqual([]);
    expect((await t.req("GET", `/v1/vaults/${u.vault.id}/secrets/unaudited`, { token: u.token })).status).toBe(404);
    // Reads fail closed too: a value is never released without its audit event.
    await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/audited`, { token: u.token, body: { value: "v" } });
    await rawSql(t, "alter table audit_events rename to audit_events_off");
    try {
      const read = await t.req("GET", `/v1/vaults/${u.vault.id}/secrets/audited`, { token: u.token });
      expect(read.status).toBe(500);
      expect(read.text).not.toContain('"value"');
    } finally {
      await rawSql(t, "alter table audit_events_off rename to audit_events");
    }
    expect((await t.req("GET", "/v1/audit/verify", { token: u.token })).body.valid).toBe(true);
  });
});

describe("no secrets in audit", () => {
  it("holds no secret value, password or token anywhere in the events", async () => {
    const canary = `CANARY-${Math.random().toString(36).slice(2)}-VALUE`;
    const u = await setup();
    await t.req("PUT", `/v1/vaults/${u.vault.id}/secrets/canary`, { token: u.token, body: { value: canary, metadata: { note: "plain" } } });
    await t.req("GET", `/v1/vaults/${u.vault.id}/secrets/canary`, { token: u.token });
    await t.req("POST", "/v1/auth/change-password", { token: u.token, body: { current_password: STRONG_PASSWORD, new_password: "Canary-Passw0rd-New!" } });
    await t.req("POST", "/v1/auth/token", { body: { email: u.email, password: "Canary-Passw0rd-Bad!" } });
    const rows = await rawSql(t, "select * from audit_events");
    const dump = JSON.stringify(rows);
    for (const s of [canary, STRONG_PASSWORD, "Canary-Passw0rd-New!", "Canary-Passw0rd-Bad!", u.token]) expect(dump).not.toContain(s);
  });
});

import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STRONG_PASSWORD, rawSql, startApp, uuid, type TestApp } from "../helpers.js";
import { addMember, inMinutes, outbox, vaultWithSecret, waitForMail } from "../org-helpers.js";

const CANARY = "canary-share-value-7f3e9a";
let t: TestApp;
let owner: Awaited<ReturnType<TestApp["signup"]>>;
let secret: Awaited<ReturnType<typeof vaultWithSecret>>;

beforeAll(async () => {
  t = await startApp();
  owner = await t.signup();
  secret = await vaultWithSecret(t, owner.token, CANARY);
});
afterAll(async () => t?.destroy());

const share = (body: Record<string, unknown>, token = owner.token, secretId = secret.secretId) =>
  t.req("POST", `/v1/secrets/${secretId}/share`, { token, body: { expires_at: inMinutes(60), ...body } });
const open = (id: string, opts: { token?: string; headers?: Record<string, string> } = {}) => t.req("GET", `/v1/share/${id}`, opts);

describe("link shares", () => {
  it("creates a link share anyone can open, counts accesses and mails the creator without the value", async () => {
    const c = await share({ recipient_type: "anyone_with_link", max_access_count: 3 });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ recipient_type: "anyone_with_link", max_access_count: 3 });
    expect(c.body.share_url).toBe(`${t.config.publicUrl}/v1/share/${c.body.id}`);
    const a = await open(c.body.id);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ id: secret.secretId, path: secret.path, type: "api_key", value: CANARY, access_count: 1, max_access_count: 3 });
    expect((await open(c.body.id)).body.access_count).toBe(2);
    const mails = await waitForMail(t, owner.email, /accessed/, 2);
    expect(mails[0].text).toContain(c.body.id);
    expect(JSON.stringify(outbox(t))).not.toContain(CANARY);
    const out = await t.req("GET", "/v1/shares/outbound", { token: owner.token });
    const item = out.body.shares.find((s: any) => s.id === c.body.id);
    expect(item).toMatchObject({ secret_path: secret.path, access_count: 2, max_access_count: 3, is_expired: false, is_accepted: false });
  });

  it("keeps the link-share id, which is the credential, out of the server log", async () => {
    const c = await share({ recipient_type: "anyone_with_link" });
    expect((await open(c.body.id)).status).toBe(200);
    expect((await open(`${c.body.id}?passphrase=guess`)).status).toBe(200);
    const log = t.logs.join("");
    expect(log).toContain('"url":"/v1/share/[id]"');
    expect(log).not.toContain(c.body.id);
    expect(log).not.toContain("guess");
  });

  it("defaults max_access_count to 5 and answers 410 once used up", async () => {
    const c = await share({ recipient_type: "anyone_with_link" });
    expect(c.body.max_access_count).toBe(5);
    for (let i = 1; i <= 5; i++) expect((await open(c.body.id)).status).toBe(200);
    const r = await open(c.body.id);
    expect(r.status).toBe(410);
    expect(r.headers["content-type"]).toMatch(/problem\+json/);
  });

  it("never exceeds max_access_count under many concurrent readers", async () => {
    const c = await share({ recipient_type: "anyone_with_link", max_access_count: 4 });
    const results = await Promise.all(Array.from({ length: 40 }, () => open(c.body.id)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(4);
    expect(results.filter((r) => r.status === 410)).toHaveLength(36);
    expect(results.filter((r) => r.status === 200).map((r) => r.body.access_count).sort()).toEqual([1, 2, 3, 4]);
    const [row] = await rawSql(t, "select access_count from shares where id = $1", [c.body.id]);
    expect(Number(row.access_count)).toBe(4);
  });

  it("answers 410 once expired", async () => {
    const c = await share({ recipient_type: "anyone_with_link" });
    await rawSql(t, "update shares set expires_at = $1 where id = $2", [new Date(Date.now() - 1000).toISOString(), c.body.id]);
    const r = await open(c.body.id);
    expect(r.status).toBe(410);
    expect(r.body.detail).toMatch(/expired/);
  });

  it("checks the passphrase from X-Share-Passphrase and stores only its hash", async () => {
    const pass = "correct horse battery canary";
    const c = await share({ recipient_type: "anyone_with_link", passphrase: pass });
    expect((await open(c.body.id)).status).toBe(403);
    const wrong = await open(c.body.id, { headers: { "x-share-passphrase": "nope" } });
    expect(wrong.status).toBe(403);
    expect(wrong.body.detail).toBe("Wrong passphrase");
    const ok = await open(c.body.id, { headers: { "x-share-passphrase": pass } });
    expect(ok.status).toBe(200);
    expect(ok.body.value).toBe(CANARY);
    const [row] = await rawSql(t, "select passphrase_hash from shares where id = $1", [c.body.id]);
    expect(row.passphrase_hash).toMatch(/^\$argon2id\$/);
    const events = await t.req("GET", "/v1/audit/events?limit=500", { token: owner.token });
    expect(JSON.stringify(events.body)).not.toContain(pass);
    expect(t.logs.join("")).not.toContain(pass);
  });

  it("limits passphrase guessing per share", async () => {
    const c = await share({ recipient_type: "anyone_with_link", passphrase: "right-one" });
    const tries = [];
    for (let i = 0; i < 11; i++) tries.push((await open(c.body.id, { headers: { "x-share-passphrase": `guess-${i}` } })).status);
    expect(tries.slice(0, 10).every((s) => s === 403)).toBe(true);
    expect(tries[10]).toBe(429);
  });

  it("enforces the IP allowlist (IPv4 and IPv6 CIDRs); X-Forwarded-For is ignored without trusted proxies", async () => {
    const far = await share({ recipient_type: "anyone_with_link", ip_allowlist: ["10.0.0.0/8", "2001:db8::/32"] });
    expect(far.status).toBe(201);
    const denied = await open(far.body.id, { headers: { "x-forwarded-for": "10.1.2.3" } });
    expect(denied.status).toBe(403);
    expect(denied.body.detail).toMatch(/IP/);
    const near = await share({ recipient_type: "anyone_with_link", ip_allowlist: ["127.0.0.0/8"] });
    expect((await open(near.body.id)).status).toBe(200);
  });

  it("ignores a bearer token sent with a link share, even an invalid one", async () => {
    const c = await share({ recipient_type: "anyone_with_link" });
    expect((await open(c.body.id, { token: "not-a-token" })).status).toBe(200);
  });

  it("revokes: creator only, 404 afterwards, audited without the value", async () => {
    const c = await share({ recipient_type: "anyone_with_link" });
    const member = await addMember(t, owner, "admin");
    expect((await t.req("DELETE", `/v1/share/${c.body.id}`, { token: member.token })).status).toBe(403);
    const stranger = await t.signup();
    expect((await t.req("DELETE", `/v1/share/${c.body.id}`, { token: stranger.token })).status).toBe(404);
    expect((await t.req("DELETE", `/v1/share/${c.body.id}`, { token: owner.token })).status).toBe(204);
    expect((await open(c.body.id)).status).toBe(404);
    expect((await t.req("DELETE", `/v1/share/${c.body.id}`, { token: owner.token })).status).toBe(404);
    expect((await t.req("DELETE", `/v1/share/${uuid()}`, { token: owner.token })).status).toBe(404);
    const events = await t.req("GET", "/v1/audit/events?limit=1000", { token: owner.token });
    const actions = events.body.events.map((e: any) => e.action);
    for (const a of ["share.create", "share.access", "share.revoke"]) expect(actions).toContain(a);
    expect(JSON.stringify(events.body)).not.toContain(CANARY);
  });

  it("follows the latest version of the secret", async () => {
    const own = await t.signup();
    const s = await vaultWithSecret(t, own.token, "first");
    const c = await share({ recipient_type: "anyone_with_link" }, own.token, s.secretId);
    await t.req("PUT", `/v1/vaults/${s.vaultId}/secrets/${s.path}`, { token: own.token, body: { value: "second" } });
    expect((await open(c.body.id)).body.value).toBe("second");
    await t.req("DELETE", `/v1/vaults/${s.vaultId}/secrets/${s.path}`, { token: own.token });
    expect((await open(c.body.id)).status).toBe(410);
  });
});

describe("targeted shares", () => {
  it("user share: recipient must accept, then reads with their own bearer; others get 404", async () => {
    const bob = await addMember(t, owner, "member");
    const c = await share({ recipient_type: "user", recipient_id: bob.userId });
    expect(c.status).toBe(201);
    expect((await open(c.body.id)).status).toBe(401);
    expect((await open(c.body.id, { token: bob.token })).status).toBe(403);
    expect((await open(c.body.id, { token: owner.token })).status).toBe(404);
    const inbound = await t.req("GET", "/v1/shares/inbound", { token: bob.token });
    expect(inbound.body.shares.map((s: any) => s.id)).toContain(c.body.id);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: owner.token })).status).toBe(404);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: bob.token })).status).toBe(204);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: bob.token, headers: { "content-type": "application/json" } })).status).toBe(204);
    const r = await open(c.body.id, { token: bob.token });
    expect(r.status).toBe(200);
    expect(r.body.value).toBe(CANARY);
    const again = await t.req("GET", "/v1/shares/inbound", { token: bob.token });
    expect(again.body.shares.find((s: any) => s.id === c.body.id).is_accepted).toBe(true);
  });

  it("declined shares are gone for the recipient", async () => {
    const carol = await addMember(t, owner, "member");
    const c = await share({ recipient_type: "user", recipient_id: carol.userId });
    expect((await t.req("POST", `/v1/shares/${c.body.id}/decline`, { token: carol.token })).status).toBe(204);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: carol.token })).status).toBe(404);
    expect((await open(c.body.id, { token: carol.token })).status).toBe(404);
    const inbound = await t.req("GET", "/v1/shares/inbound", { token: carol.token });
    expect(inbound.body.shares.map((s: any) => s.id)).not.toContain(c.body.id);
  });

  it("accepting an expired share answers 410", async () => {
    const dan = await addMember(t, owner, "member");
    const c = await share({ recipient_type: "user", recipient_id: dan.userId });
    await rawSql(t, "update shares set expires_at = $1 where id = $2", [new Date(Date.now() - 1000).toISOString(), c.body.id]);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: dan.token })).status).toBe(410);
  });

  it("user recipients must be in the same org", async () => {
    const outsider = await t.signup();
    const r = await share({ recipient_type: "user", recipient_id: outsider.userId });
    expect(r.status).toBe(404);
  });

  it("external email: invite mail without the value, claimed at signup, then accepted and read", async () => {
    const email = `ext-${uuid().slice(0, 8)}@example.com`;
    const c = await share({ recipient_type: "external_email", email: email.toUpperCase() });
    expect(c.status).toBe(201);
    expect(c.body.recipient_email).toBe(email);
    const [invite] = await waitForMail(t, email, /shared/);
    expect(invite.text).toContain(c.body.share_url);
    expect(invite.text).not.toContain(CANARY);
    const ext = await t.signup(email);
    const inbound = await t.req("GET", "/v1/shares/inbound", { token: ext.token });
    expect(inbound.body.shares.map((s: any) => s.id)).toEqual([c.body.id]);
    expect((await t.req("POST", `/v1/shares/${c.body.id}/accept`, { token: ext.token })).status).toBe(204);
    const r = await open(c.body.id, { token: ext.token });
    expect(r.status).toBe(200);
    expect(r.body.value).toBe(CANARY);
    const events = await t.req("GET", "/v1/audit/events?limit=1000", { token: owner.token });
    const mine = events.body.events.filter((e: any) => e.resource_id === c.body.id).map((e: any) => e.action);
    expect(mine).toEqual(expect.arrayContaining(["share.create", "share.claim", "share.accept", "share.access"]));
  });

  it("external email to an existing account goes straight to their inbound list", async () => {
    const existing = await t.signup();
    const c = await share({ recipient_type: "external_email", email: existing.email });
    const inbound = await t.req("GET", "/v1/shares/inbound", { token: existing.token });
    expect(inbound.body.shares.map((s: any) => s.id)).toContain(c.body.id);
  });

  it("creator recipient type is for agents only", async () => {
    const r = await share({ recipient_type: "creator" });
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/^recipient_type: /);
  });
});

describe("external email shares with email verification on", () => {
  it("an unverified signup claims nothing; the verified address claims at login or when it lists its shares", async () => {
    const v = await startApp({ env: { ONECLAW_REQUIRE_EMAIL_VERIFICATION: "true" } });
    try {
      const verify = async (email: string) => {
        expect((await v.req("POST", "/v1/auth/signup", { body: { email, password: STRONG_PASSWORD } })).status).toBe(200);
        const [mail] = await waitForMail(v, email, /Verify/);
        const token = /token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
        return token;
      };
      const ownerEmail = `own-${uuid().slice(0, 6)}@example.com`;
      const ownerToken = (await v.req("POST", "/v1/auth/verify-email", { body: { token: await verify(ownerEmail) } })).body.access_token;
      const s = await vaultWithSecret(v, ownerToken, CANARY);
      const mk = (email: string) =>
        v.req("POST", `/v1/secrets/${s.secretId}/share`, { token: ownerToken, body: { recipient_type: "external_email", email, expires_at: inMinutes(30) } });

      // claimed on login
      const x = `x-${uuid().slice(0, 6)}@example.com`;
      const toX = await mk(x);
      const xVerification = await verify(x);
      const [row] = await rawSql(v, "select recipient_id from shares where id = $1", [toX.body.id]);
      expect(row.recipient_id).toBeNull();
      expect((await v.req("POST", "/v1/auth/verify-email", { body: { token: xVerification } })).status).toBe(200);
      const login = await v.req("POST", "/v1/auth/token", { body: { email: x, password: STRONG_PASSWORD } });
      expect(login.status).toBe(200);
      const [claimed] = await rawSql(v, "select recipient_id from shares where id = $1", [toX.body.id]);
      expect(claimed.recipient_id).not.toBeNull();

      // claimed when the verified user lists inbound shares with the token verify-email gave
      const y = `y-${uuid().slice(0, 6)}@example.com`;
      const toY = await mk(y);
      const yToken = (await v.req("POST", "/v1/auth/verify-email", { body: { token: await verify(y) } })).body.access_token;
      const inbound = await v.req("GET", "/v1/shares/inbound", { token: yToken });
      expect(inbound.body.shares.map((i: any) => i.id)).toEqual([toY.body.id]);
      expect((await v.req("POST", `/v1/shares/${toY.body.id}/accept`, { token: yToken })).status).toBe(204);
      expect((await v.req("GET", `/v1/share/${toY.body.id}`, { token: yToken })).body.value).toBe(CANARY);
    } finally {
      await v.destroy();
    }
  });
});

describe("who may share", () => {
  it("a member without read access to the secret cannot share it (403)", async () => {
    const m = await addMember(t, owner, "member");
    const r = await share({ recipient_type: "anyone_with_link" }, m.token);
    expect(r.status).toBe(403);
  });

  it("another org's secret is 404, like an unknown one", async () => {
    const other = await t.signup();
    expect((await share({ recipient_type: "anyone_with_link" }, other.token)).status).toBe(404);
    expect((await share({ recipient_type: "anyone_with_link" }, owner.token, uuid())).status).toBe(404);
  });
});

describe("bad inputs", () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ["missing expires_at", { recipient_type: "anyone_with_link", expires_at: undefined }, /expires_at/],
    ["past expires_at", { recipient_type: "anyone_with_link", expires_at: "2020-01-01T00:00:00Z" }, /^expires_at: must be in the future/],
    ["malformed expires_at", { recipient_type: "anyone_with_link", expires_at: "tomorrow" }, /expires_at/],
    ["unknown recipient_type", { recipient_type: "everyone" }, /recipient_type/],
    ["user without recipient_id", { recipient_type: "user" }, /^recipient_id: is required/],
    ["link with recipient_id", { recipient_type: "anyone_with_link", recipient_id: uuid() }, /^recipient_id: must not be set/],
    ["email share without email", { recipient_type: "external_email" }, /^email: is required/],
    ["malformed email", { recipient_type: "external_email", email: "not-an-email" }, /email/],
    ["link with email", { recipient_type: "anyone_with_link", email: "a@example.com" }, /^email: must not be set/],
    ["max_access_count 0", { recipient_type: "anyone_with_link", max_access_count: 0 }, /max_access_count/],
    ["max_access_count huge", { recipient_type: "anyone_with_link", max_access_count: 1e9 }, /max_access_count/],
    ["write permission", { recipient_type: "anyone_with_link", permissions: ["write"] }, /permissions/],
    ["bad CIDR", { recipient_type: "anyone_with_link", ip_allowlist: ["127.0.0.1", "10.0.0.0/33"] }, /^ip_allowlist\.1: /],
    ["legacy IPv4 form", { recipient_type: "anyone_with_link", ip_allowlist: ["127.1"] }, /^ip_allowlist\.0: /],
    ["empty passphrase", { recipient_type: "anyone_with_link", passphrase: "" }, /passphrase/],
    ["recipient_id not a uuid", { recipient_type: "user", recipient_id: "bob" }, /recipient_id/],
  ];
  for (const [name, body, detail] of cases) {
    it(`rejects ${name} with 400 naming the field`, async () => {
      const r = await share(body);
      expect(r.status).toBe(400);
      expect(r.headers["content-type"]).toMatch(/problem\+json/);
      expect(r.body.detail).toMatch(detail);
    });
  }

  it("rejects malformed ids and bodies", async () => {
    expect((await t.req("POST", "/v1/secrets/not-a-uuid/share", { token: owner.token, body: { recipient_type: "anyone_with_link", expires_at: inMinutes(5) } })).status).toBe(400);
    expect((await open("not-a-uuid")).status).toBe(400);
    expect((await open(uuid())).status).toBe(404);
    expect((await t.req("POST", `/v1/shares/not-a-uuid/accept`, { token: owner.token })).status).toBe(400);
    expect((await t.req("POST", `/v1/secrets/${secret.secretId}/share`, { token: owner.token, raw: "{not json", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await t.req("POST", `/v1/secrets/${secret.secretId}/share`, { body: { recipient_type: "anyone_with_link", expires_at: inMinutes(5) } })).status).toBe(401);
  });

  it("keeps the value out of the database in clear, logs and list responses", async () => {
    const c = await share({ recipient_type: "anyone_with_link" });
    await open(c.body.id);
    const lists = JSON.stringify([(await t.req("GET", "/v1/shares/outbound", { token: owner.token })).body]);
    expect(lists).not.toContain(CANARY);
    expect(t.logs.join("")).not.toContain(CANARY);
    if (t.ctx.store.sqliteFile) {
      await t.ctx.uow.close().catch(() => undefined);
      for (const f of [t.ctx.store.sqliteFile, `${t.ctx.store.sqliteFile}-wal`]) {
        if (fs.existsSync(f)) expect(fs.readFileSync(f).includes(Buffer.from(CANARY))).toBe(false);
      }
    }
  });
});

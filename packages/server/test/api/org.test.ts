import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, uuid, type TestApp } from "../helpers.js";
import { addMember, inMinutes, login, vaultWithSecret, waitForMail } from "../org-helpers.js";

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(async () => t?.destroy());

async function inviteToken(owner: { token: string }, email: string, role = "member") {
  const r = await t.req("POST", "/v1/org/invite", { token: owner.token, body: { email, role } });
  expect(r.status).toBe(200);
  const mails = await waitForMail(t, email, /invited/);
  return /token=([A-Za-z0-9_-]{43})/.exec(mails[mails.length - 1].text)![1];
}
const newEmail = () => `o-${uuid().slice(0, 8)}@example.com`;

describe("members and invitations", () => {
  it("lists members; invitation mail, accept with the invited account, joins with the role", async () => {
    const owner = await t.signup();
    const list = await t.req("GET", "/v1/org/members", { token: owner.token });
    expect(list.status).toBe(200);
    expect(list.body.members).toEqual([expect.objectContaining({ id: owner.userId, email: owner.email, role: "owner", auth_method: "password" })]);
    const email = newEmail();
    const inv = await t.req("POST", "/v1/org/invite", { token: owner.token, body: { email: email.toUpperCase(), role: "admin" } });
    expect(inv.body).toEqual({ message: "Invitation sent", email });
    const [mail] = await waitForMail(t, email, /invited/);
    const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
    const invitee = await t.signup(email);
    const acc = await t.req("POST", "/v1/org/invites/accept", { token: invitee.token, body: { token } });
    expect(acc.status).toBe(200);
    expect(acc.body).toMatchObject({ org_id: owner.orgId, role: "admin", token_type: "Bearer" });
    // the old token named the old org and stops working at once
    expect((await t.req("GET", "/v1/auth/me", { token: invitee.token })).status).toBe(401);
    const me = await t.req("GET", "/v1/auth/me", { token: acc.body.access_token });
    expect(me.body.role).toBe("admin");
    const members = await t.req("GET", "/v1/org/members", { token: acc.body.access_token });
    expect(members.body.members.map((m: any) => [m.email, m.role]).sort()).toEqual([[email, "admin"], [owner.email, "owner"]].sort());
    // one use only
    expect((await t.req("POST", "/v1/org/invites/accept", { token: acc.body.access_token, body: { token } })).status).toBe(404);
    const events = await t.req("GET", "/v1/audit/events?limit=200", { token: owner.token });
    expect(events.body.events.map((e: any) => e.action)).toEqual(expect.arrayContaining(["org.invite", "org.member_join"]));
    expect(JSON.stringify(events.body)).not.toContain(token);
    expect(t.logs.join("")).not.toContain(token);
  });

  it("an invitation can only be accepted by its address, before it expires", async () => {
    const owner = await t.signup();
    const email = newEmail();
    const token = await inviteToken(owner, email);
    const other = await t.signup();
    const wrong = await t.req("POST", "/v1/org/invites/accept", { token: other.token, body: { token } });
    expect(wrong.status).toBe(403);
    const invitee = await t.signup(email);
    await rawSql(t, "update org_invites set expires_at = $1 where email = $2", [new Date(Date.now() - 1000).toISOString(), email]);
    expect((await t.req("POST", "/v1/org/invites/accept", { token: invitee.token, body: { token } })).status).toBe(410);
    expect((await t.req("POST", "/v1/org/invites/accept", { token: invitee.token, body: { token: "A".repeat(43) } })).status).toBe(404);
    const bad = await t.req("POST", "/v1/org/invites/accept", { token: invitee.token, body: { token: "short" } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/^token: /);
    expect((await t.req("POST", "/v1/org/invites/accept", { body: { token } })).status).toBe(401);
  });

  it("joining is refused while the old org would be stranded", async () => {
    const owner = await t.signup();
    // alone in an org that still holds a vault
    const email = newEmail();
    const token = await inviteToken(owner, email);
    const busy = await t.signup(email);
    await t.req("POST", "/v1/vaults", { token: busy.token, body: { name: "mine" } });
    const r = await t.req("POST", "/v1/org/invites/accept", { token: busy.token, body: { token } });
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/vaults/);
    // the last owner of an org with other members
    const lead = await t.signup();
    await addMember(t, lead, "member");
    const leadToken = await inviteToken(owner, lead.email);
    const r2 = await t.req("POST", "/v1/org/invites/accept", { token: lead.token, body: { token: leadToken } });
    expect(r2.status).toBe(409);
    expect(r2.body.detail).toMatch(/owner/);
  });

  it("rejects bad invitations and enforces who may invite", async () => {
    const owner = await t.signup();
    const admin = await addMember(t, owner, "admin");
    const member = await addMember(t, owner, "member");
    const bad: Array<[unknown, RegExp]> = [
      [{}, /^email: is required/],
      [{ email: "nope" }, /^email: /],
      [{ email: newEmail(), role: "superuser" }, /^role: /],
      [{ email: "x".repeat(400) + "@example.com" }, /^email: /],
    ];
    for (const [body, detail] of bad) {
      const r = await t.req("POST", "/v1/org/invite", { token: owner.token, body });
      expect(r.status).toBe(400);
      expect(r.body.detail).toMatch(detail);
    }
    expect((await t.req("POST", "/v1/org/invite", { token: member.token, body: { email: newEmail() } })).status).toBe(403);
    expect((await t.req("POST", "/v1/org/invite", { token: admin.token, body: { email: newEmail(), role: "owner" } })).status).toBe(403);
    expect((await t.req("POST", "/v1/org/invite", { token: admin.token, body: { email: newEmail(), role: "admin" } })).status).toBe(200);
    expect((await t.req("POST", "/v1/org/invite", { token: owner.token, body: { email: member.email } })).status).toBe(409);
    expect((await t.req("POST", "/v1/org/invite", { body: { email: newEmail() } })).status).toBe(401);
  });
});

describe("roles", () => {
  it("role changes apply at once to the member's existing token", async () => {
    const owner = await t.signup();
    const m = await addMember(t, owner, "member");
    expect((await t.req("GET", "/v1/security/ip-rules", { token: m.token })).status).toBe(403);
    const up = await t.req("PATCH", `/v1/org/members/${m.userId}`, { token: owner.token, body: { role: "admin" } });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ id: m.userId, role: "admin", email: m.email });
    expect((await t.req("GET", "/v1/security/ip-rules", { token: m.token })).status).toBe(200);
    await t.req("PATCH", `/v1/org/members/${m.userId}`, { token: owner.token, body: { role: "member" } });
    expect((await t.req("GET", "/v1/security/ip-rules", { token: m.token })).status).toBe(403);
    const events = await t.req("GET", "/v1/audit/events?limit=200", { token: owner.token });
    expect(events.body.events.filter((e: any) => e.action === "org.member_role")).toHaveLength(2);
  });

  it("an org always keeps an owner; only owners grant or change the owner role", async () => {
    const owner = await t.signup();
    const admin = await addMember(t, owner, "admin");
    const last = await t.req("PATCH", `/v1/org/members/${owner.userId}`, { token: owner.token, body: { role: "admin" } });
    expect(last.status).toBe(409);
    expect((await t.req("DELETE", `/v1/org/members/${owner.userId}`, { token: owner.token })).status).toBe(409);
    expect((await t.req("PATCH", `/v1/org/members/${admin.userId}`, { token: admin.token, body: { role: "owner" } })).status).toBe(403);
    expect((await t.req("PATCH", `/v1/org/members/${owner.userId}`, { token: admin.token, body: { role: "member" } })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/org/members/${owner.userId}`, { token: admin.token })).status).toBe(403);
    expect((await t.req("PATCH", `/v1/org/members/${admin.userId}`, { token: owner.token, body: { role: "owner" } })).status).toBe(200);
    expect((await t.req("PATCH", `/v1/org/members/${owner.userId}`, { token: owner.token, body: { role: "member" } })).status).toBe(200);
    // the former owner is now a member and can no longer manage anyone
    expect((await t.req("PATCH", `/v1/org/members/${admin.userId}`, { token: owner.token, body: { role: "member" } })).status).toBe(403);
    expect((await t.req("PATCH", `/v1/org/members/${admin.userId}`, { token: admin.token, body: { role: "member" } })).status).toBe(409);
  });

  it("concurrent demotions of the only two owners leave one owner", async () => {
    const a = await t.signup();
    const b = await addMember(t, a, "owner");
    const results = await Promise.all([
      t.req("PATCH", `/v1/org/members/${a.userId}`, { token: a.token, body: { role: "member" } }),
      t.req("PATCH", `/v1/org/members/${b.userId}`, { token: b.token, body: { role: "member" } }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const members = await t.req("GET", "/v1/org/members", { token: results[0].status === 200 ? b.token : a.token });
    expect(members.body.members.filter((m: any) => m.role === "owner")).toHaveLength(1);
  });

  it("bad role updates and cross-org targets", async () => {
    const owner = await t.signup();
    const m = await addMember(t, owner, "member");
    const stranger = await t.signup();
    expect((await t.req("PATCH", `/v1/org/members/${m.userId}`, { token: owner.token, body: { role: "root" } })).status).toBe(400);
    expect((await t.req("PATCH", `/v1/org/members/${m.userId}`, { token: owner.token, body: {} })).status).toBe(400);
    expect((await t.req("PATCH", `/v1/org/members/not-a-uuid`, { token: owner.token, body: { role: "admin" } })).status).toBe(400);
    expect((await t.req("PATCH", `/v1/org/members/${uuid()}`, { token: owner.token, body: { role: "admin" } })).status).toBe(404);
    expect((await t.req("PATCH", `/v1/org/members/${stranger.userId}`, { token: owner.token, body: { role: "admin" } })).status).toBe(404);
    expect((await t.req("DELETE", `/v1/org/members/${stranger.userId}`, { token: owner.token })).status).toBe(404);
    expect((await t.req("PATCH", `/v1/org/members/${m.userId}`, { token: stranger.token, body: { role: "admin" } })).status).toBe(404);
    expect((await t.req("PATCH", `/v1/org/members/${owner.userId}`, { token: m.token, body: { role: "member" } })).status).toBe(403);
  });

  it("org owners and admins reach every org vault; members only what they created or are granted", async () => {
    const owner = await t.signup();
    const admin = await addMember(t, owner, "admin");
    const member = await addMember(t, owner, "member");
    const s = await vaultWithSecret(t, owner.token, "org-secret");
    expect((await t.req("GET", `/v1/vaults/${s.vaultId}/secrets/${s.path}`, { token: admin.token })).status).toBe(200);
    expect((await t.req("GET", `/v1/vaults/${s.vaultId}/secrets/${s.path}`, { token: member.token })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/vaults/${s.vaultId}`, { token: member.token })).status).toBe(403);
    const own = await vaultWithSecret(t, member.token, "members-own");
    expect((await t.req("GET", `/v1/vaults/${own.vaultId}/secrets/${own.path}`, { token: member.token })).status).toBe(200);
    expect((await t.req("GET", `/v1/vaults/${own.vaultId}/secrets/${own.path}`, { token: admin.token })).status).toBe(200);
  });
});

describe("removal", () => {
  it("a removed member loses access at once, keeps an account in a new org, and their shares end", async () => {
    const owner = await t.signup();
    const admin = await addMember(t, owner, "admin");
    const s = await vaultWithSecret(t, admin.token, "leaver-secret");
    const link = await t.req("POST", `/v1/secrets/${s.secretId}/share`, { token: admin.token, body: { recipient_type: "anyone_with_link", expires_at: inMinutes(30) } });
    expect(link.status).toBe(201);
    const member = await addMember(t, owner, "member");
    expect((await t.req("DELETE", `/v1/org/members/${admin.userId}`, { token: member.token })).status).toBe(403);
    expect((await t.req("DELETE", `/v1/org/members/${admin.userId}`, { token: owner.token })).status).toBe(204);
    expect((await t.req("GET", "/v1/org/members", { token: admin.token })).status).toBe(401);
    expect((await t.req("GET", `/v1/share/${link.body.id}`)).status).toBe(404);
    const relog = await login(t, admin.email);
    expect(relog.status).toBe(200);
    const mine = await t.req("GET", "/v1/org/members", { token: relog.body.access_token });
    expect(mine.body.members).toEqual([expect.objectContaining({ id: admin.userId, role: "owner" })]);
    expect((await t.req("GET", `/v1/vaults/${s.vaultId}`, { token: relog.body.access_token })).status).toBe(404);
    const left = await t.req("GET", "/v1/org/members", { token: owner.token });
    expect(left.body.members.map((m: any) => m.id)).not.toContain(admin.userId);
    // removing again: not a member any more
    expect((await t.req("DELETE", `/v1/org/members/${admin.userId}`, { token: owner.token })).status).toBe(404);
  });
});

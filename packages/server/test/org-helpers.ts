import fs from "node:fs";
import path from "node:path";
import { STRONG_PASSWORD, type TestApp } from "./helpers.js";

export interface OutboxMail {
  to: string;
  subject: string;
  text: string;
}

/** Every mail in the app's file outbox. */
export function outbox(t: TestApp): OutboxMail[] {
  const dir = t.ctx.mailer.outboxDir;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
}

/** Waits for a mail to `to` matching `subject` (mail is sent after the response). */
export async function waitForMail(t: TestApp, to: string, subject: RegExp, count = 1): Promise<OutboxMail[]> {
  for (let i = 0; i < 100; i++) {
    const found = outbox(t).filter((m) => m.to === to && subject.test(m.subject));
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no mail to ${to} matching ${subject}`);
}

/** Invites `email` into the org of `owner` with `role`, signs that address up and accepts. */
export async function addMember(t: TestApp, owner: { token: string }, role: "owner" | "admin" | "member" = "member", email?: string) {
  const address = email ?? `m${Math.random().toString(16).slice(2, 10)}@example.com`;
  const inv = await t.req("POST", "/v1/org/invite", { token: owner.token, body: { email: address, role } });
  if (inv.status !== 200) throw new Error(`invite failed: ${inv.status} ${inv.text}`);
  const [mail] = await waitForMail(t, address, /invited/);
  const token = /token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1];
  const me = await t.signup(address);
  const acc = await t.req("POST", "/v1/org/invites/accept", { token: me.token, body: { token } });
  if (acc.status !== 200) throw new Error(`accept failed: ${acc.status} ${acc.text}`);
  return { ...me, token: acc.body.access_token as string, orgId: acc.body.org_id as string, inviteToken: token };
}

export async function login(t: TestApp, email: string) {
  return t.req("POST", "/v1/auth/token", { body: { email, password: STRONG_PASSWORD } });
}

/** A vault with one secret; returns their ids. */
export async function vaultWithSecret(t: TestApp, token: string, value: string, path = "api/key") {
  const v = await t.req("POST", "/v1/vaults", { token, body: { name: `v-${Math.random().toString(16).slice(2, 8)}` } });
  const s = await t.req("PUT", `/v1/vaults/${v.body.id}/secrets/${path}`, { token, body: { value, type: "api_key" } });
  if (s.status !== 201) throw new Error(`put failed: ${s.status} ${s.text}`);
  return { vaultId: v.body.id as string, secretId: s.body.id as string, path };
}

export const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

import fs from "node:fs";
import path from "node:path";
import * as OTPAuth from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthError, createClient, ForbiddenError, unwrap, ValidationError, type OneclawClient } from "../src/index.js";
import { startServer, STRONG_PASSWORD } from "./server.js";

let srv: Awaited<ReturnType<typeof startServer>>;
let alice: OneclawClient;
let aliceEmail: string;
const NEW_PASSWORD = "Another-L0ng-Passphrase?";

beforeAll(async () => {
  srv = await startServer();
  aliceEmail = `alice-${Date.now()}@example.com`;
  alice = createClient({ baseUrl: srv.baseUrl });
  const res = await alice.auth.signup({ email: aliceEmail, password: STRONG_PASSWORD, display_name: "Alice" });
  expect(res.error).toBeNull();
});
afterAll(async () => srv?.t.destroy());

/** The newest mail to `to` in the server's file outbox. */
function lastMail(to: string): { subject: string; text: string } {
  const dir = path.join(srv.t.dataDir, "outbox");
  const mails = fs
    .readdirSync(dir)
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")))
    .filter((m) => JSON.stringify(m.to).includes(to))
    .sort((a, b) => String(a.sent_at).localeCompare(String(b.sent_at)));
  return mails[mails.length - 1];
}

describe("account methods", () => {
  it("signup adopts the token; updateMe; changePassword; the old password stops working", async () => {
    expect(unwrap(await alice.auth.me())).toMatchObject({ email: aliceEmail, display_name: "Alice" });
    expect(unwrap(await alice.auth.updateMe({ display_name: "Alice A." })).display_name).toBe("Alice A.");
    const weak = await alice.auth.changePassword({ current_password: STRONG_PASSWORD, new_password: "short" });
    expect(weak.error).toBeInstanceOf(ValidationError);
    expect((await alice.auth.changePassword({ current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD })).error).toBeNull();
    const c = createClient({ baseUrl: srv.baseUrl });
    expect((await c.auth.login({ email: aliceEmail, password: STRONG_PASSWORD })).error).toBeInstanceOf(AuthError);
    expect((await c.auth.login({ email: aliceEmail, password: NEW_PASSWORD })).error).toBeNull();
    alice = c;
  });

  it("MFA: setup, verify-setup, login answers mfa_required, mfaVerify, disable", async () => {
    const setup = unwrap(await alice.auth.mfaSetup());
    const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.secret), digits: 6, period: 30, algorithm: "SHA1" });
    const codes = unwrap(await alice.auth.mfaVerifySetup(totp.generate())).recovery_codes;
    expect(codes).toHaveLength(8);
    expect(unwrap(await alice.auth.mfaStatus()).enabled).toBe(true);

    const c = createClient({ baseUrl: srv.baseUrl });
    const login = unwrap(await c.auth.login({ email: aliceEmail, password: NEW_PASSWORD }));
    expect(login.mfa_required).toBe(true);
    expect(c.http.token).toBeUndefined(); // the challenge token is not adopted as a bearer
    expect((await c.auth.mfaVerify(login.mfa_token!, "000000")).error).toBeInstanceOf(AuthError);
    expect((await c.auth.mfaVerify(login.mfa_token!, codes[0])).error).toBeNull(); // a recovery code
    expect(unwrap(await c.auth.me()).totp_enabled).toBe(true);
    expect((await c.auth.mfaDisable({ password: NEW_PASSWORD })).error).toBeNull();
    expect(unwrap(await c.auth.mfaStatus()).enabled).toBe(false);
    alice = c;
  });

  it("device flow denied: the poller gets access_denied", async () => {
    const c = createClient({ baseUrl: srv.baseUrl });
    const code = unwrap(await c.auth.deviceCode());
    unwrap(await alice.auth.deviceDeny(code.user_code));
    const res = await c.auth.deviceToken(code.device_code);
    expect(res.data?.error ?? (res.error?.body as any)?.error).toBe("access_denied");
    expect(c.http.token).toBeUndefined();
  });

  it("org: invite by mail, accept with the mailed token, change role, remove", async () => {
    const bobEmail = `bob-${Date.now()}@example.com`;
    unwrap(await alice.org.invite(bobEmail, "member"));
    const token = /"token": "([A-Za-z0-9_-]{43})"/.exec(lastMail(bobEmail).text)![1];
    const bob = createClient({ baseUrl: srv.baseUrl });
    unwrap(await bob.auth.signup({ email: bobEmail, password: STRONG_PASSWORD }));
    const joined = unwrap(await bob.org.acceptInvite(token));
    expect(joined.role).toBe("member");
    const bobId = unwrap(await bob.auth.me()).id;
    expect(unwrap(await alice.org.listMembers()).members.map((m) => m.id)).toContain(bobId);
    expect(unwrap(await alice.org.updateMemberRole(bobId, "admin")).role).toBe("admin");
    expect((await bob.org.removeMember(unwrap(await alice.auth.me()).id)).error).toBeInstanceOf(ForbiddenError);
    expect((await alice.org.removeMember(bobId)).meta.status).toBe(204);
    expect(unwrap(await alice.org.listMembers()).members.map((m) => m.id)).not.toContain(bobId);
  });

  it("billing credit ledger and overage method; HSM health", async () => {
    expect(unwrap(await alice.billing.creditTransactions({ page: 1, limit: 10 })).transactions).toEqual([]);
    expect(unwrap(await alice.billing.setOverageMethod("credits")).overage_method).toBe("credits");
    expect(unwrap(await alice.billing.subscription()).overage_method).toBe("credits");
    expect(unwrap(await alice.hsmHealth()).hsm_provider).toBeTruthy();
  });

  it("rotateIdentityKeys replaces the agent's public keys", async () => {
    const created = unwrap(await alice.agents.create({ name: "keys" }));
    const before = created.agent.ssh_public_key;
    const after = unwrap(await alice.agents.rotateIdentityKeys(created.agent.id));
    expect(after.ssh_public_key).toBeTruthy();
    expect(after.ssh_public_key).not.toBe(before);
  });

  it("a passphrase-protected link share needs the passphrase header", async () => {
    const vault = unwrap(await alice.vaults.create({ name: "pp" }));
    const secret = unwrap(await alice.secrets.set(vault.id, "pp/x", "PLANTED-pp"));
    const share = unwrap(
      await alice.sharing.create(secret.id, {
        recipient_type: "anyone_with_link",
        expires_at: new Date(Date.now() + 3600e3).toISOString(),
        passphrase: "open sesame",
      }),
    );
    const anon = createClient({ baseUrl: srv.baseUrl });
    expect((await anon.sharing.access(share.id)).error).toBeInstanceOf(ForbiddenError);
    expect((await anon.sharing.access(share.id, { passphrase: "wrong" })).error).toBeInstanceOf(ForbiddenError);
    expect(unwrap(await anon.sharing.access(share.id, { passphrase: "open sesame" })).value).toBe("PLANTED-pp");
  });
});

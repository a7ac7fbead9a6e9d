import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawSql, startApp, uuid, type TestApp } from "../helpers.js";

/**
 * Every secret operation × every kind of caller, with the exact expected status. For list,
 * "200+" means the secret is listed and "200-" that the listing succeeds without it.
 */
const OPS = ["list", "get", "metadata", "put", "delete", "versions"] as const;
type Op = (typeof OPS)[number];
type Row = Record<Op, number | "200+" | "200-">;

const FULL: Row = { list: "200+", get: 200, metadata: 200, put: 201, delete: 204, versions: 200 };
const DENIED: Row = { list: 403, get: 403, metadata: 403, put: 403, delete: 403, versions: 403 };
const UNAUTHENTICATED: Row = { list: 401, get: 401, metadata: 401, put: 401, delete: 401, versions: 401 };
const CONDITIONS_FAIL: Row = { ...DENIED, list: "200-" };

const EXPECTED: Record<string, Row> = {
  "vault creator": FULL,
  "org owner": FULL,
  "org member without policy": DENIED,
  "agent without policy": DENIED,
  "agent with read on api-keys/*": { list: "200+", get: 200, metadata: 200, put: 403, delete: 403, versions: 200 },
  "agent with write on **": { list: "200-", get: 403, metadata: 403, put: 201, delete: 204, versions: 403 },
  "agent bound to another vault": DENIED,
  "deactivated agent": UNAUTHENTICATED,
  "agent using a rotated-away key": UNAUTHENTICATED,
  "holder of an expired policy": DENIED,
  "policy outside its time window": CONDITIONS_FAIL,
  "policy with a non-matching IP": CONDITIONS_FAIL,
  "user of another org": { list: 404, get: 404, metadata: 404, put: 404, delete: 404, versions: 404 },
};

const PATH = "api-keys/stripe";
const VALUE = "sk_live_matrix_canary";
let t: TestApp;
let vaultId: string;
let owner: Awaited<ReturnType<TestApp["signup"]>>;
let creatorToken: string;
const tokens: Record<string, string> = {};

async function member(orgId: string): Promise<string> {
  const id = uuid();
  await rawSql(
    t,
    "INSERT INTO users (id, org_id, email, password_hash, role, auth_method, email_verified, marketing_emails, totp_enabled, is_platform_admin, created_at) VALUES ($1,$2,$3,NULL,'member','password',1,0,0,0,$4)",
    [id, orgId, `member-${id}@example.com`, new Date().toISOString()],
  );
  return (await t.services.auth.issueUserToken({ id, org_id: orgId })).access_token;
}

async function agent(body: Record<string, unknown> = {}) {
  const r = await t.req("POST", "/v1/agents", { token: owner.token, body: { name: "matrix", ...body } });
  expect(r.status).toBe(201);
  const tok = await t.req("POST", "/v1/auth/agent-token", { body: { api_key: r.body.api_key } });
  expect(tok.status).toBe(200);
  return { id: r.body.agent.id as string, token: tok.body.access_token as string, apiKey: r.body.api_key as string };
}

async function grant(principalId: string, pattern: string, permissions: string[], extra: Record<string, unknown> = {}) {
  const r = await t.req("POST", `/v1/vaults/${vaultId}/policies`, {
    token: owner.token,
    body: { secret_path_pattern: pattern, principal_type: "agent", principal_id: principalId, permissions, ...extra },
  });
  expect(r.status).toBe(201);
  return r.body.id as string;
}

beforeAll(async () => {
  t = await startApp();
  owner = await t.signup();
  // The vault's creator is an ordinary member, so creator rights and owner rights are told apart.
  creatorToken = await member(owner.orgId);
  vaultId = (await t.req("POST", "/v1/vaults", { token: creatorToken, body: { name: "matrix" } })).body.id;
  const otherVault = (await t.req("POST", "/v1/vaults", { token: owner.token, body: { name: "elsewhere" } })).body.id;

  tokens["vault creator"] = creatorToken;
  tokens["org owner"] = owner.token;
  tokens["org member without policy"] = await member(owner.orgId);
  tokens["agent without policy"] = (await agent()).token;

  const reader = await agent();
  await grant(reader.id, "api-keys/*", ["read"]);
  tokens["agent with read on api-keys/*"] = reader.token;

  const writer = await agent();
  await grant(writer.id, "**", ["write"]);
  tokens["agent with write on **"] = writer.token;

  // A matching policy does not help an agent bound to other vaults.
  const bound = await agent({ vault_ids: [otherVault] });
  await grant(bound.id, "**", ["read", "write"]);
  tokens["agent bound to another vault"] = bound.token;

  const deactivated = await agent();
  await grant(deactivated.id, "**", ["read", "write"]);
  expect((await t.req("PATCH", `/v1/agents/${deactivated.id}`, { token: owner.token, body: { is_active: false } })).status).toBe(200);
  tokens["deactivated agent"] = deactivated.token;

  const rotated = await agent();
  await grant(rotated.id, "**", ["read", "write"]);
  expect((await t.req("POST", `/v1/agents/${rotated.id}/rotate-key`, { token: owner.token })).status).toBe(200);
  expect((await t.req("POST", "/v1/auth/agent-token", { body: { api_key: rotated.apiKey } })).status).toBe(401);
  tokens["agent using a rotated-away key"] = rotated.token;

  const expired = await agent();
  const expiredPolicy = await grant(expired.id, "**", ["read", "write"]);
  await rawSql(t, "UPDATE policies SET expires_at = $1 WHERE id = $2", [new Date(Date.now() - 60_000).toISOString(), expiredPolicy]);
  await t.ctx.bus.publish("policy.changed", vaultId);
  tokens["holder of an expired policy"] = expired.token;

  const hh = (d: Date) => `${String(d.getUTCHours()).padStart(2, "0")}:${String(d.getUTCMinutes()).padStart(2, "0")}`;
  const later = await agent();
  await grant(later.id, "**", ["read", "write"], {
    conditions: { time_window: { after: hh(new Date(Date.now() + 3600_000)), before: hh(new Date(Date.now() + 7200_000)), timezone: "UTC" } },
  });
  tokens["policy outside its time window"] = later.token;

  const elsewhere = await agent();
  await grant(elsewhere.id, "**", ["read", "write"], { conditions: { ip_allowlist: ["203.0.113.0/24", "2001:db8::/32"] } });
  tokens["policy with a non-matching IP"] = elsewhere.token;

  tokens["user of another org"] = (await t.signup()).token;
});
afterAll(async () => t?.destroy());

async function run(op: Op, token: string): Promise<number | string> {
  // Every cell starts from the same state: the secret exists with a known value.
  expect((await t.req("PUT", `/v1/vaults/${vaultId}/secrets/${PATH}`, { token: owner.token, body: { value: VALUE } })).status).toBe(201);
  const base = `/v1/vaults/${vaultId}`;
  switch (op) {
    case "list": {
      const r = await t.req("GET", `${base}/secrets`, { token });
      if (r.status !== 200) return r.status;
      expect(JSON.stringify(r.body)).not.toContain(VALUE);
      return r.body.secrets.some((s: any) => s.path === PATH) ? "200+" : "200-";
    }
    case "get": {
      const r = await t.req("GET", `${base}/secrets/${PATH}`, { token });
      if (r.status === 200) expect(r.body.value).toBe(VALUE);
      else expect(r.text).not.toContain(VALUE);
      return r.status;
    }
    case "metadata":
      return (await t.req("GET", `${base}/metadata/${PATH}`, { token })).status;
    case "put":
    case "delete": {
      const r = op === "put" ? await t.req("PUT", `${base}/secrets/${PATH}`, { token, body: { value: "overwritten" } }) : await t.req("DELETE", `${base}/secrets/${PATH}`, { token });
      // A refused write leaves the secret exactly as it was.
      if (r.status >= 300) expect((await t.req("GET", `${base}/secrets/${PATH}`, { token: owner.token })).body.value).toBe(VALUE);
      return r.status;
    }
    case "versions":
      return (await t.req("GET", `${base}/versions/${PATH}`, { token })).status;
  }
}

describe("authorization matrix", () => {
  for (const [who, row] of Object.entries(EXPECTED)) {
    it(`${who}: ${OPS.map((op) => `${op} ${row[op]}`).join(", ")}`, async () => {
      const got: Partial<Row> = {};
      for (const op of OPS) got[op] = (await run(op, tokens[who])) as any;
      expect(got).toEqual(row);
    });
  }
});

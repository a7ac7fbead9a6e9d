/**
 * One MCP server instance = one session: its own VaultApi client and its own memory of fetched
 * values. Transports (stdio, Streamable HTTP) create one per connection/session.
 */
import crypto from "node:crypto";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { ToolRefusal, VaultApiError, type VaultApi } from "./api.js";
import { toolErrorMessage } from "./errors.js";
import { HTTP_METHODS, performHttpRequest } from "./http-request.js";
import type { Logger } from "./log.js";
import { atLeast, inspectContent, normalizeUnicode, worstSeverity, type Threat } from "./security/inspect.js";
import { SessionSecrets } from "./security/session-secrets.js";
import type { SecuritySettings } from "./security/settings.js";
import { VERSION } from "./version.js";

export interface OneclawMcpOptions {
  /** Absent in local-only mode: then only inspect_content is offered. */
  api?: VaultApi;
  settings: SecuritySettings;
  log: Logger;
  /** fetch used by http_request (tests may route it; defaults to global fetch). */
  fetch?: typeof fetch;
}

export interface OneclawMcpSession {
  server: McpServer;
  secrets: SessionSecrets;
}

/** The API caps a share's accesses (there is no "unlimited"); the seed's 0 = unlimited maps to this cap. */
const MAX_SHARE_ACCESSES = 10_000;
/** Metadata key: `false` means get_secret/get_env_bundle refuse, so the value is only ever used through http_request. */
export const REVEAL_KEY = "reveal_to_model";
const SECRET_TYPES = ["api_key", "password", "private_key", "certificate", "file", "note", "ssh_key", "env_bundle", "generic", "env"] as const;
/** Tools whose purpose is to move secret values; exempt from exfiltration checks and output redaction (§11.3). */
const SECRET_TOOLS = new Set(["get_secret", "get_env_bundle", "put_secret", "rotate_and_store"]);
/** Arguments that are secret values by design and so are not inspected. */
const VALUE_ARGS: Record<string, string[]> = { put_secret: ["value"], rotate_and_store: ["value"], inspect_content: ["content"] };

const Path = z.string().min(1).max(512).describe("Secret path, e.g. api-keys/stripe");
const IsoDate = z.string().datetime({ offset: true });

const text = (t: string): CallToolResult => ({ content: [{ type: "text", text: t }] });
const json = (v: unknown) => JSON.stringify(v, null, 2);

/** Parses KEY=VALUE lines (blank lines and `#` comments ignored, `export ` allowed, split on the first `=`). */
export function parseEnvBundle(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of value.split(/\r?\n/)) {
    const l = line.trim();
    if (!l || l.startsWith("#")) continue;
    const eq = l.indexOf("=");
    if (eq <= 0) continue;
    const key = l.slice(0, eq).trim().replace(/^export\s+/, "");
    let v = l.slice(eq + 1).trim();
    if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) v = v.slice(1, -1);
    out[key] = v;
  }
  return out;
}

function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) stringsOf(k, out), stringsOf(x, out);
  return out;
}

function normalizeStrings<T>(v: T): T {
  if (typeof v === "string") return normalizeUnicode(v) as T;
  if (Array.isArray(v)) return v.map(normalizeStrings) as T;
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeStrings(x)])) as T;
  return v;
}

const describeThreats = (ts: Threat[]) => [...new Set(ts.map((t) => `${t.type}/${t.pattern} (${t.severity})`))].join(", ");

export function createOneclawMcpServer(opts: OneclawMcpOptions): OneclawMcpSession {
  const { settings, log } = opts;
  const secrets = new SessionSecrets();
  const server = new McpServer(
    { name: "oneclaw", version: VERSION },
    {
      instructions:
        "oneclaw vault tools. Prefer http_request with {{secret:<path>}} placeholders: the value is filled in outside the conversation and never reaches you. " +
        "Use get_secret only when a value must be handled directly, immediately before use; never repeat it, store it or include it in summaries. " +
        "Use describe_secret to check a secret exists without reading it.",
    },
  );

  /** Runs a tool with input inspection before and redaction/inspection of its output after. */
  async function guarded(name: string, args: Record<string, unknown>, run: (args: any) => Promise<string>, path?: string): Promise<CallToolResult> {
    let input = args;
    if (settings.enabled && name !== "inspect_content") {
      const skip = new Set(VALUE_ARGS[name] ?? []);
      const inspected = stringsOf(Object.fromEntries(Object.entries(args).filter(([k]) => !skip.has(k)))).join("\n");
      const found = inspectContent(inspected, { context: "input", secrets, pii: settings.pii, blockedHosts: settings.blockedHosts });
      const exfil = found.threats.filter((t) => t.type === "exfiltration");
      const others = found.threats.filter((t) => t.type !== "exfiltration");
      if (exfil.length && !SECRET_TOOLS.has(name) && settings.exfilProtection !== "off") {
        log.warn("exfiltration attempt: a fetched secret value appears in tool input", { tool: name, paths: exfil.map((t) => t.match) });
        if (settings.exfilProtection === "block")
          return { isError: true, content: [{ type: "text", text: `Blocked by oneclaw MCP security: the value of ${exfil.map((t) => t.match).join(", ")} appears in the input of ${name}. Secret values must not be passed to other tools.` }] };
      }
      if (others.length) {
        const worst = worstSeverity(others);
        log.warn("suspicious tool input", { tool: name, threats: describeThreats(others) });
        const blocks =
          (settings.sanitizationMode === "block" && atLeast(worst, "high")) || (settings.sanitizationMode === "surgical" && atLeast(worst, "critical"));
        if (blocks)
          return {
            isError: true,
            content: [{ type: "text", text: `Blocked by oneclaw MCP security (${settings.sanitizationMode} mode): ${describeThreats(others.filter((t) => atLeast(t.severity, "high")))}.` }],
          };
        if (settings.sanitizationMode === "surgical" && found.unicode_normalized) input = normalizeStrings(args);
      }
    }
    let out: string;
    let isError = false;
    try {
      out = await run(input);
    } catch (e) {
      out = toolErrorMessage(e, path ?? (typeof input.path === "string" ? input.path : undefined));
      isError = true;
    }
    if (!SECRET_TOOLS.has(name)) {
      if (settings.redactSecrets && secrets.size) {
        const r = secrets.redact(out);
        if (r.hits.length) log.warn("redacted secret values from tool output", { tool: name, paths: [...new Set(r.hits.map((h) => h.path))] });
        out = r.text;
      }
      if (settings.enabled && name !== "inspect_content") {
        const found = inspectContent(out, { context: "output", pii: settings.pii, blockedHosts: settings.blockedHosts });
        if (found.threat_count) log.info("tool output inspection", { tool: name, verdict: found.verdict, threats: describeThreats(found.threats) });
      }
    }
    return isError ? { isError: true, content: [{ type: "text", text: out }] } : text(out);
  }

  server.registerTool(
    "inspect_content",
    {
      title: "Inspect content",
      description:
        "Scan text locally for command injection, encoded payloads, social engineering, exfiltration to blocked hosts, Unicode tricks, PII, and secret values fetched earlier in this session. Works without credentials.",
      inputSchema: {
        content: z.string().max(1_000_000).describe("Text to inspect"),
        context: z.enum(["input", "output"]).default("output").describe("input: text about to be sent to a tool; output: text a tool returned"),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("inspect_content", args, async ({ content, context }) =>
        json(inspectContent(content, { context, secrets, pii: settings.pii, blockedHosts: settings.blockedHosts })),
      ),
  );

  const api = opts.api;
  if (!api) return { server, secrets };

  /** A human can keep a value out of the model entirely: metadata `reveal_to_model: false` leaves only http_request. */
  async function refuseIfHidden(path: string) {
    const meta = await api!.describeSecret(path);
    if (meta.metadata?.[REVEAL_KEY] === false)
      throw new ToolRefusal(`The value of '${path}' is not revealed to the model (metadata.${REVEAL_KEY} is false). Use http_request with {{secret:${path}}}.`);
  }

  server.registerTool(
    "list_secrets",
    {
      title: "List secrets",
      description: "List the secrets in the vault: paths, types, versions and expiry — never values.",
      inputSchema: { prefix: z.string().max(512).optional().describe("Path prefix to filter, e.g. api-keys/") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("list_secrets", args, async ({ prefix }) => {
        const list = await api.listSecrets(prefix);
        if (!list.length) return prefix ? `No secrets found under '${prefix}'.` : "No secrets found.";
        return [`Found ${list.length} secret(s):`, ...list.map((s) => `- ${s.path}  (type: ${s.type}, version: ${s.version}, expires: ${s.expires_at ?? "never"})`)].join("\n");
      }),
  );

  server.registerTool(
    "get_secret",
    {
      title: "Get secret",
      description:
        "Fetch the decrypted value of a secret. Use immediately before the call that needs it; never store the value or include it in summaries. Prefer http_request with a {{secret:path}} placeholder, which keeps the value out of the conversation.",
      inputSchema: { path: Path },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("get_secret", args, async ({ path }) => {
        await refuseIfHidden(path);
        const s = await api.getSecret(path);
        secrets.remember(path, s.value);
        log.info(`secret accessed: ${path}`);
        return json({ path: s.path, type: s.type, version: s.version, value: s.value });
      }),
  );

  server.registerTool(
    "put_secret",
    {
      title: "Store secret",
      description: "Store a new secret or a new version of an existing one.",
      inputSchema: {
        path: Path,
        value: z.string().min(1).describe("The secret value"),
        type: z.enum(SECRET_TYPES).default("api_key").describe("Secret type"),
        metadata: z.record(z.string(), z.unknown()).optional().describe("Arbitrary JSON metadata; `allowed_hosts` lists where http_request may send the value"),
        expires_at: IsoDate.optional().describe("ISO 8601 expiry"),
        max_access_count: z.number().int().min(0).max(1_000_000_000).optional().describe("Max reads before the secret expires (0 = unlimited)"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded("put_secret", args, async ({ path, value, type, metadata, expires_at, max_access_count }) => {
        const m = await api.putSecret(path, {
          value,
          type,
          ...(metadata ? { metadata } : {}),
          ...(expires_at ? { expires_at } : {}),
          ...(max_access_count ? { max_access_count } : {}),
        });
        return `Secret stored at '${m.path}' (version ${m.version}, type: ${m.type}).`;
      }),
  );

  server.registerTool(
    "delete_secret",
    {
      title: "Delete secret",
      description: "Soft-delete a secret (all versions). Reversible by an admin.",
      inputSchema: { path: Path },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("delete_secret", args, async ({ path }) => {
        await api.deleteSecret(path);
        return `Secret at '${path}' has been soft-deleted.`;
      }),
  );

  server.registerTool(
    "describe_secret",
    {
      title: "Describe secret",
      description: "Metadata (type, version, expiry) of a secret without fetching its value; does not count an access. Use it to check existence.",
      inputSchema: { path: Path },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("describe_secret", args, async ({ path }) => {
        const m = await api.describeSecret(path);
        return json({ path: m.path, type: m.type, version: m.version, metadata: m.metadata ?? {}, created_at: m.created_at, expires_at: m.expires_at ?? null });
      }),
  );

  server.registerTool(
    "rotate_and_store",
    {
      title: "Rotate secret",
      description: "Store a new value for an existing secret as a new version (type and metadata are kept). Use after regenerating a key.",
      inputSchema: { path: Path, value: z.string().min(1).describe("New secret value") },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded("rotate_and_store", args, async ({ path, value }) => {
        const current = await api.describeSecret(path);
        const m = await api.putSecret(path, { value, type: current.type, ...(current.metadata ? { metadata: current.metadata } : {}) });
        return `Rotated secret at '${path}'. New version: ${m.version}.`;
      }),
  );

  server.registerTool(
    "get_env_bundle",
    {
      title: "Get env bundle",
      description: "Fetch an env_bundle secret and return its KEY=VALUE lines as a JSON object.",
      inputSchema: { path: Path.describe("Path to an env_bundle secret") },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("get_env_bundle", args, async ({ path }) => {
        await refuseIfHidden(path);
        const s = await api.getSecret(path);
        secrets.remember(path, s.value);
        const parsed = parseEnvBundle(s.value);
        for (const v of Object.values(parsed)) secrets.remember(path, v);
        log.info(`secret accessed: ${path}`);
        return json(parsed);
      }),
  );

  server.registerTool(
    "create_vault",
    {
      title: "Create vault",
      description: "Create a new vault. Call list_vaults first to avoid duplicates.",
      inputSchema: { name: z.string().min(1).max(255).describe("Vault name"), description: z.string().max(2000).optional().describe("Short description") },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded("create_vault", args, async ({ name, description }) => {
        const v = await api.createVault(name, description);
        return `Vault '${v.name}' created (id: ${v.id}).`;
      }),
  );

  server.registerTool(
    "list_vaults",
    {
      title: "List vaults",
      description: "List the vaults this agent can access.",
      inputSchema: {},
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) =>
      guarded("list_vaults", args, async () => {
        const vs = await api.listVaults();
        if (!vs.length) return "No vaults found.";
        return [`Found ${vs.length} vault(s):`, ...vs.map((v) => `- ${v.name} (${v.id})`)].join("\n");
      }),
  );

  server.registerTool(
    "grant_access",
    {
      title: "Grant access",
      description: "Grant a user or agent access to secrets matching a path pattern in a vault (creates a policy).",
      inputSchema: {
        vault_id: z.string().uuid().describe("Vault ID"),
        principal_type: z.enum(["user", "agent"]).describe("Who receives access"),
        principal_id: z.string().uuid().describe("The user or agent UUID"),
        permissions: z.array(z.enum(["read", "write", "delete"])).min(1).default(["read"]).describe('e.g. ["read"] or ["read","write"]'),
        secret_path_pattern: z.string().min(1).max(512).default("**").describe("Glob: * one segment, ** any depth"),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    (args) =>
      guarded("grant_access", args, async ({ vault_id, principal_type, principal_id, permissions, secret_path_pattern }) => {
        const p = await api.createPolicy(vault_id, { principal_type, principal_id, permissions, secret_path_pattern });
        return `Access granted: ${principal_type} ${principal_id} may ${permissions.join("/")} secrets matching '${secret_path_pattern}' in vault ${vault_id} (policy ${p.id}).`;
      }),
  );

  server.registerTool(
    "share_secret",
    {
      title: "Share secret",
      description: "Share a secret by link, with your creator (the human who registered this agent), or with a user or agent. Targeted shares must be accepted by the recipient.",
      inputSchema: {
        secret_id: z.string().uuid().describe("The secret's UUID (see describe_secret / list_secrets)"),
        recipient_type: z.enum(["creator", "user", "agent", "anyone_with_link"]),
        recipient_id: z.string().uuid().optional().describe("Required for user and agent"),
        expires_at: IsoDate.describe("ISO 8601 expiry"),
        max_access_count: z.number().int().min(0).max(MAX_SHARE_ACCESSES).default(5).describe(`Max reads (0 = as many as the server allows, ${MAX_SHARE_ACCESSES})`),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      guarded("share_secret", args, async ({ secret_id, recipient_type, recipient_id, expires_at, max_access_count }) => {
        if ((recipient_type === "user" || recipient_type === "agent") && !recipient_id)
          throw new VaultApiError(400, `recipient_id: required when recipient_type is '${recipient_type}'`);
        const accesses = max_access_count || MAX_SHARE_ACCESSES;
        const s = await api.createShare(secret_id, { recipient_type, ...(recipient_id ? { recipient_id } : {}), expires_at, max_access_count: accesses });
        const limits = `expires ${expires_at}, at most ${accesses} access(es)`;
        if (recipient_type === "anyone_with_link") return `Share created (id: ${s.id}): ${s.share_url ?? ""} — anyone with the link can open it (${limits}).`;
        return `Share created (id: ${s.id}) for ${recipient_type === "creator" ? "your creator" : `${recipient_type} ${recipient_id}`} (${limits}). The recipient must accept the share before they can access the secret.`;
      }),
  );

  const txShape = {
    chain: z.string().min(1).describe('Chain name or chain ID, e.g. "base" or "8453"'),
    to: z.string().regex(/^0x[0-9a-fA-F]{40}$/).describe("Destination address"),
    value: z.string().regex(/^\d+(\.\d+)?$/).describe('Value in ETH, e.g. "0.01"'),
    data: z.string().regex(/^0x[0-9a-fA-F]*$/).optional().describe("Hex calldata"),
    signing_key_path: z.string().max(512).optional().describe("Vault path to the signing key (default keys/{chain}-signer)"),
    gas_limit: z.number().int().positive().optional().describe("Gas limit (default 21000)"),
  };
  server.registerTool(
    "simulate_transaction",
    {
      title: "Simulate transaction",
      description: "Simulate an EVM transaction without signing: balance changes, gas estimate, success or revert.",
      inputSchema: txShape,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (args) => guarded("simulate_transaction", args, async (a) => json(await api.simulateTransaction(a))),
  );
  server.registerTool(
    "submit_transaction",
    {
      title: "Submit transaction",
      description: "Sign (and optionally broadcast) an EVM transaction with a key held in the vault. Requires intents_api_enabled. Simulates first by default.",
      inputSchema: {
        ...txShape,
        nonce: z.number().int().min(0).optional().describe("Nonce (auto-resolved when omitted)"),
        gas_price: z.string().regex(/^\d+$/).optional().describe("Gas price in wei (legacy)"),
        max_fee_per_gas: z.string().regex(/^\d+$/).optional().describe("EIP-1559 max fee in wei"),
        max_priority_fee_per_gas: z.string().regex(/^\d+$/).optional().describe("EIP-1559 priority fee in wei"),
        simulate_first: z.boolean().default(true).describe("Simulate before signing; a revert stops the submission"),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args) => guarded("submit_transaction", args, async (a) => json(await api.submitTransaction(a, crypto.randomUUID()))),
  );

  server.registerTool(
    "http_request",
    {
      title: "HTTP request with secrets",
      description:
        "Call an HTTP API using secrets you never see: write {{secret:<path>}} in the url, a header value or the body and oneclaw fills in the value outside the conversation — " +
        "only if the target host is listed in that secret's metadata.allowed_hosts by a human. The response comes back with every secret value replaced by [REDACTED:<path>]. " +
        "Redirects to other hosts are not followed.",
      inputSchema: {
        method: z.enum(HTTP_METHODS).default("GET"),
        url: z.string().min(1).max(8192).describe("Absolute http(s) URL; placeholders allowed in path and query"),
        headers: z.record(z.string().max(256), z.string().max(16_384)).optional().describe('e.g. {"Authorization": "Bearer {{secret:api-keys/stripe}}"}'),
        body: z.string().max(settings.http.maxRequestBytes).optional().describe("Request body (text, e.g. JSON)"),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    (args) =>
      guarded("http_request", args, async (a) =>
        json(await performHttpRequest(a, { api, secrets, log, limits: settings.http, fetch: opts.fetch })),
      ),
  );

  server.registerResource(
    "secrets",
    "vault://secrets",
    { title: "Secrets in the vault", description: "Paths and metadata of the secrets in the vault (never values)", mimeType: "application/json" },
    async (uri) => {
      const list = await api.listSecrets();
      const body = list.map((s) => ({ path: s.path, type: s.type, version: s.version, metadata: s.metadata ?? {}, created_at: s.created_at, expires_at: s.expires_at ?? null }));
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: secrets.redact(json({ secrets: body })).text }] };
    },
  );

  return { server, secrets };
}

/**
 * Streamable HTTP for many agents at once: every request carries `Authorization: Bearer <agent JWT
 * or ocv_ key>` and `X-Vault-ID`; each session gets its own VaultApi and its own memory of fetched
 * values, and is bound to the credential that opened it.
 */
import crypto from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { VaultApiError, type VaultApi } from "./api.js";
import type { Logger } from "./log.js";
import type { SecuritySettings } from "./security/settings.js";
import { createOneclawMcpServer } from "./server.js";

export interface McpHttpOptions {
  /** Builds the Vault API client of a new session from the request's credentials. */
  apiFor(bearer: string, vaultId: string, req: IncomingMessage): VaultApi;
  settings: SecuritySettings;
  log: Logger;
  fetch?: typeof fetch;
  maxSessions?: number;
  /** A session unused this long is closed. */
  idleMs?: number;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  fingerprint: Buffer;
  lastUsed: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function reject(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...extra });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: status === 401 ? -32001 : -32000, message }, id: null }));
}

const fingerprintOf = (bearer: string, vaultId: string) => crypto.createHash("sha256").update(`${bearer}\n${vaultId.toLowerCase()}`).digest();

export class McpHttpHandler {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly opts: McpHttpOptions) {
    const idle = opts.idleMs ?? 30 * 60_000;
    this.sweeper = setInterval(() => {
      const cutoff = Date.now() - idle;
      for (const [id, s] of this.sessions) if (s.lastUsed < cutoff) void this.drop(id);
    }, Math.min(idle, 60_000));
    this.sweeper.unref();
  }

  get sessionCount() {
    return this.sessions.size;
  }

  /** Handles POST/GET/DELETE on the MCP endpoint; `body` is the parsed JSON body when the caller already read it. */
  async handle(req: IncomingMessage, res: ServerResponse, body?: unknown): Promise<void> {
    const auth = req.headers.authorization;
    const bearer = typeof auth === "string" ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
    if (!bearer)
      return reject(res, 401, "Missing or malformed Authorization header: send 'Authorization: Bearer <agent JWT or ocv_ agent key>'.", {
        "www-authenticate": 'Bearer realm="oneclaw-mcp"',
      });
    const vaultHeader = req.headers["x-vault-id"];
    const vaultId = typeof vaultHeader === "string" ? vaultHeader.trim() : undefined;
    if (!vaultId) return reject(res, 400, "Missing X-Vault-ID header: send the UUID of the vault this session works in.");
    if (!UUID.test(vaultId)) return reject(res, 400, "X-Vault-ID: must be a vault UUID.");
    const fingerprint = fingerprintOf(bearer, vaultId);

    const sessionHeader = req.headers["mcp-session-id"];
    const sessionId = typeof sessionHeader === "string" ? sessionHeader : undefined;
    if (sessionId) {
      const s = this.sessions.get(sessionId);
      if (!s) return reject(res, 404, "Session not found (expired or closed); start a new session with initialize.");
      if (!crypto.timingSafeEqual(s.fingerprint, fingerprint))
        return reject(res, 403, "This session belongs to other credentials: the Authorization and X-Vault-ID must match the ones that opened it.");
      s.lastUsed = Date.now();
      return s.transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST" || !isInitializeRequest(body))
      return reject(res, 400, "No session: send an initialize request first (without Mcp-Session-Id), then use the Mcp-Session-Id it returns.");
    if (this.sessions.size >= (this.opts.maxSessions ?? 1000)) return reject(res, 503, "Too many open MCP sessions; try again later.", { "retry-after": "30" });

    const api = this.opts.apiFor(bearer, vaultId, req);
    // Fail fast on a credential the Vault API does not accept, before a session exists.
    try {
      await api.listVaults();
    } catch (e) {
      if (e instanceof VaultApiError && e.status === 401) return reject(res, 401, "The Vault API rejected this credential: invalid, expired or revoked agent token or key.");
      if (e instanceof VaultApiError && e.status === 503) return reject(res, 502, e.detail);
    }
    const { server } = createOneclawMcpServer({ api, settings: this.opts.settings, log: this.opts.log, fetch: this.opts.fetch });
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, fingerprint, lastUsed: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  private async drop(id: string) {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    await s?.transport.close().catch(() => undefined);
  }

  async close() {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id)));
  }
}

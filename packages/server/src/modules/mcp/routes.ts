/**
 * The MCP Streamable HTTP endpoint served by the Vault API process at /mcp. Each session's tools
 * call this same app in-process (Fastify inject) with the session's own bearer, so every call goes
 * through the full pipeline (auth, policies, audit, limits) exactly as an HTTP client's would, with
 * the caller's IP preserved for policy conditions.
 */
import { credentialFromBearer, SdkVaultApi, McpHttpHandler, securitySettingsFromEnv, type Logger } from "@oneclaw/mcp";
import type { FastifyInstance } from "fastify";
import type { AppContext } from "../../context.js";

/** A fetch that answers from this app without a network round trip. */
export function injectFetch(app: FastifyInstance, remoteAddress: string): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const res = await app.inject({
      method: (init?.method ?? "GET") as any,
      url: url.pathname + url.search,
      headers,
      payload: typeof init?.body === "string" ? init.body : undefined,
      remoteAddress,
    });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [String(v)]) out.append(k, one);
    }
    const bodyless = res.statusCode === 204 || res.statusCode === 304 || res.rawPayload.length === 0;
    return new Response(bodyless ? null : new Uint8Array(res.rawPayload), { status: res.statusCode, headers: out });
  }) as typeof fetch;
}

export function mcpRoutes(app: FastifyInstance, ctx: AppContext) {
  const log: Logger = {
    info: (msg, fields) => ctx.log.info({ mcp: fields }, msg),
    warn: (msg, fields) => ctx.log.warn({ mcp: fields }, msg),
  };
  const handler = new McpHttpHandler({
    apiFor: (bearer, vaultId, req) =>
      new SdkVaultApi({
        baseUrl: "http://oneclaw.internal",
        credential: credentialFromBearer(bearer),
        vaultId,
        fetch: injectFetch(app, (req as { ip?: string }).ip ?? req.socket.remoteAddress ?? "127.0.0.1"),
      }),
    settings: securitySettingsFromEnv(process.env),
    log,
  });
  app.addHook("onClose", async () => handler.close());
  app.route({
    method: ["GET", "POST", "DELETE"],
    url: "/mcp",
    // The MCP layer requires Authorization + X-Vault-ID itself; each tool call is authenticated by the API it calls.
    config: { auth: "public" },
    schema: { hide: true },
    handler: async (req, reply) => {
      reply.hijack();
      // Expose the pipeline's client IP (trustProxy-aware) to apiFor.
      (req.raw as { ip?: string }).ip = req.ip;
      try {
        await handler.handle(req.raw, reply.raw, req.body);
      } catch (e) {
        req.log.error({ err: e }, "mcp request failed");
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(500, { "content-type": "application/json" });
          reply.raw.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null }));
        }
      }
    },
  });
}

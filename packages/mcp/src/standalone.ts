import http from "node:http";
import { McpHttpHandler, type McpHttpOptions } from "./http-transport.js";
import { VERSION } from "./version.js";

const MAX_BODY = 5 * 1024 * 1024;

function readJson(req: http.IncomingMessage): Promise<{ ok: true; body: unknown } | { ok: false; status: number; message: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY && !done) {
        done = true;
        resolve({ ok: false, status: 413, message: "Request body larger than 5 MB." });
        req.resume();
      } else chunks.push(c);
    });
    req.on("end", () => {
      if (done) return;
      const text = Buffer.concat(chunks).toString("utf8").trim();
      if (!text) return resolve({ ok: true, body: undefined });
      try {
        resolve({ ok: true, body: JSON.parse(text) });
      } catch {
        resolve({ ok: false, status: 400, message: "Request body is not valid JSON." });
      }
    });
    req.on("error", () => !done && resolve({ ok: false, status: 400, message: "Could not read the request body." }));
  });
}

/** The standalone Streamable HTTP server: POST/GET/DELETE /mcp and GET /health. */
export function createStandaloneServer(opts: McpHttpOptions): { server: http.Server; handler: McpHttpHandler } {
  const handler = new McpHttpHandler(opts);
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    try {
      if (path === "/health" && req.method === "GET") return send(res, 200, { status: "ok", service: "oneclaw-mcp", version: VERSION, sessions: handler.sessionCount });
      if (path !== "/mcp") return send(res, 404, { error: `No route ${req.method} ${path}` });
      if (!["GET", "POST", "DELETE"].includes(req.method ?? "")) {
        res.setHeader("allow", "GET, POST, DELETE");
        return send(res, 405, { error: `Method ${req.method} is not allowed on /mcp` });
      }
      let body: unknown;
      if (req.method === "POST") {
        const parsed = await readJson(req);
        if (!parsed.ok) return send(res, parsed.status, { jsonrpc: "2.0", error: { code: -32700, message: parsed.message }, id: null });
        body = parsed.body;
      }
      await handler.handle(req, res, body);
    } catch (e) {
      opts.log.warn("mcp request failed", { error: (e as Error).message });
      if (!res.headersSent) send(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal error" }, id: null });
    }
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;
  return { server, handler };
}

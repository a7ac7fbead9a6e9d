import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import fastifyCors from "@fastify/cors";
import fastifySwagger from "@fastify/swagger";
import { MAX_BODY_BYTES } from "@oneclaw/contract";
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import findMyWay from "find-my-way";
import secureJson from "secure-json-parse";
import { ConfigError, type Config } from "./config.js";
import type { AppContext } from "./context.js";
import { ApiKeyHasher } from "./crypto/api-keys.js";
import type { KeyProvider } from "./crypto/key-provider.js";
import { Keyring } from "./crypto/keyring.js";
import { LocalKeyProvider } from "./crypto/local-provider.js";
import { SystemKeys } from "./crypto/system-keys.js";
import { TokenService } from "./crypto/tokens.js";
import { Mailer } from "./mail.js";
import { Authenticator } from "./pipeline/authenticate.js";
import { ApiError } from "./pipeline/errors.js";
import { installMetrics } from "./pipeline/metrics.js";
import { installProblemHandlers, sendProblem } from "./pipeline/problem.js";
import { Bus } from "./store/bus.js";
import { openStore, type Store } from "./store/db.js";
import { migrate } from "./store/migrate.js";
import { UnitOfWork } from "./store/unit-of-work.js";
import { buildServices, registerRoutes, type Services } from "./modules/index.js";

import { VERSION } from "./version.js";
export { VERSION };

export interface BuildOptions {
  config: Config;
  /** An already-open store (tests); otherwise opened from config. */
  store?: Store;
  keyProvider?: KeyProvider;
  /** PostgreSQL schema for this instance (tests isolate each app in its own). */
  pgSchema?: string;
  logger?: FastifyServerOptions["logger"];
  loggerInstance?: FastifyServerOptions["loggerInstance"];
}

/** A route the app serves, as registered (tests walk these to check every one). */
export interface ServedRoute {
  method: string;
  url: string;
  /** Left out of the OpenAPI document (the document itself, /metrics). */
  hidden: boolean;
  auth: "public" | "required" | "optional";
}

export interface App {
  app: FastifyInstance;
  routes: ServedRoute[];
  ctx: AppContext;
  services: Services;
  close(): Promise<void>;
}

/** Paths, headers and fields that must never reach a log line. */
export const LOG_REDACT = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-share-passphrase"]',
  'req.headers["x-cmek-old-key"]',
  'req.headers["x-cmek-new-key"]',
  'req.headers["x-shroud-agent-key"]',
  'req.headers["x-shroud-api-key"]',
];

/**
 * The request URL as it may appear in a log line: a link-share id is the credential to the
 * secret and a device user code is half of a login, so both are masked, and query values
 * (which clients sometimes misuse for credentials) are dropped, keeping their names.
 */
export function loggableUrl(url: string): string {
  const [path, query] = url.split("?", 2);
  const masked = path
    .replace(/^(\/v1\/shares?\/)[^/]+/, "$1[id]")
    .replace(/^(\/v1\/auth\/device\/code\/)[^/]+/, "$1[code]");
  if (query === undefined) return masked;
  const names = query.split("&").map((kv) => kv.split("=", 1)[0]);
  return `${masked}?${names.map((n) => `${n}=…`).join("&")}`;
}

/**
 * Helmet's defaults (with a strict CSP for the API), computed once: setting a fixed object
 * costs less per request than the plugin's per-response work. Without `upgrade-insecure-requests`:
 * a local instance is served over plain http and must still load its own scripts.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'none';img-src 'self' data:;object-src 'none';script-src 'self';script-src-attr 'none';style-src 'self'",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-frame-options": "SAMEORIGIN",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
  "cache-control": "no-store",
};

export async function openKeyProvider(config: Config): Promise<KeyProvider> {
  if (config.keyProvider === "local") return LocalKeyProvider.open({ dataDir: config.dataDir, masterKey: config.masterKey });
  if (!config.pkcs11) throw new ConfigError("ONECLAW_PKCS11_MODULE", "is required when ONECLAW_KEY_PROVIDER=pkcs11");
  const { Pkcs11KeyProvider } = await import("./crypto/pkcs11-provider.js");
  return Pkcs11KeyProvider.open(config.pkcs11);
}

export async function buildApp(opts: BuildOptions): Promise<App> {
  const { config } = opts;
  const store =
    opts.store ??
    (await openStore({ dialect: config.dialect, databaseUrl: config.databaseUrl, dataDir: config.dataDir, pgSchema: opts.pgSchema }));
  const ownsStore = !opts.store;
  let provider: KeyProvider | undefined;
  let systemKeys: SystemKeys, tokens: TokenService, apiKeys: ApiKeyHasher;
  try {
    await migrate(store);
    provider = opts.keyProvider ?? (await openKeyProvider(config));
    systemKeys = new SystemKeys(store.db, provider);
    await systemKeys.checkRootKey();
    tokens = TokenService.fromPkcs8(await systemKeys.get("jwt_ed25519", 0, TokenService.generatePkcs8));
    apiKeys = new ApiKeyHasher(await systemKeys.get("api_key_pepper"));
  } catch (e) {
    // Refusing to start (wrong root key, failed migration) must not leave the database open.
    await provider?.close().catch(() => undefined);
    if (ownsStore) await store.close().catch(() => undefined);
    throw e;
  }

  const app = Fastify({
    logger: opts.loggerInstance ? undefined : (opts.logger ?? { level: config.logLevel, redact: LOG_REDACT }),
    loggerInstance: opts.loggerInstance,
    bodyLimit: MAX_BODY_BYTES,
    genReqId: () => crypto.randomUUID(),
    // One access-log line per request (written on response) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: config.trustedProxies.length ? config.trustedProxies : false,
    // Slow clients: headers must arrive within headersTimeoutMs and the whole request within
    // requestTimeoutMs (Node answers 408 and closes); idle sockets close after 60 s.
    serverFactory: (handler) => {
      const limits = {
        headersTimeout: config.headersTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs),
        keepAliveTimeout: 10_000,
      };
      // With TLS, client certificates are requested but not required: ordinary clients still
      // connect, and the agent-token exchange accepts only certificates that chain to the client CA.
      const tls = config.tls && { cert: config.tls.cert, key: config.tls.key, ca: config.tls.clientCa, requestCert: !!config.tls.clientCa, rejectUnauthorized: false };
      const server = tls ? https.createServer({ ...limits, ...tls }, handler) : http.createServer(limits, handler);
      server.setTimeout(60_000);
      return server;
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 2048 },
    // Malformed URLs (bad percent-encoding) and malformed HTTP get problem+json too.
    frameworkErrors: (error, _req, reply) => {
      void sendProblem(reply, new ApiError(400, error.code === "FST_ERR_BAD_URL" ? "The URL is not validly percent-encoded" : error.message));
    },
    clientErrorHandler: writeClientError,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const bus = store.pgPool ? await Bus.postgres(store.pgPool, config.databaseUrl, opts.pgSchema) : Bus.local();
  const authenticator = new Authenticator(tokens);
  const mailer = new Mailer(config.dataDir, config.smtpUrl, undefined, (e) => app.log.warn({ err: e }, "mail delivery failed"));
  const ctx: AppContext = {
    config,
    store,
    db: store.db,
    keyring: new Keyring(provider!),
    systemKeys,
    tokens,
    apiKeys,
    uow: undefined as unknown as UnitOfWork,
    bus,
    authenticator,
    mailer,
    log: app.log,
    hooks: { beforeAuth: [], afterAuth: [], onResponse: [] },
  };
  const services = await buildServices(ctx);
  ctx.uow = new UnitOfWork(store.db, (trx, events) => services.audit.writeBatch(trx, events), config.auditFlushMs);

  // Empty JSON bodies (common on DELETE and bodiless POST) are accepted as "no body".
  // JSON only: anything else (text/plain included) is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === "") return done(null, undefined);
    let parsed: unknown;
    try {
      parsed = secureJson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
    } catch {
      return done(new ApiError(400, "body: is not valid JSON"), undefined);
    }
    if (!withinDepth(parsed, MAX_JSON_DEPTH)) return done(new ApiError(400, `body: nested deeper than ${MAX_JSON_DEPTH} levels`), undefined);
    done(null, parsed);
  });

  if (config.corsOrigins.length) await app.register(fastifyCors, { origin: config.corsOrigins, credentials: false });

  app.addHook("onRequest", async (req, reply) => {
    reply.headers(SECURITY_HEADERS);
    reply.header("x-request-id", req.id);
    if (!req.routeOptions.url) return;
    for (const hook of ctx.hooks.beforeAuth) await hook(req, reply);
    const mode = req.routeOptions.config?.auth ?? "required";
    if (mode === "public") return;
    if (mode === "optional" && !req.headers.authorization) return;
    req.principal = await authenticator.authenticate(req);
    for (const hook of ctx.hooks.afterAuth) await hook(req, reply);
  });
  app.addHook("onResponse", async (req, reply) => {
    req.log.info({ method: req.method, url: loggableUrl(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, "request completed");
    for (const hook of ctx.hooks.onResponse) await hook(req, reply).catch((e) => req.log.warn({ err: e }, "response hook failed"));
  });

  installProblemHandlers(app, (req) => {
    void ctx.uow
      .audit({
        orgId: req.principal?.orgId ?? "00000000-0000-0000-0000-000000000000",
        action: "integrity.failure",
        actorId: req.principal ? `${req.principal.type}:${req.principal.id}` : "anonymous",
        actorType: req.principal?.type ?? "anonymous",
        resourceType: "request",
        resourceId: req.routeOptions.url ?? null,
        details: { method: req.method, route: req.routeOptions.url, request_id: req.id },
        ip: req.ip,
      })
      .catch((e) => req.log.error({ err: e }, "could not audit integrity failure"));
  });
  const routes: ServedRoute[] = [];
  app.addHook("onRoute", (route) => {
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      routes.push({ method, url: route.url, hidden: Boolean((route.schema as { hide?: boolean } | undefined)?.hide), auth: route.config?.auth ?? "required" });
    }
  });
  installMethodNotAllowed(app);
  installMetrics(app);

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "oneclaw API (1Claw-compatible)", version: VERSION },
      components: { securitySchemes: { BearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
      security: [{ BearerAuth: [] }],
    },
    transform: jsonSchemaTransform,
  });
  for (const url of ["/v1/openapi.json", "/openapi.json"]) {
    app.get(url, { config: { auth: "public" }, schema: { hide: true } }, async () => openapiDocument(app));
  }

  await registerRoutes(app, services, ctx);

  // While draining, answer in-flight requests with Connection: close so keep-alive sockets end at once.
  let closing = false;
  app.addHook("onSend", async (_req, reply) => {
    if (closing) reply.header("connection", "close");
  });
  let closed = false;
  return {
    app,
    routes,
    ctx,
    services,
    async close() {
      if (closed) return;
      closed = true;
      closing = true;
      await app.close();
      await ctx.uow.close();
      await bus.close();
      await provider!.close();
      if (ownsStore) await store.close();
    },
  };
}

/** Errors Node reports before there is a request (timeouts, oversized or malformed HTTP). */
function writeClientError(err: NodeJS.ErrnoException, socket: import("node:net").Socket) {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const [status, detail] =
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "The request was not received in time"]
      : err.code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request headers are too large"]
        : [400, "Malformed HTTP request"];
  const body = JSON.stringify(new ApiError(status, detail).body());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** No request needs deeper JSON; bounding it keeps recursive code (stringify, schema checks) safe. */
const MAX_JSON_DEPTH = 32;

function withinDepth(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return false;
    for (const child of Object.values(v)) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * The generated OpenAPI document, with Fastify's catch-all `*` (secret paths, which span
 * several URL segments) written as the reference's `{path}` parameter.
 */
const cachedDoc: WeakMap<FastifyInstance, unknown> = new WeakMap();
function openapiDocument(app: FastifyInstance) {
  const hit = cachedDoc.get(app);
  if (hit) return hit;
  const doc = structuredClone(app.swagger()) as { paths?: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> };
  const paths: typeof doc.paths = {};
  for (const [p, item] of Object.entries(doc.paths ?? {})) {
    for (const op of Object.values(item)) {
      for (const param of op.parameters ?? []) if (param.in === "path" && param.name === "*") param.name = "path";
    }
    paths[p.replace(/\{\*\}$/, "{path}")] = item;
  }
  doc.paths = paths;
  cachedDoc.set(app, doc);
  return doc;
}

/** 405 with an Allow header when the path exists for other methods; problem+json 404 otherwise. */
function installMethodNotAllowed(app: FastifyInstance) {
  const router = findMyWay({ ignoreTrailingSlash: false, maxParamLength: 2048 });
  const noop = () => undefined;
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const m of methods) {
      if (m === "HEAD" || m === "OPTIONS") continue;
      try {
        router.on(m as any, route.url, noop);
      } catch {
        /* duplicate shape */
      }
    }
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split("?")[0];
    const allowed = ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((m) => m !== req.method && router.find(m as any, path));
    if (allowed.length) {
      reply.header("Allow", allowed.join(", "));
      return sendProblem(reply, new ApiError(405, `Method ${req.method} is not allowed on ${path}`));
    }
    return sendProblem(reply, new ApiError(404, `No route ${req.method} ${path}`));
  });
}

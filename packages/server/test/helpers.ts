import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pg from "pg";
import { inject } from "vitest";
import { buildApp, LOG_REDACT, type App } from "../src/app.js";
import { loadConfig, type Config } from "../src/config.js";
import { MIGRATION_LOCK } from "../src/store/migrate.js";

export const dialect = (process.env.ONECLAW_TEST_DB ?? "sqlite") as "sqlite" | "postgres";
export const PG_URL = process.env.ONECLAW_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
export const STRONG_PASSWORD = "Correct-Horse-8attery!";

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface TestApp extends App {
  config: Config;
  dataDir: string;
  pgSchema?: string;
  logs: string[];
  req<T = any>(method: string, url: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<Res<T>>;
  signup(email?: string): Promise<{ token: string; userId: string; orgId: string; email: string }>;
  /** Closes the app and removes its data (PostgreSQL schema, data dir). */
  destroy(): Promise<void>;
}

/**
 * The suite signs up and logs in far faster than the production limits allow; rate-limit tests
 * pass DEFAULT_LIMITS (empty values = the built-in defaults) in `env` to get them back.
 */
export const UNTHROTTLED: Record<string, string> = {
  ONECLAW_RATE_LIMIT_RPS: "1000000",
  ONECLAW_RATE_LIMIT_BURST: "1000000",
  ONECLAW_AUTH_RATE_LIMIT_RPS: "1000000",
  ONECLAW_AUTH_RATE_LIMIT_BURST: "1000000",
  ONECLAW_SHARE_RATE_LIMIT_PER_MINUTE: "1000000",
};
export const DEFAULT_LIMITS: Record<string, string> = Object.fromEntries(Object.keys(UNTHROTTLED).map((k) => [k, ""]));

/** Starts the real app on the suite's dialect with a fresh database and data dir. */
export async function startApp(opts: { env?: Record<string, string>; dataDir?: string; pgSchema?: string; keepData?: boolean } = {}): Promise<TestApp> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "oneclaw-test-"));
  const pgSchema = dialect === "postgres" ? (opts.pgSchema ?? `t_${crypto.randomBytes(6).toString("hex")}`) : undefined;
  const config = loadConfig({
    ONECLAW_DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...(dialect === "postgres" ? { DATABASE_URL: PG_URL } : {}),
    ...UNTHROTTLED,
    ...(process.env.ONECLAW_TEST_KEYS === "pkcs11" ? pkcs11Env(`${dataDir}|${pgSchema ?? ""}`) : {}),
    ...opts.env,
  });
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const built = await buildApp({ config, pgSchema, logger: { level: config.logLevel, redact: LOG_REDACT, stream } as any });
  await built.app.ready();
  const t: TestApp = {
    ...built,
    config,
    dataDir,
    pgSchema,
    logs,
    async req(method, url, o = {}) {
      const headers: Record<string, string> = { ...(o.headers ?? {}) };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      let payload: string | undefined = o.raw;
      if (o.body !== undefined) {
        payload = JSON.stringify(o.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await built.app.inject({ method: method as any, url, headers, payload });
      let body: any = undefined;
      try {
        body = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        body = undefined;
      }
      return { status: res.statusCode, body, headers: res.headers as any, text: res.body };
    },
    async signup(email = `u${crypto.randomBytes(5).toString("hex")}@example.com`) {
      const r = await t.req("POST", "/v1/auth/signup", { body: { email, password: STRONG_PASSWORD } });
      if (r.status !== 200) throw new Error(`signup failed: ${r.status} ${r.text}`);
      const me = await t.req("GET", "/v1/auth/me", { token: r.body.access_token });
      const claims = JSON.parse(Buffer.from(r.body.access_token.split(".")[1], "base64url").toString());
      return { token: r.body.access_token, userId: me.body.id, orgId: claims.org_id, email };
    },
    async destroy() {
      await built.close();
      if (pgSchema && !opts.keepData) await dropSchema(pgSchema);
      if (!opts.dataDir && !opts.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

export async function dropSchema(schema: string) {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    // Kysely's migrator introspects the tables of every schema; a schema dropped meanwhile makes
    // that fail ("schema … does not exist"), so drop only while no app is migrating (same lock as
    // store/migrate.ts).
    await c.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** Runs SQL directly against the test database (to tamper with rows in tests). */
export async function rawSql(t: TestApp, text: string, params: unknown[] = []): Promise<any[]> {
  if (dialect === "postgres") {
    const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${t.pgSchema}` });
    await c.connect();
    try {
      return (await c.query(text, params)).rows;
    } finally {
      await c.end();
    }
  }
  const Database = (await import("better-sqlite3")).default;
  const db = new Database(t.ctx.store.sqliteFile!);
  try {
    const sqliteText = text.replace(/\$\d+/g, "?");
    const st = db.prepare(sqliteText);
    return st.reader ? st.all(...(params as any[])) : (st.run(...(params as any[])), []);
  } finally {
    db.close();
  }
}

export const uuid = () => crypto.randomUUID();

/** Base URL of the app on a real socket (listening on first use); for what inject cannot send. */
export async function listenUrl(t: TestApp): Promise<string> {
  const addr = t.app.server.address();
  if (addr && typeof addr === "object") return `http://127.0.0.1:${addr.port}`;
  return t.app.listen({ host: "127.0.0.1", port: 0 });
}

/**
 * A request over a real socket with the path sent byte for byte (no URL normalisation of
 * `..`, `%2e%2e` or `//`, which fetch and inject would apply before the server sees them).
 */
export async function rawHttp(t: TestApp, method: string, urlPath: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Res> {
  const base = new URL(await listenUrl(t));
  const http = await import("node:http");
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (payload !== undefined) {
    headers["content-type"] ??= "application/json";
    headers["content-length"] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path: urlPath, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        let body: any;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers as any, text });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/**
 * Environment for the pkcs11 provider on the run's SoftHSM2 token (vitest project server:pkcs11).
 * The root key label follows the instance, so an app restarted on the same data finds its key.
 */
export function pkcs11Env(instance: string): Record<string, string> {
  const hsm = inject("softhsm");
  process.env.SOFTHSM2_CONF = hsm.conf;
  return {
    ONECLAW_KEY_PROVIDER: "pkcs11",
    ONECLAW_PKCS11_MODULE: hsm.module,
    ONECLAW_PKCS11_TOKEN_LABEL: hsm.token,
    ONECLAW_PKCS11_PIN: hsm.pin,
    ONECLAW_PKCS11_KEY_LABEL: `oneclaw-test-${crypto.createHash("sha256").update(instance).digest("hex").slice(0, 16)}`,
  };
}

import fs from "node:fs";
import path from "node:path";
import ipaddr from "ipaddr.js";

export type Dialect = "sqlite" | "postgres";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  dialect: Dialect;
  databaseUrl: string | undefined;
  masterKey: Buffer | undefined;
  keyProvider: "local" | "pkcs11";
  /** Set when keyProvider is pkcs11 (see loadPkcs11Config). */
  pkcs11?: { module: string; tokenLabel: string; pin: string; keyLabel: string };
  requireEmailVerification: boolean;
  smtpUrl: string | undefined;
  publicUrl: string;
  logLevel: string;
  corsOrigins: string[];
  trustedProxies: string[];
  userTokenTtlSeconds: number;
  agentTokenTtlSeconds: number;
  auditFlushMs: number;
  /** Slow-client limits: whole request headers, and whole request (headers + body). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** ONECLAW_BILLING=on: enforce tiers, limits and the monthly request quota (off: every org unlimited). */
  billingEnabled: boolean;
  /** How often metered usage is flushed to the database. */
  usageFlushMs: number;
  /** OpenID Connect issuer for POST /v1/auth/google, and the client id expected as audience. */
  oidcIssuer: string;
  oidcClientId: string | undefined;
  /** TLS for the listener; with a client CA, clients may present certificates (mtls agents). */
  tls: TlsConfig | undefined;
  /** Redis for rate-limit counters shared by replicas; in-memory counters when unset. */
  redisUrl: string | undefined;
  rateLimit: RateLimitConfig;
}

export interface RateLimitConfig {
  /** Every route, per client IP: token bucket refill per second and burst. */
  rps: number;
  burst: number;
  /** Public auth routes (route config rateLimit "auth"), per client IP and route. */
  authRps: number;
  authBurst: number;
  /** Share creations per organisation per minute. */
  sharesPerMinute: number;
  /** Prefix of Redis keys (isolates instances or tests sharing one Redis). */
  keyPrefix: string;
}

export interface TlsConfig {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | undefined;
}

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function bool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `expected an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

/** Browser origins (scheme://host[:port]); never the wildcard. */
function origins(env: NodeJS.ProcessEnv, name: string): string[] {
  return list(env, name).map((o) => {
    let u: URL | undefined;
    try {
      u = new URL(o);
    } catch {
      /* reported below */
    }
    if (!u || !/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/$/, "")) {
      throw new ConfigError(name, `"${o}" is not an origin like https://app.example.com (no path, no wildcard)`);
    }
    return u.origin;
  });
}

/** IP addresses or CIDR ranges. */
function addresses(env: NodeJS.ProcessEnv, name: string): string[] {
  return list(env, name).map((a) => {
    const ok = a.includes("/") ? (() => { try { ipaddr.parseCIDR(a); return true; } catch { return false; } })() : ipaddr.isValid(a);
    if (!ok) throw new ConfigError(name, `"${a}" is not an IP address or CIDR range`);
    return a;
  });
}

function parseMasterKey(raw: string | undefined): Buffer | undefined {
  if (raw === undefined || raw === "") return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32) {
    throw new ConfigError("ONECLAW_MASTER_KEY", "expected 32 bytes as 64 hex characters or base64");
  }
  return key;
}

function redisUrl(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.REDIS_URL || undefined;
  if (raw && !/^rediss?:\/\//.test(raw)) throw new ConfigError("REDIS_URL", "expected redis:// or rediss://");
  return raw;
}

/** Reads and validates configuration from the environment; throws ConfigError naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = path.resolve(env.ONECLAW_DATA_DIR || ".oneclaw");
  const databaseUrl = env.DATABASE_URL || undefined;
  let dialect: Dialect = "sqlite";
  if (databaseUrl) {
    if (/^postgres(ql)?:\/\//.test(databaseUrl)) dialect = "postgres";
    else if (!/^(sqlite:|file:)/.test(databaseUrl)) {
      throw new ConfigError("DATABASE_URL", "expected a postgres:// URL (or sqlite:<file>)");
    }
  }
  const logLevel = env.LOG_LEVEL || "info";
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError("LOG_LEVEL", `expected one of ${LOG_LEVELS.join(", ")}`);
  const keyProvider = env.ONECLAW_KEY_PROVIDER || "local";
  if (keyProvider !== "local" && keyProvider !== "pkcs11") {
    throw new ConfigError("ONECLAW_KEY_PROVIDER", `expected local or pkcs11, got "${keyProvider}"`);
  }
  const port = int(env, "ONECLAW_PORT", 8443, 0, 65535);
  const host = env.ONECLAW_HOST || "127.0.0.1";
  const publicUrl = env.ONECLAW_PUBLIC_URL || `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  try {
    new URL(publicUrl);
  } catch {
    throw new ConfigError("ONECLAW_PUBLIC_URL", `not a valid URL: "${publicUrl}"`);
  }
  const requestTimeoutMs = int(env, "ONECLAW_REQUEST_TIMEOUT_MS", 30_000, 100, 600_000);
  const headersTimeoutMs = int(env, "ONECLAW_HEADERS_TIMEOUT_MS", Math.min(10_000, requestTimeoutMs), 100, requestTimeoutMs);
  const smtpUrl = env.ONECLAW_SMTP_URL || undefined;
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) throw new ConfigError("ONECLAW_SMTP_URL", "expected smtp:// or smtps://");
  return {
    host,
    port,
    dataDir,
    dialect,
    databaseUrl,
    masterKey: parseMasterKey(env.ONECLAW_MASTER_KEY),
    keyProvider,
    pkcs11: keyProvider === "pkcs11" ? loadPkcs11Config(env) : undefined,
    requireEmailVerification: bool(env, "ONECLAW_REQUIRE_EMAIL_VERIFICATION", false),
    smtpUrl,
    publicUrl: publicUrl.replace(/\/$/, ""),
    logLevel,
    corsOrigins: origins(env, "ONECLAW_CORS_ORIGINS"),
    trustedProxies: addresses(env, "ONECLAW_TRUSTED_PROXIES"),
    userTokenTtlSeconds: int(env, "ONECLAW_USER_TOKEN_TTL", 900, 60, 86400 * 7),
    agentTokenTtlSeconds: int(env, "ONECLAW_AGENT_TOKEN_TTL", 3600, 60, 86400 * 7),
    auditFlushMs: int(env, "ONECLAW_AUDIT_FLUSH_MS", 2, 0, 1000),
    headersTimeoutMs,
    requestTimeoutMs,
    billingEnabled: bool(env, "ONECLAW_BILLING", false),
    usageFlushMs: int(env, "ONECLAW_USAGE_FLUSH_MS", 5000, 10, 600_000),
    oidcIssuer: oidcIssuer(env.ONECLAW_OIDC_ISSUER),
    oidcClientId: env.ONECLAW_OIDC_CLIENT_ID || undefined,
    tls: loadTls(env),
    redisUrl: redisUrl(env),
    rateLimit: {
      rps: int(env, "ONECLAW_RATE_LIMIT_RPS", 100, 1, 1_000_000),
      burst: int(env, "ONECLAW_RATE_LIMIT_BURST", 200, 1, 10_000_000),
      authRps: int(env, "ONECLAW_AUTH_RATE_LIMIT_RPS", 1, 1, 1_000_000),
      authBurst: int(env, "ONECLAW_AUTH_RATE_LIMIT_BURST", 5, 1, 10_000_000),
      sharesPerMinute: int(env, "ONECLAW_SHARE_RATE_LIMIT_PER_MINUTE", 10, 1, 1_000_000),
      keyPrefix: env.ONECLAW_RATE_LIMIT_PREFIX || "oneclaw:rl:",
    },
  };
}

function readPem(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const file = env[name];
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new ConfigError(name, `cannot read "${file}": ${(e as Error).message}`);
  }
}

/** ONECLAW_TLS_CERT + ONECLAW_TLS_KEY (PEM files) turn on HTTPS; ONECLAW_TLS_CLIENT_CA also asks for client certificates. */
function loadTls(env: NodeJS.ProcessEnv): TlsConfig | undefined {
  const cert = readPem(env, "ONECLAW_TLS_CERT");
  const key = readPem(env, "ONECLAW_TLS_KEY");
  const clientCa = readPem(env, "ONECLAW_TLS_CLIENT_CA");
  if (!cert && !key) {
    if (clientCa) throw new ConfigError("ONECLAW_TLS_CLIENT_CA", "needs ONECLAW_TLS_CERT and ONECLAW_TLS_KEY");
    return undefined;
  }
  if (!cert) throw new ConfigError("ONECLAW_TLS_CERT", "is required with ONECLAW_TLS_KEY");
  if (!key) throw new ConfigError("ONECLAW_TLS_KEY", "is required with ONECLAW_TLS_CERT");
  return { cert, key, clientCa };
}

function oidcIssuer(raw: string | undefined): string {
  const issuer = raw || "https://accounts.google.com";
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError("ONECLAW_OIDC_ISSUER", `not a valid URL: "${issuer}"`);
  }
  if (url.protocol !== "https:" && !/^(127\.0\.0\.1|localhost|\[::1\])$/.test(url.host.replace(/:\d+$/, ""))) {
    throw new ConfigError("ONECLAW_OIDC_ISSUER", "must be an https URL (http only for localhost)");
  }
  return issuer.replace(/\/$/, "");
}

/** ONECLAW_PKCS11_*: module path, token label, PIN (or PIN file) and the root key's label. */
export function loadPkcs11Config(env: NodeJS.ProcessEnv): NonNullable<Config["pkcs11"]> {
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new ConfigError(name, "is required when ONECLAW_KEY_PROVIDER=pkcs11");
    return v;
  };
  const module = need("ONECLAW_PKCS11_MODULE");
  const tokenLabel = need("ONECLAW_PKCS11_TOKEN_LABEL");
  let pin = env.ONECLAW_PKCS11_PIN;
  if (!pin && env.ONECLAW_PKCS11_PIN_FILE) {
    try {
      pin = fs.readFileSync(env.ONECLAW_PKCS11_PIN_FILE, "utf8").trim();
    } catch (e) {
      throw new ConfigError("ONECLAW_PKCS11_PIN_FILE", `cannot read ${env.ONECLAW_PKCS11_PIN_FILE}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (!pin) throw new ConfigError("ONECLAW_PKCS11_PIN_FILE", `${env.ONECLAW_PKCS11_PIN_FILE} is empty`);
  }
  if (!pin) throw new ConfigError("ONECLAW_PKCS11_PIN", "is required when ONECLAW_KEY_PROVIDER=pkcs11 (or set ONECLAW_PKCS11_PIN_FILE)");
  const keyLabel = env.ONECLAW_PKCS11_KEY_LABEL || "oneclaw-root";
  return { module, tokenLabel, pin, keyLabel };
}

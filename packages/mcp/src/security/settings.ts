import { DEFAULT_BLOCKED_HOSTS } from "./inspect.js";
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from "../http-request.js";

export interface SecuritySettings {
  /** Input/output inspection around every tool (ONECLAW_MCP_SECURITY_ENABLED, default true). */
  enabled: boolean;
  /** block: refuse high/critical input; surgical: refuse critical, normalise Unicode; log_only: never refuse. */
  sanitizationMode: "block" | "surgical" | "log_only";
  /** Replace values fetched this session in other tools' output with [REDACTED:path] (default true). */
  redactSecrets: boolean;
  pii: boolean;
  /** A fetched value appearing in another tool's input: block (default), warn (log only), or off. */
  exfilProtection: "warn" | "block" | "off";
  blockedHosts: string[];
  http: HttpLimits;
}

const bool = (v: string | undefined, dflt: boolean) => (v === undefined || v === "" ? dflt : !/^(false|0|no|off)$/i.test(v));
const oneOf = <T extends string>(v: string | undefined, allowed: readonly T[], dflt: T, name: string): T => {
  if (v === undefined || v === "") return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new Error(`${name} must be one of ${allowed.join(", ")}`);
  return v as T;
};
const int = (v: string | undefined, dflt: number, name: string) => {
  if (v === undefined || v === "") return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
};

export function securitySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SecuritySettings {
  const extra = (env.ONECLAW_MCP_BLOCKED_HOSTS ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  return {
    enabled: bool(env.ONECLAW_MCP_SECURITY_ENABLED, true),
    sanitizationMode: oneOf(env.ONECLAW_MCP_SANITIZATION_MODE, ["block", "surgical", "log_only"] as const, "block", "ONECLAW_MCP_SANITIZATION_MODE"),
    redactSecrets: bool(env.ONECLAW_MCP_REDACT_SECRETS, true),
    pii: bool(env.ONECLAW_MCP_PII_DETECTION, true),
    // 1Claw defaults to warn; a value passed on would reach the API's URLs and logs, so oneclaw blocks by default.
    exfilProtection: oneOf(env.ONECLAW_MCP_EXFIL_PROTECTION, ["warn", "block", "off"] as const, "block", "ONECLAW_MCP_EXFIL_PROTECTION"),
    blockedHosts: [...DEFAULT_BLOCKED_HOSTS, ...extra],
    http: {
      timeoutMs: int(env.ONECLAW_MCP_HTTP_TIMEOUT_MS, DEFAULT_HTTP_LIMITS.timeoutMs, "ONECLAW_MCP_HTTP_TIMEOUT_MS"),
      maxRequestBytes: int(env.ONECLAW_MCP_HTTP_MAX_REQUEST_BYTES, DEFAULT_HTTP_LIMITS.maxRequestBytes, "ONECLAW_MCP_HTTP_MAX_REQUEST_BYTES"),
      maxResponseBytes: int(env.ONECLAW_MCP_HTTP_MAX_RESPONSE_BYTES, DEFAULT_HTTP_LIMITS.maxResponseBytes, "ONECLAW_MCP_HTTP_MAX_RESPONSE_BYTES"),
      maxRedirects: DEFAULT_HTTP_LIMITS.maxRedirects,
    },
  };
}

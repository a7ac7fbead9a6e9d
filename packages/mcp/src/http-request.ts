/**
 * http_request: calls a third-party API with `{{secret:path}}` placeholders filled in inside this
 * process, only for hosts a human allowed for that secret, and scrubs every fetched value from what
 * goes back to the model.
 */
import { ToolRefusal, type VaultApi } from "./api.js";
import type { Logger } from "./log.js";
import type { SessionSecrets } from "./security/session-secrets.js";

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

export interface HttpRequestArgs {
  method: (typeof HTTP_METHODS)[number];
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpLimits {
  timeoutMs: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
  maxRedirects: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = { timeoutMs: 20_000, maxRequestBytes: 1 << 20, maxResponseBytes: 1 << 20, maxRedirects: 5 };

export interface HttpResult {
  status: number;
  status_text: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  /** Secret paths whose values were found in the response and replaced with [REDACTED:path]. */
  redacted: string[];
}

/** A refusal the model is told about (never containing a secret value). */
export class HttpRequestRefused extends ToolRefusal {}

const PLACEHOLDER = /\{\{\s*secret:([^{}\s]+)\s*\}\}/g;
const SECRET_PATH = /^[A-Za-z0-9]([A-Za-z0-9_\-/]*[A-Za-z0-9])?$/;
/** The metadata key a human sets on a secret to say where its value may be sent. */
export const ALLOWED_HOSTS_KEY = "allowed_hosts";

export function placeholderPaths(...texts: Array<string | undefined>): string[] {
  const paths = new Set<string>();
  for (const t of texts) if (t) for (const m of t.matchAll(PLACEHOLDER)) paths.add(m[1]);
  return [...paths];
}

const defaultPort = (protocol: string) => (protocol === "https:" ? "443" : "80");

/**
 * Whether `url` may receive a secret whose allowed_hosts is `entries`.
 * Entry grammar: `[http://|https://]host[:port]`, host may start with `*.` (any subdomain, not the
 * apex). Without a scheme only https is allowed; without a port only the scheme's default port.
 */
export function hostAllowed(url: URL, entries: unknown): boolean {
  if (!Array.isArray(entries)) return false;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  const port = url.port || defaultPort(url.protocol);
  for (const raw of entries) {
    if (typeof raw !== "string" || !raw.trim()) continue;
    let entry = raw.trim().toLowerCase();
    let scheme = "https:";
    const m = /^(https?):\/\//.exec(entry);
    if (m) {
      scheme = `${m[1]}:`;
      entry = entry.slice(m[0].length);
    }
    entry = entry.replace(/\/.*$/, "");
    let entryHost = entry;
    let entryPort = defaultPort(scheme);
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!hp) continue;
    entryHost = hp[1].replace(/^\[|\]$/g, "");
    if (hp[2]) entryPort = String(Number(hp[2]));
    if (url.protocol !== scheme || port !== entryPort) continue;
    if (entryHost.startsWith("*.")) {
      if (host.endsWith(entryHost.slice(1)) && host.length > entryHost.length - 1) return true;
    } else if (host === entryHost) return true;
  }
  return false;
}

function substitute(text: string, values: Map<string, string>, encode: boolean) {
  return text.replace(PLACEHOLDER, (_m, path: string) => {
    const v = values.get(path)!;
    return encode ? encodeURIComponent(v) : v;
  });
}

export interface HttpRequestDeps {
  api: VaultApi;
  secrets: SessionSecrets;
  log: Logger;
  limits?: Partial<HttpLimits>;
  fetch?: typeof fetch;
}

export async function performHttpRequest(args: HttpRequestArgs, deps: HttpRequestDeps): Promise<HttpResult> {
  const limits = { ...DEFAULT_HTTP_LIMITS, ...deps.limits };
  const headers = args.headers ?? {};
  const headerTexts = Object.entries(headers).flatMap(([k, v]) => [k, v]);
  // A value the model already saw (get_secret) must go through a placeholder, so its host check applies.
  for (const text of [args.url, args.body ?? "", ...headerTexts]) {
    const hits = deps.secrets.find(text);
    if (hits.length) throw new HttpRequestRefused(`The value of secret '${hits[0].path}' appears literally in the request; use {{secret:${hits[0].path}}} instead.`);
  }
  const paths = placeholderPaths(args.url, args.body, ...headerTexts);
  if (paths.length === 0)
    throw new HttpRequestRefused(
      "http_request only calls hosts a human allowed for a secret: reference at least one secret with a {{secret:<path>}} placeholder in the url, a header or the body.",
    );
  for (const p of paths) if (!SECRET_PATH.test(p) || p.length > 512 || p.includes("//")) throw new HttpRequestRefused(`Invalid secret path in placeholder: '${p}'.`);
  if (placeholderPaths(...Object.keys(headers)).length) throw new HttpRequestRefused("Placeholders are not allowed in header names.");
  for (const name of Object.keys(headers))
    if (/^(host|connection|content-length|transfer-encoding|upgrade|proxy-.*)$/i.test(name.trim())) throw new HttpRequestRefused(`headers: '${name}' is set by oneclaw and cannot be given.`);

  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(args.url)?.[0] ?? "";
  if (origin.includes("{{")) throw new HttpRequestRefused("Placeholders are not allowed in the scheme, credentials, host or port of the url.");
  let target: URL;
  try {
    target = new URL(args.url.replace(PLACEHOLDER, "x"));
  } catch {
    throw new HttpRequestRefused("url: not a valid absolute URL.");
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") throw new HttpRequestRefused(`url: scheme '${target.protocol.replace(/:$/, "")}' is not allowed; only http and https.`);
  if (target.username || target.password) throw new HttpRequestRefused("url: credentials in the URL are not allowed; use a header with a placeholder.");

  // Allowed hosts come from metadata (the metadata endpoint does not count an access); values are fetched only after every check passed.
  for (const p of paths) {
    const meta = await deps.api.describeSecret(p);
    const allowed = meta.metadata?.[ALLOWED_HOSTS_KEY];
    if (!hostAllowed(target, allowed))
      throw new HttpRequestRefused(
        `Host '${target.host}' (${target.protocol.replace(/:$/, "")}) is not allowed for secret '${p}'. A human must list it in the secret's metadata.${ALLOWED_HOSTS_KEY}` +
          (Array.isArray(allowed) && allowed.length ? ` (currently: ${allowed.filter((a) => typeof a === "string").join(", ")}).` : " (none set)."),
      );
  }
  const values = new Map<string, string>();
  for (const p of paths) {
    const secret = await deps.api.getSecret(p);
    values.set(p, secret.value);
    deps.secrets.remember(p, secret.value);
    deps.log.info(`secret accessed: ${p}`);
  }

  const reqHeaders = new Headers();
  try {
    for (const [k, v] of Object.entries(headers)) reqHeaders.set(k, substitute(v, values, false));
  } catch {
    throw new HttpRequestRefused("headers: a header name or value is invalid (after filling placeholders).");
  }
  const body = args.body === undefined ? undefined : substitute(args.body, values, false);
  if (body !== undefined && Buffer.byteLength(body) > limits.maxRequestBytes) throw new HttpRequestRefused(`body: larger than ${limits.maxRequestBytes} bytes.`);
  if (body !== undefined && (args.method === "GET" || args.method === "HEAD")) throw new HttpRequestRefused(`body: not allowed with ${args.method}.`);

  const fetchFn = deps.fetch ?? fetch;
  let url = new URL(substitute(args.url, values, true));
  let method: string = args.method;
  let sendBody = body;
  const deadline = AbortSignal.timeout(limits.timeoutMs);
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetchFn(url, { method, headers: reqHeaders, body: sendBody, redirect: "manual", signal: deadline });
    } catch (e) {
      const reason = (e as Error).name === "TimeoutError" ? `no answer within ${limits.timeoutMs} ms` : "the connection failed";
      throw new HttpRequestRefused(`Request to ${target.host} failed: ${reason}.`);
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new HttpRequestRefused(`Upstream answered ${res.status} with an invalid redirect; not followed.`);
      }
      if (next.origin !== url.origin)
        throw new HttpRequestRefused(`Upstream redirected (${res.status}) to another origin (${next.protocol}//${deps.secrets.redact(next.host).text}); redirects off the allowed host are not followed.`);
      if (hop >= limits.maxRedirects) throw new HttpRequestRefused(`More than ${limits.maxRedirects} redirects; stopped.`);
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        sendBody = undefined;
      }
      url = next;
      continue;
    }
    // Read past the limit by the longest known value, scrub, then cut: a value straddling the cut is still caught whole.
    const slack = deps.secrets.longestNeedle + 1;
    const read = await readLimited(res, limits.maxResponseBytes + slack);
    const truncated = read.truncated || read.text.length > limits.maxResponseBytes;
    const redactedPaths = new Set<string>();
    const scrub = (s: string) => {
      const r = deps.secrets.redact(s);
      for (const h of r.hits) redactedPaths.add(h.path);
      return r.text;
    };
    const outHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => (outHeaders[k] = scrub(v)));
    const contentType = res.headers.get("content-type") ?? "";
    const textual = /^(text\/|application\/(?:[\w.+-]*json|[\w.+-]*xml|x-www-form-urlencoded|javascript|graphql))/i.test(contentType) || isUtf8Text(read.text);
    const outBody = textual
      ? scrub(read.text.toString("utf8")).slice(0, limits.maxResponseBytes)
      : `[${read.text.length}${read.truncated ? "+" : ""} bytes of ${contentType || "binary"} data not shown]`;
    return {
      status: res.status,
      status_text: scrub(res.statusText),
      url: scrub(url.toString()),
      headers: outHeaders,
      body: outBody,
      truncated,
      redacted: [...redactedPaths],
    };
  }
}

function isUtf8Text(buf: Buffer) {
  const s = buf.toString("utf8");
  return !s.includes("\uFFFD") && !/[\x00-\x08\x0e-\x1f]/.test(s);
}

async function readLimited(res: Response, max: number): Promise<{ text: Buffer; truncated: boolean }> {
  if (!res.body) return { text: Buffer.alloc(0), truncated: false };
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return { text: Buffer.concat(chunks).subarray(0, max), truncated: true };
    }
  }
  return { text: Buffer.concat(chunks), truncated: false };
}

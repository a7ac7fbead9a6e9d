import { AuthError, NetworkError, OneclawError, errorFromResponse } from "./errors.js";
import type { TokenResponse } from "./types.js";

export interface ClientOptions {
  /** API root, e.g. `http://127.0.0.1:8443` or `https://api.1claw.xyz` (a trailing `/` is ignored). */
  baseUrl: string;
  /**
   * `1ck_…` personal key (exchanged at /v1/auth/api-key-token) or `ocv_…` agent key (exchanged at
   * /v1/auth/agent-token). Tokens are renewed 60 s before they expire and once after a 401.
   */
  apiKey?: string;
  /** Agent id sent with an agent key. Optional: the key alone identifies the agent. */
  agentId?: string;
  /** A bearer token (JWT) to use as is. With `apiKey` too, it is used until it needs renewing. */
  token?: string;
  /** How many times a 429 answer is retried after its Retry-After (default 3). */
  maxRetries?: number;
  /** Longest wait for one retry; a longer Retry-After is returned as a RateLimitError at once (default 30 000 ms). */
  maxRetryDelayMs?: number;
  /** Per-request timeout (default 30 000 ms). */
  timeoutMs?: number;
  /** Extra headers on every request (e.g. a User-Agent). */
  headers?: Record<string, string>;
  /** fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
}

export interface ResponseMeta {
  /** HTTP status; 0 when the request never got an answer. */
  status: number;
  /** Response headers (null when there was no response). */
  headers: Headers | null;
  /** How many 429 answers were retried before this result. */
  retries: number;
}

/** Every SDK method resolves to this; it never throws for HTTP or network failures. */
export type OneclawResponse<T> = { data: T; error: null; meta: ResponseMeta } | { data: null; error: OneclawError; meta: ResponseMeta };

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  /** false for public endpoints: no bearer is sent and no token exchange happens. */
  auth?: boolean;
  signal?: AbortSignal;
}

/** Refresh this long before expiry (capped at half the token's lifetime for very short tokens). */
export const REFRESH_BEFORE_EXPIRY_MS = 60_000;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_MAX_RETRY_DELAY_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;

/** Encodes one URL path segment (ids, names). */
export const seg = (s: string) => encodeURIComponent(s);
/** Encodes a secret path: each `/`-separated segment on its own, so `a/b c` → `a/b%20c`. */
export const secretPath = (p: string) => p.split("/").map(encodeURIComponent).join("/");

function jwtExpiryMs(token: string): number | undefined {
  try {
    const payload = token.split(".")[1];
    if (!payload) return undefined;
    const b64 = payload.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(payload.length / 4) * 4, "=");
    const exp = JSON.parse(atob(b64)).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

function retryAfterMs(headers: Headers): number | undefined {
  const raw = headers.get("retry-after");
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface TokenState {
  token: string;
  /** epoch ms, when known */
  expiresAt?: number;
  issuedAt: number;
}

/**
 * Sends requests and owns the credentials: exchanges an API key for a JWT when needed, renews it
 * before expiry and after a 401, and retries 429 answers after Retry-After.
 */
export class HttpClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private state?: TokenState;
  private exchanging?: Promise<OneclawResponse<TokenResponse>>;
  private apiKey?: string;
  /** Agent id: given, or learnt from the agent-token exchange. */
  agentId?: string;
  /** Vaults the agent is bound to, learnt from the agent-token exchange. */
  vaultIds?: string[];

  constructor(private readonly opts: ClientOptions) {
    if (!opts.baseUrl) throw new TypeError("createClient: baseUrl is required");
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.fetchImpl = opts.fetch ?? ((...a: Parameters<typeof fetch>) => globalThis.fetch(...a));
    this.apiKey = opts.apiKey;
    this.agentId = opts.agentId;
    if (opts.token) this.setToken(opts.token);
  }

  /** The bearer currently held (it may be expired). */
  get token(): string | undefined {
    return this.state?.token;
  }

  setToken(token: string, expiresInSeconds?: number) {
    const now = Date.now();
    const expiresAt = expiresInSeconds !== undefined ? now + expiresInSeconds * 1000 : jwtExpiryMs(token);
    this.state = { token, expiresAt, issuedAt: now };
  }

  clearToken() {
    this.state = undefined;
  }

  /** Whether the client can get a new token by itself (it holds an API key). */
  get canRenew(): boolean {
    return !!this.apiKey;
  }

  private needsRenewal(s: TokenState | undefined): boolean {
    if (!s) return true;
    if (s.expiresAt === undefined) return false;
    const lifetime = s.expiresAt - s.issuedAt;
    const margin = Math.min(REFRESH_BEFORE_EXPIRY_MS, Math.max(0, lifetime / 2));
    return Date.now() >= s.expiresAt - margin;
  }

  /** Exchanges the configured API key for a token (deduplicated across concurrent callers). */
  exchangeApiKey(): Promise<OneclawResponse<TokenResponse>> {
    const apiKey = this.apiKey;
    if (!apiKey) {
      const error = new AuthError(401, "no API key configured to obtain a token");
      return Promise.resolve({ data: null, error, meta: { status: 0, headers: null, retries: 0 } });
    }
    this.exchanging ??= (async () => {
      try {
        const agent = apiKey.startsWith("ocv_") || (this.agentId !== undefined && !apiKey.startsWith("1ck_"));
        const res = agent
          ? await this.request<TokenResponse>("POST", "/v1/auth/agent-token", {
              auth: false,
              body: this.agentId ? { agent_id: this.agentId, api_key: apiKey } : { api_key: apiKey },
            })
          : await this.request<TokenResponse>("POST", "/v1/auth/api-key-token", { auth: false, body: { api_key: apiKey } });
        if (res.data) {
          this.setToken(res.data.access_token, res.data.expires_in);
          if (res.data.agent_id) this.agentId = res.data.agent_id;
          if (res.data.vault_ids) this.vaultIds = res.data.vault_ids;
        }
        return res;
      } finally {
        this.exchanging = undefined;
      }
    })();
    return this.exchanging;
  }

  /** A valid bearer, exchanging or renewing first when the client holds an API key. */
  async bearer(): Promise<{ token?: string; failure?: OneclawResponse<never> }> {
    if (this.apiKey && this.needsRenewal(this.state)) {
      const res = await this.exchangeApiKey();
      if (res.error) return { failure: res as OneclawResponse<never> };
    }
    return { token: this.state?.token };
  }

  url(path: string, query?: Query): string {
    let url = this.baseUrl + path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.append(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    return url;
  }

  async request<T>(method: string, path: string, o: RequestOptions = {}): Promise<OneclawResponse<T>> {
    const maxRetries = this.opts.maxRetries ?? DEFAULT_MAX_RETRIES;
    const maxDelay = this.opts.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
    let retries = 0;
    let renewed = false;
    for (;;) {
      let token: string | undefined;
      if (o.auth !== false) {
        const b = await this.bearer();
        if (b.failure) return b.failure;
        token = b.token;
      }
      const headers: Record<string, string> = { accept: "application/json", ...this.opts.headers, ...o.headers };
      if (token) headers.authorization = `Bearer ${token}`;
      let body: string | undefined;
      if (o.body !== undefined) {
        body = JSON.stringify(o.body);
        headers["content-type"] = "application/json";
      }
      let res: Response;
      try {
        res = await this.fetchImpl(this.url(path, o.query), {
          method,
          headers,
          body,
          signal: o.signal ?? AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS),
        });
      } catch (cause) {
        const why = cause instanceof Error ? cause.message : String(cause);
        const error = new NetworkError(0, `${method} ${this.baseUrl}: ${why}`, { type: "network_error", cause });
        return { data: null, error, meta: { status: 0, headers: null, retries } };
      }

      if (res.status === 429 && retries < maxRetries) {
        const wait = retryAfterMs(res.headers) ?? 500 * 2 ** retries;
        if (wait <= maxDelay) {
          await res.body?.cancel().catch(() => undefined);
          await sleep(wait);
          retries++;
          continue;
        }
      }
      if (res.status === 401 && token && this.apiKey && !renewed) {
        // The token was revoked or expired early: get a new one once, then retry.
        await res.body?.cancel().catch(() => undefined);
        if (this.state?.token === token) this.state = undefined;
        renewed = true;
        continue;
      }

      const meta: ResponseMeta = { status: res.status, headers: res.headers, retries };
      const text = await res.text().catch(() => "");
      let parsed: unknown = null;
      if (text) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = text;
        }
      }
      if (res.ok) return { data: parsed as T, error: null, meta };
      const ra = retryAfterMs(res.headers);
      return { data: null, error: errorFromResponse(res.status, parsed, ra === undefined ? undefined : ra / 1000), meta };
    }
  }
}

/** Returns `data` or throws the response's error: for code that prefers exceptions. */
export function unwrap<T>(res: OneclawResponse<T>): T {
  if (res.error) throw res.error;
  return res.data as T;
}

/**
 * Errors returned in `response.error`. The class tells the HTTP status family, so callers can write
 * `if (res.error instanceof NotFoundError)`. Fields come from the server's RFC 7807 problem body.
 */
export class OneclawError extends Error {
  /** HTTP status; 0 when no response arrived (see NetworkError). */
  readonly status: number;
  /** Problem `type` (e.g. "about:blank", "resource_limit_exceeded"). */
  readonly type: string;
  /** Human-readable explanation from the server (problem `detail`), or the transport failure. */
  readonly detail: string;
  /** The parsed response body, when there was one. */
  readonly body: unknown;

  constructor(status: number, detail: string, opts: { type?: string; title?: string; body?: unknown; cause?: unknown } = {}) {
    super(detail || opts.title || `HTTP ${status}`, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = opts.type ?? "about:blank";
    this.detail = detail;
    this.body = opts.body;
  }
}

/** 400 / 422: the request was malformed; `detail` names the field. */
export class ValidationError extends OneclawError {}
/** 401: missing, invalid, expired or revoked credentials. */
export class AuthError extends OneclawError {}
/** 402: the org's quota is spent (payment required). */
export class PaymentRequiredError extends OneclawError {}
/** 403: authenticated but not allowed (policy denial, vault binding, resource limit). */
export class ForbiddenError extends OneclawError {}
/** Name used by the 1Claw SDK for 403 responses; same class. */
export const ApprovalRequiredError = ForbiddenError;
export type ApprovalRequiredError = ForbiddenError;
/** 404: not found (or not visible to this caller). */
export class NotFoundError extends OneclawError {}
/** 409: conflicts with the current state (e.g. an Idempotency-Key in use). */
export class ConflictError extends OneclawError {}
/** 410: expired or exhausted secret or share. */
export class GoneError extends OneclawError {}
/** 429: rate limited; `retryAfterSeconds` from the Retry-After header when sent. */
export class RateLimitError extends OneclawError {
  retryAfterSeconds?: number;
}
/** 5xx from the server. */
export class ServerError extends OneclawError {}
/** No HTTP response: connection refused, DNS failure, timeout, aborted. `status` is 0. */
export class NetworkError extends OneclawError {}

const byStatus: Record<number, new (status: number, detail: string, opts?: ConstructorParameters<typeof OneclawError>[2]) => OneclawError> = {
  400: ValidationError,
  401: AuthError,
  402: PaymentRequiredError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  410: GoneError,
  422: ValidationError,
  429: RateLimitError,
};

/** Builds the typed error for a non-2xx response from its status and problem+json body. */
export function errorFromResponse(status: number, body: unknown, retryAfterSeconds?: number): OneclawError {
  const problem = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const detail = str(problem.detail) ?? str(problem.message) ?? str(problem.error) ?? (typeof body === "string" ? body.slice(0, 500) : "") ?? "";
  const Ctor = byStatus[status] ?? (status >= 500 ? ServerError : OneclawError);
  const err = new Ctor(status, detail, { type: str(problem.type), title: str(problem.title), body });
  if (err instanceof RateLimitError) err.retryAfterSeconds = retryAfterSeconds;
  return err;
}

import { STATUS_CODES } from "node:http";

/** An error the client can act on; rendered as RFC 7807 problem+json. */
export class ApiError extends Error {
  readonly title: string;
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly type = "about:blank",
    title?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.title = title ?? STATUS_CODES[status] ?? "Error";
  }

  body() {
    return { type: this.type, title: this.title, status: this.status, detail: this.detail };
  }
}

export const badRequest = (detail: string) => new ApiError(400, detail);
/** 400 naming the offending field, in the same form as schema validation failures. */
export const invalidField = (field: string, problem: string) => new ApiError(400, `${field}: ${problem}`);
export const unauthorized = (detail = "Invalid or expired token") =>
  new ApiError(401, detail, "about:blank", undefined, { "WWW-Authenticate": "Bearer" });
export const forbidden = (detail = "Insufficient permissions") => new ApiError(403, detail);
export const notFound = (detail = "Not found") => new ApiError(404, detail);
export const conflict = (detail: string) => new ApiError(409, detail);
export const gone = (detail: string) => new ApiError(410, detail);
export const tooManyRequests = (retryAfterSeconds: number, detail = "Too many requests") =>
  new ApiError(429, detail, "about:blank", undefined, { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) });
export const limitExceeded = (detail: string) =>
  new ApiError(403, detail, "resource_limit_exceeded", "Resource Limit Exceeded");

/** A stored value failed authentication (tampering or corruption). Never a client error. */
export class IntegrityError extends Error {}

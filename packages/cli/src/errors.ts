import type { OneclawError } from "@oneclaw/sdk";

/**
 * Exit codes (documented in README):
 * 0 ok · 1 other failure (API error, invalid state) · 2 usage (bad flags/arguments) · 3 authentication
 * (not logged in, bad/expired credentials) · 4 permission (403, 402 quota) · 5 not found (404, 410 gone)
 * · 6 network (server unreachable, timeout) · 7 rate limited (429 after retries)
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, auth: 3, permission: 4, notFound: 5, network: 6, rateLimited: 7 } as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

export function exitCodeForStatus(status: number): number {
  if (status === 0) return EXIT.network;
  if (status === 401) return EXIT.auth;
  if (status === 403 || status === 402) return EXIT.permission;
  if (status === 404 || status === 410) return EXIT.notFound;
  if (status === 429) return EXIT.rateLimited;
  return EXIT.failure;
}

/** Turns an SDK error into a CliError with a one-line message and the matching exit code. */
export function fromApiError(err: OneclawError, what?: string): CliError {
  const status = err.status ? ` (HTTP ${err.status})` : "";
  const detail = err.detail || err.message;
  let hint = "";
  if (err.status === 401) hint = "\nhint: run `1claw login`, or set ONECLAW_TOKEN / ONECLAW_API_KEY";
  if (err.status === 0) hint = "\nhint: is the server running? set the URL with --api-url, ONECLAW_API_URL or `1claw config set api-url`";
  return new CliError(`${what ? `${what}: ` : ""}${detail}${status}${hint}`, exitCodeForStatus(err.status));
}

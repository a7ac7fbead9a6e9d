import { ToolRefusal, VaultApiError } from "./api.js";
import { HttpRequestRefused } from "./http-request.js";

/** Turns a failure into the actionable sentence the model is shown (never a secret value, never a stack). */
export function toolErrorMessage(e: unknown, path?: string): string {
  if (e instanceof HttpRequestRefused) return `http_request refused: ${e.message}`;
  if (e instanceof ToolRefusal) return e.message;
  if (!(e instanceof VaultApiError)) return `Unexpected error: ${e instanceof Error ? e.message : String(e)}`;
  switch (e.status) {
    case 400:
    case 422:
      return `Invalid request: ${e.detail}`;
    case 401:
      return "Not authenticated: the agent credential is invalid, expired or revoked. Check ONECLAW_AGENT_API_KEY (or the Authorization header) and that the agent is active.";
    case 402:
      return "Free tier quota exhausted. Upgrade your plan or add payment in the billing settings of your oneclaw dashboard.";
    case 403:
      if (e.type === "resource_limit_exceeded") return `Resource limit reached: ${e.detail}`;
      return `Access denied${path ? ` to '${path}'` : ""}: ${e.detail}. Ask a human to grant this agent a policy (or check the agent's vault binding).`;
    case 404:
      return path ? `No secret found at path '${path}'.` : `Not found: ${e.detail}`;
    case 409:
      return `Conflict: ${e.detail}`;
    case 410:
      return path ? `Secret at path '${path}' is expired or has exceeded its maximum access count.` : `Gone: ${e.detail}`;
    case 429:
      return `Rate limited by the vault API${e.retryAfter ? `; retry after ${e.retryAfter} seconds` : "; wait and retry"}.`;
    case 503:
      return e.detail;
    default:
      return `Vault API error ${e.status}: ${e.detail}`;
  }
}

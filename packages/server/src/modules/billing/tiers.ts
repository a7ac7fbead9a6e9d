import type { BILLING_TIERS } from "@oneclaw/contract";

export type Tier = (typeof BILLING_TIERS)[number];

export interface TierLimits {
  requests: number | null;
  vaults: number | null;
  secrets: number | null;
  agents: number | null;
  /** Price of one request over quota, in micro-USD (informational: over-quota requests answer 402). */
  overageMicroUsd: number | null;
}

/** Behaviour notes §10.2; null = unlimited. */
export const TIER_LIMITS: Record<Tier, TierLimits> = {
  free: { requests: 1_000, vaults: 3, secrets: 50, agents: 2, overageMicroUsd: 1000 },
  pro: { requests: 25_000, vaults: 25, secrets: 500, agents: 10, overageMicroUsd: 800 },
  business: { requests: 100_000, vaults: 100, secrets: 5_000, agents: 50, overageMicroUsd: 600 },
  enterprise: { requests: null, vaults: null, secrets: null, agents: null, overageMicroUsd: null },
};

export const isTier = (t: string): t is Tier => t in TIER_LIMITS;

/**
 * Routes that never consume quota (seed docs: audit, org, security, chain, billing and auth
 * endpoints are free), plus admin and health.
 */
const FREE_PREFIXES = ["/v1/auth/", "/v1/audit/", "/v1/org/", "/v1/security/", "/v1/chains", "/v1/billing/", "/v1/admin/", "/v1/health"];

export function isMeteredRoute(routeUrl: string | undefined): boolean {
  if (!routeUrl || !routeUrl.startsWith("/v1/")) return false;
  return !FREE_PREFIXES.some((p) => routeUrl.startsWith(p));
}

export const usd = (microUsd: number, digits = 6) => (microUsd / 1_000_000).toFixed(digits);
export const currentMonth = (d = new Date()) => d.toISOString().slice(0, 7);

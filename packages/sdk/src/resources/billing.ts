import type { HttpClient } from "../http.js";
import type { CreditBalance, CreditTransactions, Subscription, UsageHistory, UsageSummary } from "../types.js";

export class BillingResource {
  constructor(private readonly http: HttpClient) {}

  /** Usage of the current month. */
  usage() {
    return this.http.request<UsageSummary>("GET", "/v1/billing/usage");
  }
  history(limit?: number) {
    return this.http.request<UsageHistory>("GET", "/v1/billing/history", { query: { limit } });
  }
  subscription() {
    return this.http.request<Subscription>("GET", "/v1/billing/subscription");
  }
  credits() {
    return this.http.request<CreditBalance>("GET", "/v1/billing/credits/balance");
  }
  creditTransactions(options: { page?: number; limit?: number } = {}) {
    return this.http.request<CreditTransactions>("GET", "/v1/billing/credits/transactions", { query: { ...options } });
  }
  setOverageMethod(method: "credits" | "x402") {
    return this.http.request<{ overage_method?: string }>("PATCH", "/v1/billing/overage-method", { body: { method } });
  }
}

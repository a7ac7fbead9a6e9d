import {
  CheckoutUrlResponse,
  PortalUrlResponse,
  CreditBalanceResponse,
  CreditTransactionsListResponse,
  CreditTransactionsQuery,
  NoBody,
  OverageMethodRequest,
  OverageMethodResponse,
  SubscribeRequest,
  SubscriptionResponse,
  TopupRequest,
  UsageHistoryQuery,
  UsageHistoryResponse,
  UsageSummaryResponse,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { humanOf } from "../../pipeline/human.js";
import type { Services } from "../index.js";
import { paymentsNotConfigured } from "./service.js";

const tags = ["Billing"];

export function billingRoutes(app: FastifyInstance, { billing }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  app.addHook("onClose", async () => billing.close());

  r.get("/v1/billing/usage", { schema: { tags, operationId: "billingUsage", response: { 200: UsageSummaryResponse } } }, async (req) => billing.usage(humanOf(req)));
  r.get(
    "/v1/billing/history",
    { schema: { tags, operationId: "billingHistory", querystring: UsageHistoryQuery, response: { 200: UsageHistoryResponse } } },
    async (req) => billing.history(humanOf(req), req.query.limit),
  );
  r.get(
    "/v1/billing/subscription",
    { schema: { tags, operationId: "billingSubscription", response: { 200: SubscriptionResponse } } },
    async (req) => billing.subscription(humanOf(req)),
  );
  r.get(
    "/v1/billing/credits/balance",
    { schema: { tags, operationId: "billingCreditBalance", response: { 200: CreditBalanceResponse } } },
    async (req) => billing.creditBalance(humanOf(req)),
  );
  r.get(
    "/v1/billing/credits/transactions",
    { schema: { tags, operationId: "billingCreditTransactions", querystring: CreditTransactionsQuery, response: { 200: CreditTransactionsListResponse } } },
    async (req) => billing.creditTransactions(humanOf(req), req.query.page, req.query.limit),
  );
  r.patch(
    "/v1/billing/overage-method",
    { schema: { tags, operationId: "billingOverageMethod", body: OverageMethodRequest, response: { 200: OverageMethodResponse } } },
    async (req) => billing.setOverageMethod(humanOf(req), req.body.method, req.ip),
  );

  // Payment provider endpoints: validated, then 501 until a provider adapter exists (DESIGN decision 13).
  const notConfigured = async (req: { principal?: unknown }) => {
    if (req.principal) humanOf(req as never);
    throw paymentsNotConfigured();
  };
  r.post("/v1/billing/subscribe", { schema: { tags, operationId: "billingSubscribe", body: SubscribeRequest, response: { 200: CheckoutUrlResponse } } }, notConfigured);
  r.post("/v1/billing/portal", { schema: { tags, operationId: "billingPortal", body: NoBody, response: { 200: PortalUrlResponse } } }, notConfigured);
  r.post("/v1/billing/credits/topup", { schema: { tags, operationId: "billingCreditTopup", body: TopupRequest, response: { 200: CheckoutUrlResponse } } }, notConfigured);
  r.post(
    "/v1/billing/webhooks",
    { config: { auth: "public" }, schema: { tags, operationId: "billingWebhook", security: [], body: z.unknown() } },
    notConfigured,
  );
}

import { HealthResponse, HsmHealthResponse } from "@oneclaw/contract";
import { sql } from "kysely";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { VERSION } from "../../version.js";
import type { AppContext } from "../../context.js";

export function healthRoutes(app: FastifyInstance, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/v1/health",
    { config: { auth: "public" }, schema: { tags: ["Health"], operationId: "health", security: [], response: { 200: HealthResponse } } },
    async () => {
      let ok = true;
      try {
        await sql`select 1`.execute(ctx.db);
      } catch {
        ok = false;
      }
      return { status: ok ? ("ok" as const) : ("degraded" as const), service: "oneclaw", version: VERSION };
    },
  );
  r.get(
    "/v1/health/hsm",
    { config: { auth: "public" }, schema: { tags: ["Health"], operationId: "hsmHealth", security: [], response: { 200: HsmHealthResponse } } },
    async () => {
      const provider = ctx.keyring.provider;
      const h = await provider.health().catch(() => ({ connected: false, token: undefined }));
      return {
        status: h.connected ? ("ok" as const) : ("unavailable" as const),
        hsm_provider: provider.name,
        connected: h.connected,
        ...(h.token ? { token: h.token } : {}),
      };
    },
  );
}

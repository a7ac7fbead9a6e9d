import { GoogleAuthRequest, OidcLoginResponse } from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Services } from "../index.js";

export function oidcLoginRoutes(app: FastifyInstance, { oidcLogin }: Services) {
  app.withTypeProvider<ZodTypeProvider>().post(
    "/v1/auth/google",
    {
      config: { auth: "public", rateLimit: "auth" },
      schema: { tags: ["Authentication"], operationId: "googleAuth", security: [], body: GoogleAuthRequest, response: { 200: OidcLoginResponse } },
    },
    async (req) => oidcLogin.login(req.body.id_token, req.ip),
  );
}

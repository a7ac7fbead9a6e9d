import {
  ChangePasswordRequest,
  DeleteAccountRequest,
  JwksResponse,
  JwtPublicKeyResponse,
  LoginRequest,
  LoginResponse,
  RefreshRequest,
  SignupRequest,
  SignupResponse,
  TokenResponse,
  UpdateProfileRequest,
  UserProfileResponse,
  VerifyEmailRequest,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { badRequest, forbidden } from "../../pipeline/errors.js";
import { principalOf, type Principal } from "../../pipeline/principal.js";
import type { AppContext } from "../../context.js";
import type { Services } from "../index.js";

const tags = ["Authentication"];
const publicRoute = { auth: "public" as const, rateLimit: "auth" as const };

export function authRoutes(app: FastifyInstance, { auth }: Services, ctx: AppContext) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const humanOnly = (req: { principal?: Principal }) => {
    if (principalOf(req).type !== "user") throw forbidden("This endpoint is for human accounts");
    return principalOf(req);
  };

  r.post(
    "/v1/auth/signup",
    { config: publicRoute, schema: { tags, operationId: "signup", security: [], body: SignupRequest, response: { 200: SignupResponse } } },
    async (req) => auth.signup(req.body, req.ip),
  );
  r.post(
    "/v1/auth/verify-email",
    { config: publicRoute, schema: { tags, operationId: "verifyEmail", security: [], body: VerifyEmailRequest, response: { 200: TokenResponse } } },
    async (req) => auth.verifyEmail(req.body.token, req.ip),
  );
  r.post(
    "/v1/auth/token",
    { config: publicRoute, schema: { tags, operationId: "login", security: [], body: LoginRequest, response: { 200: LoginResponse } } },
    async (req) => auth.login(req.body.email, req.body.password, req.ip),
  );
  r.delete(
    "/v1/auth/token",
    { schema: { tags, operationId: "revokeToken", response: { 204: z.null().describe("Token revoked") } } },
    async (req, reply) => {
      await auth.revoke(principalOf(req), req.ip);
      return reply.status(204).send(null);
    },
  );
  r.post(
    "/v1/auth/refresh",
    { config: publicRoute, schema: { tags, operationId: "refreshToken", security: [], body: RefreshRequest, response: { 200: TokenResponse } } },
    async () => {
      throw badRequest("Refresh tokens not yet implemented");
    },
  );
  r.get(
    "/v1/auth/jwt-public-key",
    { config: { auth: "public" }, schema: { tags, operationId: "getJwtPublicKey", security: [], response: { 200: JwtPublicKeyResponse } } },
    async () => ({ alg: "EdDSA", public_key_base64: ctx.tokens.publicKeyBase64() }),
  );
  r.get(
    "/.well-known/jwks.json",
    { config: { auth: "public" }, schema: { tags, operationId: "getJwks", security: [], response: { 200: JwksResponse } } },
    async () => ctx.tokens.jwks(),
  );
  r.post(
    "/v1/auth/change-password",
    { schema: { tags, operationId: "changePassword", body: ChangePasswordRequest, response: { 204: z.null().describe("Password changed") } } },
    async (req, reply) => {
      await auth.changePassword(humanOnly(req), req.body.current_password, req.body.new_password, req.ip);
      return reply.status(204).send(null);
    },
  );
  r.get("/v1/auth/me", { schema: { tags, operationId: "getMe", response: { 200: UserProfileResponse } } }, async (req) => auth.profile(humanOnly(req)));
  r.patch(
    "/v1/auth/me",
    { schema: { tags, operationId: "updateMe", body: UpdateProfileRequest, response: { 200: UserProfileResponse } } },
    async (req) => auth.updateProfile(humanOnly(req), req.body, req.ip),
  );
  r.delete(
    "/v1/auth/me",
    { schema: { tags, operationId: "deleteMe", body: DeleteAccountRequest, response: { 204: z.null().describe("Account deleted") } } },
    async (req, reply) => {
      await auth.deleteAccount(humanOnly(req), req.body.confirmation, req.ip);
      return reply.status(204).send(null);
    },
  );
}

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { ApiError } from "./errors.js";
import { KeyIntegrityError } from "../crypto/key-provider.js";

const PROBLEM_JSON = "application/problem+json; charset=utf-8";

export function sendProblem(reply: FastifyReply, err: ApiError) {
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  return reply.status(err.status).type(PROBLEM_JSON).send(err.body());
}

function describeValidation(err: FastifyError & { validationContext?: string }): string {
  const where = err.validationContext === "body" ? "" : `${err.validationContext ?? "request"} `;
  const issues = hasZodFastifySchemaValidationErrors(err) ? err.validation : (err.validation ?? []);
  if (!issues.length) return err.message;
  return issues
    .slice(0, 5)
    .map((i) => {
      const field = i.instancePath.replace(/^\//, "").replace(/\//g, ".");
      const missing = i.keyword === "invalid_type" && /received undefined/.test(i.message ?? "");
      const label = field ? `${where}${field}` : where.trim() || "body";
      return `${label}: ${missing ? "is required" : i.message}`;
    })
    .join("; ");
}

/** Maps every error to problem+json; unexpected errors get a generic 500 and are logged. */
export function installProblemHandlers(app: FastifyInstance, onIntegrityError: (req: FastifyRequest) => void) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) return sendProblem(reply, error);
    if (error.validation) return sendProblem(reply, new ApiError(400, describeValidation(error)));
    if (error instanceof KeyIntegrityError) {
      request.log.error({ err: { type: "KeyIntegrityError", message: error.message } }, "integrity check failed");
      onIntegrityError(request);
      return sendProblem(reply, new ApiError(500, "An unexpected error occurred"));
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const detail =
        error.code === "FST_ERR_CTP_BODY_TOO_LARGE"
          ? "Request body is larger than 5 MB"
          : error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE"
            ? `Unsupported Content-Type: ${request.headers["content-type"] ?? "none"}; send application/json`
            : error.code === "FST_ERR_CTP_INVALID_JSON_BODY" || error instanceof SyntaxError
              ? "body: is not valid JSON"
              : error.message;
      return sendProblem(reply, new ApiError(status, detail));
    }
    request.log.error({ err: error }, "unhandled error");
    return sendProblem(reply, new ApiError(500, "An unexpected error occurred"));
  });
}

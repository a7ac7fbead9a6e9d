import {
  GetSecretQuery,
  ListSecretsQuery,
  PutSecretRequest,
  SecretListResponse,
  SecretMetadataResponse,
  SecretResponse,
  SecretVersionListResponse,
  Uuid,
} from "@oneclaw/contract";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { principalOf } from "../../pipeline/principal.js";
import type { Services } from "../index.js";

const tags = ["Secrets"];
/** The secret path travels as the rest of the URL: several segments, or one %2F-encoded segment. */
const PathParams = z.object({ vault_id: Uuid, "*": z.string().describe("Secret path, e.g. db/credentials") });

export function secretRoutes(app: FastifyInstance, { secrets }: Services) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    "/v1/vaults/:vault_id/secrets",
    { schema: { tags, operationId: "listSecrets", params: z.object({ vault_id: Uuid }), querystring: ListSecretsQuery, response: { 200: SecretListResponse } } },
    async (req) => ({ secrets: await secrets.list(principalOf(req), req.params.vault_id, req.query.prefix, req.ip) }),
  );
  r.put(
    "/v1/vaults/:vault_id/secrets/*",
    { schema: { tags, operationId: "putSecret", params: PathParams, body: PutSecretRequest, response: { 201: SecretMetadataResponse } } },
    async (req, reply) => reply.status(201).send(await secrets.put(principalOf(req), req.params.vault_id, req.params["*"], req.body, req.ip)),
  );
  r.get(
    "/v1/vaults/:vault_id/secrets/*",
    {
      schema: {
        tags,
        operationId: "getSecret",
        description: "Decrypts and returns the latest version, or `?version=N`. Counts one access.",
        params: PathParams,
        querystring: GetSecretQuery,
        response: { 200: SecretResponse },
      },
    },
    async (req) => secrets.get(principalOf(req), req.params.vault_id, req.params["*"], req.query.version, req.ip),
  );
  r.delete(
    "/v1/vaults/:vault_id/secrets/*",
    { schema: { tags, operationId: "deleteSecret", params: PathParams, response: { 204: z.null().describe("Secret deleted") } } },
    async (req, reply) => {
      await secrets.delete(principalOf(req), req.params.vault_id, req.params["*"], req.ip);
      return reply.status(204).send(null);
    },
  );
  r.get(
    "/v1/vaults/:vault_id/metadata/*",
    {
      schema: {
        tags,
        operationId: "describeSecret",
        description: "Metadata of the latest version (or `?version=N`) without the value; does not count an access.",
        params: PathParams,
        querystring: GetSecretQuery,
        response: { 200: SecretMetadataResponse },
      },
    },
    async (req) => secrets.describe(principalOf(req), req.params.vault_id, req.params["*"], req.query.version, req.ip),
  );
  r.get(
    "/v1/vaults/:vault_id/versions/*",
    { schema: { tags, operationId: "listSecretVersions", params: PathParams, response: { 200: SecretVersionListResponse } } },
    async (req) => ({ versions: await secrets.versions(principalOf(req), req.params.vault_id, req.params["*"], req.ip) }),
  );
}

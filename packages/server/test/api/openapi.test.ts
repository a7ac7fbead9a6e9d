import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import YAML from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type TestApp } from "../helpers.js";

/**
 * Every operation we serve is compared with the 1Claw reference document: path, method,
 * success status, public/authenticated, path and query parameters, and the required and
 * named fields of the request body (required: exactly the reference's) and of the success
 * response (required: at least the reference's; every field the reference names present). Operations the reference
 * does not have must be listed here, with the reason.
 */
const EXTRA_OPERATIONS: Record<string, string> = {
  "GET /v1/vaults/{vault_id}/metadata/{path}": "secret metadata without consuming an access (issue 2)",
  "GET /v1/vaults/{vault_id}/versions/{path}": "secret version history (issue 2)",
  "GET /v1/audit/verify": "audit hash-chain verification (DESIGN decision 14)",
  "GET /.well-known/jwks.json": "standard JWKS form of /v1/auth/jwt-public-key",
  "POST /v1/org/invites/accept": "accepting an org invitation (issue 5: the reference sends invites but has no accept step)",
};
/** Deliberate differences from the reference, each with its reason; an entry that no longer occurs fails too. */
const KNOWN_DEVIATIONS: Record<string, string> = {
  'POST /v1/auth/agent-token request: required [] ≠ reference ["agent_id","api_key"]':
    "DESIGN decision 2: the key alone finds its agent; mtls and oidc_client_credentials agents send no api_key",
  "POST /v1/agents/enroll: public=true ≠ reference public=false": "the reference describes enrollment as a public endpoint but omits security: []",
};
/** Served but not part of the API document. */
const HIDDEN_ROUTES = ["GET /v1/openapi.json", "GET /openapi.json", "GET /metrics"];
// The CLI device-login approval page (HTML, script, style).
HIDDEN_ROUTES.push("GET /cli/verify", "GET /cli/verify.js", "GET /cli/verify.css");

const REFERENCE_NAME = "1claw-openapi-v0.13.0.yaml";
function referencePath(): string {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");
  const candidates = [path.join(repoRoot, "..", "shared", "reference", REFERENCE_NAME), path.join("/work/shared/reference", REFERENCE_NAME)];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`reference OpenAPI document not found; looked in:\n  ${candidates.join("\n  ")}`);
  return found;
}

type Json = any;
const METHODS = ["get", "put", "post", "delete", "patch"];

function resolver(doc: Json) {
  const deref = (s: Json): Json => {
    let cur = s;
    for (let i = 0; cur && cur.$ref && i < 20; i++) {
      cur = cur.$ref.replace(/^#\//, "").split("/").reduce((o: Json, k: string) => o?.[k], doc);
    }
    return cur;
  };
  /** Object view of a schema: nullable unions collapsed, allOf merged. */
  const norm = (s: Json): Json => {
    s = deref(s);
    if (!s) return s;
    for (const k of ["anyOf", "oneOf"]) {
      if (Array.isArray(s[k])) {
        const nonNull = s[k].map(deref).filter((x: Json) => x?.type !== "null");
        if (nonNull.length === 1) return norm(nonNull[0]);
      }
    }
    if (Array.isArray(s.allOf)) {
      const parts = s.allOf.map(norm);
      return {
        type: "object",
        properties: Object.assign({}, ...parts.map((p: Json) => p.properties ?? {})),
        required: parts.flatMap((p: Json) => p.required ?? []),
      };
    }
    return s;
  };
  return { deref, norm };
}

/** Differences in required fields and in fields the reference names, recursing into objects and arrays. */
function compareSchemas(where: string, direction: "request" | "response", ref: Json, ours: Json, refDoc: Json, ourDoc: Json, out: string[], depth = 0) {
  const r = resolver(refDoc).norm(ref);
  const o = resolver(ourDoc).norm(ours);
  if (!r || depth > 4) return;
  if (!o) return void out.push(`${where}: missing schema`);
  if (r.type === "array" || r.items) {
    if (!(o.type === "array" || o.items)) return void out.push(`${where}: reference is an array, ours is ${o.type}`);
    return compareSchemas(`${where}[]`, direction, r.items, o.items, refDoc, ourDoc, out, depth + 1);
  }
  if (!r.properties) return;
  if (!o.properties) return void out.push(`${where}: reference is an object with fields, ours has none`);
  const rReq: string[] = [...(r.required ?? [])].sort();
  const oReq: string[] = [...(o.required ?? [])].sort();
  if (direction === "request") {
    // A client written for the reference must be accepted as is: exactly the same required fields.
    if (JSON.stringify(rReq) !== JSON.stringify(oReq)) out.push(`${where}: required ${JSON.stringify(oReq)} ≠ reference ${JSON.stringify(rReq)}`);
  } else {
    // We must send everything the reference promises; promising more (a field we always send) is compatible.
    const missing = rReq.filter((f) => !oReq.includes(f));
    if (missing.length) out.push(`${where}: reference requires ${JSON.stringify(missing)}, ours does not`);
  }
  for (const [name, sub] of Object.entries<Json>(r.properties)) {
    if (!(name in o.properties)) out.push(`${where}.${name}: named by the reference, missing here`);
    else compareSchemas(`${where}.${name}`, direction, sub, o.properties[name], refDoc, ourDoc, out, depth + 1);
  }
}

function jsonSchemaOf(body: Json, doc: Json): Json {
  const b = resolver(doc).deref(body);
  return b?.content?.["application/json"]?.schema;
}

function compareOperation(key: string, refOp: Json, ourOp: Json, refDoc: Json, ourDoc: Json): string[] {
  const out: string[] = [];
  const { deref } = resolver(refDoc);
  const okCodes = (op: Json) => Object.keys(op.responses ?? {}).filter((c) => /^2/.test(c)).sort();
  if (JSON.stringify(okCodes(refOp)) !== JSON.stringify(okCodes(ourOp))) {
    out.push(`${key}: success status ${okCodes(ourOp)} ≠ reference ${okCodes(refOp)}`);
  }
  const isPublic = (op: Json, doc: Json) => Array.isArray(op.security ?? doc.security) && (op.security ?? doc.security).length === 0;
  if (isPublic(refOp, refDoc) !== isPublic(ourOp, ourDoc)) out.push(`${key}: public=${isPublic(ourOp, ourDoc)} ≠ reference public=${isPublic(refOp, refDoc)}`);

  const params = (op: Json, d: (x: Json) => Json) => (op.parameters ?? []).map(d).map((p: Json) => `${p.in}:${p.name}`);
  const refParams = params(refOp, deref);
  const ourParams = params(ourOp, resolver(ourDoc).deref);
  for (const p of refParams.filter((p: string) => !p.startsWith("header:"))) if (!ourParams.includes(p)) out.push(`${key}: parameter ${p} missing`);
  for (const p of ourParams.filter((p: string) => p.startsWith("path:"))) if (!refParams.includes(p)) out.push(`${key}: path parameter ${p} not in reference`);

  const refBody = refOp.requestBody && jsonSchemaOf(refOp.requestBody, refDoc);
  const ourBody = ourOp.requestBody && jsonSchemaOf(ourOp.requestBody, ourDoc);
  if (refBody && !ourBody) out.push(`${key}: reference has a JSON request body, ours has none`);
  if (refBody && ourBody) compareSchemas(`${key} request`, "request", refBody, ourBody, refDoc, ourDoc, out);
  for (const code of okCodes(refOp)) {
    const refRes = jsonSchemaOf(refOp.responses[code], refDoc);
    const ourRes = ourOp.responses?.[code] && jsonSchemaOf(ourOp.responses[code], ourDoc);
    if (refRes && !ourRes) out.push(`${key}: reference ${code} has a JSON body, ours has none`);
    if (refRes && ourRes) compareSchemas(`${key} ${code}`, "response", refRes, ourRes, refDoc, ourDoc, out);
  }
  return out;
}

const toOpenapiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}").replace(/\/\*$/, "/{path}");

let t: TestApp;
let ref: Json;
let ours: Json;
beforeAll(async () => {
  ref = YAML.parse(fs.readFileSync(referencePath(), "utf8"));
  t = await startApp();
  ours = (await t.req("GET", "/v1/openapi.json")).body;
});
afterAll(async () => t?.destroy());

describe("OpenAPI document", () => {
  it("is served at /v1/openapi.json and /openapi.json, identical, OpenAPI 3.1 with bearer auth", async () => {
    const alt = await t.req("GET", "/openapi.json");
    expect(alt.status).toBe(200);
    expect(alt.body).toEqual(ours);
    expect(ours.openapi).toBe("3.1.0");
    expect(ours.components.securitySchemes.BearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("documents every route we serve, and nothing we do not serve", () => {
    const served = new Set(t.routes.filter((r) => !r.hidden).map((r) => `${r.method} ${toOpenapiPath(r.url)}`));
    const documented = new Set<string>();
    for (const [p, item] of Object.entries<Json>(ours.paths)) for (const m of METHODS) if (item[m]) documented.add(`${m.toUpperCase()} ${p}`);
    expect([...served].filter((k) => !documented.has(k))).toEqual([]);
    expect([...documented].filter((k) => !served.has(k))).toEqual([]);
    const hidden = t.routes.filter((r) => r.hidden).map((r) => `${r.method} ${r.url}`);
    expect(hidden.filter((h) => !HIDDEN_ROUTES.includes(h))).toEqual([]);
  });

  it("matches the reference for every served operation (path, method, status, auth, parameters, required and named fields)", () => {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const route of t.routes.filter((r) => !r.hidden)) {
      const p = toOpenapiPath(route.url);
      const key = `${route.method} ${p}`;
      seen.add(key);
      const refOp = ref.paths?.[p]?.[route.method.toLowerCase()];
      const ourOp = ours.paths?.[p]?.[route.method.toLowerCase()];
      if (!refOp) {
        if (!EXTRA_OPERATIONS[key]) problems.push(`${key}: not in the reference and not in EXTRA_OPERATIONS`);
        continue;
      }
      if (EXTRA_OPERATIONS[key]) problems.push(`${key}: listed in EXTRA_OPERATIONS but the reference has it`);
      if (!ourOp) continue; // reported by the test above
      problems.push(...compareOperation(key, refOp, ourOp, ref, ours));
    }
    for (const key of Object.keys(EXTRA_OPERATIONS)) if (!seen.has(key)) problems.push(`${key}: in EXTRA_OPERATIONS but not served`);
    for (const d of Object.keys(KNOWN_DEVIATIONS)) if (!problems.includes(d)) problems.push(`${d}: in KNOWN_DEVIATIONS but no longer differs`);
    expect(problems.filter((p) => !KNOWN_DEVIATIONS[p])).toEqual([]);
  });

  it("the comparison itself catches divergences (a test that cannot fail is a defect)", () => {
    const op = ref.paths["/v1/vaults"].post;
    const broken = structuredClone(ours);
    const ourOp = broken.paths["/v1/vaults"].post;
    const schema = jsonSchemaOf(ourOp.requestBody, broken);
    schema.required = [];
    const res = ourOp.responses["201"].content["application/json"].schema;
    delete res.properties.description;
    res.required = res.required.filter((f: string) => f !== "created_at");
    const found = compareOperation("POST /v1/vaults", op, ourOp, ref, broken);
    expect(found.some((f) => f.includes("request: required"))).toBe(true);
    expect(found.some((f) => f.includes('["created_at"]'))).toBe(true);
    expect(found.some((f) => f.includes("201.description: named by the reference"))).toBe(true);
    expect(compareOperation("GET /v1/health", ref.paths["/v1/health"].get, broken.paths["/v1/vaults"].post, ref, broken).length).toBeGreaterThan(0);
  });
});

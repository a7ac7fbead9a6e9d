import http from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair } from "jose";

/** A tiny OpenID Connect issuer for tests: discovery + JWKS over HTTP, ID tokens signed with jose. */
export async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key-1", alg: "RS256", use: "sig" };
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") return res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    if (req.url === "/jwks") return res.end(JSON.stringify({ keys: [jwk] }));
    res.statusCode = 404;
    res.end("{}");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    get hits() {
      return hits;
    },
    /** An ID token; override any claim (or the signing key) to make it bad. */
    async token(claims: Record<string, unknown>, opts: { key?: CryptoKey; kid?: string; issuer?: string; audience?: string; expiresIn?: string } = {}) {
      return new SignJWT({ email_verified: true, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: opts.kid ?? "test-key-1" })
        .setIssuer(opts.issuer ?? url)
        .setAudience(opts.audience ?? "oneclaw-test-client")
        .setSubject(String(claims.sub ?? "google-subject-1"))
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? "5m")
        .sign(opts.key ?? privateKey);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

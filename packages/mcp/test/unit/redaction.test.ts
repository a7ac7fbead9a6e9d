import { describe, expect, test } from "vitest";
import { hostAllowed, placeholderPaths } from "../../src/http-request.js";
import { SessionSecrets } from "../../src/security/session-secrets.js";
import { parseEnvBundle } from "../../src/server.js";

describe("SessionSecrets.redact", () => {
  const value = 'p@ss w/ "quotes" & ünïcode';
  const s = new SessionSecrets();
  s.remember("db/password", value);

  test("replaces the raw value and its base64, base64url, URL, form, JSON and hex encodings", () => {
    const bytes = Buffer.from(value);
    for (const form of [
      value,
      bytes.toString("base64"),
      bytes.toString("base64").replace(/=+$/, ""),
      bytes.toString("base64url"),
      encodeURIComponent(value),
      encodeURIComponent(value).replace(/%20/g, "+"),
      JSON.stringify(value).slice(1, -1),
      bytes.toString("hex"),
    ]) {
      const r = s.redact(`before ${form} after`);
      expect(r.text).toBe("before [REDACTED:db/password] after");
      expect(r.hits[0].path).toBe("db/password");
    }
  });

  test("leaves text without the value alone, and a longer value wins over one it contains", () => {
    expect(s.redact("nothing here").text).toBe("nothing here");
    const t = new SessionSecrets();
    t.remember("short", "abcd1234");
    t.remember("long", "abcd1234-extended");
    expect(t.redact("x abcd1234-extended y abcd1234").text).toBe("x [REDACTED:long] y [REDACTED:short]");
  });
});

describe("hostAllowed", () => {
  const ok = (url: string, entries: unknown) => hostAllowed(new URL(url), entries);
  test("a bare host allows https on 443 only", () => {
    expect(ok("https://api.stripe.com/v1", ["api.stripe.com"])).toBe(true);
    expect(ok("http://api.stripe.com/v1", ["api.stripe.com"])).toBe(false);
    expect(ok("https://api.stripe.com:8443/v1", ["api.stripe.com"])).toBe(false);
    expect(ok("https://evil.com/api.stripe.com", ["api.stripe.com"])).toBe(false);
    expect(ok("https://api.stripe.com.evil.com/", ["api.stripe.com"])).toBe(false);
  });
  test("explicit scheme and port; wildcard subdomains but not the apex; junk entries ignored", () => {
    expect(ok("http://127.0.0.1:8080/x", ["http://127.0.0.1:8080"])).toBe(true);
    expect(ok("http://127.0.0.1:8081/x", ["http://127.0.0.1:8080"])).toBe(false);
    expect(ok("https://eu.api.example.com/", ["*.example.com"])).toBe(true);
    expect(ok("https://example.com/", ["*.example.com"])).toBe(false);
    expect(ok("https://API.Example.com/", ["api.example.com"])).toBe(true);
    expect(ok("https://[::1]:9000/", ["https://[::1]:9000"])).toBe(true);
    expect(ok("https://api.example.com/", "api.example.com")).toBe(false);
    expect(ok("https://api.example.com/", [42, null, ""])).toBe(false);
    expect(ok("https://api.example.com/", undefined)).toBe(false);
  });
});

test("placeholderPaths finds each distinct {{secret:path}} once", () => {
  expect(placeholderPaths("a {{secret:x/y}} b {{ secret:x/y }}", "{{secret:z}}", undefined)).toEqual(["x/y", "z"]);
  expect(placeholderPaths("{{secrets:x}} {{secret:}}")).toEqual([]);
});

test("parseEnvBundle: comments, blanks, export, quotes, first '=' splits", () => {
  expect(parseEnvBundle("# c\n\nA=1\nexport B='two'\nC=\"x=y\"\nnot a line\nD=")).toEqual({ A: "1", B: "two", C: "x=y", D: "" });
});

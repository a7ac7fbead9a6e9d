import { describe, expect, it } from "vitest";
import { compileConditions, validTimeZone } from "../../src/modules/policies/conditions.js";
import { compileGlob, globProblem } from "../../src/modules/policies/glob.js";

const matches = (pattern: string, path: string) => compileGlob(pattern)(path.split("/"));

describe("policy globs", () => {
  it.each([
    ["**", "a", true],
    ["**", "a/b/c", true],
    ["*", "a", true],
    ["*", "a/b", false],
    ["api-keys/*", "api-keys/stripe", true],
    ["api-keys/*", "api-keys", false],
    ["api-keys/*", "api-keys/a/b", false],
    ["api-keys/**", "api-keys", true],
    ["api-keys/**", "api-keys/a/b/c", true],
    ["api-keys/**", "api-keysx/a", false],
    ["a/**/b", "a/b", true],
    ["a/**/b", "a/x/y/b", true],
    ["a/**/b", "a/x/y/c", false],
    ["**/b", "b", true],
    ["**/b", "x/b", true],
    ["**/**/b", "b", true],
    ["prod-*", "prod-db", true],
    ["prod-*", "prod-", true],
    ["prod-*", "staging-db", false],
    ["*-key/x", "api-key/x", true],
    ["prod/db", "prod/db", true],
    ["prod/db", "prod/db2", false],
    ["prod/db", "prod", false],
  ])("%s matches %s: %s", (pattern, path, expected) => {
    expect(globProblem(pattern)).toBeNull();
    expect(matches(pattern, path)).toBe(expected);
  });

  it("stays linear with many ** against a long path", () => {
    const pattern = Array.from({ length: 20 }, () => "**/a").join("/") + "/b";
    const path = Array.from({ length: 250 }, () => "a").join("/");
    expect(matches(pattern, path)).toBe(false);
    expect(matches(pattern, `${path}/b`)).toBe(true);
  });

  it.each(["", "/a", "a/", "a//b", "a/**b", "***", "a/../b", "a/./b", "a b", "a;b", "a/%2e", "x".repeat(513)])("rejects %j", (p) => {
    expect(globProblem(p)).not.toBeNull();
  });
});

describe("policy conditions", () => {
  const at = (iso: string) => new Date(iso);

  it("ip_allowlist: CIDRs and single addresses, IPv4 and IPv6, IPv4-mapped addresses", () => {
    const c = compileConditions({ ip_allowlist: ["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"] })!;
    const now = new Date();
    expect(c.applies("10.20.30.40", now)).toBe(true);
    expect(c.applies("::ffff:10.1.2.3", now)).toBe(true);
    expect(c.applies("192.168.1.7", now)).toBe(true);
    expect(c.applies("192.168.1.8", now)).toBe(false);
    expect(c.applies("2001:db8::1", now)).toBe(true);
    expect(c.applies("2001:db9::1", now)).toBe(false);
    expect(c.applies("11.0.0.1", now)).toBe(false);
    expect(c.applies("garbage", now)).toBe(false);
  });

  it("time_window: start inclusive, end exclusive, in the given zone, over midnight, on given days", () => {
    const office = compileConditions({ time_window: { after: "09:00", before: "17:00", timezone: "Europe/Berlin" } })!;
    // 2026-01-05 is a Monday; Berlin is UTC+1 in January.
    expect(office.applies("127.0.0.1", at("2026-01-05T08:00:00Z"))).toBe(true);
    expect(office.applies("127.0.0.1", at("2026-01-05T07:59:00Z"))).toBe(false);
    expect(office.applies("127.0.0.1", at("2026-01-05T15:59:00Z"))).toBe(true);
    expect(office.applies("127.0.0.1", at("2026-01-05T16:00:00Z"))).toBe(false);
    const night = compileConditions({ time_window: { after: "22:00", before: "06:00", timezone: "UTC" } })!;
    expect(night.applies("127.0.0.1", at("2026-01-05T23:30:00Z"))).toBe(true);
    expect(night.applies("127.0.0.1", at("2026-01-05T05:59:00Z"))).toBe(true);
    expect(night.applies("127.0.0.1", at("2026-01-05T12:00:00Z"))).toBe(false);
    const weekdays = compileConditions({ time_window: { after: "00:00", before: "23:59", timezone: "Asia/Tokyo", days: ["mon", "tue", "wed", "thu", "fri"] } })!;
    // Sunday 20:00 UTC is already Monday 05:00 in Tokyo.
    expect(weekdays.applies("127.0.0.1", at("2026-01-04T20:00:00Z"))).toBe(true);
    // Saturday noon in Tokyo.
    expect(weekdays.applies("127.0.0.1", at("2026-01-10T03:00:00Z"))).toBe(false);
  });

  it("both conditions must hold; no conditions compile to none", () => {
    const c = compileConditions({ ip_allowlist: ["10.0.0.0/8"], time_window: { after: "00:00", before: "12:00", timezone: "UTC" } })!;
    expect(c.applies("10.0.0.1", at("2026-01-05T06:00:00Z"))).toBe(true);
    expect(c.applies("10.0.0.1", at("2026-01-05T13:00:00Z"))).toBe(false);
    expect(c.applies("8.8.8.8", at("2026-01-05T06:00:00Z"))).toBe(false);
    expect(compileConditions({})).toBeNull();
    expect(compileConditions(undefined)).toBeNull();
  });

  it("knows IANA zones", () => {
    expect(validTimeZone("America/New_York")).toBe(true);
    expect(validTimeZone("UTC")).toBe(true);
    expect(validTimeZone("Mars/Olympus")).toBe(false);
  });
});

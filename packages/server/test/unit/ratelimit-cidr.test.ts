import { describe, expect, it } from "vitest";
import { MemoryBuckets } from "../../src/modules/ratelimit/buckets.js";
import { cidrContains, parseCidr, parseClientIp } from "../../src/modules/security/cidr.js";

describe("token bucket", () => {
  it("allows the burst, then refills at the rate and reports when the next token comes", async () => {
    const b = new MemoryBuckets();
    const rule = { rate: 1, burst: 5 };
    const t0 = 1_000_000;
    for (let i = 0; i < 5; i++) expect((await b.take("k", rule, t0)).ok).toBe(true);
    const denied = await b.take("k", rule, t0);
    expect(denied.ok).toBe(false);
    expect(denied.retryAfter).toBeCloseTo(1, 5);
    expect((await b.take("k", rule, t0 + 500)).retryAfter).toBeCloseTo(0.5, 5);
    expect((await b.take("k", rule, t0 + 1000)).ok).toBe(true);
    expect((await b.take("k", rule, t0 + 1000)).ok).toBe(false);
    // never more than the burst, however long it was idle
    let ok = 0;
    for (let i = 0; i < 10; i++) if ((await b.take("k", rule, t0 + 3_600_000)).ok) ok++;
    expect(ok).toBe(5);
    expect((await b.take("other", rule, t0)).ok).toBe(true);
  });

  it("fractional rates (10 per minute)", async () => {
    const b = new MemoryBuckets();
    const rule = { rate: 10 / 60, burst: 10 };
    for (let i = 0; i < 10; i++) expect((await b.take("org", rule, 0)).ok).toBe(true);
    const r = await b.take("org", rule, 0);
    expect(r.ok).toBe(false);
    expect(r.retryAfter).toBeCloseTo(6, 5);
    expect((await b.take("org", rule, 6000)).ok).toBe(true);
  });
});

describe("CIDR parsing and matching", () => {
  it("canonicalises networks and single addresses", () => {
    expect(parseCidr("10.1.2.3/8")?.canonical).toBe("10.0.0.0/8");
    expect(parseCidr(" 192.0.2.7 ")?.canonical).toBe("192.0.2.7/32");
    expect(parseCidr("2001:DB8:0:0::1/32")?.canonical).toBe("2001:db8::/32");
    expect(parseCidr("::1")?.canonical).toBe("::1/128");
    expect(parseCidr("::ffff:10.0.0.0/104")?.canonical).toBe("10.0.0.0/8");
    expect(parseCidr("0.0.0.0/0")?.canonical).toBe("0.0.0.0/0");
  });

  it("rejects what is not an address or block", () => {
    for (const bad of ["", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8/8", "127.1", "0x7f.0.0.1", "256.0.0.1", "host.example", "2001:db8::/129", "10.0.0.0/ 8"]) {
      expect(parseCidr(bad), bad).toBeNull();
    }
  });

  it("matches addresses of the same family, IPv4-mapped IPv6 as IPv4", () => {
    const v4 = parseCidr("203.0.113.0/24")!.cidr;
    const v6 = parseCidr("2001:db8::/32")!.cidr;
    expect(cidrContains(v4, parseClientIp("203.0.113.200")!)).toBe(true);
    expect(cidrContains(v4, parseClientIp("::ffff:203.0.113.200")!)).toBe(true);
    expect(cidrContains(v4, parseClientIp("203.0.114.1")!)).toBe(false);
    expect(cidrContains(v6, parseClientIp("2001:db8:ffff::1")!)).toBe(true);
    expect(cidrContains(v6, parseClientIp("203.0.113.200")!)).toBe(false);
    expect(parseClientIp("not-an-ip")).toBeNull();
    expect(parseClientIp(undefined)).toBeNull();
  });
});

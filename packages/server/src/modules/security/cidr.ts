import ipaddr from "ipaddr.js";

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/**
 * Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a single host). IPv4-mapped IPv6
 * addresses become IPv4. Returns the canonical network text too (host bits cleared), or null.
 */
export function parseCidr(text: string): { cidr: Cidr; canonical: string } | null {
  const raw = text.trim();
  const address = raw.split("/")[0];
  // ipaddr.js also reads legacy forms ("127.1", "0x7f.0.0.1"); a rule must say what it means.
  if (!address.includes(":") && !/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return null;
  if (raw.includes("/") && !/\/\d{1,3}$/.test(raw)) return null;
  try {
    let [addr, bits] = raw.includes("/") ? ipaddr.parseCIDR(raw) : [ipaddr.parse(raw), -1];
    if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
      addr = (addr as ipaddr.IPv6).toIPv4Address();
      bits = bits === -1 ? -1 : Math.max(0, bits - 96);
    }
    const max = addr.kind() === "ipv4" ? 32 : 128;
    if (bits === -1) bits = max;
    const network =
      addr.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${bits}`) : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${bits}`);
    return { cidr: [network, bits], canonical: `${network.toString()}/${bits}` };
  } catch {
    return null;
  }
}

/** A client address as Fastify reports it, IPv4-mapped IPv6 unwrapped; null if unparsable. */
export function parseClientIp(ip: string | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ip || !ipaddr.isValid(ip)) return null;
  return ipaddr.process(ip);
}

export function cidrContains(cidr: Cidr, addr: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  return addr.kind() === cidr[0].kind() && addr.match(cidr as any);
}

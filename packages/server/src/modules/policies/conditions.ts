import type { PolicyConditions } from "@oneclaw/contract";
import ipaddr from "ipaddr.js";
import { invalidField } from "../../pipeline/errors.js";

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];
const DAY_INDEX: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** A policy's conditions, parsed once: `applies(ip, now)` is what each request evaluates. */
export interface CompiledConditions {
  applies(ip: string, now: Date): boolean;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", hour: "2-digit", minute: "2-digit", weekday: "short" });
    formatters.set(timeZone, f);
  }
  return f;
}

export function validTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function parseRange(entry: string): Range | null {
  try {
    if (entry.includes("/")) return ipaddr.parseCIDR(entry) as Range;
    const addr = ipaddr.parse(entry);
    return [addr, addr.kind() === "ipv4" ? 32 : 128];
  } catch {
    return null;
  }
}

/** Throws 400 naming the field for an invalid CIDR or time zone. */
export function validateConditions(c: PolicyConditions | undefined, field = "conditions"): void {
  if (!c) return;
  c.ip_allowlist?.forEach((entry, i) => {
    if (!parseRange(entry)) throw invalidField(`${field}.ip_allowlist.${i}`, `"${entry}" is not an IP address or CIDR range`);
  });
  if (c.time_window) {
    if (!validTimeZone(c.time_window.timezone)) throw invalidField(`${field}.time_window.timezone`, `"${c.time_window.timezone}" is not an IANA time zone`);
    if (c.time_window.after === c.time_window.before) throw invalidField(`${field}.time_window`, "after and before must differ");
  }
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function compileConditions(c: PolicyConditions | undefined): CompiledConditions | null {
  if (!c || (!c.ip_allowlist && !c.time_window)) return null;
  const ranges = c.ip_allowlist?.map(parseRange).filter((r): r is Range => r !== null);
  const tw = c.time_window;
  const after = tw ? minutes(tw.after) : 0;
  const before = tw ? minutes(tw.before) : 0;
  const days = tw?.days ? new Set(tw.days.map((d) => DAY_INDEX[d])) : null;
  return {
    applies(ip, now) {
      if (ranges) {
        let addr: ipaddr.IPv4 | ipaddr.IPv6;
        try {
          addr = ipaddr.process(ip);
        } catch {
          return false;
        }
        if (!ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net as any, bits))) return false;
      }
      if (tw) {
        let hour = 0;
        let minute = 0;
        let day = 0;
        for (const part of formatter(tw.timezone).formatToParts(now)) {
          if (part.type === "hour") hour = Number(part.value);
          else if (part.type === "minute") minute = Number(part.value);
          else if (part.type === "weekday") day = WEEKDAY[part.value];
        }
        const m = hour * 60 + minute;
        // A window whose end is before its start runs over midnight (22:00–06:00).
        const inside = after < before ? m >= after && m < before : m >= after || m < before;
        if (!inside) return false;
        if (days && !days.has(day)) return false;
      }
      return true;
    },
  };
}

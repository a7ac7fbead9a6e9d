import { Redis } from "ioredis";

/** A token bucket: refills `rate` tokens per second up to `burst`; each request takes one. */
export interface BucketRule {
  rate: number;
  burst: number;
}

export interface TakeResult {
  ok: boolean;
  /** Seconds until a token is available (0 when ok). */
  retryAfter: number;
}

export interface Buckets {
  take(key: string, rule: BucketRule): Promise<TakeResult>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_KEYS = 100_000;

/** Counters in this process: exact for a single replica. */
export class MemoryBuckets implements Buckets {
  private readonly buckets = new Map<string, Bucket & { full: number }>();

  async take(key: string, rule: BucketRule, now = Date.now()): Promise<TakeResult> {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_KEYS) this.sweep(now);
      b = { tokens: rule.burst, at: now, full: 0 };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(rule.burst, b.tokens + ((now - b.at) / 1000) * rule.rate);
    b.at = now;
    b.full = now + ((rule.burst - b.tokens + 1) / rule.rate) * 1000;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, retryAfter: 0 };
    }
    return { ok: false, retryAfter: (1 - b.tokens) / rule.rate };
  }

  /** Drops buckets that have refilled (they behave exactly like absent ones). */
  private sweep(now: number) {
    for (const [k, b] of this.buckets) if (b.full <= now) this.buckets.delete(k);
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
  }

  async close() {}
}

/**
 * One atomic script per request: refill from the time elapsed (Redis clock, so replicas with
 * skewed clocks agree), take a token if there is one, and expire idle buckets once full.
 */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local ok = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {ok, wait}
`;

type RedisWithTake = Redis & { rlTake(key: string, rate: string, burst: string): Promise<[number, number]> };

/** Counters in Redis, shared by every replica pointing at it. */
export class RedisBuckets implements Buckets {
  private readonly redis: RedisWithTake;

  constructor(url: string, private readonly prefix: string) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
    }) as RedisWithTake;
    this.redis.defineCommand("rlTake", { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.redis.on("error", () => undefined);
  }

  connect() {
    return this.redis.connect();
  }

  async take(key: string, rule: BucketRule): Promise<TakeResult> {
    const [ok, waitMs] = await this.redis.rlTake(this.prefix + key, String(rule.rate), String(rule.burst));
    return { ok: ok === 1, retryAfter: waitMs / 1000 };
  }

  async close() {
    this.redis.disconnect();
  }
}

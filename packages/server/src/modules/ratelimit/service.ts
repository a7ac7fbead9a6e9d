import type { FastifyRequest } from "fastify";
import type { AppContext } from "../../context.js";
import { tooManyRequests } from "../../pipeline/errors.js";
import { MemoryBuckets, RedisBuckets, type BucketRule, type Buckets } from "./buckets.js";

/**
 * Rate limits (behaviour notes §2.4): a per-IP bucket on every route, a strict per-IP bucket on
 * public auth routes, and named limits other modules take (share creations per org).
 * With REDIS_URL the counters are shared by every replica; if Redis fails, each replica falls
 * back to its own counters rather than refusing or waving through all traffic.
 */
export class RateLimitService {
  private readonly memory = new MemoryBuckets();
  private readonly redis?: RedisBuckets;
  private readonly global: BucketRule;
  private readonly auth: BucketRule;
  readonly shareCreation: BucketRule;
  private lastRedisWarning = 0;

  constructor(private readonly ctx: AppContext) {
    const c = ctx.config.rateLimit;
    this.global = { rate: c.rps, burst: c.burst };
    this.auth = { rate: c.authRps, burst: c.authBurst };
    this.shareCreation = { rate: c.sharesPerMinute / 60, burst: c.sharesPerMinute };
    if (ctx.config.redisUrl) this.redis = new RedisBuckets(ctx.config.redisUrl, c.keyPrefix);
    // first in the pipeline whatever the construction order (behaviour notes §2.1)
    ctx.hooks.beforeAuth.unshift((req) => this.checkRequest(req));
  }

  async init() {
    await this.redis?.connect().catch((e) => this.redisFailed(e));
  }

  /** Whether the counters are shared through Redis (false: per process). */
  get shared() {
    return this.redis !== undefined;
  }

  private async checkRequest(req: FastifyRequest) {
    await this.take(`ip:${req.ip}`, this.global);
    if (req.routeOptions.config?.rateLimit === "auth") await this.take(`auth:${req.routeOptions.url}:${req.ip}`, this.auth);
  }

  /** Takes a token from the named bucket or throws 429 with Retry-After. */
  async take(key: string, rule: BucketRule, detail = "Too many requests; slow down"): Promise<void> {
    const r = await this.takeFrom(key, rule);
    if (!r.ok) throw tooManyRequests(r.retryAfter, detail);
  }

  private async takeFrom(key: string, rule: BucketRule) {
    if (this.redis) {
      try {
        return await this.redis.take(key, rule);
      } catch (e) {
        this.redisFailed(e);
      }
    }
    return this.memory.take(key, rule);
  }

  private redisFailed(e: unknown) {
    if (Date.now() - this.lastRedisWarning < 30_000) return;
    this.lastRedisWarning = Date.now();
    this.ctx.log.warn({ err: { message: (e as Error)?.message } }, "Redis rate-limit store unavailable; using per-replica counters");
  }

  close() {
    return Promise.all([this.redis?.close(), this.memory.close()]);
  }
}

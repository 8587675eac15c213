import type { RedisClient } from './redis-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { redisKeys } from './redis-keys';

/**
 * Counters and blocks of the throttling of failed sign-ins and connector keys (decision 016), shared by every
 * instance in cluster mode so that a guesser gains nothing by spreading attempts over instances. Keys are
 * opaque strings made by the policy (src/auth/throttle.ts); durations are whole seconds (what the Redis
 * adapter can express).
 */
export interface AuthThrottleStore {
  /** Milliseconds left of the block running on `key` (0: none). */
  blockedMs(key: string): Promise<number>;
  /** Counts one failure of `key`, remembered `windowSec` seconds from the first one counted; answers the count now. */
  count(key: string, windowSec: number): Promise<number>;
  /** Starts a block of `sec` seconds on `key` unless one is running: true when this call started it. */
  startBlock(key: string, sec: number): Promise<boolean>;
  /** Forgets `key`'s failures and its block (a success). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** Counted failures never reach this; the failure counter only counts. */
const UNLIMITED = 2 ** 31 - 1;

/**
 * The store over two rate-limiter-flexible limiters: `failures` counts (penalty, never refuses) and `blocks`
 * holds one point per running block (the first consume of a window takes it, any other is refused), so that
 * of concurrent attempts after a block only one starts the next block and goes on.
 */
abstract class RateLimiterThrottleStore implements AuthThrottleStore {
  protected constructor(
    private readonly failures: RateLimiterAbstract,
    private readonly blocks: RateLimiterAbstract,
  ) {}

  async blockedMs(key: string): Promise<number> {
    const res = await this.blocks.get(key);
    return res !== null && res.consumedPoints >= 1 && res.msBeforeNext > 0 ? res.msBeforeNext : 0;
  }

  async count(key: string, windowSec: number): Promise<number> {
    const res = await this.failures.penalty(key, 1, { customDuration: Math.max(1, Math.ceil(windowSec)) });
    return res.consumedPoints;
  }

  async startBlock(key: string, sec: number): Promise<boolean> {
    try {
      await this.blocks.consume(key, 1, { customDuration: Math.max(1, Math.ceil(sec)) });
      return true;
    } catch (refused) {
      if (refused instanceof RateLimiterRes) return false;
      throw refused;
    }
  }

  async reset(key: string): Promise<void> {
    await Promise.all([this.failures.delete(key), this.blocks.delete(key)]);
  }

  abstract close(): Promise<void>;
}

/** In process (the embedded default): one instance, nothing to share. */
export class MemoryAuthThrottleStore extends RateLimiterThrottleStore {
  constructor() {
    super(
      new RateLimiterMemory({ keyPrefix: 'auth-failures', points: UNLIMITED, duration: 60 }),
      new RateLimiterMemory({ keyPrefix: 'auth-blocks', points: 1, duration: 1 }),
    );
  }

  async close(): Promise<void> {}
}

/**
 * In Redis (cluster mode), atomic across instances (rate-limiter-flexible's Lua increment). Should Redis fail,
 * each instance goes on throttling on its own, in memory (the library's insurance limiter), rather than
 * letting every attempt through.
 */
export class RedisAuthThrottleStore extends RateLimiterThrottleStore {
  constructor(private readonly redis: RedisClient, prefix: string) {
    const keys = redisKeys(prefix);
    super(
      new RateLimiterRedis({
        storeClient: redis, keyPrefix: keys.authFailures(), points: UNLIMITED, duration: 60,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'auth-failures', points: UNLIMITED, duration: 60 }),
      }),
      new RateLimiterRedis({
        storeClient: redis, keyPrefix: keys.authBlocks(), points: 1, duration: 1,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'auth-blocks', points: 1, duration: 1 }),
      }),
    );
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

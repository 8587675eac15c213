import type Redis from 'ioredis';
import { redisKeys, type RedisKeys } from './redis-keys';

/**
 * One-time claims shared by every instance (SET NX with an expiry in Redis): the first claimer of a name
 * wins, later ones (on any instance) lose until it expires. Used so one connector session takes each
 * telephony instruction.
 */
export interface ClaimStore {
  claim(companyId: string, name: string, holder: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

export class MemoryClaimStore implements ClaimStore {
  private readonly claims = new Map<string, { holder: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(companyId: string, name: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = `${companyId}/${name}`;
    const now = this.now();
    const held = this.claims.get(key);
    if (held && held.until > now) return held.holder === holder;
    if (this.claims.size > 100_000) for (const [k, c] of this.claims) if (c.until <= now) this.claims.delete(k);
    this.claims.set(key, { holder, until: now + ttlMs });
    return true;
  }

  async close(): Promise<void> {
    this.claims.clear();
  }
}

export class RedisClaimStore implements ClaimStore {
  private readonly keys: RedisKeys;

  constructor(private readonly redis: Redis, prefix: string) {
    this.keys = redisKeys(prefix);
  }

  async claim(companyId: string, name: string, holder: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.claim(companyId, name);
    if ((await this.redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK') return true;
    return (await this.redis.get(key)) === holder;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

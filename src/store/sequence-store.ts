import type { RedisClient } from './redis-client';
import { redisKeys, type RedisKeys } from './redis-keys';

/** Which kind of resource a live sequence counts changes of. */
export type SequenceKind = 'destination' | 'queue' | 'pool';

/**
 * Per-resource change counters shared by every instance: each change of a destination's or a queue's live
 * state takes the next number, which its update carries as `seq` (a client that sees a gap re-reads).
 * Agents count their own changes in their state (AgentLive.seq).
 */
export interface SequenceStore {
  next(companyId: string, kind: SequenceKind, id: string): Promise<number>;
  current(companyId: string, kind: SequenceKind, ids: readonly string[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

export class MemorySequenceStore implements SequenceStore {
  private readonly counters = new Map<string, number>();

  async next(companyId: string, kind: SequenceKind, id: string): Promise<number> {
    const key = `${companyId}/${kind}/${id}`;
    const value = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, value);
    return value;
  }

  async current(companyId: string, kind: SequenceKind, ids: readonly string[]): Promise<Map<string, number>> {
    return new Map(ids.map((id) => [id, this.counters.get(`${companyId}/${kind}/${id}`) ?? 0]));
  }

  async close(): Promise<void> {
    this.counters.clear();
  }
}

/** Counters in Redis: INCR is atomic across instances. */
export class RedisSequenceStore implements SequenceStore {
  private readonly keys: RedisKeys;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.keys = redisKeys(prefix);
  }

  next(companyId: string, kind: SequenceKind, id: string): Promise<number> {
    return this.redis.incr(this.keys.sequence(companyId, kind, id));
  }

  async current(companyId: string, kind: SequenceKind, ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const values = await this.redis.mget(ids.map((id) => this.keys.sequence(companyId, kind, id)));
    return new Map(ids.map((id, i) => [id, Number(values[i] ?? 0)]));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

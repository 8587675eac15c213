import type { RedisClient } from './redis-client';
import { redisKeys, type RedisKeys } from './redis-keys';
import { defineScripts, hgetallMany, pairsToObject, type ScriptCall } from './redis-scripts';

/** A destination's health (live state, not configuration); `seq` increases by one per change. */
export interface DestinationHealth {
  backedOffUntil: number | null;
  consecutiveFailures: number;
  seq: number;
}

export const INITIAL_HEALTH: DestinationHealth = { backedOffUntil: null, consecutiveFailures: 0, seq: 0 };

/**
 * What attempt outcomes did to destinations, shared by every instance. Each change is one atomic step (an
 * increment, a maximum, a reset), so outcomes reported at the same moment on several instances all count;
 * what they mean (how long to back off, when to suspend) is decided by the routing core.
 */
export interface DestinationHealthStore {
  getMany(companyId: string, destinationIds: readonly string[]): Promise<Map<string, DestinationHealth>>;
  /** One more consecutive failure; the back-off runs until at least `backedOffUntil` (null: unchanged). */
  recordFailure(companyId: string, destinationId: string, backedOffUntil: number | null): Promise<DestinationHealth>;
  /** An answer: consecutive failures back to zero. */
  recordAnswer(companyId: string, destinationId: string): Promise<DestinationHealth>;
  /** A resume: no failures, no back-off. */
  reset(companyId: string, destinationId: string): Promise<DestinationHealth>;
  /**
   * The back-off runs until at least `backedOffUntil`, nothing else changes (no failure counted, no `seq`):
   * written before the outcome that starts it commits, so that no slot is taken in between (the failure
   * itself is recorded after the commit).
   */
  extendBackoff(companyId: string, destinationId: string, backedOffUntil: number): Promise<void>;
  close(): Promise<void>;
}

type Operation = 'failure' | 'answer' | 'reset';

export class MemoryDestinationHealthStore implements DestinationHealthStore {
  private readonly health = new Map<string, DestinationHealth>();

  async getMany(companyId: string, destinationIds: readonly string[]): Promise<Map<string, DestinationHealth>> {
    return new Map(destinationIds.map((id) => [id, { ...(this.health.get(`${companyId}/${id}`) ?? INITIAL_HEALTH) }]));
  }

  private apply(companyId: string, destinationId: string, op: Operation, until: number | null = null): DestinationHealth {
    const key = `${companyId}/${destinationId}`;
    const h = { ...(this.health.get(key) ?? INITIAL_HEALTH) };
    if (op === 'failure') {
      h.consecutiveFailures += 1;
      if (until !== null && until > (h.backedOffUntil ?? 0)) h.backedOffUntil = until;
    } else {
      h.consecutiveFailures = 0;
      if (op === 'reset') h.backedOffUntil = null;
    }
    h.seq += 1;
    this.health.set(key, h);
    return { ...h };
  }

  async recordFailure(companyId: string, destinationId: string, backedOffUntil: number | null): Promise<DestinationHealth> {
    return this.apply(companyId, destinationId, 'failure', backedOffUntil);
  }

  async recordAnswer(companyId: string, destinationId: string): Promise<DestinationHealth> {
    return this.apply(companyId, destinationId, 'answer');
  }

  async extendBackoff(companyId: string, destinationId: string, backedOffUntil: number): Promise<void> {
    const key = `${companyId}/${destinationId}`;
    const h = this.health.get(key) ?? { ...INITIAL_HEALTH };
    if (backedOffUntil > (h.backedOffUntil ?? 0)) this.health.set(key, { ...h, backedOffUntil });
  }

  async reset(companyId: string, destinationId: string): Promise<DestinationHealth> {
    return this.apply(companyId, destinationId, 'reset');
  }

  /** The back-off end held now (null: none), read at once: the in-memory capacity store asks it when granting a slot. */
  backedOffUntil(companyId: string, destinationId: string): number | null {
    return this.health.get(`${companyId}/${destinationId}`)?.backedOffUntil ?? null;
  }

  async close(): Promise<void> {
    this.health.clear();
  }
}

function fromHash(hash: Record<string, string>): DestinationHealth {
  return {
    backedOffUntil: hash.backedOffUntil === undefined ? null : Number(hash.backedOffUntil),
    consecutiveFailures: Number(hash.consecutiveFailures ?? 0),
    seq: Number(hash.seq ?? 0),
  };
}

export class RedisDestinationHealthStore implements DestinationHealthStore {
  private readonly keys: RedisKeys;
  private readonly commands: Record<'healthRecord', ScriptCall>;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.keys = redisKeys(prefix);
    this.commands = defineScripts(redis, { healthRecord: 'health-record-1.lua' });
  }

  async getMany(companyId: string, destinationIds: readonly string[]): Promise<Map<string, DestinationHealth>> {
    const hashes = await hgetallMany(this.redis, destinationIds.map((id) => this.keys.destinationHealth(companyId, id)));
    return new Map(destinationIds.map((id, i) => [id, fromHash(hashes[i]!)]));
  }

  private async apply(companyId: string, destinationId: string, op: Operation, until: number | null = null): Promise<DestinationHealth> {
    const flat = (await this.commands.healthRecord(this.keys.destinationHealth(companyId, destinationId), op, until === null ? '' : String(until))) as string[];
    return fromHash(pairsToObject(flat));
  }

  recordFailure(companyId: string, destinationId: string, backedOffUntil: number | null): Promise<DestinationHealth> {
    return this.apply(companyId, destinationId, 'failure', backedOffUntil);
  }

  recordAnswer(companyId: string, destinationId: string): Promise<DestinationHealth> {
    return this.apply(companyId, destinationId, 'answer');
  }

  async extendBackoff(companyId: string, destinationId: string, backedOffUntil: number): Promise<void> {
    await this.commands.healthRecord(this.keys.destinationHealth(companyId, destinationId), 'extend', String(backedOffUntil));
  }

  reset(companyId: string, destinationId: string): Promise<DestinationHealth> {
    return this.apply(companyId, destinationId, 'reset');
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

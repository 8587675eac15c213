import type { RedisClient } from './redis-client';
import { errors } from '../errors';
import { systemScheduler } from '../platform/scheduler';
import { redisKeys, type RedisKeys } from './redis-keys';
import { defineScripts, type ScriptCall } from './redis-scripts';

/** A destination's slots now: attempts ringing (connecting) and answered (active). */
export interface SlotCounts {
  connecting: number;
  active: number;
}

export interface DestinationRef {
  companyId: string;
  destinationId: string;
  /**
   * The capacity pool whose slot goes with the destination's (decision 038): taken, renewed, marked answered and
   * released together with it. For an attempt, the pool it took its slot in (call_attempt.poolId), whatever the
   * destination's pool is now.
   */
  poolId?: string | null;
}

/** Options of taking a slot. */
export interface AcquireOptions {
  /** Refused while the destination is backed off past this instant (ms). */
  notBackedOffAt?: number;
  /**
   * Taken only in the generation of the live state this instance works in (decision 022): a Redis that came back
   * empty after the gate was passed refuses it, the acquisition waits for the rebuild, then tries once more.
   */
  fenced?: boolean;
  /** With `ref.poolId`: the pool's maximum; the slot is taken only if the pool has one free too. */
  poolMax?: number;
}

/** The live state's generation as a fenced acquisition needs it (implemented by the Redis generation). */
export interface GenerationFence {
  /** The generation this instance works in; null while none is known. */
  known(): string | null;
  /** The company's stamp did not hold it: waits until the live state is current (rebuilt if needed), then stamps the company. */
  confirm(companyId: string): Promise<void>;
}

/**
 * Capacity of external destinations as per-attempt leases, atomic across every gateway instance
 * (DOMAIN.md §3.3). Every operation is idempotent for the same attempt. A lease expires after `leaseMs`
 * unless renewed, so the slots of an instance that died come back within that time.
 */
export interface CapacityStore {
  /**
   * Takes a slot for `attemptId` if fewer than `max` are held (null = unlimited) and, with `notBackedOffAt`,
   * if the destination's back-off (the health store's) does not run past that instant; true when it holds one.
   * An attempt that already holds a slot keeps it. Checked in the same atomic step as the count, so a slot
   * freed by an outcome that starts a back-off (recorded before the slot is released) never lets a dial in.
   */
  acquire(ref: DestinationRef, attemptId: string, max: number | null, options?: AcquireOptions): Promise<boolean>;
  /** The attempt's call was answered: its slot counts as active, and its lease is renewed. */
  markAnswered(ref: DestinationRef, attemptId: string): Promise<boolean>;
  /** Renews the lease of an attempt still in progress; false when it no longer holds a slot. */
  renew(ref: DestinationRef, attemptId: string): Promise<boolean>;
  /** Frees the attempt's slot, however the attempt ended; true when it held one. */
  release(ref: DestinationRef, attemptId: string): Promise<boolean>;
  counts(ref: DestinationRef): Promise<SlotCounts>;
  /** The slots of capacity pools of a company (over all their destinations), in one batch. */
  poolCounts(companyId: string, poolIds: readonly string[]): Promise<Map<string, SlotCounts>>;
  /** The attempts holding a slot of the pool now (leases not expired). */
  poolHolders(companyId: string, poolId: string): Promise<string[]>;
  /** The slots of many destinations of a company in one batch. */
  countsMany(companyId: string, destinationIds: readonly string[]): Promise<Map<string, SlotCounts>>;
  /** The attempts holding a slot of the destination now (leases not expired), in no particular order. */
  holders(ref: DestinationRef): Promise<string[]>;
  close(): Promise<void>;
}

/** Counts of many destinations, asked together (for Redis: written together on the connection, answered in one round trip). */
async function countsOf(store: CapacityStore, companyId: string, destinationIds: readonly string[]): Promise<Map<string, SlotCounts>> {
  const counts = await Promise.all(destinationIds.map((destinationId) => store.counts({ companyId, destinationId })));
  return new Map(destinationIds.map((id, i) => [id, counts[i]!]));
}

/** The in-process key of a pool's leases (beside its company's destinations'). */
const poolKey = (companyId: string, poolId: string) => `${companyId}/pool:${poolId}`;

/** In-process leases for the embedded default (one instance). `now` is injectable for tests. */
export class MemoryCapacityStore implements CapacityStore {
  private readonly leases = new Map<string, Map<string, { expiresAt: number; answered: boolean }>>();

  constructor(
    private readonly leaseMs: number,
    private readonly now: () => number = systemScheduler.now,
    /** The destination's back-off end (the in-memory health store's), for acquisitions that look at it. */
    private readonly backedOffUntil: (ref: DestinationRef) => number | null = () => null,
  ) {}

  private live(ref: DestinationRef): Map<string, { expiresAt: number; answered: boolean }> {
    return this.liveAt(`${ref.companyId}/${ref.destinationId}`);
  }

  /** The pool's leases beside the destination's, when the reference names a pool. */
  private pool(ref: DestinationRef): Map<string, { expiresAt: number; answered: boolean }> | null {
    return ref.poolId === null || ref.poolId === undefined ? null : this.liveAt(poolKey(ref.companyId, ref.poolId));
  }

  private liveAt(key: string): Map<string, { expiresAt: number; answered: boolean }> {
    let map = this.leases.get(key);
    if (!map) this.leases.set(key, (map = new Map()));
    const now = this.now();
    for (const [id, lease] of map) if (lease.expiresAt <= now) map.delete(id);
    return map;
  }

  async acquire(ref: DestinationRef, attemptId: string, max: number | null, options: AcquireOptions = {}): Promise<boolean> {
    const map = this.live(ref);
    const pool = this.pool(ref);
    const expiresAt = this.now() + this.leaseMs;
    const held = map.get(attemptId);
    if (held) {
      held.expiresAt = expiresAt;
      pool?.set(attemptId, { expiresAt, answered: held.answered });
      return true;
    }
    if (options.notBackedOffAt !== undefined && (this.backedOffUntil(ref) ?? 0) > options.notBackedOffAt) return false;
    if (max !== null && map.size >= max) return false;
    if (pool !== null && options.poolMax !== undefined && pool.size >= options.poolMax) return false;
    map.set(attemptId, { expiresAt, answered: false });
    pool?.set(attemptId, { expiresAt, answered: false });
    return true;
  }

  async markAnswered(ref: DestinationRef, attemptId: string): Promise<boolean> {
    const lease = this.live(ref).get(attemptId);
    if (!lease) return false;
    lease.answered = true;
    lease.expiresAt = this.now() + this.leaseMs;
    this.pool(ref)?.set(attemptId, { ...lease });
    return true;
  }

  async renew(ref: DestinationRef, attemptId: string): Promise<boolean> {
    const lease = this.live(ref).get(attemptId);
    if (!lease) return false;
    lease.expiresAt = this.now() + this.leaseMs;
    this.pool(ref)?.set(attemptId, { ...lease });
    return true;
  }

  async release(ref: DestinationRef, attemptId: string): Promise<boolean> {
    this.pool(ref)?.delete(attemptId);
    return this.live(ref).delete(attemptId);
  }

  async poolCounts(companyId: string, poolIds: readonly string[]): Promise<Map<string, SlotCounts>> {
    return new Map(poolIds.map((id) => [id, this.countAt(poolKey(companyId, id))]));
  }

  async poolHolders(companyId: string, poolId: string): Promise<string[]> {
    return this.holdersAt(poolKey(companyId, poolId));
  }

  async counts(ref: DestinationRef): Promise<SlotCounts> {
    return this.countNow(ref.companyId, ref.destinationId);
  }

  async countsMany(companyId: string, destinationIds: readonly string[]): Promise<Map<string, SlotCounts>> {
    return new Map(destinationIds.map((id) => [id, this.countNow(companyId, id)]));
  }

  async holders(ref: DestinationRef): Promise<string[]> {
    return this.holdersAt(`${ref.companyId}/${ref.destinationId}`);
  }

  private holdersAt(key: string): string[] {
    const map = this.leases.get(key);
    if (map === undefined) return [];
    const now = this.now();
    return [...map].filter(([, lease]) => lease.expiresAt > now).map(([id]) => id);
  }

  /** A destination's slots now; a destination never leased costs nothing (and is not remembered). */
  private countNow(companyId: string, destinationId: string): SlotCounts {
    return this.countAt(`${companyId}/${destinationId}`);
  }

  private countAt(key: string): SlotCounts {
    const map = this.leases.get(key);
    if (map === undefined) return { connecting: 0, active: 0 };
    const now = this.now();
    let active = 0;
    for (const [id, lease] of map) {
      if (lease.expiresAt <= now) map.delete(id);
      else if (lease.answered) active += 1;
    }
    return { connecting: map.size - active, active };
  }

  async close(): Promise<void> {
    this.leases.clear();
  }
}

/** Leases in Redis (cluster mode): one Lua script per operation, keys from the one key builder. */
export class RedisCapacityStore implements CapacityStore {
  private readonly keys: RedisKeys;
  private readonly commands: Record<'leaseAcquire' | 'poolLeaseAcquire' | 'leaseAnswer' | 'leaseRelease' | 'leaseCount', ScriptCall>;
  private readonly listing: Record<'leaseHolders', ScriptCall>;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly leaseMs: number,
    /** Fenced acquisitions check the generation against this; without it they are not fenced. */
    private readonly fence?: GenerationFence,
  ) {
    this.keys = redisKeys(prefix);
    this.commands = defineScripts(redis, {
      leaseAcquire: 'lease-acquire-3.lua',
      poolLeaseAcquire: 'pool-lease-acquire-4.lua',
      leaseAnswer: 'lease-answer-2.lua',
      leaseRelease: 'lease-release-2.lua',
      leaseCount: 'lease-count-2.lua',
    });
    this.listing = defineScripts(redis, { leaseHolders: 'lease-holders-1.lua' });
  }

  private pair(ref: DestinationRef): [string, string] {
    return [this.keys.destinationLeases(ref.companyId, ref.destinationId), this.keys.destinationAnswered(ref.companyId, ref.destinationId)];
  }

  /** The pool's leases and answered set, when the reference names a pool. */
  private poolPair(ref: Pick<DestinationRef, 'companyId' | 'poolId'>): [string, string] | null {
    return ref.poolId === null || ref.poolId === undefined ? null : [this.keys.poolLeases(ref.companyId, ref.poolId), this.keys.poolAnswered(ref.companyId, ref.poolId)];
  }

  async acquire(ref: DestinationRef, attemptId: string, max: number | null, options: AcquireOptions = {}): Promise<boolean> {
    const fence = options.fenced === true ? this.fence : undefined;
    const pool = this.poolPair(ref);
    const take = async () => {
      const common = [attemptId, max ?? -1, this.leaseMs, options.notBackedOffAt === undefined ? '' : String(options.notBackedOffAt), fence?.known() ?? ''] as const;
      const keys = [this.pair(ref)[0], this.keys.destinationHealth(ref.companyId, ref.destinationId), this.keys.generationStamp(ref.companyId)] as const;
      // With a pool, one script takes both slots (all the company's keys share one hash slot of a cluster).
      const [granted] = (pool === null
        ? await this.commands.leaseAcquire(...keys, ...common)
        : await this.commands.poolLeaseAcquire(...keys, pool[0], ...common, options.poolMax ?? -1)) as [number, number];
      return granted === 2 ? 0 : granted;
    };
    let granted = await take();
    if (granted === -1 && fence !== undefined) {
      // Not stamped with this generation: a new company here, or a Redis that came back empty (rebuilt first).
      await fence.confirm(ref.companyId);
      granted = await take();
      if (granted === -1) throw errors.unavailable('The live routing state is being rebuilt after a loss of Redis', 1);
    }
    return granted === 1;
  }

  async markAnswered(ref: DestinationRef, attemptId: string): Promise<boolean> {
    const pool = this.poolPair(ref);
    if (pool !== null) await this.commands.leaseAnswer(...pool, attemptId, this.leaseMs);
    return (await this.commands.leaseAnswer(...this.pair(ref), attemptId, this.leaseMs)) === 1;
  }

  async renew(ref: DestinationRef, attemptId: string): Promise<boolean> {
    // Renewing is acquiring again: idempotent for an attempt that holds a slot, refused for one that does not.
    const renewIn = async (leases: string) => ((await this.commands.leaseAcquire(
      leases, this.keys.destinationHealth(ref.companyId, ref.destinationId), this.keys.generationStamp(ref.companyId), attemptId, 0, this.leaseMs, '', '',
    )) as [number, number])[0] === 1;
    const pool = this.poolPair(ref);
    if (pool !== null) await renewIn(pool[0]);
    return renewIn(this.pair(ref)[0]);
  }

  async release(ref: DestinationRef, attemptId: string): Promise<boolean> {
    // The pool's slot first: a crash between the two leaves the destination's, which the repair sweep finds.
    const pool = this.poolPair(ref);
    if (pool !== null) await this.commands.leaseRelease(...pool, attemptId);
    return (await this.commands.leaseRelease(...this.pair(ref), attemptId)) === 1;
  }

  async poolCounts(companyId: string, poolIds: readonly string[]): Promise<Map<string, SlotCounts>> {
    const counts = await Promise.all(poolIds.map(async (poolId) => {
      const [connecting, active] = (await this.commands.leaseCount(...this.poolPair({ companyId, poolId })!)) as [number, number];
      return { connecting, active };
    }));
    return new Map(poolIds.map((id, i) => [id, counts[i]!]));
  }

  async poolHolders(companyId: string, poolId: string): Promise<string[]> {
    return (await this.listing.leaseHolders(this.poolPair({ companyId, poolId })![0])) as string[];
  }

  async counts(ref: DestinationRef): Promise<SlotCounts> {
    const [connecting, active] = (await this.commands.leaseCount(...this.pair(ref))) as [number, number];
    return { connecting, active };
  }

  countsMany(companyId: string, destinationIds: readonly string[]): Promise<Map<string, SlotCounts>> {
    return countsOf(this, companyId, destinationIds);
  }

  async holders(ref: DestinationRef): Promise<string[]> {
    return (await this.listing.leaseHolders(this.pair(ref)[0])) as string[];
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

import type { RedisClient } from './redis-client';
import { errors } from '../errors';
import { systemScheduler, type Scheduler } from '../platform/scheduler';
import type { GenerationFence } from './capacity-store';
import { redisKeys, type RedisKeys } from './redis-keys';

/** How long an acquisition waits at most for the live state to be rebuilt before it is refused, retryably (ms). */
export const REBUILD_WAIT_MS = 10_000;

/**
 * Which life of the live state this instance works in (docs/decisions/022-live-state-after-redis-loss.md). In
 * Redis a generation key holds an id, set once the live state was rebuilt from the system of record: missing
 * or different from the id an instance saw means Redis was emptied or replaced. Until the live state is known
 * to be current, new acquisitions (a slot lease, an agent's reservation) wait at the gate (`ready`) rather than
 * count on an empty Redis. In memory the live state lives and dies with the process: always current.
 */
export interface LiveGeneration {
  /** Whether there is a generation to track (false in memory, where every step here does nothing). */
  readonly tracked: boolean;
  /** The id stored now; null when there is none (an empty or new Redis). */
  read(): Promise<string | null>;
  /** Takes the rebuild lock for `holder` for `ttlMs` unless another instance holds it; true when taken. */
  lock(holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lock back if `holder` still holds it. */
  unlock(holder: string): Promise<void>;
  /** Stores a new id: the live state was rebuilt. */
  publish(id: string): Promise<void>;
  /**
   * Resolves once new acquisitions may go on; refused with SERVICE_UNAVAILABLE (retryable) when the live state
   * is not current within `boundMs`, so a request is answered rather than routed blind.
   */
  ready(boundMs?: number): Promise<void>;
  /** Whether acquisitions may go on now. */
  isReady(): boolean;
  /** Acquisitions wait from now on (a check or a rebuild is pending or running). */
  hold(): void;
  /** Acquisitions go on again (the live state is current). */
  release(): void;
  /**
   * `handler` runs whenever the generation should be checked: every live-state connection is ready again after
   * one was lost, or a fenced acquisition found its company not stamped with the known generation.
   */
  onCheckNeeded(handler: () => void): () => void;
  /** The generation this instance works in now (adopted after a check or set by its own rebuild). */
  known(): string | null;
  adopt(id: string): void;
  close(): Promise<void>;
}

/** Waiters released together when the gate opens; each gives up on its own after its bound. */
class Gate {
  private readonly waiters = new Set<() => void>();
  private static readonly OPEN = Promise.resolve();

  constructor(private open: boolean, private readonly after: Scheduler['after']) {}

  get isOpen(): boolean {
    return this.open;
  }

  wait(boundMs: number): Promise<void> {
    if (this.open) return Gate.OPEN;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        cancel();
        resolve();
      };
      const cancel = this.after(boundMs, () => {
        this.waiters.delete(done);
        reject(errors.unavailable('The live routing state is being rebuilt after a loss of Redis', Math.max(1, Math.ceil(boundMs / 1000))));
      });
      this.waiters.add(done);
    });
  }

  close(): void {
    this.open = false;
  }

  release(): void {
    this.open = true;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }
}

/** The embedded default: nothing to track, never waits. */
export class MemoryLiveGeneration implements LiveGeneration {
  readonly tracked = false;
  private static readonly OPEN = Promise.resolve();

  async read(): Promise<string | null> {
    return 'memory';
  }

  async lock(): Promise<boolean> {
    return true;
  }

  async unlock(): Promise<void> {}

  async publish(): Promise<void> {}

  ready(): Promise<void> {
    return MemoryLiveGeneration.OPEN;
  }

  isReady(): boolean {
    return true;
  }

  hold(): void {}

  release(): void {}

  onCheckNeeded(): () => void {
    return () => undefined;
  }

  known(): string | null {
    return 'memory';
  }

  adopt(): void {}

  async close(): Promise<void> {}
}

/**
 * The generation in Redis, on a connection of its own. The gate starts closed (the first check opens it) and
 * closes as soon as one live-state connection is lost, so acquisitions made while Redis may be coming back
 * empty wait for the check that follows its return. On a Redis Cluster a connection is the cluster client,
 * lost when the whole cluster is: one master that restarts empty on its own goes unnoticed (decision 030).
 */
export class RedisLiveGeneration implements LiveGeneration, GenerationFence {
  readonly tracked = true;
  private current: string | null = null;
  private readonly keys: RedisKeys;
  private readonly gate: Gate;
  private readonly checkHandlers = new Set<() => void>();

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    /** Every connection of the live state: one lost holds acquisitions; all ready again asks for a check. */
    watched: readonly RedisClient[],
    after: Scheduler['after'] = systemScheduler.after,
  ) {
    this.keys = redisKeys(prefix);
    this.gate = new Gate(false, after);
    const all = [redis, ...watched];
    for (const client of all) {
      client.on('close', () => this.gate.close());
      client.on('ready', () => {
        if (!all.every((c) => c.status === 'ready')) return;
        for (const handler of this.checkHandlers) handler();
      });
    }
  }

  async read(): Promise<string | null> {
    return this.redis.get(this.keys.liveGeneration());
  }

  async lock(holder: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.keys.liveGeneration('lock'), holder, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async unlock(holder: string): Promise<void> {
    // Not atomic: at worst it drops a lock another instance took after ours ran out, and a second rebuild
    // (every step of which is idempotent) may then run beside it.
    const key = this.keys.liveGeneration('lock');
    if ((await this.redis.get(key)) === holder) await this.redis.del(key);
  }

  async publish(id: string): Promise<void> {
    await this.redis.set(this.keys.liveGeneration(), id);
    this.current = id;
  }

  known(): string | null {
    return this.current;
  }

  adopt(id: string): void {
    this.current = id;
  }

  /**
   * A fenced acquisition found the company's stamp missing or another one: a company not stamped yet in this
   * generation, or a Redis that came back empty before any connection noticed. Unless the stored generation is
   * the known one, the gate closes and a check (a rebuild when it is missing) runs first; then the company is
   * stamped with the generation now known. Bounded like every wait at the gate (SERVICE_UNAVAILABLE).
   */
  async confirm(companyId: string, boundMs = REBUILD_WAIT_MS): Promise<void> {
    const stored = await this.read();
    if (stored === null || stored !== this.current) {
      this.gate.close();
      for (const handler of this.checkHandlers) handler();
      await this.gate.wait(boundMs);
    }
    const id = this.current;
    if (id === null) throw errors.unavailable('The live routing state is being rebuilt after a loss of Redis', 1);
    await this.redis.set(this.keys.generationStamp(companyId), id);
  }

  ready(boundMs = REBUILD_WAIT_MS): Promise<void> {
    return this.gate.wait(boundMs);
  }

  isReady(): boolean {
    return this.gate.isOpen;
  }

  hold(): void {
    this.gate.close();
  }

  release(): void {
    this.gate.release();
  }

  onCheckNeeded(handler: () => void): () => void {
    this.checkHandlers.add(handler);
    return () => void this.checkHandlers.delete(handler);
  }

  async close(): Promise<void> {
    this.checkHandlers.clear();
    await this.redis.quit();
  }
}

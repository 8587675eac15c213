import type { RedisClient } from './redis-client';
import { systemScheduler } from '../platform/scheduler';
import { redisKeys, type RedisKeys } from './redis-keys';
import { defineScripts, type ScriptCall } from './redis-scripts';

export interface ClaimedTimer {
  id: string;
  payload: string;
}

/**
 * Durable timers (ring timeouts, back-off expiry, retry intervals, maximum waits). A due timer is claimed
 * by exactly one caller under a lease and removed when acknowledged; one whose claimer dies before that is
 * claimed again after the lease, so handlers must be idempotent (a timer whose call moved on does nothing).
 */
export interface TimerStore {
  /** Schedules timer `id` to be due after `delayMs` (replacing an earlier schedule of the same id). */
  schedule(id: string, delayMs: number, payload: string): Promise<void>;
  /** Takes up to `limit` due timers for this caller alone. */
  claimDue(limit: number): Promise<ClaimedTimer[]>;
  /** Removes a timer: cancelled before it fired, or handled after it was claimed. True when it existed. */
  remove(id: string): Promise<boolean>;
  /** How many timers wait (the metrics): due now and not claimed, scheduled in all, claimed and in flight. */
  pending(): Promise<PendingTimers>;
  close(): Promise<void>;
}

export interface PendingTimers {
  readonly due: number;
  readonly scheduled: number;
  readonly inFlight: number;
}

export class MemoryTimerStore implements TimerStore {
  private readonly due = new Map<string, { at: number; payload: string }>();
  private readonly inFlight = new Map<string, { until: number; payload: string }>();

  constructor(
    private readonly leaseMs: number,
    private readonly now: () => number = systemScheduler.now,
  ) {}

  async schedule(id: string, delayMs: number, payload: string): Promise<void> {
    this.inFlight.delete(id);
    this.due.set(id, { at: this.now() + delayMs, payload });
  }

  async claimDue(limit: number): Promise<ClaimedTimer[]> {
    const now = this.now();
    for (const [id, t] of this.inFlight) {
      if (t.until <= now) {
        this.inFlight.delete(id);
        this.due.set(id, { at: now, payload: t.payload });
      }
    }
    const ready = [...this.due].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at).slice(0, limit);
    return ready.map(([id, t]) => {
      this.due.delete(id);
      this.inFlight.set(id, { until: now + this.leaseMs, payload: t.payload });
      return { id, payload: t.payload };
    });
  }

  async remove(id: string): Promise<boolean> {
    const existed = this.due.delete(id);
    return this.inFlight.delete(id) || existed;
  }

  async pending(): Promise<PendingTimers> {
    const now = this.now();
    let due = 0;
    for (const t of this.due.values()) if (t.at <= now) due += 1;
    return { due, scheduled: this.due.size, inFlight: this.inFlight.size };
  }

  async close(): Promise<void> {
    this.due.clear();
    this.inFlight.clear();
  }
}

export class RedisTimerStore implements TimerStore {
  private readonly keys: RedisKeys;
  private readonly commands: Record<'timerSchedule' | 'timerClaim' | 'timerRemove' | 'timerPending', ScriptCall>;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly leaseMs: number,
  ) {
    this.keys = redisKeys(prefix);
    this.commands = defineScripts(redis, { timerSchedule: 'timer-schedule-3.lua', timerClaim: 'timer-claim-3.lua', timerRemove: 'timer-remove-3.lua', timerPending: 'timer-pending-2.lua' });
  }

  private all(): [string, string, string] {
    return [this.keys.timersDue(), this.keys.timerPayloads(), this.keys.timersInFlight()];
  }

  async schedule(id: string, delayMs: number, payload: string): Promise<void> {
    await this.commands.timerSchedule(...this.all(), id, Math.max(0, Math.round(delayMs)), payload);
  }

  async claimDue(limit: number): Promise<ClaimedTimer[]> {
    const flat = (await this.commands.timerClaim(...this.all(), limit, this.leaseMs)) as string[];
    const out: ClaimedTimer[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ id: flat[i]!, payload: flat[i + 1]! });
    return out;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.commands.timerRemove(...this.all(), id)) === 1;
  }

  async pending(): Promise<PendingTimers> {
    const [due, scheduled, inFlight] = (await this.commands.timerPending(this.keys.timersDue(), this.keys.timersInFlight())) as number[];
    return { due: Number(due), scheduled: Number(scheduled), inFlight: Number(inFlight) };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

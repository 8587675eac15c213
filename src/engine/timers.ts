import { In } from 'typeorm';
import { CallAttempt } from '../entities/call.entity';
import type { Scheduler } from '../platform/scheduler';
import { OPEN_ATTEMPT, type EngineContext, type TimerPayload } from './types';

/** How long past its ring time an attempt may still ring before the database sweep times it out (timers fire first). */
export const OVERDUE_GRACE_SEC = 5;

/** Most due timers claimed at once. */
const TIMERS_PER_TICK = 100;

/** The ids of timers: one per purpose and subject, so scheduling the same one again replaces it. */
export const timerId = {
  ring: (attemptId: string) => `ring:${attemptId}`,
  wait: (callId: string) => `wait:${callId}`,
  /** Route a queue again at an instant (or for a reason: a call's own retry). */
  pump: (queueId: string, key: string | number) => `pump:${queueId}:${key}`,
  flow: (callId: string, revision: number) => `flow:${callId}:${revision}`,
  /**
   * A destination's health probe due at an instant: one id per instant, as a firing timer is removed once
   * handled (the next one, scheduled while it fires, must not be that one).
   */
  probe: (destinationId: string, at: number) => `probe:${destinationId}:${at}`,
  probeTimeout: (probeId: string) => `probe-timeout:${probeId}`,
};

/** A scheduler whose instants come from `clock` while its tasks run on `scheduler` (a test that sets instants). */
export function clocked(scheduler: Scheduler, clock: () => number): Scheduler {
  return { now: clock, after: (ms, task) => scheduler.after(ms, task), every: (ms, task) => scheduler.every(ms, task) };
}

/**
 * The engine's durable timers (ring timeouts, maximum waits, WAIT pauses, "route this queue again"), kept in
 * the live timer store: a due timer is claimed by one instance under a lease and removed once handled, so the
 * timer of an instance that died is fired by another, once.
 */
export class Timers {
  private ticking = false;

  constructor(private readonly ctx: EngineContext) {}

  /** Schedules `id` to fire after `delayMs` (replacing an earlier schedule of the same id). */
  async schedule(id: string, delayMs: number, payload: TimerPayload): Promise<void> {
    await this.ctx.live.timers.schedule(id, Math.max(0, delayMs), JSON.stringify(payload));
  }

  remove(id: string): Promise<boolean> {
    return this.ctx.live.timers.remove(id);
  }

  /** Claims due timers and hands each to `handle`; each is removed once handled (or once its handler failed). */
  async fireDue(handle: (payload: TimerPayload) => Promise<void>): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const due = await this.ctx.live.timers.claimDue(TIMERS_PER_TICK);
      this.ctx.meter.timersFired(due.length);
      for (const timer of due) {
        try {
          await handle(JSON.parse(timer.payload) as TimerPayload);
        } catch (err) {
          this.ctx.logger.error({ err, timer: timer.id }, 'timer handler failed');
        }
        await this.ctx.live.timers.remove(timer.id);
      }
    } finally {
      this.ticking = false;
    }
  }
}

/**
 * Attempts still ringing well past their ring time (their timer was lost with an instance that died between
 * commit and scheduling, or with a Redis that restarted empty), from the system of record.
 */
export async function overdueAttempts(ctx: EngineContext): Promise<Array<Pick<CallAttempt, 'id' | 'companyId'>>> {
  const now = ctx.time.now();
  const ringing = await ctx.dataSource.getRepository(CallAttempt).find({ where: { state: 'RINGING' }, select: { id: true, companyId: true, startedAt: true, ringTimeoutSec: true } });
  return ringing.filter((a) => a.startedAt.getTime() + (a.ringTimeoutSec + OVERDUE_GRACE_SEC) * 1000 <= now);
}

/** Keeps the slots of attempts still ringing or connected; a slot whose holder vanished expires with its lease. */
export async function renewLeases(ctx: EngineContext): Promise<void> {
  const open = await ctx.dataSource.getRepository(CallAttempt).find({ where: { targetKind: 'DESTINATION', state: In([...OPEN_ATTEMPT]) } });
  let renewed = 0;
  for (const a of open) if (await ctx.live.capacity.renew({ companyId: a.companyId, destinationId: a.destinationId!, poolId: a.poolId }, a.id)) renewed += 1;
  ctx.meter.leasesRenewed(renewed);
}

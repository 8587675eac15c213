import { randomUUID } from 'node:crypto';
import { In, IsNull, MoreThan, Not } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';
import { DestinationProbe } from '../entities/destination-probe.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import { waitDeadline } from '../routing/queue-caps';
import { timerId } from './timers';
import { OPEN_ATTEMPT, WAITING_STATES, type EngineContext, type TimerPayload } from './types';

/** How long the rebuild lock is held at most (ms): an instance that died rebuilding lets another take over. */
export const REBUILD_LOCK_MS = 30_000;

/** How often the generation is checked besides reconnects (ms): an emptied Redis that no connection noticed. */
export const GENERATION_CHECK_MS = 5_000;

/** How often an instance waiting for another's rebuild looks again, and the first pause before retrying a failed one (ms). */
const POLL_MS = 100;
const RETRY_MAX_MS = 5_000;

/** What one rebuild restored, for the log and the tests. */
export interface RebuildSummary {
  leases: number;
  answered: number;
  agents: number;
  backoffs: number;
  timers: number;
  /** Restored, then found closed meanwhile (their end came between the read and the write): undone. */
  undone: number;
}

/**
 * Watches the live state's generation and rebuilds the live state from the system of record when Redis was
 * emptied or replaced (docs/decisions/022-live-state-after-redis-loss.md). It checks at start, whenever every
 * live-state connection is ready again, and every GENERATION_CHECK_MS. A missing generation holds new
 * acquisitions (the gate of `live.ready()`), one instance rebuilds under a short lock while the others wait for
 * the new generation, and the gate opens once it is set. A different one (another instance rebuilt) is adopted.
 * A failed rebuild is logged and tried again; meanwhile acquisitions keep waiting, each at most its bound.
 */
export class LiveRebuild {
  private readonly holder = randomUUID();
  /** The generation this instance saw last (null: none yet). */
  private known: string | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private readonly cancels: Array<() => void> = [];

  constructor(private readonly ctx: EngineContext, private readonly options: { checkEveryMs?: number; lockMs?: number } = {}) {}

  /** Checks now, then on every reconnect of the live state and on a period. Nothing to do in memory. */
  start(): void {
    const generation = this.ctx.live.generation;
    if (!generation.tracked) return;
    this.stopped = false;
    this.cancels.push(generation.onCheckNeeded(() => void this.check()));
    this.cancels.push(this.ctx.time.every(this.options.checkEveryMs ?? GENERATION_CHECK_MS, () => void this.check()));
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.cancels.splice(0)) cancel();
  }

  /** Checks the generation (rebuilding when it is missing); concurrent calls share one run and ask for one more. */
  check(): Promise<void> {
    if (this.running !== null) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.checkUntilCurrent();
        } while (this.again && !this.stopped);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /** Tries until the live state is current (or the watcher stopped), pausing longer after each failure. */
  private async checkUntilCurrent(): Promise<void> {
    for (let failures = 0; !this.stopped; ) {
      try {
        await this.checkOnce();
        return;
      } catch (err) {
        failures += 1;
        this.ctx.logger.error({ err, failures }, 'live state: checking or rebuilding the generation failed; trying again');
        await this.pause(Math.min(POLL_MS * 2 ** failures, RETRY_MAX_MS));
      }
    }
  }

  private async checkOnce(): Promise<void> {
    const generation = this.ctx.live.generation;
    const stored = await generation.read();
    if (stored !== null) {
      if (stored !== this.known && this.known !== null) this.ctx.logger.warn({ was: this.known, now: stored }, 'live state: another generation (rebuilt elsewhere), adopted');
      this.known = stored;
      generation.adopt(stored);
      generation.release();
      return;
    }
    // Missing: Redis was emptied or replaced. Nothing is acquired until the state is back.
    generation.hold();
    this.ctx.logger.warn({ was: this.known }, 'live state: no generation in Redis (emptied or replaced); rebuilding from the system of record');
    while (!this.stopped) {
      if (await generation.lock(this.holder, this.options.lockMs ?? REBUILD_LOCK_MS)) {
        try {
          const started = this.ctx.time.now();
          const summary = await rebuildLiveState(this.ctx);
          const id = randomUUID();
          await generation.publish(id);
          this.known = id;
          this.ctx.logger.warn({ generation: id, ...summary, ms: this.ctx.time.now() - started }, 'live state: rebuilt from the system of record');
        } finally {
          await generation.unlock(this.holder).catch(() => undefined);
        }
        generation.release();
        return;
      }
      // Another instance rebuilds: wait for its generation (or for its lock to lapse, then take over).
      await this.pause(POLL_MS);
      const now = await generation.read();
      if (now !== null) {
        this.known = now;
        generation.adopt(now);
        generation.release();
        return;
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.ctx.time.after(ms, resolve));
  }
}

/**
 * Writes back into the live state what the system of record says must be there, through the stores:
 * - a slot lease for every open destination attempt (RINGING: connecting; CONNECTED: answered), taken whatever
 *   the maximum or the back-off (they were admitted when they were dialled);
 * - each agent with an open attempt held for that call (RINGING: ringing; CONNECTED: on the call), by a
 *   compare-and-set that only takes an agent on no call; its status is left as the live state has it (statuses
 *   live only there: an emptied Redis reads every agent LOGGED_OUT until the agent or a supervisor sets it);
 * - per destination, the latest back-off still running (call_attempt.backoffUntil), as a failure that extends it;
 * - the ring timers of ringing attempts, the maximum-wait timers of waiting calls, the health probes of
 *   destinations held back and the timeouts of probes still out.
 * Then the attempts found open are read again: any that closed meanwhile (its end committed before the write
 * above, so its own release found nothing) is undone here. Every step is idempotent: two rebuilds side by side
 * restore the same state.
 */
export async function rebuildLiveState(ctx: EngineContext): Promise<RebuildSummary> {
  const { dataSource, live } = ctx;
  const now = ctx.time.now();
  const summary: RebuildSummary = { leases: 0, answered: 0, agents: 0, backoffs: 0, timers: 0, undone: 0 };
  const open = await dataSource.getRepository(CallAttempt).find({
    where: { state: In([...OPEN_ATTEMPT]) },
    select: { id: true, companyId: true, callId: true, targetKind: true, agentId: true, destinationId: true, poolId: true, state: true, startedAt: true, ringTimeoutSec: true },
  });

  const restoredAgents = new Map<string, CallAttempt>();
  for (const a of open) {
    if (a.destinationId !== null) {
      const ref = { companyId: a.companyId, destinationId: a.destinationId, poolId: a.poolId };
      if (await live.capacity.acquire(ref, a.id, null)) summary.leases += 1;
      if (a.state === 'CONNECTED' && (await live.capacity.markAnswered(ref, a.id))) summary.answered += 1;
    } else if (a.agentId !== null) {
      const activity = a.state === 'CONNECTED' ? 'ON_CALL' : 'RINGING';
      const held = await live.agents.compareAndSet(a.companyId, a.agentId, { callId: null }, { activity, callId: a.callId });
      if (held !== null) {
        summary.agents += 1;
        restoredAgents.set(a.id, a);
      } else {
        const current = await live.agents.get(a.companyId, a.agentId);
        if (current.callId !== a.callId) ctx.logger.warn({ companyId: a.companyId, agentId: a.agentId, callId: a.callId, heldFor: current.callId }, 'live state rebuild: agent already held for another call; left as it is');
      }
    }
    if (a.state === 'RINGING') {
      await schedule(ctx, timerId.ring(a.id), a.startedAt.getTime() + a.ringTimeoutSec * 1000 - now, { t: 'ring', companyId: a.companyId, attemptId: a.id });
      summary.timers += 1;
    }
  }

  // Back-offs: the latest end per destination still in the future (a resume moves it to its instant).
  const backoffs: Array<{ companyId: string; destinationId: string; until: Date | string }> = await dataSource.getRepository(CallAttempt)
    .createQueryBuilder('a')
    .select(['a.companyId AS "companyId"', 'a.destinationId AS "destinationId"', 'MAX(a.backoffUntil) AS "until"'])
    .where('a.backoffUntil > :now', { now: new Date(now) })
    .andWhere('a.destinationId IS NOT NULL')
    .groupBy('a.companyId')
    .addGroupBy('a.destinationId')
    .getRawMany();
  for (const b of backoffs) {
    const until = new Date(b.until).getTime();
    const [health] = (await live.health.getMany(b.companyId, [b.destinationId])).values();
    if ((health?.backedOffUntil ?? 0) >= until) continue;
    await live.health.recordFailure(b.companyId, b.destinationId, until);
    summary.backoffs += 1;
  }

  // Maximum waits of the calls still waiting in a queue.
  const waiting = await dataSource.getRepository(Call).find({ where: { state: In([...WAITING_STATES]) }, select: { id: true, companyId: true, queueId: true, enqueuedAt: true, returnedAt: true } });
  const queueIds = [...new Set(waiting.map((c) => c.queueId).filter((id): id is string => id !== null))];
  const queues = new Map(
    (queueIds.length === 0 ? [] : await dataSource.getRepository(Queue).find({ where: { id: In(queueIds), maxWaitSec: MoreThan(0) }, select: { id: true, maxWaitSec: true } })).map((q) => [q.id, q]),
  );
  for (const c of waiting) {
    const queue = c.queueId === null ? undefined : queues.get(c.queueId);
    // A call handed back by an external destination waits its queue's maximum again from its return.
    const deadline = queue === undefined ? null : waitDeadline(queue, (c.returnedAt ?? c.enqueuedAt).getTime());
    if (deadline === null) continue;
    await schedule(ctx, timerId.wait(c.id), deadline - now, { t: 'wait', companyId: c.companyId, callId: c.id });
    summary.timers += 1;
  }

  // Health probes: of every destination with a probe that is suspended or backed off, the next one after an
  // interval; and the timeouts of the probes still out.
  const heldIds = new Set(backoffs.map((b) => b.destinationId));
  const probed = await dataSource.getRepository(ExternalDestination).find({ where: { probeIntervalSec: Not(IsNull()) }, select: { id: true, companyId: true, suspendedAt: true, probeIntervalSec: true } });
  for (const d of probed) {
    if (d.suspendedAt === null && !heldIds.has(d.id)) continue;
    await schedule(ctx, timerId.probe(d.id, now + d.probeIntervalSec! * 1000), d.probeIntervalSec! * 1000, { t: 'probe', companyId: d.companyId, destinationId: d.id });
    summary.timers += 1;
  }
  const out = await dataSource.getRepository(DestinationProbe).find({ where: { outcome: IsNull() }, select: { id: true, companyId: true, sentAt: true, timeoutSec: true } });
  for (const p of out) {
    await schedule(ctx, timerId.probeTimeout(p.id), p.sentAt.getTime() + p.timeoutSec * 1000 - now, { t: 'probeTimeout', companyId: p.companyId, probeId: p.id });
    summary.timers += 1;
  }

  // What closed between the first read and the writes above: its end found nothing to release, so undo it here.
  const ids = open.map((a) => a.id);
  const stillOpen = new Set<string>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await dataSource.getRepository(CallAttempt).find({ where: { id: In(ids.slice(i, i + 500)), state: In([...OPEN_ATTEMPT]) }, select: { id: true } });
    for (const r of rows) stillOpen.add(r.id);
  }
  for (const a of open) {
    if (stillOpen.has(a.id)) continue;
    if (a.destinationId !== null) {
      if (await live.capacity.release({ companyId: a.companyId, destinationId: a.destinationId, poolId: a.poolId }, a.id)) summary.undone += 1;
    } else if (a.agentId !== null && restoredAgents.has(a.id)) {
      if (await live.agents.compareAndSet(a.companyId, a.agentId, { activity: ['RINGING', 'ON_CALL'], callId: a.callId }, { activity: 'IDLE', callId: null })) summary.undone += 1;
    }
  }
  return summary;
}

function schedule(ctx: EngineContext, id: string, delayMs: number, payload: TimerPayload): Promise<void> {
  return ctx.live.timers.schedule(id, Math.max(0, delayMs), JSON.stringify(payload));
}

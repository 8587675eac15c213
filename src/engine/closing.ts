import { In, type EntityManager } from 'typeorm';
import { Call, CallAttempt, type CallEndReason } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import type { ContextEntry } from '../routing/vocabulary';
import { Queue } from '../entities/queue.entity';
import { errors } from '../errors';
import type { ModelChanges } from '../live/model-changes';
import type { ExternalOutcome, FlowEvent } from '../routing/call-flow';
import { applyOutcome, reachesSuspension } from '../routing/destination-state';
import { ATTEMPT_STATE, CALL_STATE, transition, type AttemptOutcome, type CallEvent } from '../routing/state-machine';
import { findOwned, inTransaction } from '../store/persistence';
import { touchAttempt } from '../store/stat-buckets';
import { MAX_CALL_RETURNS, withContext } from './call-context';
import { callTransition, trace, updateCall, withCall, type WaitingNotes } from './call-records';
import type { Effects } from './effects';
import { Emitter, type EngineEvents } from './events';
import { timerId, type Timers } from './timers';
import { OPEN_ATTEMPT, type ClosedAttempt, type Closure, type EngineContext, type EndCallFields, type TraceInput } from './types';

/** The RouteToExternalDestination branch an unanswered outcome takes (busy backs the destination off as usual). */
const FLOW_BRANCH_OF_OUTCOME: Record<Exclude<AttemptOutcome, 'ANSWERED'>, ExternalOutcome> = {
  BUSY: 'Busy', NO_ANSWER: 'Timeout', REJECTED: 'Failure', FAILED: 'Failure',
};

const words = (outcome: string) => outcome.toLowerCase().replace('_', ' ');

/** Agents and destinations freed at one instant. */
type Freed = Map<number, { agentIds: Set<string>; destinationIds: Set<string> }>;

/**
 * Closing attempts and calls: the change of the records (in the event's transaction), then the live effects
 * (slots, agents, back-off, suspension, timers, instructions). Closing never routes: it emits what ended and
 * what became usable (`events`), and whoever listens decides what to route next.
 */
export class Closing {
  readonly events = new Emitter<EngineEvents>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly effects: Effects,
    private readonly timers: Timers,
    private readonly notes: WaitingNotes,
    private readonly changes: ModelChanges,
  ) {}

  // ---------------------------------------------------------------- in the event's transaction

  /**
   * An attempt's outcome on the attempt and its call, with its trace entry. For a destination, its row and the
   * live health are read once and the outcome's effect worked out once: the trace's words, the back-off kept
   * with the attempt and the live effects after commit all come from that one effect.
   */
  async recordOutcome(m: EntityManager, companyId: string, input: { attemptId: string; outcome: AttemptOutcome }, ringTimedOut: boolean, now: number): Promise<Closure> {
    const attempt = await findOwned(m, CallAttempt, companyId, input.attemptId, { what: 'Attempt', field: 'input.attemptId', lock: 'write' });
    const next = transition(ATTEMPT_STATE, attempt.state, input.outcome);
    if (!next.ok) throw errors.conflict(`The attempt already ended (${attempt.state})`, { field: 'input.attemptId', state: attempt.state });
    const call = await findOwned(m, Call, companyId, attempt.callId, { what: 'Call', lock: 'write' });
    const target = attempt.targetKind === 'AGENT' ? 'agent' : 'external destination';
    attempt.state = next.to;
    attempt.outcome = input.outcome;
    let effect = '';
    let closed: ClosedAttempt = { attempt, outcome: input.outcome };
    if (input.outcome === 'ANSWERED') {
      attempt.answeredAt = new Date(now);
      // A call handed back by an external destination keeps its first answer (the caller's wait ended then).
      call.answeredAt ??= new Date(now);
      call.state = callTransition(call, 'answered');
    } else {
      attempt.endedAt = new Date(now);
      call.state = callTransition(call, 'attemptEnded');
      if (attempt.destinationId !== null) {
        call.lastOfferEndedAt = { ...call.lastOfferEndedAt, [attempt.destinationId]: now };
        const row = await m.getRepository(ExternalDestination).findOneBy({ id: attempt.destinationId });
        if (row) {
          const [health] = (await this.ctx.live.health.getMany(companyId, [row.id])).values();
          // No back-off running is assumed, so the effect's back-off is the one this outcome starts (kept with the
          // attempt: statistics count time backed off from it); the words never depend on the one running.
          const outcomeEffect = applyOutcome({ backedOffUntil: null, consecutiveFailures: health!.consecutiveFailures, suspended: row.suspendedAt !== null }, row, input.outcome, now);
          effect = `; ${outcomeEffect.detail}`;
          attempt.backoffUntil = outcomeEffect.backedOffUntil === null ? null : new Date(outcomeEffect.backedOffUntil);
          if (outcomeEffect.backedOffUntil !== null) {
            // Back-off first, before this commits: slot acquisitions refuse the destination from now on. The
            // attempt ends when that is in force (later than `now` only by the write, on a slow link to Redis),
            // so no dial decided after the attempt's end can take a slot before its back-off.
            await this.ctx.live.health.extendBackoff(companyId, row.id, outcomeEffect.backedOffUntil);
            attempt.endedAt = new Date(Math.max(now, this.ctx.time.now()));
          }
          closed = { ...closed, destination: { row, effect: outcomeEffect } };
        }
      } else {
        const queue = call.queueId === null ? null : await m.getRepository(Queue).findOneBy({ id: call.queueId });
        if (queue) effect = `; the agent is offered calls again in ${queue.agentRetrySec} s`;
        closed = { ...closed, agentRetrySec: queue?.agentRetrySec ?? 0 };
      }
    }
    await m.getRepository(CallAttempt).update({ id: attempt.id }, { state: attempt.state, outcome: attempt.outcome, answeredAt: attempt.answeredAt, endedAt: attempt.endedAt, backoffUntil: attempt.backoffUntil ?? null });
    touchAttempt(m, attempt);
    await updateCall(m, call, { state: call.state, answeredAt: call.answeredAt, lastOfferEndedAt: call.lastOfferEndedAt });
    const lead = ringTimedOut
      ? `no outcome within the ring time of ${attempt.ringTimeoutSec} s: counted as no answer`
      : `${target} ${input.outcome === 'ANSWERED' ? 'answered' : `did not take the call (${words(input.outcome)})`}`;
    await trace(m, call, {
      at: now, step: ringTimedOut ? 'RING_TIMEOUT' : 'OUTCOME',
      summary: `${lead}${effect}${call.state === 'QUEUED' && call.queueId !== null ? '; the call keeps its place in the queue' : ''}`,
      chosen: { kind: attempt.targetKind, id: (attempt.agentId ?? attempt.destinationId)!, priority: null, detail: words(input.outcome) },
    });
    // A call a flow sent straight to a destination takes the node's branch for the outcome.
    const flowEvent: FlowEvent | null = call.flowVersionId !== null && call.queueId === null && input.outcome !== 'ANSWERED'
      ? { kind: 'EXTERNAL_ENDED', branch: FLOW_BRANCH_OF_OUTCOME[input.outcome] }
      : null;
    return { call, closed: [closed], ringTimedOut, flowEvent };
  }

  /** The connector's end of a call (completed, or the caller hung up): attempts still ringing are cancelled. */
  async endCall(m: EntityManager, companyId: string, input: Pick<EndCallFields, 'callId' | 'reason'>, now: number): Promise<Closure> {
    const call = await findOwned(m, Call, companyId, input.callId, { what: 'Call', field: 'input.callId', lock: 'write' });
    const event: CallEvent = input.reason === 'COMPLETED' ? 'completed' : 'callerHungUp';
    const next = transition(CALL_STATE, call.state, event);
    if (!next.ok) {
      const why = ['ENDED', 'ABANDONED', 'FAILED'].includes(call.state) ? `The call already ended (${call.state})` : `The call is ${call.state}, not connected: report CALLER_HUNG_UP`;
      throw errors.conflict(why, { field: 'input.callId', state: call.state });
    }
    const waited = Math.floor((now - call.enqueuedAt.getTime()) / 1000);
    const wasRinging = call.state === 'OFFERING';
    const summary = input.reason === 'COMPLETED'
      ? 'the call was completed'
      : call.state === 'CONNECTED'
        ? 'the caller hung up during the conversation'
        : `the caller hung up after ${waited} s${wasRinging ? ' while the call was ringing: the attempt was cancelled, with no back-off' : ' in the queue'}`;
    return this.finishCall(m, call, next.to, input.reason, { at: now, step: 'ENDED', summary });
  }

  /**
   * An external destination that answered hands the call back (returnCall): its attempt ends RETURNED (the
   * slot is released after commit, with no back-off: it answered), and the call waits again with its arrival
   * time kept, in `queueId` when given (leaving its call flow), else in the queue it was offered from; a call a
   * flow's ROUTE_TO_EXTERNAL_DESTINATION node dialled goes on by the node's Returned branch. The context the
   * destination adds is merged in; the returns are counted and bounded (MAX_CALL_RETURNS).
   */
  async returnCall(m: EntityManager, companyId: string, input: { attemptId: string; reason: string; context: readonly ContextEntry[]; queueId: string | null }, now: number): Promise<Closure & { queue: Queue | null }> {
    const attempt = await findOwned(m, CallAttempt, companyId, input.attemptId, { what: 'Attempt', field: 'input.attemptId', lock: 'write' });
    if (attempt.targetKind !== 'DESTINATION') throw errors.conflict('Only an external destination hands a call back; an agent\'s call is not returned', { field: 'input.attemptId' });
    const next = transition(ATTEMPT_STATE, attempt.state, 'RETURN');
    if (!next.ok) {
      const why = attempt.state === 'RINGING' ? 'The attempt was not answered: report its outcome instead' : `The attempt already ended (${attempt.state})`;
      throw errors.conflict(why, { field: 'input.attemptId', state: attempt.state });
    }
    const call = await findOwned(m, Call, companyId, attempt.callId, { what: 'Call', lock: 'write' });
    if (call.returnCount >= MAX_CALL_RETURNS) {
      throw errors.conflict(`The call was handed back ${call.returnCount} times already, the most allowed: it stays with the destination`, { field: 'input.attemptId', returnCount: call.returnCount });
    }
    const state = callTransition(call, 'returned');
    const destinationId = attempt.destinationId!;
    // Where it goes: the queue named, the queue it was offered from, or on from the flow node that dialled it.
    const named = input.queueId === null ? null : await findOwned(m, Queue, companyId, input.queueId, { what: 'Queue', field: 'input.queueId', lock: 'read' });
    const queue = named ?? (call.queueId === null ? null : await m.getRepository(Queue).findOneBy({ id: call.queueId }));
    if (queue === null && call.flowVersionId === null) {
      throw errors.conflict('The queue the call came from no longer exists: name the queue it goes to (queueId)', { field: 'input.queueId' });
    }
    const leavesFlow = named !== null && named.id !== call.queueId;
    attempt.state = next.to;
    attempt.endedAt = new Date(now);
    attempt.returnReason = input.reason;
    await m.getRepository(CallAttempt).update({ id: attempt.id }, { state: attempt.state, endedAt: attempt.endedAt, returnReason: input.reason });
    touchAttempt(m, attempt);
    await updateCall(m, call, {
      state, returnCount: call.returnCount + 1, returnReason: input.reason, returnedAt: new Date(now),
      context: withContext(call.context ?? [], input.context),
      // Its retry interval keeps the destination that handed it back from taking it again at once.
      lastOfferEndedAt: { ...call.lastOfferEndedAt, [destinationId]: now },
      ...(leavesFlow ? { queueId: named.id, flowVersionId: null, flowNodeId: null, eligiblePriorities: [] } : {}),
    });
    const arrived = new Date(call.enqueuedAt).toISOString().slice(11, 19);
    const where = queue !== null
      ? `; it waits in queue "${queue.name}" again, keeping its place (arrived ${arrived} UTC)${call.returnCount > 1 ? `; handed back ${call.returnCount} times of at most ${MAX_CALL_RETURNS}` : ''}${leavesFlow ? ', and leaves its call flow' : ''}${queue.returnedCallsToExternal ? '' : ', for regular agents only'}`
      : '; the call flow goes on by the node\'s Returned branch';
    await trace(m, call, {
      at: now, step: 'RETURNED', summary: `the external destination handed the call back (${input.reason})${where}`,
      chosen: { kind: 'DESTINATION', id: destinationId, priority: null, detail: 'handed the call back' },
    });
    const flowEvent: FlowEvent | null = queue === null ? { kind: 'EXTERNAL_ENDED', branch: 'Returned' } : null;
    const destination = await m.getRepository(ExternalDestination).findOne({ where: { id: destinationId }, select: { id: true, retryIntervalSec: true } });
    return { call, closed: [{ attempt, outcome: 'RETURNED', callRetrySec: destination?.retryIntervalSec ?? 0 }], flowEvent, queue };
  }

  /**
   * Closes the call's open attempts (ringing ones are cancelled, connected ones completed) and moves the call
   * to its final state, with a trace entry; the effects outside the database are left to `settle`.
   */
  async finishCall(m: EntityManager, call: Call, state: Call['state'], reason: CallEndReason, entry: TraceInput): Promise<Closure> {
    const now = entry.at;
    const closed = await this.closeOpenAttempts(m, call, now);
    call.state = state;
    await updateCall(m, call, { state, endReason: reason, endedAt: new Date(now) });
    await trace(m, call, entry);
    return { call, closed };
  }

  /** Cancels the call's ringing attempts and completes its connected one. */
  async closeOpenAttempts(m: EntityManager, call: Call, now: number): Promise<ClosedAttempt[]> {
    const open = await m.getRepository(CallAttempt).find({ where: { callId: call.id, state: In([...OPEN_ATTEMPT]) } });
    const closed: ClosedAttempt[] = [];
    for (const attempt of open) {
      const event = attempt.state === 'RINGING' ? 'CANCEL' : 'CALL_ENDED';
      const next = transition(ATTEMPT_STATE, attempt.state, event);
      if (!next.ok) continue;
      attempt.state = next.to;
      attempt.endedAt = new Date(now);
      if (event === 'CANCEL') attempt.outcome = 'CANCELLED';
      // An agent who talked gets the queue's wrap-up (read here, once); statistics read it from the attempt.
      if (event === 'CALL_ENDED' && attempt.targetKind === 'AGENT') {
        const queue = call.queueId === null ? null : await m.getRepository(Queue).findOneBy({ id: call.queueId });
        attempt.wrapUpSec = queue?.wrapUpSec ?? 0;
      }
      await m.getRepository(CallAttempt).update({ id: attempt.id }, { state: attempt.state, outcome: attempt.outcome, endedAt: attempt.endedAt, wrapUpSec: attempt.wrapUpSec ?? null });
      touchAttempt(m, attempt);
      closed.push({ attempt, outcome: event === 'CANCEL' ? 'CANCELLED' : 'COMPLETED' });
    }
    return closed;
  }

  // ---------------------------------------------------------------- timers

  /** The queue's maximum wait passed: the call leaves the queue (FAILED, the connector disconnects it), or a flow call takes the queue node's Timeout branch. */
  async timeOut(companyId: string, callId: string): Promise<void> {
    const { dataSource } = this.ctx;
    const now = this.ctx.time.now();
    const call = await dataSource.getRepository(Call).findOneBy({ id: callId, companyId });
    if (call === null || !transition(CALL_STATE, call.state, 'timedOut').ok || call.queueId === null) return;
    const queue = await dataSource.getRepository(Queue).findOneBy({ id: call.queueId });
    const waited = `waited the queue's maximum of ${queue?.maxWaitSec ?? 0} s`;
    if (call.flowVersionId !== null) {
      // A flow call leaves the queue by the node's Timeout branch: ringing attempts are cancelled, the flow goes on.
      const closed = await withCall(dataSource, call, async (m) => {
        if (!transition(CALL_STATE, call.state, 'timedOut').ok) return null;
        const cancelled = await this.closeOpenAttempts(m, call, now);
        await updateCall(m, call, { state: 'QUEUED', queueId: null });
        await trace(m, call, { at: now, step: 'MAX_WAIT', summary: `${waited}: the call leaves the queue by its Timeout branch` });
        return cancelled;
      });
      if (closed === null) return;
      this.notes.forget(call.id);
      this.effects.announce(companyId, { queues: [queue?.id ?? null] });
      await this.settle(companyId, { call, closed, flowEvent: { kind: 'QUEUE_ENDED', branch: 'Timeout' } }, now);
      return;
    }
    const result = await withCall(dataSource, call, async (m) => {
      const next = transition(CALL_STATE, call.state, 'timedOut');
      return next.ok ? this.finishCall(m, call, next.to, 'MAX_WAIT', { at: now, step: 'MAX_WAIT', summary: `${waited}: the call left the queue` }) : null;
    });
    if (result === null) return;
    await this.settle(companyId, result, now);
    this.effects.instruct(companyId, { kind: 'DISCONNECT', callId, message: 'maximum wait reached', endReason: 'MAX_WAIT' });
  }

  // ---------------------------------------------------------------- after commit

  /**
   * The live effects of what a committed change closed: ring timers removed, ringing attempts cancelled at the
   * connector, slots released, agents moved on, back-off and suspension; then the events: each attempt that
   * ended, what became usable and when, that all of it is told, and where a flow call goes on.
   */
  async settle(companyId: string, closure: Closure, now: number): Promise<void> {
    const { call, closed } = closure;
    const freed: Freed = new Map();
    const free = (at: number, kind: 'agentIds' | 'destinationIds', id: string) => {
      const entry = freed.get(at) ?? { agentIds: new Set<string>(), destinationIds: new Set<string>() };
      entry[kind].add(id);
      freed.set(at, entry);
    };
    for (const one of closed) {
      this.ctx.meter.attemptOutcome(one.attempt.targetKind, one.outcome);
      await this.timers.remove(timerId.ring(one.attempt.id));
      if (one.outcome === 'CANCELLED') this.effects.instruct(companyId, { kind: 'CANCEL_ATTEMPT', callId: call.id, attemptId: one.attempt.id });
      if (one.attempt.targetKind === 'DESTINATION') await this.destinationEffects(companyId, one, now, free);
      else await this.agentEffects(companyId, call, one, now, free);
    }
    this.effects.announce(companyId, { destinations: closed.map((c) => c.attempt.destinationId), queues: [call.queueId] });
    if (call.state !== 'QUEUED' && call.state !== 'OFFERING' && call.state !== 'CONNECTED') {
      await this.timers.remove(timerId.wait(call.id));
      this.notes.forget(call.id);
    }
    if (closure.ringTimedOut) {
      for (const one of closed) this.effects.instruct(companyId, { kind: 'CANCEL_ATTEMPT', callId: call.id, attemptId: one.attempt.id });
    }
    for (const one of closed) {
      if (one.outcome !== 'ANSWERED') await this.events.emit('attemptEnded', { companyId, call, attempt: one.attempt, outcome: one.outcome });
    }
    for (const [at, ids] of [...freed].sort((a, b) => a[0] - b[0])) {
      await this.events.emit('resourcesFreed', { companyId, agentIds: [...ids.agentIds], destinationIds: [...ids.destinationIds], at });
    }
    await this.events.emit('settled', { companyId, call });
    if (closure.flowEvent) await this.events.emit('flowBranch', { call, event: closure.flowEvent });
  }

  /** Whether the attempt is still connected in the system of record (the fence of late effects). */
  private async stillConnected(attemptId: string): Promise<boolean> {
    const row = await this.ctx.dataSource.getRepository(CallAttempt).findOne({ where: { id: attemptId }, select: { id: true, state: true } });
    return row?.state === 'CONNECTED';
  }

  private async destinationEffects(companyId: string, closed: ClosedAttempt, now: number, free: (at: number, kind: 'destinationIds', id: string) => void): Promise<void> {
    const { attempt, outcome } = closed;
    const destinationId = attempt.destinationId!;
    // The pool the attempt took its slot in, whatever the destination's pool is now.
    const ref = { companyId, destinationId, poolId: attempt.poolId ?? null };
    const { capacity, health } = this.ctx.live;
    if (outcome === 'ANSWERED') {
      // A connected call is counted even if its lease lapsed meanwhile: the slot is truly in use. Fenced by the
      // system of record: a lease that is missing because the call already ended (its end, committed before its
      // slot was released, came through another instance while this effect was late) is not taken again.
      if (!(await capacity.markAnswered(ref, attempt.id)) && (await this.stillConnected(attempt.id))) {
        await capacity.acquire(ref, attempt.id, null);
        await capacity.markAnswered(ref, attempt.id);
      }
      await health.recordAnswer(companyId, destinationId);
      return;
    }
    // Cancelled, completed or handed back: the slot is free, with no back-off; the call it handed back may go
    // to it again after its retry interval.
    if (outcome === 'CANCELLED' || outcome === 'COMPLETED' || outcome === 'RETURNED' || !closed.destination) {
      await capacity.release(ref, attempt.id);
      free(now, 'destinationIds', destinationId);
      if ((closed.callRetrySec ?? 0) > 0) free(now + closed.callRetrySec! * 1000, 'destinationIds', destinationId);
      return;
    }
    const { row, effect } = closed.destination;
    // Back-off first: it is recorded before the slot is released, and acquiring a slot refuses a destination
    // backed off, so no dial can take the freed slot between the two.
    const after = await health.recordFailure(companyId, destinationId, effect.backedOffUntil);
    await capacity.release(ref, attempt.id);
    const suspends = reachesSuspension(after.consecutiveFailures, row.maxConsecutiveFailures) && row.suspendedAt === null;
    if (suspends || (after.backedOffUntil !== null && after.backedOffUntil > now)) await this.events.emit('destinationHeld', { companyId, row });
    if (suspends) {
      await inTransaction(this.ctx.dataSource, async (m, tx) => {
        // The change begins first: every change of a company's configuration locks the company before its rows.
        (await this.changes.begin(m, tx, companyId)).add('destination', destinationId);
        await m.createQueryBuilder().update(ExternalDestination)
          .set({ suspendedAt: new Date(now), version: () => '"version"', updatedAt: () => '"updatedAt"' } as never)
          .where('id = :id AND "suspendedAt" IS NULL', { id: destinationId }).execute();
      });
      return;
    }
    // Usable again by other calls when its back-off ends (at once when none runs), and by this call after its retry interval.
    free(after.backedOffUntil !== null && after.backedOffUntil > now ? after.backedOffUntil : now, 'destinationIds', destinationId);
    const retryAt = now + row.retryIntervalSec * 1000;
    if (retryAt > now) free(retryAt, 'destinationIds', destinationId);
  }

  private async agentEffects(companyId: string, call: Call, closed: ClosedAttempt, now: number, free: (at: number, kind: 'agentIds', id: string) => void): Promise<void> {
    const { attempt, outcome } = closed;
    const agentId = attempt.agentId!;
    if (outcome === 'ANSWERED') {
      await this.effects.agent(companyId, agentId, { activity: ['RINGING'], callId: call.id }, { activity: 'ON_CALL' });
      return;
    }
    if (outcome === 'COMPLETED') {
      const until = now + (attempt.wrapUpSec ?? 0) * 1000;
      // RINGING too: the answer's own effect (ON_CALL) may still be on its way from a slow instance; the end moves
      // the agent on anyway, and that late effect then finds the agent no longer ringing for this call.
      await this.effects.agent(companyId, agentId, { activity: ['ON_CALL', 'RINGING'], callId: call.id }, { activity: 'WRAP_UP', callId: null, wrapUpUntil: until, idleSince: until });
      free(until, 'agentIds', agentId);
      return;
    }
    // A missed ring (busy, no answer, rejected, failed) holds the agent back for the queue's agentRetrySec;
    // a cancelled one (the caller left) does not.
    const retryMs = outcome === 'CANCELLED' ? 0 : (closed.agentRetrySec ?? 0) * 1000;
    await this.effects.agent(companyId, agentId, { activity: ['RINGING', 'RESERVED'], callId: call.id }, { activity: 'IDLE', callId: null, notBefore: retryMs > 0 ? now + retryMs : null });
    free(now + retryMs, 'agentIds', agentId);
  }
}

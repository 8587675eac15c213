import { randomUUID } from 'node:crypto';
import { CallAttempt, CallTraceEntry, type Call } from '../entities/call.entity';
import type { ExternalDestination } from '../entities/external-destination.entity';
import { resolveDialledNumber, type DestinationNumber } from '../routing/phone-number';
import type { ContextEntry } from '../routing/vocabulary';
import { handOff } from './call-context';
import { inSpan } from '../platform/tracing';
import { CALL_STATE, transition, type AgentActivity } from '../routing/state-machine';
import type { TraceRef } from '../routing/trace-words';
import type { AgentLive } from '../store/agent-state-store';
import { touchAttempt } from '../store/stat-buckets';
import { ifUnchanged, trace, updateCall, type WaitingNotes } from './call-records';
import type { Effects } from './effects';
import { timerId, type Timers } from './timers';
import type { EngineContext, TraceInput } from './types';

/** What a call is offered to: a regular agent (rung for the queue's ring time) or an external destination. */
export type OfferTarget =
  | { kind: 'AGENT'; agentId: string; ringTimeoutSec: number; /** The agent's activity before it was reserved, put back if the call moved on. */ restore: AgentActivity }
  | {
    kind: 'DESTINATION'; destination: ExternalDestination; /** The queue's group it was chosen from (its distribution counts the offer); null from a flow node. */ groupId?: string | null;
    /** The destination's capacity pool: a slot of it is taken with the destination's (decision 038). */ pool?: { readonly id: string; readonly maxSimultaneousCalls: number } | null;
  };

/** How the call's record explains the offer. */
export interface OfferRecord {
  /** The entry written with the attempt: the routing decision, or the flow node's words. */
  entry: TraceInput;
  /** Written before the NUMBER_FAILED entry when the destination's number cannot be built for the call. */
  beforeNumberFailure: TraceInput[];
  /** Other changes of the call written with the attempt (eligibility, which is sticky). */
  change?: Partial<Call>;
}

export type OfferResult =
  /** The attempt is committed, its ring timer set and the connector told; `agent` is the agent's state now. */
  | { kind: 'OFFERED'; attemptId: string; agent: AgentLive | null }
  /** The agent was no longer free or the destination had no slot left: nothing was written. */
  | { kind: 'CLAIM_LOST' }
  /** The destination's number cannot be built for this call: a FAILED attempt is written, without dialling, a slot or a back-off. */
  | { kind: 'NUMBER_FAILED' }
  /** Another change of the call committed first: the resource was given back and nothing was written. */
  | { kind: 'CALL_MOVED' };

/**
 * The one way a call is offered, from a queue or from a flow node alike: claim the resource atomically (an
 * agent's reservation by compare-and-set, a destination's slot by a lease), commit the attempt with its
 * trace entry as a compare-and-set on the call (the claim is undone when that loses), set the ring timer,
 * instruct the connector, announce.
 */
export class Offers {
  constructor(
    private readonly ctx: EngineContext,
    private readonly effects: Effects,
    private readonly timers: Timers,
    private readonly notes: WaitingNotes,
  ) {}

  offer(call: Call, target: OfferTarget, record: OfferRecord, now: number): Promise<OfferResult> {
    const resourceId = target.kind === 'AGENT' ? target.agentId : target.destination.id;
    return inSpan('routing.offer', { 'call.id': call.id, 'routing.target': target.kind, 'routing.resource.id': resourceId }, async (span) => {
      // Nothing is claimed on a live state that may have come back empty: its rebuild from the system of record
      // comes first (bounded: refused SERVICE_UNAVAILABLE, retryable, past REBUILD_WAIT_MS; decision 022).
      await this.ctx.live.ready();
      const result = target.kind === 'AGENT' ? await this.offerToAgent(call, target, record, now) : await this.offerToDestination(call, target.destination, record, now, target.groupId ?? null, target.pool ?? null);
      span.setAttribute('routing.offer.result', result.kind);
      this.ctx.meter.offer(target.kind, result.kind);
      return result;
    });
  }

  private async offerToAgent(call: Call, target: Extract<OfferTarget, { kind: 'AGENT' }>, record: OfferRecord, now: number): Promise<OfferResult> {
    const { companyId } = call;
    const { agentId, ringTimeoutSec } = target;
    const reserved = await this.effects.agent(companyId, agentId, { status: 'AVAILABLE', activity: ['IDLE', 'WRAP_UP'], callId: null }, { activity: 'RESERVED', callId: call.id });
    if (reserved === null) return { kind: 'CLAIM_LOST' };
    const attemptId = randomUUID();
    if (!(await this.commit(call, record, { id: attemptId, targetKind: 'AGENT', agentId, ringTimeoutSec }, now))) {
      await this.effects.agent(companyId, agentId, { activity: ['RESERVED'], callId: call.id }, { activity: target.restore, callId: null });
      return { kind: 'CALL_MOVED' };
    }
    const ringing = await this.effects.agent(companyId, agentId, { activity: ['RESERVED'], callId: call.id }, { activity: 'RINGING' });
    await this.timers.schedule(timerId.ring(attemptId), ringTimeoutSec * 1000, { t: 'ring', companyId, attemptId });
    this.effects.instruct(companyId, { kind: 'RING_AGENT', callId: call.id, attemptId, agentId, ringTimeoutSec, context: await this.handOff(call, now) });
    this.effects.announce(companyId, { queues: [call.queueId] });
    return { kind: 'OFFERED', attemptId, agent: ringing ?? reserved };
  }

  private async offerToDestination(
    call: Call, destination: ExternalDestination, record: OfferRecord, now: number, groupId: string | null, pool: { readonly id: string; readonly maxSimultaneousCalls: number } | null,
  ): Promise<OfferResult> {
    const { companyId } = call;
    const number = resolveDialledNumber(destination as unknown as DestinationNumber, call.serviceNumber ?? '');
    if (!number.ok) {
      // The destination is not at fault for one call's number: the attempt fails without dialling or taking a
      // slot, and without a back-off; the call waits the destination's retry interval for it.
      return (await this.commitFailedNumber(call, record, destination, number.reason, now)) ? { kind: 'NUMBER_FAILED' } : { kind: 'CALL_MOVED' };
    }
    const attemptId = randomUUID();
    const ref = { companyId, destinationId: destination.id, poolId: pool?.id ?? null };
    // Refused while the destination is backed off past the decision's instant, atomically with the count (and the
    // pool's): a back-off recorded since the decision read the destination (an outcome elsewhere) is never dialled through.
    const taken = await this.ctx.live.capacity.acquire(ref, attemptId, destination.maxSimultaneousCalls, { notBackedOffAt: now, fenced: true, poolMax: pool?.maxSimultaneousCalls });
    if (!taken) return { kind: 'CLAIM_LOST' };
    const ringTimeoutSec = destination.outdialTimeoutSec;
    if (!(await this.commit(call, record, { id: attemptId, targetKind: 'DESTINATION', destinationId: destination.id, groupId, number: number.e164, ringTimeoutSec, poolId: pool?.id ?? null }, now))) {
      await this.ctx.live.capacity.release(ref, attemptId);
      return { kind: 'CALL_MOVED' };
    }
    await this.timers.schedule(timerId.ring(attemptId), ringTimeoutSec * 1000, { t: 'ring', companyId, attemptId });
    this.effects.instruct(companyId, { kind: 'DIAL_EXTERNAL', callId: call.id, attemptId, destinationId: destination.id, number: number.e164, ringTimeoutSec, context: await this.handOff(call, now) });
    this.effects.announce(companyId, { destinations: [destination.id], queues: [call.queueId] });
    return { kind: 'OFFERED', attemptId, agent: null };
  }

  /** What travels with the call to whoever is offered it: its context and the gateway's facts (attempts counted with this one). */
  private async handOff(call: Call, now: number): Promise<ContextEntry[]> {
    const { dataSource } = this.ctx;
    const [attempts, walked] = await Promise.all([
      dataSource.getRepository(CallAttempt).countBy({ callId: call.id }),
      call.flowVersionId === null ? [] : dataSource.getRepository(CallTraceEntry).find({
        where: { callId: call.id, step: 'FLOW' }, order: { seq: 'ASC' }, select: { id: true, seq: true, facts: true },
      }),
    ]);
    const path = walked.flatMap((e) => (e.facts?.node?.arrived ? [e.facts.node.id] : []));
    return handOff(call, attempts, now, path);
  }

  /** The call moves to OFFERING with its new attempt and the entry in its trace, or nothing happens (it changed meanwhile). */
  private async commit(call: Call, record: OfferRecord, attempt: Partial<CallAttempt> & { id: string; ringTimeoutSec: number }, now: number): Promise<boolean> {
    const offered = transition(CALL_STATE, call.state, 'offer');
    if (!offered.ok) return false;
    const committed = await ifUnchanged(this.ctx.dataSource, async (m) => {
      await updateCall(m, call, { ...record.change, state: offered.to });
      const row = {
        agentId: null, destinationId: null, groupId: null, number: null, ...attempt,
        companyId: call.companyId, callId: call.id, state: 'RINGING' as const, outcome: null, startedAt: new Date(now), answeredAt: null, endedAt: null,
      };
      await m.getRepository(CallAttempt).insert(row);
      touchAttempt(m, row);
      await trace(m, call, record.entry);
    });
    if (committed) this.notes.forget(call.id);
    return committed;
  }

  /** A destination number that could not be built for this call: a FAILED attempt without dialling, a slot or a back-off. */
  private commitFailedNumber(call: Call, record: OfferRecord, destination: ExternalDestination, reason: string, now: number): Promise<boolean> {
    return ifUnchanged(this.ctx.dataSource, async (m) => {
      const lastOfferEndedAt = { ...call.lastOfferEndedAt, [destination.id]: now };
      await updateCall(m, call, { ...record.change, lastOfferEndedAt });
      const row = {
        companyId: call.companyId, callId: call.id, targetKind: 'DESTINATION' as const, agentId: null, destinationId: destination.id, number: null,
        state: 'FAILED' as const, outcome: 'FAILED' as const, ringTimeoutSec: destination.outdialTimeoutSec, startedAt: new Date(now), answeredAt: null, endedAt: new Date(now),
      };
      await m.getRepository(CallAttempt).insert(row);
      touchAttempt(m, row);
      for (const entry of record.beforeNumberFailure) await trace(m, call, entry);
      // The reason may quote the destination's own prefix: only readers who may see the destination read it.
      const of: TraceRef = { kind: 'DESTINATION', id: destination.id };
      await trace(m, call, {
        at: now, step: 'NUMBER_FAILED',
        facts: { words: ['the number to dial for this call could not be built', { private: ` (${reason})`, of, otherwise: '' }, ': the attempt failed without dialling; the destination is not backed off'] },
        chosen: { kind: 'DESTINATION', id: destination.id, priority: null, detail: 'failed' },
      });
    });
  }
}

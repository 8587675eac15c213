import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { In, type DataSource, type EntityManager } from 'typeorm';
import { CallFlowVersion } from '../entities/call-flow.entity';
import { Call, CallAttempt, CallTraceEntry, TelephonyEvent, type CallEndReason } from '../entities/call.entity';
import { HolidayList, TimeRange } from '../entities/schedule.entity';
import { arrivalsOf, startFlow, stepFlow, type ExternalOutcome, type FlowContext, type FlowEvent, type FlowGraph, type FlowPosition, type FlowStep, type QueueOutcome } from '../routing/call-flow';
import { plainTrace, wordsNaming, type TraceFacts, type TracePart, type TraceRef } from '../routing/trace-words';
import { evaluateHolidays, evaluateTimeRange } from '../routing/schedule';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue, QueueGroup } from '../entities/queue.entity';
import { errors } from '../errors';
import type { TelephonyInstructionEvent } from '../realtime/event-bus';
import type { ModelChanges } from '../live/model-changes';
import type { InstructionDelivery } from './instruction-delivery';
import { applyOutcome, reachesSuspension } from '../routing/destination-state';
import { callerIdentity, resolveDialledNumber, type CallerIdentity, type DestinationNumber } from '../routing/phone-number';
import { admitToQueue, waitDeadline } from '../routing/queue-caps';
import { FreeAgentIndex } from '../routing/agent-index';
import { destinationAvailability, routeCall } from '../routing/route-call';
import { ATTEMPT_STATE, CALL_STATE, transition, type AttemptOutcome, type CallEvent } from '../routing/state-machine';
import type { AgentSnapshot, DestinationSnapshot, QueueSnapshot, RoutingDecision, WaitingCall } from '../routing/types';
import type { AgentChange, AgentExpectation, AgentLive } from '../store/agent-state-store';
import type { LiveState } from '../store/live-state';
import { findOwned, inTransaction, isConcurrentChange } from '../store/persistence';
import { destinationSnapshot } from './destination-snapshot';
import { InputChecker } from './input-checker';
import { SerialLines } from './serial-lines';

export interface EnqueueCallFields {
  connectorCallId: string;
  queueId: string;
  callerNumber?: string | null;
  serviceNumber?: string | null;
  priority?: number | null;
}

export interface AttemptOutcomeFields {
  eventId: string;
  attemptId: string;
  outcome: AttemptOutcome;
}

export interface EndCallFields {
  eventId: string;
  callId: string;
  reason: 'COMPLETED' | 'CALLER_HUNG_UP';
}

export interface StartCallFields {
  connectorCallId: string;
  serviceNumber: string;
  callerNumber?: string | null;
}

/** Where the router announces live changes (subscriptions of dashboards). */
export interface LivePublisher {
  destinationChanged(companyId: string, destinationId: string): Promise<void>;
  agentChanged(companyId: string, agentId: string, live: AgentLive): void;
  queueChanged(companyId: string, queueId: string): Promise<void>;
}

/** What the router needs of call flows: the published version a service number enters. */
export interface PublishedFlows {
  publishedFor(companyId: string, serviceNumber: string): Promise<CallFlowVersion | null>;
}

export interface CallRouterOptions {
  logger: Logger;
  /** The clock (ms since the epoch); injectable for tests. */
  clock?: () => number;
  /** How often due timers are claimed (ms). */
  tickMs?: number;
  /** How often every queue with waiting calls is routed again (ms): time-based overflow, wrap-up ends. */
  sweepMs?: number;
  /** How often slot leases of attempts still in progress are renewed (ms); well under the lease time. */
  renewMs?: number;
  /** The most times one call may arrive at one flow node (MAX_NODE_VISITS when left out). */
  maxNodeVisits?: number;
}

type TimerPayload =
  | { t: 'ring'; companyId: string; attemptId: string }
  | { t: 'wait'; companyId: string; callId: string }
  | { t: 'pump'; companyId: string; queueId: string }
  /** A WAIT node's pause is over: the call goes on if it is still where it was (same node, same revision). */
  | { t: 'flow'; companyId: string; callId: string; nodeId: string; revision: number };

/** Everything one pass over a queue needs, loaded once per pass and kept current as the pass claims resources. */
interface QueueView {
  queue: Queue;
  snapshot: QueueSnapshot;
  agents: Map<string, AgentSnapshot>;
  /** The same agents indexed by group and idle time: each decision of the pass costs O(log n), not O(n). */
  agentIndex: FreeAgentIndex;
  groupsOfAgent: Map<string, string[]>;
  destinations: Map<string, DestinationSnapshot>;
  configs: Map<string, ExternalDestination>;
}

/** What a committed event changed, for the effects outside the database that follow it. */
interface Closed {
  attempt: CallAttempt;
  outcome: AttemptOutcome | 'CANCELLED' | 'COMPLETED';
}

const OPEN_ATTEMPT = ['RINGING', 'CONNECTED'] as const;
const WAITING_STATES = ['QUEUED', 'OFFERING'] as const;
const MAX_TRIES_PER_CALL = 4;
const CALLS_PER_PASS = 500;
const MAX_FLOW_HOPS = 50;
/** How long past its ring time an attempt may still ring before the database sweep times it out (timers fire first). */
const OVERDUE_GRACE_SEC = 5;

/** The RouteToExternalDestination branch an unanswered outcome takes (busy backs the destination off as usual). */
const FLOW_BRANCH_OF_OUTCOME: Record<Exclude<AttemptOutcome, 'ANSWERED'>, ExternalOutcome> = {
  BUSY: 'Busy', NO_ANSWER: 'Timeout', REJECTED: 'Failure', FAILED: 'Failure',
};

const words = (outcome: string) => outcome.toLowerCase().replace('_', ' ');

/**
 * The routing engine's orchestration: load (store) -> decide (routing core) -> commit atomically (store) ->
 * instruct (event bus). Every change of a call is a compare-and-set on its row and is written with its trace
 * entry in one transaction; effects on live state (agent reservations, destination slots, back-off) follow
 * the commit and are themselves atomic, so any number of instances may route the same queue.
 */
export class CallRouter {
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly passes: SerialLines;
  /** Per call: what its last "still waiting" trace entry said, so a sweep does not repeat it every second. */
  private readonly lastWaiting = new Map<string, string>();
  private readonly loops: NodeJS.Timeout[] = [];
  private stopped = false;
  private ticking = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly live: LiveState,
    private readonly instructions: Pick<InstructionDelivery, 'send'>,
    private readonly changes: ModelChanges,
    private readonly flows: PublishedFlows,
    private readonly updates: LivePublisher,
    private readonly options: CallRouterOptions,
  ) {
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger;
    this.passes = new SerialLines((err) => this.logger.error({ err }, 'routing a queue failed'));
  }

  /** Starts the timer loop, the sweep and lease renewal. */
  start(): void {
    const every = (ms: number, work: () => Promise<void>) => {
      const timer = setInterval(() => {
        if (!this.stopped) work().catch((err) => this.logger.error({ err }, 'routing loop failed'));
      }, ms);
      timer.unref();
      this.loops.push(timer);
    };
    every(this.options.tickMs ?? 50, () => this.fireDueTimers());
    every(this.options.sweepMs ?? 1_000, () => this.sweep());
    every((this.options.sweepMs ?? 1_000) * 5, () => this.expireOverdueAttempts());
    every(this.options.renewMs ?? 20_000, () => this.renewLeases());
  }

  /** Stops the loops and waits for passes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.loops) clearInterval(timer);
    await this.passes.idle();
  }

  // ---------------------------------------------------------------- connector API

  /**
   * Puts a call straight into a queue (idempotent by the connector's call id) and routes it at once. A full
   * queue refuses it: the call is recorded as FAILED with the reason and the connector is told to disconnect.
   */
  async enqueue(companyId: string, input: EnqueueCallFields): Promise<Call> {
    const c = new InputChecker();
    const connectorCallId = c.name('connectorCallId', input.connectorCallId, 200);
    const serviceNumber = c.optionalPhoneNumber('serviceNumber', input.serviceNumber);
    const priority = c.int('priority', input.priority, { min: 0, max: 1000, default: 0 });
    c.done();
    const { callerId, callerE164 } = this.callerOf(connectorCallId, input.callerNumber, serviceNumber);
    const now = this.clock();
    const attempt = () =>
      inTransaction(this.dataSource, async (m) => {
        const existing = await m.getRepository(Call).findOneBy({ companyId, connectorCallId });
        if (existing !== null) {
          if (existing.queueId !== input.queueId) throw errors.conflict('This connectorCallId is already a call in another queue', { field: 'input.connectorCallId' });
          return { call: existing, created: false, queue: null as Queue | null };
        }
        const queue = await findOwned(m, Queue, companyId, input.queueId, { what: 'Queue', field: 'input.queueId', lock: 'read' });
        const waiting = await m.getRepository(Call).countBy({ companyId, queueId: queue.id, state: In([...WAITING_STATES]) });
        const admission = admitToQueue({ waitingCalls: waiting, maxQueueLength: queue.maxQueueLength });
        const call = await m.getRepository(Call).save(
          m.create(Call, {
            companyId, connectorCallId, queueId: queue.id, callerId, callerE164, serviceNumber, priority,
            state: admission.admitted ? 'QUEUED' : 'FAILED',
            endReason: admission.admitted ? null : 'QUEUE_FULL',
            enqueuedAt: new Date(now),
            endedAt: admission.admitted ? null : new Date(now),
            eligiblePriorities: [], lastOfferEndedAt: {}, revision: 0,
          }),
        );
        const summary = admission.admitted
          ? `entered queue "${queue.name}" with ${waiting} other call${waiting === 1 ? '' : 's'} waiting or ringing`
          : `${admission.detail}: the call was refused`;
        await this.trace(m, call, { at: now, step: admission.admitted ? 'ENQUEUED' : 'REFUSED', summary });
        return { call, created: true, queue };
      });
    let result: Awaited<ReturnType<typeof attempt>>;
    try {
      result = await attempt();
    } catch (error) {
      // The same connectorCallId sent twice at the same moment: the loser reads what the winner created.
      if (!isConcurrentChange(error)) throw error;
      result = await attempt();
    }
    const { call } = result;
    if (result.created && call.state === 'FAILED') {
      this.instruct(companyId, { kind: 'DISCONNECT', callId: call.id, message: 'queue full' });
    } else if (result.created && result.queue !== null) {
      const deadline = waitDeadline(result.queue, now);
      if (deadline !== null) await this.schedule(`wait:${call.id}`, deadline - now, { t: 'wait', companyId, callId: call.id });
      await this.pump(companyId, call.queueId!);
    }
    if (result.created) this.announce(companyId, { queues: [call.queueId] });
    return this.dataSource.getRepository(Call).findOneByOrFail({ id: call.id });
  }

  /**
   * Applies an attempt's outcome once per event id: a repeated event changes nothing and returns the same
   * attempt; an attempt that already ended answers CONFLICT. `internal` marks the gateway's own ring timeout.
   */
  async reportOutcome(companyId: string, input: AttemptOutcomeFields): Promise<CallAttempt> {
    const c = new InputChecker();
    const eventId = c.name('eventId', input.eventId, 200);
    c.done();
    const now = this.clock();
    const fingerprint = `OUTCOME:${input.attemptId}:${input.outcome}`;
    const applied = await this.once(companyId, eventId, fingerprint, now, async (m) => {
      const attempt = await findOwned(m, CallAttempt, companyId, input.attemptId, { what: 'Attempt', field: 'input.attemptId', lock: 'write' });
      const next = transition(ATTEMPT_STATE, attempt.state, input.outcome);
      if (!next.ok) throw errors.conflict(`The attempt already ended (${attempt.state})`, { field: 'input.attemptId', state: attempt.state });
      const call = await findOwned(m, Call, companyId, attempt.callId, { what: 'Call', lock: 'write' });
      const target = attempt.targetKind === 'AGENT' ? 'agent' : 'external destination';
      attempt.state = next.to;
      attempt.outcome = input.outcome;
      let effect = '';
      if (input.outcome === 'ANSWERED') {
        attempt.answeredAt = new Date(now);
        call.answeredAt = new Date(now);
        call.state = this.callTransition(call, 'answered');
      } else {
        attempt.endedAt = new Date(now);
        call.state = this.callTransition(call, 'attemptEnded');
        if (attempt.destinationId !== null) {
          call.lastOfferEndedAt = { ...call.lastOfferEndedAt, [attempt.destinationId]: now };
          const destination = await m.getRepository(ExternalDestination).findOneBy({ id: attempt.destinationId });
          if (destination) {
            const [health] = (await this.live.health.getMany(companyId, [destination.id])).values();
            effect = `; ${applyOutcome({ ...health!, suspended: destination.suspendedAt !== null }, destination, input.outcome, now).detail}`;
            // The back-off this outcome starts, kept with the attempt: statistics count time backed off from it.
            const own = applyOutcome({ backedOffUntil: null, consecutiveFailures: 0, suspended: false }, destination, input.outcome, now).backedOffUntil;
            attempt.backoffUntil = own === null ? null : new Date(own);
          }
        } else {
          const queue = call.queueId === null ? null : await m.getRepository(Queue).findOneBy({ id: call.queueId });
          if (queue) effect = `; the agent is offered calls again in ${queue.agentRetrySec} s`;
        }
      }
      await m.getRepository(CallAttempt).update({ id: attempt.id }, { state: attempt.state, outcome: attempt.outcome, answeredAt: attempt.answeredAt, endedAt: attempt.endedAt, backoffUntil: attempt.backoffUntil ?? null });
      await this.updateCall(m, call, { state: call.state, answeredAt: call.answeredAt, lastOfferEndedAt: call.lastOfferEndedAt });
      const step = eventId.startsWith('ring-timeout:') ? 'RING_TIMEOUT' : 'OUTCOME';
      const lead = step === 'RING_TIMEOUT' ? `no outcome within the ring time of ${attempt.ringTimeoutSec} s: counted as no answer` : `${target} ${input.outcome === 'ANSWERED' ? 'answered' : `did not take the call (${words(input.outcome)})`}`;
      await this.trace(m, call, {
        at: now, step,
        summary: `${lead}${effect}${call.state === 'QUEUED' && call.queueId !== null ? '; the call keeps its place in the queue' : ''}`,
        chosen: { kind: attempt.targetKind, id: (attempt.agentId ?? attempt.destinationId)!, priority: null, detail: words(input.outcome) },
      });
      return { call, closed: [{ attempt, outcome: input.outcome }] };
    });
    if (applied.effects) {
      const { call, closed } = applied.effects;
      await this.afterClosing(companyId, call, closed, now);
      if (eventId.startsWith('ring-timeout:')) this.instruct(companyId, { kind: 'CANCEL_ATTEMPT', callId: call.id, attemptId: input.attemptId });
      // A call a flow sent straight to a destination takes the node's branch for the outcome.
      if (call.flowVersionId !== null && call.queueId === null && input.outcome !== 'ANSWERED') {
        await this.continueFlow(call, { kind: 'EXTERNAL_ENDED', branch: FLOW_BRANCH_OF_OUTCOME[input.outcome] });
      }
    }
    return this.dataSource.getRepository(CallAttempt).findOneByOrFail({ id: input.attemptId });
  }

  /** Ends a call (completed, or the caller hung up), once per event id; attempts still ringing are cancelled. */
  async endCall(companyId: string, input: EndCallFields): Promise<Call> {
    const c = new InputChecker();
    const eventId = c.name('eventId', input.eventId, 200);
    c.done();
    const now = this.clock();
    const applied = await this.once(companyId, eventId, `END:${input.callId}:${input.reason}`, now, async (m) => {
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
    });
    if (applied.effects) await this.afterClosing(companyId, applied.effects.call, applied.effects.closed, now);
    return this.dataSource.getRepository(Call).findOneByOrFail({ id: input.callId });
  }

  /** Routes every queue of the company that has calls waiting (an agent became available, a destination resumed). */
  async pumpCompany(companyId: string): Promise<void> {
    await this.pumpWaiting(companyId);
  }

  /** Routes every queue (of one company, or of all) that has calls waiting. */
  private async pumpWaiting(companyId: string | null): Promise<void> {
    const qb = this.dataSource.getRepository(Call).createQueryBuilder('c')
      .select(['c.companyId AS "companyId"', 'c.queueId AS "queueId"']).distinct(true)
      .where('c.state = :state AND c.queueId IS NOT NULL', { state: 'QUEUED' });
    if (companyId !== null) qb.andWhere('c.companyId = :companyId', { companyId });
    const rows: Array<{ companyId: string; queueId: string }> = await qb.getRawMany();
    await Promise.all(rows.map((r) => this.pump(r.companyId, r.queueId)));
  }

  /**
   * Routes the waiting calls of one queue, in order (priority, then arrival). Passes over one queue run one
   * at a time in this instance. A request while a pass runs joins the one pass queued after it (or queues
   * it), so a caller waits for at most the running pass and the next, however busy the queue is.
   */
  pump(companyId: string, queueId: string): Promise<void> {
    return this.passes.run(`${companyId}/${queueId}`, async () => {
      if (!this.stopped) await this.routeQueue(companyId, queueId);
    });
  }

  // ---------------------------------------------------------------- routing a queue

  private async routeQueue(companyId: string, queueId: string): Promise<void> {
    const repo = this.dataSource.getRepository(Call);
    const waiting = { companyId, queueId, state: In([...WAITING_STATES]) };
    const queued = await repo.find({ where: { companyId, queueId, state: 'QUEUED' }, order: { priority: 'DESC', enqueuedAt: 'ASC', id: 'ASC' }, take: CALLS_PER_PASS });
    if (queued.length === 0) return;
    const [count, oldest] = await Promise.all([repo.countBy(waiting), repo.findOne({ where: waiting, order: { enqueuedAt: 'ASC' }, select: { id: true, enqueuedAt: true } })]);
    const view = await this.loadQueue(companyId, queueId, count, oldest?.enqueuedAt.getTime() ?? null);
    if (view === null) return;
    // Once a call finds nothing for reasons that are not its own (its retry intervals), no later call can
    // (it is eligible for no more groups): the rest only get their first "waiting" entry, not a decision each.
    let exhausted = false;
    for (const call of queued) {
      if (this.stopped) return;
      if (exhausted && this.lastWaiting.has(call.id)) continue;
      if ((await this.routeOne(companyId, view, call)) === 'WAITING') exhausted = true;
    }
    // A full page of calls each waiting for its own reasons: look further down the queue.
    if (queued.length === CALLS_PER_PASS) void this.pump(companyId, queueId).catch(() => undefined);
  }

  private async loadQueue(companyId: string, queueId: string, waitingCalls: number, oldestWaitingSince: number | null): Promise<QueueView | null> {
    const queue = await this.dataSource.getRepository(Queue).findOneBy({ id: queueId, companyId });
    if (queue === null) return null;
    const groups = await this.dataSource.getRepository(QueueGroup).find({ where: { queueId }, order: { priority: 'ASC' } });
    const groupIds = groups.map((g) => g.groupId);
    const members: Array<{ groupId: string; agentId: string }> = groupIds.length === 0 ? [] : await this.dataSource
      .createQueryBuilder().select(['ga."groupId" AS "groupId"', 'ga."agentId" AS "agentId"']).from('agent_group_agent', 'ga')
      .where('ga."groupId" IN (:...groupIds)', { groupIds }).getRawMany();
    const links: Array<{ groupId: string; destinationId: string }> = groupIds.length === 0 ? [] : await this.dataSource
      .createQueryBuilder().select(['gd."groupId" AS "groupId"', 'gd."destinationId" AS "destinationId"']).from('agent_group_destination', 'gd')
      .where('gd."groupId" IN (:...groupIds)', { groupIds }).getRawMany();
    const agentIds = [...new Set(members.map((r) => r.agentId))].sort();
    const destinationIds = [...new Set(links.map((r) => r.destinationId))].sort();
    const [agentLive, configs] = await Promise.all([
      this.live.agents.getMany(companyId, agentIds),
      destinationIds.length === 0 ? [] : this.dataSource.getRepository(ExternalDestination).findBy({ id: In(destinationIds), companyId }),
    ]);
    const view: QueueView = {
      queue,
      snapshot: {
        id: queue.id,
        groups: groups.map((g) => ({
          priority: g.priority,
          groupId: g.groupId,
          overflow: g.priority === 1 ? null : { queueLengthAbove: g.queueLengthAbove, oldestWaitAboveSec: g.oldestWaitAboveSec, noAgentsLoggedIn: g.noAgentsLoggedIn },
          agentIds: members.filter((r) => r.groupId === g.groupId).map((r) => r.agentId).sort(),
          destinationIds: links.filter((r) => r.groupId === g.groupId).map((r) => r.destinationId).sort(),
        })),
        waitingCalls,
        oldestWaitingSince,
        maxQueueLength: queue.maxQueueLength,
        maxWaitSec: queue.maxWaitSec,
      },
      agents: new Map(),
      agentIndex: new FreeAgentIndex(),
      groupsOfAgent: new Map(),
      destinations: new Map(),
      configs: new Map(configs.map((d) => [d.id, d])),
    };
    for (const { groupId, agentId } of members) view.groupsOfAgent.set(agentId, [...(view.groupsOfAgent.get(agentId) ?? []), groupId]);
    for (const [id, a] of agentLive) setAgent(view, agentSnapshot(id, a));
    await Promise.all(configs.map((d) => this.refreshDestination(companyId, view, d.id)));
    return view;
  }

  private async refreshDestination(companyId: string, view: QueueView, destinationId: string): Promise<void> {
    const d = view.configs.get(destinationId)!;
    const ref = { companyId, destinationId };
    const [counts, health] = await Promise.all([this.live.capacity.counts(ref), this.live.health.getMany(companyId, [destinationId])]);
    view.destinations.set(destinationId, destinationSnapshot(d, counts, health.get(destinationId)!));
  }

  /** Offers one waiting call: decide, claim the resource atomically, commit, instruct; re-decide when a claim loses a race. */
  private async routeOne(companyId: string, view: QueueView, call: Call): Promise<'OFFERED' | 'WAITING' | 'WAITING_FOR_ITSELF' | 'SKIPPED'> {
    for (let tries = 0; tries < MAX_TRIES_PER_CALL; tries += 1) {
      const now = this.clock();
      const waitingCall: WaitingCall = { id: call.id, enqueuedAt: call.enqueuedAt.getTime(), eligiblePriorities: call.eligiblePriorities, lastOfferEndedAt: call.lastOfferEndedAt };
      const decision = routeCall({ call: waitingCall, queue: view.snapshot, agents: view.agents, agentIndex: view.agentIndex, destinations: view.destinations, now });
      const chosen = decision.chosen;
      if (chosen === null) {
        await this.noteWaiting(call, view, decision);
        return decision.skipped.some((skip) => skip.reason === 'DESTINATION_RETRY_WAIT') ? 'WAITING_FOR_ITSELF' : 'WAITING';
      }
      if (chosen.kind === 'AGENT') {
        const before = view.agents.get(chosen.id)!;
        const reserved = await this.casAgent(companyId, chosen.id, { status: 'AVAILABLE', activity: ['IDLE', 'WRAP_UP'], callId: null }, { activity: 'RESERVED', callId: call.id });
        if (reserved === null) {
          setAgent(view, agentSnapshot(chosen.id, await this.live.agents.get(companyId, chosen.id)));
          continue;
        }
        setAgent(view, agentSnapshot(chosen.id, reserved));
        const attemptId = randomUUID();
        const ringTimeoutSec = view.queue.agentRingTimeoutSec;
        const committed = await this.commitOffer(call, decisionEntry(decision, view), { id: attemptId, targetKind: 'AGENT', agentId: chosen.id, ringTimeoutSec }, now, { eligiblePriorities: mergePriorities(call, decision) });
        if (!committed) {
          await this.casAgent(companyId, chosen.id, { activity: ['RESERVED'], callId: call.id }, { activity: before.activity, callId: null });
          return 'SKIPPED';
        }
        const ringing = await this.casAgent(companyId, chosen.id, { activity: ['RESERVED'], callId: call.id }, { activity: 'RINGING' });
        if (ringing) setAgent(view, agentSnapshot(chosen.id, ringing));
        await this.schedule(`ring:${attemptId}`, ringTimeoutSec * 1000, { t: 'ring', companyId, attemptId });
        this.instruct(companyId, { kind: 'RING_AGENT', callId: call.id, attemptId, agentId: chosen.id, ringTimeoutSec });
        this.announce(companyId, { queues: [call.queueId] });
        return 'OFFERED';
      }
      const destination = view.configs.get(chosen.id)!;
      const number = resolveDialledNumber(destination as unknown as DestinationNumber, call.serviceNumber ?? '');
      if (!number.ok) {
        // The destination is not at fault for one call's number: the attempt fails without dialling or
        // taking a slot, and without a back-off; the call waits the destination's retry interval for it.
        const failed = await this.commitFailedNumber(call, [decisionEntry(decision, view)], destination, number.reason, now, { eligiblePriorities: mergePriorities(call, decision) });
        if (!failed) return 'SKIPPED';
        await this.schedule(`pump:${call.queueId}:${call.id}`, destination.retryIntervalSec * 1000, { t: 'pump', companyId: call.companyId, queueId: call.queueId! });
        continue;
      }
      const attemptId = randomUUID();
      const ref = { companyId, destinationId: destination.id };
      const granted = await this.live.capacity.acquire(ref, attemptId, destination.maxSimultaneousCalls);
      if (!granted) {
        await this.refreshDestination(companyId, view, destination.id);
        continue;
      }
      const ringTimeoutSec = destination.outdialTimeoutSec;
      const committed = await this.commitOffer(call, decisionEntry(decision, view), { id: attemptId, targetKind: 'DESTINATION', destinationId: destination.id, number: number.e164, ringTimeoutSec }, now, { eligiblePriorities: mergePriorities(call, decision) });
      if (!committed) {
        await this.live.capacity.release(ref, attemptId);
        return 'SKIPPED';
      }
      await this.refreshDestination(companyId, view, destination.id);
      await this.schedule(`ring:${attemptId}`, ringTimeoutSec * 1000, { t: 'ring', companyId, attemptId });
      this.instruct(companyId, { kind: 'DIAL_EXTERNAL', callId: call.id, attemptId, destinationId: destination.id, number: number.e164, ringTimeoutSec });
      this.announce(companyId, { destinations: [destination.id], queues: [call.queueId] });
      return 'OFFERED';
    }
    return 'SKIPPED';
  }

  /** The call moves to OFFERING with its new attempt and the decision in its trace, or nothing happens (it changed meanwhile). */
  private async commitOffer(call: Call, entry: TraceInput, attempt: Partial<CallAttempt> & { id: string; ringTimeoutSec: number }, now: number, change: Partial<Call> = {}): Promise<boolean> {
    const offered = transition(CALL_STATE, call.state, 'offer');
    if (!offered.ok) return false;
    try {
      await inTransaction(this.dataSource, async (m) => {
        await this.updateCall(m, call, { ...change, state: offered.to });
        await m.getRepository(CallAttempt).insert({
          agentId: null, destinationId: null, number: null, ...attempt,
          companyId: call.companyId, callId: call.id, state: 'RINGING', outcome: null, startedAt: new Date(now), answeredAt: null, endedAt: null,
        });
        await this.trace(m, call, entry);
      });
    } catch (error) {
      if (error instanceof StaleCall) return false;
      throw error;
    }
    this.lastWaiting.delete(call.id);
    return true;
  }

  /** A destination number that could not be built for this call: a FAILED attempt without dialling, a slot or a back-off. */
  private async commitFailedNumber(call: Call, entries: TraceInput[], destination: ExternalDestination, reason: string, now: number, change: Partial<Call> = {}): Promise<boolean> {
    try {
      await inTransaction(this.dataSource, async (m) => {
        const lastOfferEndedAt = { ...call.lastOfferEndedAt, [destination.id]: now };
        await this.updateCall(m, call, { ...change, lastOfferEndedAt });
        await m.getRepository(CallAttempt).insert({
          companyId: call.companyId, callId: call.id, targetKind: 'DESTINATION', agentId: null, destinationId: destination.id, number: null,
          state: 'FAILED', outcome: 'FAILED', ringTimeoutSec: destination.outdialTimeoutSec, startedAt: new Date(now), answeredAt: null, endedAt: new Date(now),
        });
        for (const entry of entries) await this.trace(m, call, entry);
        // The reason may quote the destination's own prefix: only readers who may see the destination read it.
        const of: TraceRef = { kind: 'DESTINATION', id: destination.id };
        await this.trace(m, call, {
          at: now, step: 'NUMBER_FAILED',
          facts: { words: ['the number to dial for this call could not be built', { private: ` (${reason})`, of, otherwise: '' }, ': the attempt failed without dialling; the destination is not backed off'] },
          chosen: { kind: 'DESTINATION', id: destination.id, priority: null, detail: 'failed' },
        });
      });
    } catch (error) {
      if (error instanceof StaleCall) return false;
      throw error;
    }
    return true;
  }

  /** Records that the call keeps waiting, once per distinct reason set (not on every sweep). */
  private async noteWaiting(call: Call, view: QueueView, decision: RoutingDecision): Promise<void> {
    const key = `${decision.eligiblePriorities.join(',')}|${decision.skipped.map((s) => `${s.resourceId}:${s.reason}`).join(',')}`;
    const newlyEligible = decision.eligiblePriorities.some((p) => !call.eligiblePriorities.includes(p));
    if (this.lastWaiting.get(call.id) === key && !newlyEligible) return;
    try {
      await inTransaction(this.dataSource, async (m) => {
        await this.updateCall(m, call, { eligiblePriorities: mergePriorities(call, decision) });
        await this.trace(m, call, { ...decisionEntry(decision, view), step: 'WAITING' });
      });
      if (this.lastWaiting.size > 100_000) this.lastWaiting.clear(); // calls ended on other instances
      this.lastWaiting.set(call.id, key);
    } catch (error) {
      if (!(error instanceof StaleCall)) throw error;
    }
  }

  /**
   * The caller id of a new call as presented, with its E.164 form (national numbers read in the dialled number's
   * country): never a reason to refuse the call (docs/decisions/013-caller-ids-and-names.md).
   */
  private callerOf(connectorCallId: string, presented: string | null | undefined, serviceNumber: string | null): CallerIdentity {
    const caller = callerIdentity(presented, serviceNumber);
    if (caller.altered) this.logger.warn({ connectorCallId, callerId: caller.callerId }, 'caller id kept with unreadable characters replaced or shortened to 200 characters');
    return caller;
  }

  // ---------------------------------------------------------------- call flows

  /**
   * A call to a service number runs the published flow of that number (NOT_FOUND when none): instant nodes
   * are walked at once and traced; the call then waits in a queue, rings a destination, or is disconnected.
   * The same connectorCallId again returns the same call.
   */
  async startCall(companyId: string, input: StartCallFields): Promise<Call> {
    const c = new InputChecker();
    const connectorCallId = c.name('connectorCallId', input.connectorCallId, 200);
    const serviceNumber = c.phoneNumber('serviceNumber', input.serviceNumber) ?? '';
    c.done();
    const { callerId, callerE164 } = this.callerOf(connectorCallId, input.callerNumber, serviceNumber);
    const existing = await this.dataSource.getRepository(Call).findOneBy({ companyId, connectorCallId });
    if (existing !== null) return existing;
    const version = await this.flows.publishedFor(companyId, serviceNumber);
    if (version === null) throw errors.notFound('Published call flow for this service number', 'input.serviceNumber');
    const now = this.clock();
    let call: Call;
    try {
      call = await inTransaction(this.dataSource, async (m) => {
        const created = await m.getRepository(Call).save(m.create(Call, {
          companyId, connectorCallId, queueId: null, callerId, callerE164, serviceNumber, priority: 0, state: 'QUEUED', endReason: null,
          enqueuedAt: new Date(now), endedAt: null, eligiblePriorities: [], lastOfferEndedAt: {}, revision: 0, flowVersionId: version.id, flowNodeId: null,
        }));
        await this.trace(m, created, { at: now, step: 'STARTED', summary: `dialled ${serviceNumber}: call flow version ${version.version}` });
        return created;
      });
    } catch (error) {
      if (!isConcurrentChange(error)) throw error;
      return this.dataSource.getRepository(Call).findOneByOrFail({ companyId, connectorCallId });
    }
    const flow = await this.loadFlow(call, false);
    await this.follow(call, flow, startFlow(flow.graph, flow.context(now)), null);
    return this.dataSource.getRepository(Call).findOneByOrFail({ id: call.id });
  }

  /**
   * The call's flow version as a graph, with schedules evaluated through the routing core, and the call's
   * arrivals at each node so far (read from its FLOW trace entries when `withVisits`; a new call has none).
   */
  private async loadFlow(call: Call, withVisits: boolean): Promise<LoadedFlow> {
    const version = await this.dataSource.getRepository(CallFlowVersion).findOneByOrFail({ id: call.flowVersionId! });
    const visits = new Map<string, number>();
    if (withVisits) {
      const walked = await this.dataSource.getRepository(CallTraceEntry).find({ where: { callId: call.id, step: 'FLOW' }, select: { id: true, facts: true } });
      for (const { facts } of walked) if (facts?.node?.arrived) visits.set(facts.node.id, (visits.get(facts.node.id) ?? 0) + 1);
    }
    const graph: FlowGraph = { nodes: version.nodes };
    const rangeIds = version.nodes.flatMap((n) => n.timeRangeIds ?? []);
    const listIds = version.nodes.map((n) => n.holidayListId).filter((id): id is string => id !== null);
    const [ranges, lists] = await Promise.all([
      rangeIds.length === 0 ? [] : this.dataSource.getRepository(TimeRange).findBy({ id: In(rangeIds), companyId: call.companyId }),
      listIds.length === 0 ? [] : this.dataSource.getRepository(HolidayList).findBy({ id: In(listIds), companyId: call.companyId }),
    ]);
    const rangeById = new Map(ranges.map((r) => [r.id, r]));
    const listById = new Map(lists.map((l) => [l.id, l]));
    return {
      graph,
      visits,
      context: (now) => ({
        now,
        visits,
        maxNodeVisits: this.options.maxNodeVisits,
        timeRange: (id, at) => {
          const range = rangeById.get(id);
          return range ? evaluateTimeRange(range, at) : { match: false, detail: 'the time range no longer exists' };
        },
        holidays: (id, at) => {
          const list = listById.get(id);
          return list ? evaluateHolidays(list, at) : { holiday: false, detail: 'the holiday list no longer exists' };
        },
      }),
    };
  }

  /**
   * Carries out flow steps until the call waits (in a queue, ringing a destination, at a WAIT node) or ends.
   * `from` is the node the first step left (null for the first step of a call). `strict`: the first step is
   * written only if the call is still at the revision it was read at, else nothing happens (a WAIT timer
   * that fired twice moves the call on once).
   */
  private async follow(call: Call, flow: LoadedFlow, first: FlowStep, from: FlowPosition | null, strict = false): Promise<void> {
    let step = first;
    let left = from;
    // The nodes the call acted at since it last waited. A valid flow cannot come back to one without passing a
    // WAIT node (which ends this loop); a version published before that rule can: the call ends there instead
    // of going round again at once (a message and a refusal per round, as fast as instructions go out).
    const acted = new Set<string>();
    for (let hops = 0; hops < MAX_FLOW_HOPS; hops += 1) {
      const now = this.clock();
      const at = step.position;
      if (!(await this.recordFlowSteps(call, flow.graph, step, left, now, strict && hops === 0))) return;
      for (const id of arrivalsOf(step, left)) flow.visits.set(id, (flow.visits.get(id) ?? 0) + 1);
      const action = step.action;
      if (at !== null && action.kind !== 'DISCONNECT' && acted.has(at.nodeId)) {
        await this.disconnect(call, `the call came back to node ${at.nodeId} without passing a WAIT node`, now);
        return;
      }
      if (at !== null) acted.add(at.nodeId);
      let event: FlowEvent | null = null;
      if (action.kind === 'ENTER_QUEUE') {
        const outcome = await this.enterQueue(call, action.queueId, now);
        if (outcome !== null) event = { kind: 'QUEUE_ENDED', branch: outcome };
      } else if (action.kind === 'ROUTE_EXTERNAL') {
        const outcome = await this.routeExternal(call, action.destinationId, now);
        if (outcome !== null) event = { kind: 'EXTERNAL_ENDED', branch: outcome };
      } else if (action.kind === 'PLAY_MESSAGE') {
        // The connector plays the message before any later instruction for the call, so the flow goes on at once.
        this.instruct(call.companyId, { kind: 'PLAY_MESSAGE', callId: call.id, message: action.message });
        event = { kind: 'MESSAGE_PLAYED' };
      } else if (action.kind === 'WAIT') {
        // Goes on when the timer fires, if the call is still here at this revision (a hang-up moves it on).
        const timer: TimerPayload = { t: 'flow', companyId: call.companyId, callId: call.id, nodeId: at!.nodeId, revision: call.revision };
        await this.schedule(`flow:${call.id}:${call.revision}`, action.seconds * 1000, timer);
      } else {
        await this.disconnect(call, action.reason, now);
      }
      if (event === null || at === null) return;
      left = at;
      step = stepFlow(flow.graph, at, event, flow.context(this.clock()));
    }
    await this.disconnect(call, `the flow moved ${MAX_FLOW_HOPS} times without the call waiting anywhere`, this.clock());
  }

  /**
   * Writes the call's new node and one FLOW entry per node walked, as facts: the node, whether the call
   * arrived at it (visits are counted from these), and the words with the node's queue or destination as a
   * reference, so each reader reads them in words it may see. False when `strict` and the call moved on.
   */
  private async recordFlowSteps(call: Call, graph: FlowGraph, step: FlowStep, left: FlowPosition | null, now: number, strict: boolean): Promise<boolean> {
    const byId = new Map<string, FlowGraph['nodes'][number]>();
    for (const node of graph.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
    const entries = step.trace.map((t, i): TraceFacts => {
      const node = byId.get(t.nodeId);
      const refs: TraceRef[] = [];
      if (node?.externalDestinationId) refs.push({ kind: 'DESTINATION', id: node.externalDestinationId });
      if (node?.queueId) refs.push({ kind: 'QUEUE', id: node.queueId });
      const arrived = !(i === 0 && left !== null && t.nodeId === left.nodeId);
      return { node: { type: t.nodeType, id: t.nodeId, branch: t.branch, arrived }, words: wordsNaming(t.detail, refs) };
    });
    const work = async (m: EntityManager) => {
      await this.updateCall(m, call, { flowNodeId: step.position?.nodeId ?? call.flowNodeId });
      for (const facts of entries) await this.trace(m, call, { at: now, step: 'FLOW', facts });
    };
    if (!strict) {
      await this.withCall(call, work);
      return true;
    }
    try {
      await inTransaction(this.dataSource, work);
      return true;
    } catch (error) {
      if (error instanceof StaleCall) return false;
      throw error;
    }
  }

  /** Queue node: Full or NoAgents at once, or the call waits in the queue (its maximum wait leads to Timeout). */
  private async enterQueue(call: Call, queueId: string, now: number): Promise<QueueOutcome | null> {
    const queue = await this.dataSource.getRepository(Queue).findOneBy({ id: queueId, companyId: call.companyId });
    if (queue === null) return 'NoAgents';
    const waiting = await this.dataSource.getRepository(Call).countBy({ companyId: call.companyId, queueId, state: In([...WAITING_STATES]) });
    const admission = admitToQueue({ waitingCalls: waiting, maxQueueLength: queue.maxQueueLength });
    if (!admission.admitted) return 'Full';
    const agentIds: Array<{ agentId: string }> = await this.dataSource.createQueryBuilder()
      .select('ga."agentId"', 'agentId').from('agent_group_agent', 'ga').innerJoin('queue_group', 'qg', 'qg."groupId" = ga."groupId"')
      .where('qg."queueId" = :queueId', { queueId }).getRawMany();
    const agents = await this.live.agents.getMany(call.companyId, agentIds.map((a) => a.agentId));
    if ([...agents.values()].every((a) => a.status === 'LOGGED_OUT')) return 'NoAgents';
    await this.withCall(call, async (m) => {
      await this.updateCall(m, call, { queueId, enqueuedAt: new Date(now), eligiblePriorities: [], lastOfferEndedAt: {} });
      await this.trace(m, call, { at: now, step: 'ENQUEUED', summary: `entered queue "${queue.name}" with ${waiting} other call${waiting === 1 ? '' : 's'} waiting or ringing` });
    });
    const deadline = waitDeadline(queue, now);
    if (deadline !== null) await this.schedule(`wait:${call.id}`, deadline - now, { t: 'wait', companyId: call.companyId, callId: call.id });
    await this.pump(call.companyId, queueId);
    this.announce(call.companyId, { queues: [queueId] });
    return null;
  }

  /**
   * RouteToExternalDestination node: bypasses queues and agents. A destination taken out of the pool (backed
   * off, suspended, disabled) is Busy at once without dialling; a full one is LimitReached; otherwise it is
   * dialled with its own outdial timeout and the outcome picks the branch later.
   */
  private async routeExternal(call: Call, destinationId: string, now: number): Promise<ExternalOutcome | null> {
    const d = await this.dataSource.getRepository(ExternalDestination).findOneBy({ id: destinationId, companyId: call.companyId });
    const note = (words: TracePart[], skipped?: TraceInput['skipped']) => this.withCall(call, (m) => this.trace(m, call, { at: now, step: 'EXTERNAL', facts: { words }, skipped }));
    const named: TracePart = { ref: { kind: 'DESTINATION', id: destinationId } };
    if (d === null) {
      await note(['the external destination no longer exists']);
      return 'Failure';
    }
    const ref = { companyId: call.companyId, destinationId };
    const [health, counts] = await Promise.all([this.live.health.getMany(call.companyId, [destinationId]), this.live.capacity.counts(ref)]);
    const snapshot = destinationSnapshot(d, counts, health.get(destinationId)!);
    const availability = destinationAvailability(snapshot, { id: call.id, enqueuedAt: now, eligiblePriorities: [], lastOfferEndedAt: {} }, now);
    if (!availability.ok && availability.reason !== 'DESTINATION_AT_CAPACITY') {
      await note([named, ` is taken out of the pool (${availability.detail}): Busy without dialling`]);
      return 'Busy';
    }
    const number = resolveDialledNumber(d as unknown as DestinationNumber, call.serviceNumber ?? '');
    if (!number.ok) {
      await this.commitFailedNumber(call, [], d, number.reason, now);
      return 'Failure';
    }
    const attemptId = randomUUID();
    if (!availability.ok || !(await this.live.capacity.acquire(ref, attemptId, d.maxSimultaneousCalls))) {
      const detail = `at capacity ${counts.connecting + counts.active}/${d.maxSimultaneousCalls}`;
      // Recorded as a skip for capacity, as queue routing records one: statistics count the refusal from it.
      await note([named, ` is ${detail}: LimitReached`], [{ kind: 'DESTINATION', resourceId: d.id, reason: 'DESTINATION_AT_CAPACITY', detail }]);
      return 'LimitReached';
    }
    const entry: TraceInput = {
      at: now, step: 'ROUTED', facts: { words: ['dialled ', named, ` directly (no queue, no agents), ringing up to ${d.outdialTimeoutSec} s`] },
      considered: [{ kind: 'DESTINATION', id: d.id }], chosen: { kind: 'DESTINATION', id: d.id, priority: null, detail: 'named by the call flow' },
    };
    if (!(await this.commitOffer(call, entry, { id: attemptId, targetKind: 'DESTINATION', destinationId: d.id, number: number.e164, ringTimeoutSec: d.outdialTimeoutSec }, now))) {
      await this.live.capacity.release(ref, attemptId);
      return null;
    }
    await this.schedule(`ring:${attemptId}`, d.outdialTimeoutSec * 1000, { t: 'ring', companyId: call.companyId, attemptId });
    this.instruct(call.companyId, { kind: 'DIAL_EXTERNAL', callId: call.id, attemptId, destinationId: d.id, number: number.e164, ringTimeoutSec: d.outdialTimeoutSec });
    this.announce(call.companyId, { destinations: [d.id] });
    return null;
  }

  /** Disconnect node (or a dead end): the call ends FAILED with reason DISCONNECTED, and the connector hangs up. */
  private async disconnect(call: Call, reason: string, now: number): Promise<void> {
    const next = transition(CALL_STATE, call.state, 'refused');
    if (!next.ok) return;
    const result = await this.withCall(call, (m) => this.finishCall(m, call, next.to, 'DISCONNECTED', { at: now, step: 'ENDED', summary: `disconnected: ${reason}` }));
    await this.afterClosing(call.companyId, result.call, result.closed, now);
    this.instruct(call.companyId, { kind: 'DISCONNECT', callId: call.id, message: reason });
  }

  /**
   * Where a flow call goes after its destination attempt ended unanswered, its queue's maximum wait passed or
   * its WAIT node's pause ended (`strict`: only if the call is still at the revision it was read at).
   */
  private async continueFlow(call: Call, event: FlowEvent, strict = false): Promise<void> {
    if (call.flowVersionId === null || call.flowNodeId === null) return;
    const flow = await this.loadFlow(call, true);
    const from = { nodeId: call.flowNodeId };
    await this.follow(call, flow, stepFlow(flow.graph, from, event, flow.context(this.clock())), from, strict);
  }

  /** A WAIT node's pause is over: the call goes on by its next branch, once, if it is still where it paused. */
  private async endFlowWait(timer: Extract<TimerPayload, { t: 'flow' }>): Promise<void> {
    const call = await this.dataSource.getRepository(Call).findOneBy({ id: timer.callId, companyId: timer.companyId });
    if (call === null || call.revision !== timer.revision || call.flowNodeId !== timer.nodeId || call.state !== 'QUEUED' || call.queueId !== null) return;
    await this.continueFlow(call, { kind: 'WAIT_ENDED' }, true);
  }

  /** Runs `work` in a transaction on a fresh copy of the call's row state (re-read when another change won). */
  private async withCall<T>(call: Call, work: (m: EntityManager) => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries += 1) {
      try {
        return await inTransaction(this.dataSource, work);
      } catch (error) {
        if (!(error instanceof StaleCall) || tries >= 3) throw error;
        Object.assign(call, await this.dataSource.getRepository(Call).findOneByOrFail({ id: call.id }));
      }
    }
  }

  // ---------------------------------------------------------------- ending attempts and calls

  /**
   * Closes the call's open attempts (ringing ones are cancelled, connected ones completed) and moves the call
   * to its final state, with a trace entry; the effects outside the database are left to afterClosing.
   */
  private async finishCall(m: EntityManager, call: Call, state: Call['state'], reason: CallEndReason, entry: TraceInput): Promise<{ call: Call; closed: Closed[] }> {
    const now = entry.at;
    const closed = await this.closeOpenAttempts(m, call, now);
    call.state = state;
    await this.updateCall(m, call, { state, endReason: reason, endedAt: new Date(now) });
    await this.trace(m, call, entry);
    return { call, closed };
  }

  /** Cancels the call's ringing attempts and completes its connected one. */
  private async closeOpenAttempts(m: EntityManager, call: Call, now: number): Promise<Closed[]> {
    const open = await m.getRepository(CallAttempt).find({ where: { callId: call.id, state: In([...OPEN_ATTEMPT]) } });
    const closed: Closed[] = [];
    for (const attempt of open) {
      const event = attempt.state === 'RINGING' ? 'CANCEL' : 'CALL_ENDED';
      const next = transition(ATTEMPT_STATE, attempt.state, event);
      if (!next.ok) continue;
      attempt.state = next.to;
      attempt.endedAt = new Date(now);
      if (event === 'CANCEL') attempt.outcome = 'CANCELLED';
      // An agent who talked gets the queue's wrap-up (agentEffects); statistics read it from the attempt.
      if (event === 'CALL_ENDED' && attempt.targetKind === 'AGENT') {
        const queue = call.queueId === null ? null : await m.getRepository(Queue).findOneBy({ id: call.queueId });
        attempt.wrapUpSec = queue?.wrapUpSec ?? 0;
      }
      await m.getRepository(CallAttempt).update({ id: attempt.id }, { state: attempt.state, outcome: attempt.outcome, endedAt: attempt.endedAt, wrapUpSec: attempt.wrapUpSec ?? null });
      closed.push({ attempt, outcome: event === 'CANCEL' ? 'CANCELLED' : 'COMPLETED' });
    }
    return closed;
  }

  /** Live effects of attempts that ended: slots, agents, back-off, timers, instructions; then route again. */
  private async afterClosing(companyId: string, call: Call, closed: Closed[], now: number): Promise<void> {
    for (const { attempt, outcome } of closed) {
      await this.live.timers.remove(`ring:${attempt.id}`);
      if (outcome === 'CANCELLED') this.instruct(companyId, { kind: 'CANCEL_ATTEMPT', callId: call.id, attemptId: attempt.id });
      if (attempt.targetKind === 'DESTINATION') await this.destinationEffects(companyId, attempt, outcome, now);
      else await this.agentEffects(companyId, call, attempt, outcome, now);
    }
    this.announce(companyId, { destinations: closed.map((c) => c.attempt.destinationId), queues: [call.queueId] });
    if (call.state !== 'QUEUED' && call.state !== 'OFFERING' && call.state !== 'CONNECTED') {
      await this.live.timers.remove(`wait:${call.id}`);
      this.lastWaiting.delete(call.id);
    }
    // A freed agent or slot may serve a waiting call; the event's answer does not wait for that routing.
    if (closed.some((c) => c.outcome !== 'ANSWERED')) {
      this.pumpCompany(companyId).catch((err) => this.logger.error({ err }, 'routing after an attempt ended failed'));
    }
  }

  private async destinationEffects(companyId: string, attempt: CallAttempt, outcome: Closed['outcome'], now: number): Promise<void> {
    const destinationId = attempt.destinationId!;
    const ref = { companyId, destinationId };
    if (outcome === 'ANSWERED') {
      // A connected call is counted even if its lease lapsed meanwhile: the slot is truly in use.
      if (!(await this.live.capacity.markAnswered(ref, attempt.id))) {
        await this.live.capacity.acquire(ref, attempt.id, null);
        await this.live.capacity.markAnswered(ref, attempt.id);
      }
      await this.live.health.recordAnswer(companyId, destinationId);
      return;
    }
    await this.live.capacity.release(ref, attempt.id);
    if (outcome === 'CANCELLED' || outcome === 'COMPLETED') return;
    const destination = await this.dataSource.getRepository(ExternalDestination).findOneBy({ id: destinationId, companyId });
    if (destination === null) return;
    const effect = applyOutcome({ backedOffUntil: null, consecutiveFailures: 0, suspended: false }, destination, outcome, now);
    const health = await this.live.health.recordFailure(companyId, destinationId, effect.backedOffUntil);
    if (reachesSuspension(health.consecutiveFailures, destination.maxConsecutiveFailures) && destination.suspendedAt === null) {
      await inTransaction(this.dataSource, async (m, tx) => {
        // The change begins first: every change of a company's configuration locks the company before its rows.
        (await this.changes.begin(m, tx, companyId)).add('destination', destinationId);
        await m.createQueryBuilder().update(ExternalDestination)
          .set({ suspendedAt: new Date(now), version: () => '"version"', updatedAt: () => '"updatedAt"' } as never)
          .where('id = :id AND "suspendedAt" IS NULL', { id: destinationId }).execute();
      });
    }
    const queueIds = await this.queuesUsing(destinationId);
    const wakeAt = [health.backedOffUntil, now + destination.retryIntervalSec * 1000].filter((t): t is number => t !== null && t > now);
    for (const at of new Set(wakeAt)) {
      for (const queueId of queueIds) await this.schedule(`pump:${queueId}:${at}`, at - now, { t: 'pump', companyId, queueId });
    }
  }

  private async agentEffects(companyId: string, call: Call, attempt: CallAttempt, outcome: Closed['outcome'], now: number): Promise<void> {
    const agentId = attempt.agentId!;
    const queue = call.queueId === null ? null : await this.dataSource.getRepository(Queue).findOneBy({ id: call.queueId });
    if (outcome === 'ANSWERED') {
      await this.casAgent(companyId, agentId, { activity: ['RINGING'], callId: call.id }, { activity: 'ON_CALL' });
    } else if (outcome === 'COMPLETED') {
      const until = now + (queue?.wrapUpSec ?? 0) * 1000;
      await this.casAgent(companyId, agentId, { activity: ['ON_CALL'], callId: call.id }, { activity: 'WRAP_UP', callId: null, wrapUpUntil: until, idleSince: until });
      if (until > now && call.queueId) await this.schedule(`pump:${call.queueId}:${until}`, until - now, { t: 'pump', companyId, queueId: call.queueId });
    } else {
      // A missed ring (busy, no answer, rejected, failed) holds the agent back for the queue's agentRetrySec;
      // a cancelled one (the caller left) does not.
      const retryMs = outcome === 'CANCELLED' ? 0 : (queue?.agentRetrySec ?? 0) * 1000;
      await this.casAgent(companyId, agentId, { activity: ['RINGING', 'RESERVED'], callId: call.id }, { activity: 'IDLE', callId: null, notBefore: retryMs > 0 ? now + retryMs : null });
      if (retryMs > 0 && call.queueId) await this.schedule(`pump:${call.queueId}:${now + retryMs}`, retryMs, { t: 'pump', companyId, queueId: call.queueId });
    }
  }

  private async queuesUsing(destinationId: string): Promise<string[]> {
    const rows: Array<{ queueId: string }> = await this.dataSource.createQueryBuilder()
      .select('qg."queueId"', 'queueId').distinct(true).from('queue_group', 'qg')
      .innerJoin('agent_group_destination', 'gd', 'gd."groupId" = qg."groupId"')
      .where('gd."destinationId" = :destinationId', { destinationId }).getRawMany();
    return rows.map((r) => r.queueId);
  }

  // ---------------------------------------------------------------- timers, sweep, leases

  private async schedule(id: string, delayMs: number, payload: TimerPayload): Promise<void> {
    await this.live.timers.schedule(id, Math.max(0, delayMs), JSON.stringify(payload));
  }

  /** Fires due timers; each is removed once handled, so one whose instance died is fired by another. */
  async fireDueTimers(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const due = await this.live.timers.claimDue(100);
      for (const timer of due) {
        try {
          await this.onTimer(JSON.parse(timer.payload) as TimerPayload);
        } catch (err) {
          this.logger.error({ err, timer: timer.id }, 'timer handler failed');
        }
        await this.live.timers.remove(timer.id);
      }
    } finally {
      this.ticking = false;
    }
  }

  private async onTimer(payload: TimerPayload): Promise<void> {
    if (payload.t === 'pump') return this.pump(payload.companyId, payload.queueId);
    if (payload.t === 'ring') {
      try {
        await this.reportOutcome(payload.companyId, { eventId: `ring-timeout:${payload.attemptId}`, attemptId: payload.attemptId, outcome: 'NO_ANSWER' });
      } catch (error) {
        // The attempt moved on (answered, ended, cancelled) before its ring time: nothing to do.
        if (!isCoded(error, 'CONFLICT') && !isCoded(error, 'NOT_FOUND')) throw error;
      }
      return;
    }
    if (payload.t === 'flow') return this.endFlowWait(payload);
    await this.timeOutCall(payload.companyId, payload.callId);
  }

  /** The queue's maximum wait passed: the call leaves the queue (FAILED) and the connector disconnects it. */
  private async timeOutCall(companyId: string, callId: string): Promise<void> {
    const now = this.clock();
    const call = await this.dataSource.getRepository(Call).findOneBy({ id: callId, companyId });
    if (call === null || !transition(CALL_STATE, call.state, 'timedOut').ok || call.queueId === null) return;
    const queue = await this.dataSource.getRepository(Queue).findOneBy({ id: call.queueId });
    const waited = `waited the queue's maximum of ${queue?.maxWaitSec ?? 0} s`;
    if (call.flowVersionId !== null) {
      // A flow call leaves the queue by the node's Timeout branch: ringing attempts are cancelled, the flow goes on.
      const closed = await this.withCall(call, async (m) => {
        if (!transition(CALL_STATE, call.state, 'timedOut').ok) return null;
        const cancelled = await this.closeOpenAttempts(m, call, now);
        await this.updateCall(m, call, { state: 'QUEUED', queueId: null });
        await this.trace(m, call, { at: now, step: 'MAX_WAIT', summary: `${waited}: the call leaves the queue by its Timeout branch` });
        return cancelled;
      });
      if (closed === null) return;
      this.announce(companyId, { queues: [queue?.id ?? null] });
      await this.afterClosing(companyId, call, closed, now);
      await this.continueFlow(call, { kind: 'QUEUE_ENDED', branch: 'Timeout' });
      return;
    }
    const result = await this.withCall(call, async (m) => {
      const next = transition(CALL_STATE, call.state, 'timedOut');
      return next.ok ? this.finishCall(m, call, next.to, 'MAX_WAIT', { at: now, step: 'MAX_WAIT', summary: `${waited}: the call left the queue` }) : null;
    });
    if (result === null) return;
    await this.afterClosing(companyId, result.call, result.closed, now);
    this.instruct(companyId, { kind: 'DISCONNECT', callId, message: 'maximum wait reached' });
  }

  /** Routes every queue with waiting calls again: overflow by waiting time, wrap-up ends, missed timers. */
  sweep(): Promise<void> {
    return this.pumpWaiting(null);
  }

  /**
   * The safety net of ring timeouts, from the system of record: an attempt still ringing well past its ring
   * time (its timer was lost with an instance that died between commit and scheduling, or with a Redis that
   * restarted empty) is timed out now, exactly as its timer would have (the same event id, so once).
   */
  async expireOverdueAttempts(): Promise<void> {
    const now = this.clock();
    const ringing = await this.dataSource.getRepository(CallAttempt).find({ where: { state: 'RINGING' }, select: { id: true, companyId: true, startedAt: true, ringTimeoutSec: true } });
    for (const a of ringing) {
      if (a.startedAt.getTime() + (a.ringTimeoutSec + OVERDUE_GRACE_SEC) * 1000 > now) continue;
      await this.onTimer({ t: 'ring', companyId: a.companyId, attemptId: a.id });
    }
  }

  /** Keeps the slots of attempts still ringing or connected; a slot whose holder vanished expires with its lease. */
  async renewLeases(): Promise<void> {
    const open = await this.dataSource.getRepository(CallAttempt).find({ where: { targetKind: 'DESTINATION', state: In([...OPEN_ATTEMPT]) } });
    for (const a of open) await this.live.capacity.renew({ companyId: a.companyId, destinationId: a.destinationId! }, a.id);
  }

  // ---------------------------------------------------------------- shared steps

  /** An agent compare-and-set that announces the agent's new state when it applied. */
  private async casAgent(companyId: string, agentId: string, expect: AgentExpectation, change: AgentChange): Promise<AgentLive | null> {
    const next = await this.live.agents.compareAndSet(companyId, agentId, expect, change);
    if (next !== null) this.updates.agentChanged(companyId, agentId, next);
    return next;
  }

  /** Announces changed destinations and queues to live subscribers, without holding up routing. */
  private announce(companyId: string, changed: { destinations?: Array<string | null>; queues?: Array<string | null> }): void {
    const fail = (err: unknown) => this.logger.error({ err }, 'publishing a live update failed');
    for (const id of new Set(changed.destinations ?? [])) if (id) this.updates.destinationChanged(companyId, id).catch(fail);
    for (const id of new Set(changed.queues ?? [])) if (id) this.updates.queueChanged(companyId, id).catch(fail);
  }

  /**
   * Runs `work` once per event id, in one transaction with the event's record: a repeated event (also one
   * sent many times at once) finds the record and changes nothing; the same id with other content is refused.
   */
  private async once<T>(companyId: string, eventId: string, fingerprint: string, now: number, work: (m: EntityManager) => Promise<T>): Promise<{ effects: T | null }> {
    const run = () =>
      inTransaction(this.dataSource, async (m) => {
        const seen = await m.getRepository(TelephonyEvent).findOneBy({ companyId, eventId });
        if (seen !== null) {
          if (seen.fingerprint !== fingerprint) throw errors.conflict('This eventId was already used for a different event', { field: 'input.eventId' });
          return { effects: null };
        }
        await m.getRepository(TelephonyEvent).insert({ companyId, eventId, fingerprint, receivedAt: new Date(now) });
        return { effects: await work(m) };
      });
    for (let tries = 0; ; tries += 1) {
      try {
        return await run();
      } catch (error) {
        if ((error instanceof StaleCall || isConcurrentChange(error)) && tries < 5) continue;
        if (error instanceof StaleCall) throw errors.conflict('The call changed at the same moment; retry');
        throw error;
      }
    }
  }

  private callTransition(call: Call, event: CallEvent): Call['state'] {
    const next = transition(CALL_STATE, call.state, event);
    if (!next.ok) throw errors.conflict(`The call cannot change now: ${next.reason}`);
    return next.to;
  }

  /** Compare-and-set of a call row on its revision; StaleCall when another change got there first. */
  private async updateCall(m: EntityManager, call: Call, change: Partial<Call>): Promise<void> {
    const result = await m.createQueryBuilder().update(Call)
      .set({ ...change, revision: () => '"revision" + 1' } as never)
      .where('id = :id AND "revision" = :revision', { id: call.id, revision: call.revision })
      .execute();
    if (result.affected !== 1) throw new StaleCall();
    Object.assign(call, change);
    call.revision += 1;
  }

  private async trace(m: EntityManager, call: Call, entry: TraceInput): Promise<void> {
    const last = await m.getRepository(CallTraceEntry).createQueryBuilder('t').select('MAX(t.seq)', 'seq').where('t.callId = :id', { id: call.id }).getRawOne<{ seq: number | null }>();
    const facts: TraceFacts = entry.facts ?? { words: [entry.summary ?? ''] };
    await m.getRepository(CallTraceEntry).insert({
      companyId: call.companyId, callId: call.id, seq: Number(last?.seq ?? 0) + 1, at: new Date(entry.at), step: entry.step, summary: entry.summary ?? plainTrace(facts),
      considered: entry.considered ?? [], skipped: entry.skipped ?? [], chosen: entry.chosen ?? null, facts,
    });
  }

  private instruct(companyId: string, fields: Partial<TelephonyInstructionEvent> & Pick<TelephonyInstructionEvent, 'kind' | 'callId'>): void {
    void this.instructions.send(companyId, {
      instructionId: randomUUID(), attemptId: null, agentId: null, destinationId: null, number: null, ringTimeoutSec: null, message: null,
      issuedAt: this.clock(), ...fields,
    });
  }
}

/** An entry to write: its words as `facts` (references rendered per reader), or as a `summary` that names no resource. */
type TraceInput = Pick<CallTraceEntry, 'step'> & { at: number; summary?: string; facts?: TraceFacts } & Partial<Pick<CallTraceEntry, 'considered' | 'skipped' | 'chosen'>>;

/** A call's flow version loaded for walking: the graph, its schedules, and the call's arrivals per node (kept current while walking). */
interface LoadedFlow {
  graph: FlowGraph;
  visits: Map<string, number>;
  context(now: number): FlowContext;
}

/** Another change of the call committed first: re-read and decide again. */
class StaleCall extends Error {}

function agentSnapshot(id: string, a: AgentLive): AgentSnapshot {
  return { id, status: a.status, activity: a.activity, idleSince: a.idleSince, wrapUpUntil: a.wrapUpUntil, notBefore: a.notBefore };
}

function setAgent(view: QueueView, agent: AgentSnapshot): void {
  view.agents.set(agent.id, agent);
  view.agentIndex.upsert(view.groupsOfAgent.get(agent.id) ?? [], agent);
}

function mergePriorities(call: Call, decision: RoutingDecision): number[] {
  return [...new Set([...call.eligiblePriorities, ...decision.eligiblePriorities])].sort((a, b) => a - b);
}

function decisionEntry(decision: RoutingDecision, view: QueueView): TraceInput {
  const kindOf = (id: string) => (view.configs.has(id) ? 'DESTINATION' : 'AGENT');
  return {
    at: decision.at,
    step: decision.chosen === null ? 'WAITING' : 'ROUTED',
    summary: decision.summary,
    considered: decision.considered.map((id) => ({ kind: kindOf(id), id })),
    skipped: decision.skipped.map((s) => ({ kind: s.kind, resourceId: s.resourceId, reason: s.reason, detail: s.detail })),
    chosen: decision.chosen === null ? null : { kind: decision.chosen.kind, id: decision.chosen.id, priority: decision.chosen.priority, detail: decision.chosen.detail },
  };
}

function isCoded(error: unknown, code: string): boolean {
  return (error as { extensions?: { code?: string } } | null)?.extensions?.code === code;
}


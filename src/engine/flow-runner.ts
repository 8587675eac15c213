import { In, type EntityManager } from 'typeorm';
import { CallFlowVersion } from '../entities/call-flow.entity';
import { Call, CallTraceEntry } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { CapacityPool } from '../entities/capacity-pool.entity';
import { Queue } from '../entities/queue.entity';
import { HolidayList, TimeRange } from '../entities/schedule.entity';
import { errors } from '../errors';
import type { ContextEntry } from '../routing/vocabulary';
import { arrivalsOf, startFlow, stepFlow, type ExternalOutcome, type FlowContext, type FlowEvent, type FlowGraph, type FlowPosition, type FlowStep, type QueueOutcome } from '../routing/call-flow';
import { destinationAvailability } from '../routing/route-call';
import { evaluateHolidays, evaluateTimeRange } from '../routing/schedule';
import { CALL_STATE, transition } from '../routing/state-machine';
import { wordsNaming, type TraceFacts, type TracePart, type TraceRef } from '../routing/trace-words';
import { inTransaction, isConcurrentChange } from '../store/persistence';
import { withContext } from './call-context';
import { ifUnchanged, trace, updateCall, withCall } from './call-records';
import type { Closing } from './closing';
import { destinationSnapshot, poolSnapshot } from './destination-snapshot';
import type { Effects } from './effects';
import { agentsOfQueue } from './lookups';
import type { Offers } from './offer';
import { enteredEntry, type QueuePass } from './queue-pass';
import { timerId, type Timers } from './timers';
import type { EngineContext, PublishedFlows, TimerPayload, TraceInput } from './types';

const MAX_FLOW_HOPS = 50;

/** A new call to a service number, its input already checked. */
export interface NewFlowCall {
  connectorCallId: string;
  serviceNumber: string;
  callerId: string | null;
  callerE164: string | null;
  context: ContextEntry[];
}

/** A call's flow version loaded for walking: the graph, its schedules, and the call's arrivals per node (kept current while walking). */
interface LoadedFlow {
  graph: FlowGraph;
  visits: Map<string, number>;
  context(now: number): FlowContext;
}

/**
 * The call-flow runner: walks a call's published flow version through the pure core (`startFlow` /
 * `stepFlow`), records each node walked as a FLOW entry, and carries out what the call waits for: a queue
 * (the queues' one admission), a destination (the one offer path), a WAIT pause (a timer), or the end.
 */
export class FlowRunner {
  constructor(
    private readonly ctx: EngineContext,
    private readonly queues: QueuePass,
    private readonly offers: Offers,
    private readonly closing: Closing,
    private readonly effects: Effects,
    private readonly timers: Timers,
    private readonly flows: PublishedFlows,
    private readonly maxNodeVisits: number | undefined,
  ) {}

  /**
   * A call to a service number runs the published flow of that number (NOT_FOUND when none): instant nodes are
   * walked at once and traced; the call then waits in a queue, rings a destination, or is disconnected. The same
   * connectorCallId again returns the same call.
   */
  async start(companyId: string, input: NewFlowCall): Promise<Call> {
    const { dataSource } = this.ctx;
    const { connectorCallId, serviceNumber } = input;
    const existing = await dataSource.getRepository(Call).findOneBy({ companyId, connectorCallId });
    if (existing !== null) {
      // The same call again is answered as it is; the same id for a call to another number is a mistake.
      if (existing.serviceNumber !== serviceNumber) throw errors.conflict('This connectorCallId is already a call to another service number', { field: 'input.connectorCallId' });
      return existing;
    }
    const version = await this.flows.publishedFor(companyId, serviceNumber);
    if (version === null) throw errors.notFound('Published call flow for this service number', 'input.serviceNumber');
    const now = this.ctx.time.now();
    let call: Call;
    try {
      call = await inTransaction(dataSource, async (m) => {
        const created = await m.getRepository(Call).save(m.create(Call, {
          companyId, connectorCallId, queueId: null, callerId: input.callerId, callerE164: input.callerE164, serviceNumber, priority: 0, context: input.context, state: 'QUEUED', endReason: null,
          enqueuedAt: new Date(now), endedAt: null, eligiblePriorities: [], lastOfferEndedAt: {}, revision: 0, flowVersionId: version.id, flowNodeId: null,
        }));
        await trace(m, created, { at: now, step: 'STARTED', summary: `dialled ${serviceNumber}: call flow version ${version.version}` });
        return created;
      });
    } catch (error) {
      if (!isConcurrentChange(error)) throw error;
      return dataSource.getRepository(Call).findOneByOrFail({ companyId, connectorCallId });
    }
    const flow = await this.loadFlow(call, false);
    await this.follow(call, flow, startFlow(flow.graph, flow.context(now)), null);
    return call;
  }

  /**
   * Where a flow call goes after its destination attempt ended unanswered, its queue's maximum wait passed or
   * its WAIT node's pause ended (`strict`: only if the call is still at the revision it was read at).
   */
  async continueFlow(call: Call, event: FlowEvent, strict = false): Promise<void> {
    if (call.flowVersionId === null || call.flowNodeId === null) return;
    const flow = await this.loadFlow(call, true);
    const from = { nodeId: call.flowNodeId };
    await this.follow(call, flow, stepFlow(flow.graph, from, event, flow.context(this.ctx.time.now())), from, strict);
  }

  /** A WAIT node's pause is over: the call goes on by its next branch, once, if it is still where it paused. */
  async endFlowWait(timer: Extract<TimerPayload, { t: 'flow' }>): Promise<void> {
    const call = await this.ctx.dataSource.getRepository(Call).findOneBy({ id: timer.callId, companyId: timer.companyId });
    if (call === null || call.revision !== timer.revision || call.flowNodeId !== timer.nodeId || call.state !== 'QUEUED' || call.queueId !== null) return;
    await this.continueFlow(call, { kind: 'WAIT_ENDED' }, true);
  }

  /**
   * The call's flow version as a graph, with schedules evaluated through the routing core, and the call's
   * arrivals at each node so far (read from its FLOW trace entries when `withVisits`; a new call has none).
   */
  private async loadFlow(call: Call, withVisits: boolean): Promise<LoadedFlow> {
    const { dataSource } = this.ctx;
    const version = await dataSource.getRepository(CallFlowVersion).findOneByOrFail({ id: call.flowVersionId! });
    const visits = new Map<string, number>();
    if (withVisits) {
      const walked = await dataSource.getRepository(CallTraceEntry).find({ where: { callId: call.id, step: 'FLOW' }, select: { id: true, facts: true } });
      for (const { facts } of walked) if (facts?.node?.arrived) visits.set(facts.node.id, (visits.get(facts.node.id) ?? 0) + 1);
    }
    const graph: FlowGraph = { nodes: version.nodes };
    const rangeIds = version.nodes.flatMap((n) => n.timeRangeIds ?? []);
    const listIds = version.nodes.map((n) => n.holidayListId).filter((id): id is string => id !== null);
    const [ranges, lists] = await Promise.all([
      rangeIds.length === 0 ? [] : dataSource.getRepository(TimeRange).findBy({ id: In(rangeIds), companyId: call.companyId }),
      listIds.length === 0 ? [] : dataSource.getRepository(HolidayList).findBy({ id: In(listIds), companyId: call.companyId }),
    ]);
    const rangeById = new Map(ranges.map((r) => [r.id, r]));
    const listById = new Map(lists.map((l) => [l.id, l]));
    return {
      graph,
      visits,
      context: (now) => ({
        now,
        visits,
        maxNodeVisits: this.maxNodeVisits,
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
      const now = this.ctx.time.now();
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
        this.effects.instruct(call.companyId, { kind: 'PLAY_MESSAGE', callId: call.id, message: action.message });
        event = { kind: 'MESSAGE_PLAYED' };
      } else if (action.kind === 'WAIT') {
        // Goes on when the timer fires, if the call is still here at this revision (a hang-up moves it on).
        const timer: TimerPayload = { t: 'flow', companyId: call.companyId, callId: call.id, nodeId: at!.nodeId, revision: call.revision };
        await this.timers.schedule(timerId.flow(call.id, call.revision), action.seconds * 1000, timer);
      } else {
        await this.disconnect(call, action.reason, now);
      }
      if (event === null || at === null) return;
      left = at;
      step = stepFlow(flow.graph, at, event, flow.context(this.ctx.time.now()));
    }
    await this.disconnect(call, `the flow moved ${MAX_FLOW_HOPS} times without the call waiting anywhere`, this.ctx.time.now());
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
    const added = step.context ?? [];
    const work = async (m: EntityManager) => {
      await updateCall(m, call, {
        flowNodeId: step.position?.nodeId ?? call.flowNodeId,
        ...(added.length > 0 ? { context: withContext(call.context ?? [], added) } : {}),
      });
      for (const facts of entries) await trace(m, call, { at: now, step: 'FLOW', facts });
    };
    if (strict) return ifUnchanged(this.ctx.dataSource, work);
    await withCall(this.ctx.dataSource, call, work);
    return true;
  }

  /** Queue node: Full or NoAgents at once, or the call waits in the queue (its maximum wait leads to Timeout). */
  private async enterQueue(call: Call, queueId: string, now: number): Promise<QueueOutcome | null> {
    const { dataSource, live } = this.ctx;
    const queue = await dataSource.getRepository(Queue).findOneBy({ id: queueId, companyId: call.companyId });
    if (queue === null) return 'NoAgents';
    const { waiting, admission } = await this.queues.admission(dataSource.manager, call.companyId, queue);
    if (!admission.admitted) return 'Full';
    const agents = await live.agents.getMany(call.companyId, await agentsOfQueue(dataSource, queueId));
    if ([...agents.values()].every((a) => a.status === 'LOGGED_OUT')) return 'NoAgents';
    await withCall(dataSource, call, async (m) => {
      await updateCall(m, call, { queueId, enqueuedAt: new Date(now), eligiblePriorities: [], lastOfferEndedAt: {} });
      await trace(m, call, enteredEntry(queue, waiting, now));
    });
    await this.queues.entered(call.companyId, call, queue, now);
    return null;
  }

  /**
   * RouteToExternalDestination node: bypasses queues and agents. A destination taken out of the pool (backed
   * off, suspended, disabled) is Busy at once without dialling; a full one is LimitReached; otherwise it is
   * dialled with its own outdial timeout through the one offer path, and the outcome picks the branch later.
   */
  private async routeExternal(call: Call, destinationId: string, now: number): Promise<ExternalOutcome | null> {
    const { dataSource, live } = this.ctx;
    const d = await dataSource.getRepository(ExternalDestination).findOneBy({ id: destinationId, companyId: call.companyId });
    const note = (words: TracePart[], skipped?: TraceInput['skipped']) => withCall(dataSource, call, (m) => trace(m, call, { at: now, step: 'EXTERNAL', facts: { words }, skipped }));
    const named: TracePart = { ref: { kind: 'DESTINATION', id: destinationId } };
    if (d === null) {
      await note(['the external destination no longer exists']);
      return 'Failure';
    }
    // The destination's live state (and its capacity pool's), read once for this decision.
    const pool = d.capacityPoolId === null ? null : await dataSource.getRepository(CapacityPool).findOne({ where: { id: d.capacityPoolId, companyId: call.companyId }, select: { id: true, maxSimultaneousCalls: true } });
    const [health, counts, poolCounts] = await Promise.all([
      live.health.getMany(call.companyId, [destinationId]), live.capacity.counts({ companyId: call.companyId, destinationId }),
      pool === null ? null : live.capacity.poolCounts(call.companyId, [pool.id]),
    ]);
    const snapshot = destinationSnapshot(d, counts, health.get(destinationId)!, pool === null ? null : poolSnapshot(pool, poolCounts!.get(pool.id)!));
    const availability = destinationAvailability(snapshot, { id: call.id, enqueuedAt: now, eligiblePriorities: [], lastOfferEndedAt: {} }, now);
    if (!availability.ok && availability.reason !== 'DESTINATION_AT_CAPACITY' && availability.reason !== 'POOL_AT_CAPACITY') {
      await note([named, ` is taken out of the pool (${availability.detail}): Busy without dialling`]);
      return 'Busy';
    }
    const entry: TraceInput = {
      at: now, step: 'ROUTED', facts: { words: ['dialled ', named, ` directly (no queue, no agents), ringing up to ${d.outdialTimeoutSec} s`] },
      considered: [{ kind: 'DESTINATION', id: d.id }], chosen: { kind: 'DESTINATION', id: d.id, priority: null, detail: 'named by the call flow' },
    };
    const result = await this.offers.offer(call, { kind: 'DESTINATION', destination: d, pool }, { entry, beforeNumberFailure: [] }, now);
    if (result.kind === 'NUMBER_FAILED') return 'Failure';
    if (result.kind === 'CLAIM_LOST') {
      // The destination's own limit, or its pool's (as read for the decision; a claim lost to a race reads as the destination's).
      const byPool = !availability.ok && availability.reason === 'POOL_AT_CAPACITY';
      const detail = byPool ? availability.detail : `at capacity ${counts.connecting + counts.active}/${d.maxSimultaneousCalls}`;
      // Recorded as a skip for capacity, as queue routing records one: statistics count the refusal from it.
      await note([named, ` is ${detail}: LimitReached`], [{ kind: 'DESTINATION', resourceId: d.id, reason: byPool ? 'POOL_AT_CAPACITY' : 'DESTINATION_AT_CAPACITY', detail }]);
      return 'LimitReached';
    }
    return null;
  }

  /** Disconnect node (or a dead end): the call ends FAILED with reason DISCONNECTED, and the connector hangs up. */
  private async disconnect(call: Call, reason: string, now: number): Promise<void> {
    const next = transition(CALL_STATE, call.state, 'refused');
    if (!next.ok) return;
    const closure = await withCall(this.ctx.dataSource, call, (m) => this.closing.finishCall(m, call, next.to, 'DISCONNECTED', { at: now, step: 'ENDED', summary: `disconnected: ${reason}` }));
    await this.closing.settle(call.companyId, closure, now);
    this.effects.instruct(call.companyId, { kind: 'DISCONNECT', callId: call.id, message: reason, endReason: 'DISCONNECTED' });
  }
}

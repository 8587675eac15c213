import { In, type EntityManager } from 'typeorm';
import { Call } from '../entities/call.entity';
import { CapacityPool } from '../entities/capacity-pool.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { AgentGroup } from '../entities/agent-group.entity';
import { Queue, QueueGroup } from '../entities/queue.entity';
import { errors } from '../errors';
import { inSpan, tracer } from '../platform/tracing';
import { FreeAgentIndex } from '../routing/agent-index';
import { admitToQueue, waitDeadline, type Admission } from '../routing/queue-caps';
import { routeCall } from '../routing/route-call';
import type { AgentSnapshot, DestinationSnapshot, PoolSnapshot, QueueGroupSnapshot, QueueSnapshot, RoutingDecision, WaitingCall } from '../routing/types';
import type { ContextEntry } from '../routing/vocabulary';
import type { AgentLive } from '../store/agent-state-store';
import { findOwned, inTransaction, isConcurrentChange } from '../store/persistence';
import { touchQuarterHours } from '../store/stat-buckets';
import { ifUnchanged, trace, updateCall, type WaitingNotes } from './call-records';
import { recentOffers } from './lookups';
import { destinationSnapshot, poolSnapshot } from './destination-snapshot';
import { groupDistribution, needsRecentOffers } from './group-distribution';
import type { Effects } from './effects';
import type { Offers } from './offer';
import { SerialLines } from './serial-lines';
import { timerId, type Timers } from './timers';
import { WAITING_STATES, type EngineContext, type TraceInput } from './types';

const MAX_TRIES_PER_CALL = 4;
const CALLS_PER_PASS = 500;

/** Everything one pass over a queue needs, loaded once per pass and kept current as the pass claims resources. */
export interface QueueView {
  queue: Queue;
  snapshot: QueueSnapshot;
  agents: Map<string, AgentSnapshot>;
  /** The same agents indexed by group and idle time: each decision of the pass costs O(log n), not O(n). */
  agentIndex: FreeAgentIndex;
  groupsOfAgent: Map<string, string[]>;
  destinations: Map<string, DestinationSnapshot>;
  configs: Map<string, ExternalDestination>;
  /** The capacity pools of those destinations (decision 038): their maximum, by id. */
  pools: Map<string, PoolConfig>;
}

/** What an offer and a pass need of a capacity pool. */
export interface PoolConfig {
  readonly id: string;
  readonly maxSimultaneousCalls: number;
}

/** Per pool of the destinations, its slots now (one batched read); empty when none has a pool. */
export async function poolsOf(ctx: EngineContext, companyId: string, configs: Iterable<ExternalDestination>, pools: ReadonlyMap<string, PoolConfig>): Promise<Map<string, PoolSnapshot>> {
  const ids = [...new Set([...configs].map((d) => d.capacityPoolId).filter((id): id is string => id !== null && pools.has(id)))];
  if (ids.length === 0) return new Map();
  const counts = await ctx.live.capacity.poolCounts(companyId, ids);
  return new Map(ids.map((id) => [id, poolSnapshot(pools.get(id)!, counts.get(id)!)]));
}

/** Loads a queue's view for one pass (null when the queue is gone): its groups, their members, and their live state. */
export type QueueLoader = (companyId: string, queueId: string, waitingCalls: number, oldestWaitingSince: number | null) => Promise<QueueView | null>;

/** A new call for a queue, its input already checked. */
export interface NewQueueCall {
  connectorCallId: string;
  queueId: string;
  callerId: string | null;
  callerE164: string | null;
  serviceNumber: string | null;
  priority: number;
  context: ContextEntry[];
}

/** What one routing attempt of one call came to. */
type RouteResult = 'OFFERED' | 'WAITING' | 'WAITING_FOR_ITSELF' | 'SKIPPED';

/**
 * Queues: admission of a call into a queue (one rule for calls the connector enqueues and calls a flow sends
 * there), and passes over a queue: load -> decide (the pure core) -> claim, commit and instruct (the one
 * offer path). Passes over one queue run one at a time in this instance; any number of instances may route
 * the same queue, since every claim and every commit is atomic.
 */
export class QueuePass {
  private readonly passes: SerialLines;
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly offers: Offers,
    private readonly effects: Effects,
    private readonly timers: Timers,
    private readonly notes: WaitingNotes,
    private readonly loadQueue: QueueLoader = queueLoader(ctx),
  ) {
    this.passes = new SerialLines((err) => ctx.logger.error({ err }, 'routing a queue failed'));
  }

  /**
   * Routes the waiting calls of one queue, in order (priority, then arrival). A request while a pass runs joins
   * the one pass queued after it (or queues it), so a caller waits for at most the running pass and the next.
   */
  pump(companyId: string, queueId: string): Promise<void> {
    return this.passes.run(`${companyId}/${queueId}`, async () => {
      if (!this.stopped) await inSpan('routing.pass', { 'company.id': companyId, 'queue.id': queueId }, () => this.routeQueue(companyId, queueId));
    });
  }

  /** No pass starts any more; settles when the passes in flight have ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.passes.idle();
  }

  // ---------------------------------------------------------------- admission

  /**
   * A new call for a queue (idempotent by the connector's call id): admitted, or refused when the queue is full
   * (recorded as FAILED with the reason, and the connector told to disconnect).
   */
  async enqueue(companyId: string, input: NewQueueCall, now: number): Promise<Call> {
    const attempt = () =>
      inTransaction(this.ctx.dataSource, async (m) => {
        const existing = await m.getRepository(Call).findOneBy({ companyId, connectorCallId: input.connectorCallId });
        if (existing !== null) {
          if (existing.queueId !== input.queueId) throw errors.conflict('This connectorCallId is already a call in another queue', { field: 'input.connectorCallId' });
          return { call: existing, created: false, queue: null as Queue | null };
        }
        const queue = await findOwned(m, Queue, companyId, input.queueId, { what: 'Queue', field: 'input.queueId', lock: 'read' });
        const { waiting, admission } = await this.admission(m, companyId, queue);
        const call = await m.getRepository(Call).save(
          m.create(Call, {
            companyId, connectorCallId: input.connectorCallId, queueId: queue.id, callerId: input.callerId, callerE164: input.callerE164,
            serviceNumber: input.serviceNumber, priority: input.priority, context: input.context,
            state: admission.admitted ? 'QUEUED' : 'FAILED',
            endReason: admission.admitted ? null : 'QUEUE_FULL',
            enqueuedAt: new Date(now),
            endedAt: admission.admitted ? null : new Date(now),
            eligiblePriorities: [], lastOfferEndedAt: {}, revision: 0,
          }),
        );
        touchQuarterHours(m, companyId, now);
        await trace(m, call, admission.admitted ? enteredEntry(queue, waiting, now) : { at: now, step: 'REFUSED', summary: `${admission.detail}: the call was refused` });
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
    const { call, created, queue } = result;
    if (created && call.state === 'FAILED') {
      this.ctx.meter.refused('QUEUE_FULL');
      this.effects.instruct(companyId, { kind: 'DISCONNECT', callId: call.id, message: 'queue full', endReason: 'QUEUE_FULL' });
      this.effects.announce(companyId, { queues: [call.queueId] });
    } else if (created && queue !== null) {
      await this.entered(companyId, call, queue, now);
    }
    return call;
  }

  /** How many calls wait or ring in the queue, and whether one more may wait there. */
  async admission(m: EntityManager, companyId: string, queue: Queue): Promise<{ waiting: number; admission: Admission }> {
    const waiting = await m.getRepository(Call).countBy({ companyId, queueId: queue.id, state: In([...WAITING_STATES]) });
    return { waiting, admission: admitToQueue({ waitingCalls: waiting, maxQueueLength: queue.maxQueueLength }) };
  }

  /** After a call entered a queue (committed): its maximum wait is timed, the queue routed, dashboards told. */
  async entered(companyId: string, call: Call, queue: Queue, now: number): Promise<void> {
    const deadline = waitDeadline(queue, now);
    if (deadline !== null) await this.timers.schedule(timerId.wait(call.id), deadline - now, { t: 'wait', companyId, callId: call.id });
    await this.pump(companyId, queue.id);
    this.effects.announce(companyId, { queues: [queue.id] });
  }

  // ---------------------------------------------------------------- a pass over a queue

  private async routeQueue(companyId: string, queueId: string): Promise<void> {
    const repo = this.ctx.dataSource.getRepository(Call);
    const waiting = { companyId, queueId, state: In([...WAITING_STATES]) };
    const queued = await repo.find({ where: { companyId, queueId, state: 'QUEUED' }, order: { priority: 'DESC', enqueuedAt: 'ASC', id: 'ASC' }, take: CALLS_PER_PASS });
    if (queued.length === 0) return;
    const [count, oldest] = await Promise.all([repo.countBy(waiting), repo.findOne({ where: waiting, order: { enqueuedAt: 'ASC' }, select: { id: true, enqueuedAt: true } })]);
    const loaded = await this.loadQueue(companyId, queueId, count, oldest?.enqueuedAt.getTime() ?? null);
    if (loaded === null) return;
    const view = await this.withRecentOffers(companyId, loaded);
    // Once a call finds nothing for reasons that are not its own (its retry intervals), no later call can
    // (it is eligible for no more groups): the rest only get their first "waiting" entry, not a decision each.
    let exhausted = false;
    for (const call of queued) {
      if (this.stopped) return;
      if (exhausted && this.notes.has(call.id)) continue;
      if ((await this.routeOne(companyId, view, call)) === 'WAITING') exhausted = true;
    }
    // A full page of calls each waiting for its own reasons: look further down the queue.
    if (queued.length === CALLS_PER_PASS) void this.pump(companyId, queueId).catch(() => undefined);
  }

  /**
   * Offers one waiting call: decide, then the one offer path; decides again after a lost claim (with that
   * resource's live state read again, and only then).
   */
  private async routeOne(companyId: string, view: QueueView, call: Call): Promise<RouteResult> {
    for (let tries = 0; tries < MAX_TRIES_PER_CALL; tries += 1) {
      const now = this.ctx.time.now();
      const waitingCall: WaitingCall = {
        id: call.id, enqueuedAt: call.enqueuedAt.getTime(), eligiblePriorities: call.eligiblePriorities, lastOfferEndedAt: call.lastOfferEndedAt,
        agentsOnly: call.returnCount > 0 && !view.queue.returnedCallsToExternal,
      };
      const decision = decide({ call: waitingCall, queue: view.snapshot, agents: view.agents, agentIndex: view.agentIndex, destinations: view.destinations, now });
      const chosen = decision.chosen;
      this.ctx.meter.decision(chosen === null ? 'WAITING' : chosen.kind);
      if (chosen === null) {
        await this.noteWaiting(call, view, decision);
        return decision.skipped.some((skip) => skip.reason === 'DESTINATION_RETRY_WAIT' || skip.reason === 'RETURNED_TO_AGENTS') ? 'WAITING_FOR_ITSELF' : 'WAITING';
      }
      const entry = decisionEntry(decision, view);
      const change = { eligiblePriorities: mergePriorities(call, decision) };
      if (chosen.kind === 'AGENT') {
        const before = view.agents.get(chosen.id)!;
        const result = await this.offers.offer(call, { kind: 'AGENT', agentId: chosen.id, ringTimeoutSec: view.queue.agentRingTimeoutSec, restore: before.activity }, { entry, beforeNumberFailure: [], change }, now);
        if (result.kind === 'CLAIM_LOST') {
          setAgent(view, agentSnapshot(chosen.id, await this.ctx.live.agents.get(companyId, chosen.id)));
          continue;
        }
        if (result.kind === 'OFFERED' && result.agent !== null) setAgent(view, agentSnapshot(chosen.id, result.agent));
        return result.kind === 'OFFERED' ? 'OFFERED' : 'SKIPPED';
      }
      const destination = view.configs.get(chosen.id)!;
      const group = view.snapshot.groups.find((g) => g.priority === chosen.priority);
      const pool = destination.capacityPoolId === null ? null : view.pools.get(destination.capacityPoolId) ?? null;
      const result = await this.offers.offer(call, { kind: 'DESTINATION', destination, groupId: group?.groupId ?? null, pool }, { entry, beforeNumberFailure: [entry], change }, now);
      if (result.kind === 'NUMBER_FAILED') {
        // The call waits the destination's retry interval for it; meanwhile it may go elsewhere.
        await this.timers.schedule(timerId.pump(call.queueId!, call.id), destination.retryIntervalSec * 1000, { t: 'pump', companyId, queueId: call.queueId! });
        continue;
      }
      if (result.kind === 'CLAIM_LOST') {
        // Another call (here or on another instance) took the last slot: read this destination's slots again.
        await this.refreshDestination(companyId, view, destination.id);
        continue;
      }
      if (result.kind === 'CALL_MOVED') return 'SKIPPED';
      // The slot this offer holds (and its pool's, for every member), counted without reading the live state again; and the group's recent offers.
      const d = view.destinations.get(destination.id)!;
      view.destinations.set(destination.id, { ...d, connectingCalls: d.connectingCalls + 1 });
      if (pool !== null) {
        for (const [id, other] of view.destinations) {
          if (other.pool?.id === pool.id) view.destinations.set(id, { ...other, pool: { ...other.pool, used: other.pool.used + 1 } });
        }
      }
      if (group !== undefined) noteOffer(group, destination.id);
      return 'OFFERED';
    }
    return 'SKIPPED';
  }

  /**
   * The view with, for each group whose distribution looks at its recent offers (round robin, weighted
   * share), the destinations they went to, newest first, from the system of record (so every instance counts
   * the same offers). The groups are copied: the loader's own (the directory's) are never written.
   */
  private async withRecentOffers(companyId: string, view: QueueView): Promise<QueueView> {
    if (!view.snapshot.groups.some((g) => needsRecentOffers(g.distribution))) return view;
    const groups = await Promise.all(view.snapshot.groups.map(async (g) => {
      if (!needsRecentOffers(g.distribution)) return g;
      const take = g.distribution!.mode === 'ROUND_ROBIN' ? 1 : g.distribution!.window ?? 100;
      return { ...g, distribution: { ...g.distribution!, recent: await recentOffers(this.ctx.dataSource, companyId, g.groupId, take) } };
    }));
    return { ...view, snapshot: { ...view.snapshot, groups } };
  }

  private async refreshDestination(companyId: string, view: QueueView, destinationId: string): Promise<void> {
    const d = view.configs.get(destinationId)!;
    const [counts, health, pools] = await Promise.all([
      this.ctx.live.capacity.counts({ companyId, destinationId }), this.ctx.live.health.getMany(companyId, [destinationId]), poolsOf(this.ctx, companyId, [d], view.pools),
    ]);
    const pool = d.capacityPoolId === null ? null : pools.get(d.capacityPoolId) ?? null;
    view.destinations.set(destinationId, destinationSnapshot(d, counts, health.get(destinationId)!, pool));
    // Its pool's count, read again, holds for the pool's other members too.
    if (pool !== null) {
      for (const [id, other] of view.destinations) if (other.pool?.id === pool.id) view.destinations.set(id, { ...other, pool });
    }
  }

  /** Records that the call keeps waiting, once per distinct reason set (not on every sweep). */
  private async noteWaiting(call: Call, view: QueueView, decision: RoutingDecision): Promise<void> {
    const key = `${decision.eligiblePriorities.join(',')}|${decision.skipped.map((s) => `${s.resourceId}:${s.reason}`).join(',')}`;
    const newlyEligible = decision.eligiblePriorities.some((p) => !call.eligiblePriorities.includes(p));
    if (this.notes.same(call.id, key) && !newlyEligible) return;
    const written = await ifUnchanged(this.ctx.dataSource, async (m) => {
      await updateCall(m, call, { eligiblePriorities: mergePriorities(call, decision) });
      await trace(m, call, { ...decisionEntry(decision, view), step: 'WAITING' });
    });
    if (written) this.notes.note(call.id, key);
  }
}

/** A pass's own count of a group's recent offers (newest first, at most its window) takes the offer it just made. */
function noteOffer(group: QueueGroupSnapshot, destinationId: string): void {
  const distribution = group.distribution;
  if (distribution?.recent === undefined) return;
  const recent = distribution.recent as string[];
  recent.unshift(destinationId);
  recent.length = Math.min(recent.length, distribution.mode === 'ROUND_ROBIN' ? 1 : distribution.window ?? 100);
}

/** The routing core's decision for one call, in a span of its own (what was considered, skipped and chosen). */
function decide(input: Parameters<typeof routeCall>[0]): RoutingDecision {
  const span = tracer.startSpan('routing.decide', { attributes: { 'call.id': input.call.id } });
  try {
    const decision = routeCall(input);
    span.setAttributes({
      'routing.considered': decision.considered.length, 'routing.skipped': decision.skipped.length,
      'routing.chosen': decision.chosen === null ? 'none' : decision.chosen.kind,
    });
    return decision;
  } finally {
    span.end();
  }
}

/** The trace entry of a call entering a queue. */
export function enteredEntry(queue: Queue, waiting: number, now: number): TraceInput {
  return { at: now, step: 'ENQUEUED', summary: `entered queue "${queue.name}" with ${waiting} other call${waiting === 1 ? '' : 's'} waiting or ringing` };
}

/**
 * The queue loader over the system of record and the live state: the queue, its groups and their members
 * and destinations, the agents' live state indexed, and each destination's configuration with its slots and
 * health, read once for the pass.
 */
export function queueLoader(ctx: EngineContext): QueueLoader {
  const { dataSource, live } = ctx;
  return async (companyId, queueId, waitingCalls, oldestWaitingSince) => {
    const queue = await dataSource.getRepository(Queue).findOneBy({ id: queueId, companyId });
    if (queue === null) return null;
    const groups = await dataSource.getRepository(QueueGroup).find({ where: { queueId }, order: { priority: 'ASC' } });
    const groupIds = groups.map((g) => g.groupId);
    const groupRows = groupIds.length === 0 ? [] : await dataSource.getRepository(AgentGroup).find({
      where: { id: In(groupIds) }, select: { id: true, externalDistribution: true, destinationOrder: true, destinationShares: true, shareWindow: true },
    });
    const members: Array<{ groupId: string; agentId: string }> = groupIds.length === 0 ? [] : await dataSource
      .createQueryBuilder().select(['ga."groupId" AS "groupId"', 'ga."agentId" AS "agentId"']).from('agent_group_agent', 'ga')
      .where('ga."groupId" IN (:...groupIds)', { groupIds }).getRawMany();
    const links: Array<{ groupId: string; destinationId: string }> = groupIds.length === 0 ? [] : await dataSource
      .createQueryBuilder().select(['gd."groupId" AS "groupId"', 'gd."destinationId" AS "destinationId"']).from('agent_group_destination', 'gd')
      .where('gd."groupId" IN (:...groupIds)', { groupIds }).getRawMany();
    const agentIds = [...new Set(members.map((r) => r.agentId))].sort();
    const destinationIds = [...new Set(links.map((r) => r.destinationId))].sort();
    const [agentLive, configs, slots, health] = await Promise.all([
      live.agents.getMany(companyId, agentIds),
      destinationIds.length === 0 ? [] : dataSource.getRepository(ExternalDestination).findBy({ id: In(destinationIds), companyId }),
      live.capacity.countsMany(companyId, destinationIds),
      live.health.getMany(companyId, destinationIds),
    ]);
    const poolIds = [...new Set(configs.map((d) => d.capacityPoolId).filter((id): id is string => id !== null))];
    const poolRows = poolIds.length === 0 ? [] : await dataSource.getRepository(CapacityPool).find({ where: { id: In(poolIds), companyId }, select: { id: true, maxSimultaneousCalls: true } });
    const pools = new Map<string, PoolConfig>(poolRows.map((p) => [p.id, { id: p.id, maxSimultaneousCalls: p.maxSimultaneousCalls }]));
    const poolLive = await poolsOf(ctx, companyId, configs, pools);
    const view: QueueView = {
      queue,
      snapshot: {
        id: queue.id,
        groups: groups.map((g) => ({
          priority: g.priority,
          groupId: g.groupId,
          overflow: g.priority === 1 ? null : { queueLengthAbove: g.queueLengthAbove, oldestWaitAboveSec: g.oldestWaitAboveSec, noAgentsLoggedIn: g.noAgentsLoggedIn },
          agentIds: members.filter((r) => r.groupId === g.groupId).map((r) => r.agentId).sort(),
          ...groupDistribution(groupRows.find((row) => row.id === g.groupId), links.filter((r) => r.groupId === g.groupId).map((r) => r.destinationId)),
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
      pools,
    };
    for (const { groupId, agentId } of members) view.groupsOfAgent.set(agentId, [...(view.groupsOfAgent.get(agentId) ?? []), groupId]);
    for (const [id, a] of agentLive) setAgent(view, agentSnapshot(id, a));
    for (const d of configs) view.destinations.set(d.id, destinationSnapshot(d, slots.get(d.id)!, health.get(d.id)!, d.capacityPoolId === null ? null : poolLive.get(d.capacityPoolId) ?? null));
    return view;
  };
}

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

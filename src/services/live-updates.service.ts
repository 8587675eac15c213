import { In, type DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import { atLeast, type UserPrincipal } from '../auth/principal';
import { PrivilegeLevel } from '../entities/enums';
import { Call } from '../entities/call.entity';
import { errors } from '../errors';
import type { CompanyModel } from '../live/company-model';
import type { LiveModels } from '../live/live-models';
import type { EventBus } from '../realtime/event-bus';
import { LiveFeed } from '../realtime/live-feed';
import type { AgentLive } from '../store/agent-state-store';
import type { LiveState } from '../store/live-state';
import type { DestinationLive, ExternalDestinationService } from './external-destination.service';
import type { CapacityPoolService, PoolLive } from './capacity-pool.service';
import { maySee, type AlertEvent } from './alert.service';
import { canonicalId } from '../store/persistence';
import { SerialLines } from '../engine/serial-lines';
import type { QueueDirectory } from '../engine/queue-directory';
import { systemScheduler, type Scheduler } from '../platform/scheduler';
import { agentBlocker } from '../routing/agent-blocker';
import type { AgentCounts } from '../routing/agent-index';

/** A queue's live state as dashboards see it. */
/** A queue's agents by what they can do now (agentBlocker's rule, the one routing follows). */
export interface QueueAgentCounts {
  free: number;
  wrapUp: number;
  retryWait: number;
  busy: number;
  onBreak: number;
  loggedOut: number;
}

export interface QueueLive {
  queueId: string;
  seq: number;
  waitingCalls: number;
  oldestWaitSec: number;
  /** The free ones (agents.free). */
  availableAgents: number;
  agents: QueueAgentCounts;
  at: Date;
}

/** An agent's live state as dashboards see it (never mixed into destination streams). */
export interface AgentLiveUpdate {
  agentId: string;
  seq: number;
  status: AgentLive['status'];
  activity: AgentLive['activity'];
  /** When the agent's wrap-up ends, while it lasts. */
  wrapUpUntil: Date | null;
  /** When the agent's wait after a missed call ends, while it lasts. */
  retryWaitUntil: Date | null;
  at: Date;
}

/** An agent's live state as dashboards see it at `now`: the holds that still last, with their ends. */
export function agentLiveUpdate(agentId: string, live: AgentLive, now: number): AgentLiveUpdate {
  const until = (ms: number | null) => (ms !== null && ms > now ? new Date(ms) : null);
  return {
    agentId, seq: live.seq, status: live.status, activity: live.activity, at: new Date(now),
    wrapUpUntil: live.activity === 'WRAP_UP' ? until(live.wrapUpUntil) : null,
    retryWaitUntil: live.activity === 'IDLE' ? until(live.notBefore) : null,
  };
}

/** The counts of a queue's agents as the API names them. */
export function queueAgentCounts(c: AgentCounts): QueueAgentCounts {
  return { free: c.FREE, wrapUp: c.AGENT_WRAP_UP, retryWait: c.AGENT_RETRY_WAIT, busy: c.AGENT_BUSY, onBreak: c.AGENT_ON_BREAK, loggedOut: c.AGENT_LOGGED_OUT };
}

/** Who a live subscription delivers to now: the socket's current principal (null once it has none). */
export type PrincipalSource = () => UserPrincipal | null;

type Kind = 'destination' | 'queue' | 'agent' | 'alert' | 'pool';

/**
 * Live updates of destinations, queues and agents: published on every change with a per-resource `seq`,
 * routed by topic (company and resource), and authorised for each subscriber at delivery with a view of
 * the user at most a few seconds old.
 */
export class LiveUpdatesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly live: LiveState,
    private readonly bus: EventBus,
    private readonly destinations: ExternalDestinationService,
    private readonly models: LiveModels,
    /** The routing clock: a queue's oldest wait is measured against the instants calls were enqueued at. */
    private readonly time: Scheduler = systemScheduler,
    /** Counts a queue's available agents from what it holds, instead of reading every agent of the queue. */
    private readonly directory: Pick<QueueDirectory, 'agentCounts'> | null = null,
    /** Capacity pools' live states (decision 038). */
    private readonly pools: Pick<CapacityPoolService, 'liveStates'> | null = null,
  ) {}

  /** Publications of one resource run one after another (so this instance publishes them in `seq` order), coalesced under load. */
  private readonly lines = new SerialLines(() => undefined);

  /** A destination's live state changed (a slot, its health, a suspension, its configuration). */
  destinationChanged(companyId: string, destinationId: string): Promise<void> {
    return this.lines.run(`${companyId}/destination/${destinationId}`, () => this.publishDestination(companyId, destinationId));
  }

  private async publishDestination(companyId: string, destinationId: string): Promise<void> {
    const row = (await this.models.get(companyId)).destinations.get(destinationId);
    if (row === undefined) return;
    const seq = await this.live.sequences.next(companyId, 'destination', destinationId);
    const [state] = await this.destinations.liveStates(companyId, [row]);
    this.bus.publishUpdate(companyId, 'destination', destinationId, { ...state!, seq, at: state!.at.getTime(), backedOffUntil: state!.backedOffUntil?.getTime() ?? null });
    // A slot of a member is a slot of its capacity pool: the pool's state is published too.
    if (row.capacityPoolId !== null && this.pools !== null) await this.poolChanged(companyId, row.capacityPoolId);
  }

  /** A capacity pool's slots or maximum changed (decision 038). */
  poolChanged(companyId: string, poolId: string): Promise<void> {
    return this.lines.run(`${companyId}/pool/${poolId}`, () => this.publishPool(companyId, poolId));
  }

  private async publishPool(companyId: string, poolId: string): Promise<void> {
    if (this.pools === null) return;
    const row = (await this.models.get(companyId)).pools.get(poolId);
    const seq = await this.live.sequences.next(companyId, 'pool', poolId);
    // A pool gone (deleted) says so in its last update: subscribers drop it.
    const state: PoolLive = row === undefined
      ? { poolId, seq, connectingCalls: 0, activeCalls: 0, maxSimultaneousCalls: 0, deleted: true, at: new Date(this.time.now()) }
      : (await this.pools.liveStates(companyId, [row]))[0]!;
    this.bus.publishUpdate(companyId, 'pool', poolId, { ...state, seq, at: state.at.getTime() });
  }

  /**
   * Capacity pool updates: for users who may see external destinations (a pool's counts name no member); `ids`
   * checked now (unknown and other companies' alike NOT_FOUND).
   */
  async poolUpdates(principal: PrincipalSource, given: string[] | null): Promise<LiveFeed<PoolLive>> {
    const user = subscriber(principal);
    let ids = given;
    if (given !== null) {
      const model = await this.models.get(user.companyId);
      ids = checkIds(given, 'Capacity pool', (id) => model.pools.has(id));
    }
    return this.stream<PoolLive>(principal, 'pool', ids, (u) => atLeast(u.privileges.externalDestinations, PrivilegeLevel.VIEW), (e) => ({ ...e, at: new Date(e.at as unknown as number) }));
  }

  /** An agent's live state changed; its own state carries the sequence number. */
  agentChanged(companyId: string, agentId: string, live: AgentLive): void {
    const update = agentLiveUpdate(agentId, live, this.time.now());
    this.bus.publishUpdate(companyId, 'agent', agentId, { ...update, at: update.at.getTime(), wrapUpUntil: update.wrapUpUntil?.getTime() ?? null, retryWaitUntil: update.retryWaitUntil?.getTime() ?? null });
  }

  /** A queue's waiting calls or available agents changed. */
  queueChanged(companyId: string, queueId: string): Promise<void> {
    return this.lines.run(`${companyId}/queue/${queueId}`, () => this.publishQueue(companyId, queueId));
  }

  private async publishQueue(companyId: string, queueId: string): Promise<void> {
    const seq = await this.live.sequences.next(companyId, 'queue', queueId);
    const [state] = await this.queueStates(companyId, [queueId], new Map([[queueId, seq]]));
    if (state) this.bus.publishUpdate(companyId, 'queue', queueId, { ...state, at: state.at.getTime() });
  }

  /** The live state of queues now (for the subscription's payloads and for reads). */
  async queueStates(companyId: string, queueIds: string[], seqs?: Map<string, number>, now = this.time.now()): Promise<QueueLive[]> {
    const sequences = seqs ?? (await this.live.sequences.current(companyId, 'queue', queueIds));
    const model = await this.models.get(companyId);
    const out: QueueLive[] = [];
    for (const queueId of queueIds) {
      const where = { companyId, queueId, state: In(['QUEUED', 'OFFERING']) };
      const calls = this.dataSource.getRepository(Call);
      const [waitingCalls, oldestCall] = await Promise.all([calls.countBy(where), calls.findOne({ where, order: { enqueuedAt: 'ASC' }, select: { id: true, enqueuedAt: true } })]);
      const held = (await this.directory?.agentCounts(companyId, queueId, now)) ?? null;
      const agents = queueAgentCounts(held ?? countAgents(await this.live.agents.getMany(companyId, agentsOfQueue(model, queueId)), now));
      out.push({
        queueId,
        seq: sequences.get(queueId) ?? 0,
        waitingCalls,
        oldestWaitSec: oldestCall === null ? 0 : Math.max(0, Math.floor((now - oldestCall.enqueuedAt.getTime()) / 1000)),
        availableAgents: agents.free,
        agents,
        at: new Date(now),
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- subscriptions

  /**
   * Destination updates the user may see: `ids` are checked now, from memory (unknown, hidden and other
   * companies' alike are NOT_FOUND); each event is checked against the subscriber's principal at delivery.
   */
  async destinationUpdates(principal: PrincipalSource, given: string[] | null): Promise<LiveFeed<DestinationLive>> {
    const user = subscriber(principal);
    let ids = given;
    if (given !== null) {
      const scope = DestinationScope.of(user);
      const model = await this.models.get(user.companyId);
      ids = checkIds(given, 'External destination', (id) => {
        const d = model.destinations.get(id);
        return d !== undefined && scope.canSee(d);
      });
    }
    return this.stream<DestinationLive>(principal, 'destination', ids, (u, event) => DestinationScope.of(u).canSee({ id: event.destinationId, companyId: u.companyId }), (e) => ({
      ...e, at: new Date(e.at as unknown as number), backedOffUntil: e.backedOffUntil === null ? null : new Date(e.backedOffUntil as unknown as number),
    }));
  }

  async agentUpdates(principal: PrincipalSource, given: string[] | null): Promise<LiveFeed<AgentLiveUpdate>> {
    const user = subscriber(principal);
    let ids = given;
    if (given !== null) {
      const model = await this.models.get(user.companyId);
      ids = checkIds(given, 'Agent', (id) => model.agents.has(id));
    }
    const date = (ms: unknown) => (ms === null || ms === undefined ? null : new Date(ms as number));
    return this.stream<AgentLiveUpdate>(principal, 'agent', ids, (u) => atLeast(u.privileges.agents, PrivilegeLevel.VIEW), (e) => ({
      ...e, at: new Date(e.at as unknown as number), wrapUpUntil: date(e.wrapUpUntil), retryWaitUntil: date(e.retryWaitUntil),
    }));
  }

  /** Alerts raised and cleared (decision 028), each delivered only to subscribers who may see its queue or destination now. */
  alertUpdates(principal: PrincipalSource): LiveFeed<AlertEvent> {
    subscriber(principal);
    return this.stream<AlertEvent>(principal, 'alert', null, (u, event) => maySee(u, event), (e) => ({ ...e, at: new Date(e.at as unknown as number) }));
  }

  async queueUpdates(principal: PrincipalSource, given: string[] | null): Promise<LiveFeed<QueueLive>> {
    const user = subscriber(principal);
    let ids = given;
    if (given !== null) {
      const model = await this.models.get(user.companyId);
      ids = checkIds(given, 'Queue', (id) => model.queues.has(id));
    }
    return this.stream<QueueLive>(principal, 'queue', ids, (u) => atLeast(u.privileges.queues, PrivilegeLevel.VIEW), (e) => ({ ...e, at: new Date(e.at as unknown as number) }));
  }

  /**
   * The company's events of one kind (or of the given ids), each delivered only if the subscriber, as its
   * socket holds it now (kept current by the socket server from the authority in memory), may see it. A
   * subscriber that no longer has a principal ends the feed. Deciding costs no I/O, whoever subscribes.
   */
  private stream<T extends object>(principal: PrincipalSource, kind: Kind, ids: string[] | null, allowed: (u: UserPrincipal, event: T) => boolean, revive: (raw: T) => T): LiveFeed<T> {
    const companyId = subscriber(principal).companyId;
    return new LiveFeed<T>((listener) => {
      let ended = false;
      const onEvent = (raw: unknown) => {
        if (ended) return;
        const current = principal();
        if (current === null) {
          stop();
          listener.end();
          return;
        }
        const event = this.revived(raw as T, revive);
        if (allowed(current, event)) listener.next(event);
      };
      const off = this.bus.listenUpdates(companyId, kind, ids, onEvent);
      const stop = () => {
        ended = true;
        off();
      };
      return stop;
    });
  }

  /** Each published payload is revived (dates) once, and every subscriber gets that same object. */
  private readonly revivals = new WeakMap<object, object>();

  private revived<T extends object>(raw: T, revive: (raw: T) => T): T {
    let event = this.revivals.get(raw) as T | undefined;
    if (event === undefined) {
      event = revive(raw);
      this.revivals.set(raw, event);
    }
    return event;
  }
}

/** The subscribing user (operations that required one). */
function subscriber(principal: PrincipalSource): UserPrincipal {
  const user = principal();
  if (user === null) throw errors.forbidden();
  return user;
}

/**
 * Refuses a list of ids with a repeated id (BAD_USER_INPUT) or one that is not there for the caller
 * (NOT_FOUND `ids[i]`); returns them in their one spelling, as updates are published under.
 */
function checkIds(given: readonly string[], what: string, exists: (id: string) => boolean): string[] {
  const ids = given.map(canonicalId);
  const dup = ids.findIndex((id, i) => ids.indexOf(id) !== i);
  if (dup >= 0) throw errors.badInput([{ field: `ids[${dup}]`, message: 'is listed twice' }]);
  const missing = ids.findIndex((id) => !exists(id));
  if (missing >= 0) throw errors.notFound(what, `ids[${missing}]`);
  return ids;
}

/** The distinct agents of a queue's groups. */
/** Agents read from the live-state store, counted by what they can do at `now` (a queue the directory does not hold). */
function countAgents(agents: ReadonlyMap<string, AgentLive>, now: number): AgentCounts {
  const counts = { FREE: 0, AGENT_LOGGED_OUT: 0, AGENT_ON_BREAK: 0, AGENT_BUSY: 0, AGENT_WRAP_UP: 0, AGENT_RETRY_WAIT: 0 };
  for (const [id, a] of agents) {
    counts[agentBlocker({ id, status: a.status, activity: a.activity, idleSince: a.idleSince, wrapUpUntil: a.wrapUpUntil, notBefore: a.notBefore }, now) ?? 'FREE'] += 1;
  }
  return counts;
}

function agentsOfQueue(model: CompanyModel, queueId: string): string[] {
  const ids = new Set<string>();
  for (const entry of model.groupsOfQueue(queueId)) for (const agentId of model.groups.get(entry.groupId)?.agentIds ?? []) ids.add(agentId);
  return [...ids];
}

import type { Logger } from 'pino';
import type { ExternalDestination } from '../entities/external-destination.entity';
import { loggableError } from '../errors';
import type { CompanyModel, GroupRecord, QueueRecord } from '../live/company-model';
import type { LiveModels } from '../live/live-models';
import { systemScheduler, type Scheduler } from '../platform/scheduler';
import type { EventBus } from '../realtime/event-bus';
import { FreeAgentIndex, type AgentCounts } from '../routing/agent-index';
import type { AgentSnapshot, DestinationSnapshot, QueueGroupSnapshot } from '../routing/types';
import { destinationSnapshot, poolSnapshot } from './destination-snapshot';
import { groupDistribution } from './group-distribution';
import type { PoolConfig, QueueLoader, QueueView } from './queue-pass';
import type { AgentLive } from '../store/agent-state-store';
import type { LiveState } from '../store/live-state';

export interface QueueDirectoryOptions {
  logger: Logger;
  /** Time for the periodic re-read of the agents held (tests move it). */
  scheduler?: Scheduler;
  /** How often every agent held is read again from the live-state store (REFRESH_MS when left out). */
  refreshMs?: number;
  /** The routing clock, against which wrap-ups and retry waits end (the scheduler's when left out). */
  now?: () => number;
  /** How often queues whose agents' counts were reported are looked at for holds that ended (HOLD_CHECK_MS when left out). */
  holdCheckMs?: number;
}

/** How often the reported agent counts of queues are compared with now: the delay of an update when a hold ends. */
export const HOLD_CHECK_MS = 1_000;

/** How often every agent held is read again: the bound on a hint a lost bus message left out of date. */
export const REFRESH_MS = 5_000;

/**
 * The queues of the companies this instance routes, as a queue pass needs them (`view`), kept up to date by
 * events instead of read whole for every pass: per queue its configuration (groups by priority with their
 * overflow conditions, from the company held in memory), its groups' agents and destinations, and a
 * FreeAgentIndex of its agents that is written one agent at a time as their live state changes. A view
 * costs O(groups + destinations) however many agents the queue has: the agents, their index and their
 * groups are the directory's own (persistent) structures, not copies; only the destinations' live state
 * (slots, health: few rows) is read per view.
 *
 * It is fed by
 * - the company model (`LiveModels`): a queue whose record or whose groups' records changed is brought up
 *   to date at its next view (and at once in the background when the model announces a change): the same
 *   members keep their index; other members rebuild it, in the order a fresh read builds it (ids sorted),
 *   reading the live state only of agents not held yet;
 * - agents' live state: `agentChanged` with the state a compare-and-set returned on this instance, and the
 *   agent updates on the event bus (every instance's, in cluster mode), which carry only the state's `seq`:
 *   an update whose `seq` differs from the one held has the agent read again from the live-state store
 *   (batched per turn of the event loop). A pass's own writes to a view (`agentIndex.upsert`) are kept and,
 *   when they differ from what the directory holds, checked by reading the agent again;
 * - a re-read of every agent held every `refreshMs` and at once when the bus reconnects, so a lost bus
 *   message (pub/sub is at most once) or a live-state store that restarted empty is noticed within that.
 *
 * It is a HINT, never authority: a pass still claims an agent with a compare-and-set on the live-state
 * store (and a destination slot with its own atomic acquire), so an entry that is out of date costs that
 * pass one failed claim and a retry (the pass then writes what it read into the view), never a double
 * booking. Time is not read here: wrap-ups and retry waits end when a query's `now` reaches them (see
 * FreeAgentIndex).
 *
 * Memory: per company held, the queues viewed since the instance started (a deleted queue is dropped) and
 * the live state of their agents.
 */
export class QueueDirectory {
  private readonly companies = new Map<string, CompanyEntry>();
  private readonly logger: Logger;
  private readonly scheduler: Scheduler;
  private readonly refreshMs: number;
  private readonly offs: Array<() => void> = [];
  private stopTimer: (() => void) | null = null;
  private stopHoldCheck: (() => void) | null = null;
  private readonly now: () => number;
  private readonly holdCheckMs: number;
  private readonly holdListeners = new Set<(companyId: string, queueId: string) => void>();
  private refreshing: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly models: Pick<LiveModels, 'get' | 'peek' | 'onChanged'>,
    private readonly live: Pick<LiveState, 'agents' | 'capacity' | 'health'>,
    private readonly bus: Pick<EventBus, 'listenUpdates' | 'onReconnect'> | null,
    options: QueueDirectoryOptions,
  ) {
    this.logger = options.logger;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.refreshMs = options.refreshMs ?? REFRESH_MS;
    this.now = options.now ?? (() => this.scheduler.now());
    this.holdCheckMs = options.holdCheckMs ?? HOLD_CHECK_MS;
    this.offs.push(models.onChanged((companyId) => this.modelChanged(companyId)));
    if (bus !== null) this.offs.push(bus.onReconnect(() => void this.refresh()));
  }

  /** Starts the periodic re-read of the agents held, and the look at holds that ended. */
  start(): void {
    this.stopTimer ??= this.scheduler.every(this.refreshMs, () => void this.refresh());
    this.stopHoldCheck ??= this.scheduler.every(this.holdCheckMs, () => this.checkHolds(this.now()));
  }

  /**
   * `listener` hears of a queue whose agents' counts, as last reported by `agentCounts`, are no longer true
   * with time alone: a wrap-up or a retry wait ended, and no change of an agent said so.
   */
  onHoldsEnded(listener: (companyId: string, queueId: string) => void): () => void {
    this.holdListeners.add(listener);
    return () => void this.holdListeners.delete(listener);
  }

  /** Tells the listeners of every reported queue whose counts at `now` differ from the ones reported. */
  checkHolds(now: number): void {
    if (this.holdListeners.size === 0) return;
    for (const [companyId, company] of this.companies) {
      for (const q of company.queues.values()) {
        if (q.reported === null || countsKey(q.index.counts(q.groups.map((g) => g.groupId), now)) === q.reported) continue;
        // Reported once: the next report (the update the listener publishes) sets it again.
        q.reported = null;
        for (const listener of this.holdListeners) listener(companyId, q.queueId);
      }
    }
  }

  /** Stops listening and re-reading, and waits for reads in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopTimer?.();
    this.stopTimer = null;
    this.stopHoldCheck?.();
    this.stopHoldCheck = null;
    for (const off of this.offs.splice(0)) off();
    for (const company of this.companies.values()) company.off();
    await this.settled();
  }

  /**
   * What a pass over the queue needs now, or null when the company has no such queue. `waitingCalls` and
   * `oldestWaitingSince` are the pass's own count of the queue's calls. The returned `agents`,
   * `agentIndex` and `groupsOfAgent` are the directory's: a pass writes the agents it claims into them.
   */
  async view(companyId: string, queueId: string, waitingCalls: number, oldestWaitingSince: number | null): Promise<QueueView | null> {
    const held = await this.held(companyId, queueId);
    if (held === null) return null;
    const { queue: q, model } = held;
    const configs = new Map<string, ExternalDestination>();
    for (const id of q.destinationIds) {
      const d = model.destinations.get(id);
      if (d !== undefined) configs.set(id, d);
    }
    const ids = [...configs.keys()];
    const destinations = new Map<string, DestinationSnapshot>();
    // The capacity pools of those destinations (decision 038), from the same model.
    const pools = new Map<string, PoolConfig>();
    for (const d of configs.values()) {
      const pool = d.capacityPoolId === null ? undefined : model.pools.get(d.capacityPoolId);
      if (pool !== undefined) pools.set(pool.id, { id: pool.id, maxSimultaneousCalls: pool.maxSimultaneousCalls });
    }
    if (ids.length > 0) {
      const poolIds = [...pools.keys()];
      const [slots, health, poolSlots] = await Promise.all([
        this.live.capacity.countsMany(companyId, ids), this.live.health.getMany(companyId, ids), poolIds.length === 0 ? new Map() : this.live.capacity.poolCounts(companyId, poolIds),
      ]);
      for (const d of configs.values()) {
        const pool = d.capacityPoolId === null ? undefined : pools.get(d.capacityPoolId);
        destinations.set(d.id, destinationSnapshot(d, slots.get(d.id)!, health.get(d.id)!, pool === undefined ? null : poolSnapshot(pool, poolSlots.get(pool.id)!)));
      }
    }
    const row = q.record.row;
    return {
      queue: row,
      snapshot: { id: row.id, groups: q.groups, waitingCalls, oldestWaitingSince, maxQueueLength: row.maxQueueLength, maxWaitSec: row.maxWaitSec },
      agents: q.agents,
      agentIndex: q.index,
      groupsOfAgent: q.groupsOfAgent,
      destinations,
      configs,
      pools,
    };
  }

  /** `view` as the queue pass takes its loader. */
  loader(): QueueLoader {
    return (companyId, queueId, waitingCalls, oldestWaitingSince) => this.view(companyId, queueId, waitingCalls, oldestWaitingSince);
  }

  /**
   * How many distinct agents of the queue's groups can be offered a call at `now`, and why the others cannot,
   * as the directory holds them (the dashboards' counts, by the rule routing follows: `agentBlocker`), or null
   * when there is no such queue: O(groups) once the queue is held. What is reported is watched: when a hold
   * ends with time alone, `onHoldsEnded` listeners hear of the queue.
   */
  async agentCounts(companyId: string, queueId: string, now: number): Promise<AgentCounts | null> {
    const held = await this.held(companyId, queueId);
    if (held === null) return null;
    const q = held.queue;
    const counts = q.index.counts(q.groups.map((g) => g.groupId), now);
    q.reported = countsKey(counts);
    return counts;
  }

  /**
   * An agent's live state changed on this instance (the state a compare-and-set returned): applied at once
   * when it is newer than the one held. Agents of no queue held are not kept.
   */
  agentChanged(companyId: string, agentId: string, live: AgentLive): void {
    const company = this.companies.get(companyId);
    const entry = company?.agents.get(agentId);
    if (company === undefined || entry === undefined) return;
    if (entry.live !== null && live.seq <= entry.live.seq) return;
    this.set(company, agentId, entry, live);
  }

  /** Reads every agent held again from the live-state store (periodically, and when the bus reconnects). */
  refresh(): Promise<void> {
    return (this.refreshing ??= this.readAll().finally(() => {
      this.refreshing = null;
    }));
  }

  /** Settles once no read or rebuild started so far is in flight (tests). */
  async settled(): Promise<void> {
    for (;;) {
      const pending: Array<Promise<unknown>> = [];
      if (this.refreshing !== null) pending.push(this.refreshing);
      for (const c of this.companies.values()) {
        if (c.reading !== null) pending.push(c.reading);
        pending.push(...c.building.values());
      }
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  // ---------------------------------------------------------------- queues

  /** The queue as held, brought up to the company's current model first; null when the company has no such queue. */
  private async held(companyId: string, queueId: string): Promise<{ queue: QueueEntry; model: CompanyModel } | null> {
    const company = this.company(companyId);
    for (let round = 0; ; round += 1) {
      const model = this.models.peek(companyId) ?? (await this.models.get(companyId));
      const record = model.queues.get(queueId);
      const q = company.queues.get(queueId);
      if (record === undefined) {
        if (q !== undefined) this.drop(company, q);
        return null;
      }
      // Several rounds only while the model keeps changing under the reads of a rebuild: then what is held serves.
      if (q !== undefined && (isCurrent(q, model, record) || round >= 3)) return { queue: q, model };
      const building = company.building.get(queueId);
      if (building !== undefined) {
        await building;
        continue;
      }
      const run = this.build(company, queueId, model, record).finally(() => company.building.delete(queueId));
      company.building.set(queueId, run);
      await run;
    }
  }

  /**
   * Brings a queue to `record` and its groups in `model`: its snapshot groups always; its agents and index
   * only when its members or their groups changed (rebuilt in ascending id order, as a fresh read builds
   * them, so traces name the same agents first), reading the live state of agents not held yet.
   */
  private async build(company: CompanyEntry, queueId: string, model: CompanyModel, record: QueueRecord): Promise<void> {
    const groupRecords = record.groups.map((g) => model.groups.get(g.groupId));
    const groupsOfAgent = new Map<string, string[]>();
    const destinationIds = new Set<string>();
    const groups: QueueGroupSnapshot[] = record.groups.map((g, i) => {
      const members = groupRecords[i];
      for (const agentId of members?.agentIds ?? []) {
        const list = groupsOfAgent.get(agentId);
        if (list === undefined) groupsOfAgent.set(agentId, [g.groupId]);
        else list.push(g.groupId);
      }
      for (const id of members?.destinationIds ?? []) destinationIds.add(id);
      return {
        priority: g.priority,
        groupId: g.groupId,
        overflow: g.priority === 1 ? null : { queueLengthAbove: g.queueLengthAbove, oldestWaitAboveSec: g.oldestWaitAboveSec, noAgentsLoggedIn: g.noAgentsLoggedIn },
        agentIds: [...(members?.agentIds ?? [])].sort(),
        ...groupDistribution(members?.row, members?.destinationIds ?? []),
      };
    });
    const q = company.queues.get(queueId);
    const unchanged = q !== undefined && sameMembers(q.groupsOfAgent, groupsOfAgent);
    if (!unchanged) {
      // Members not held yet are read (pinned meanwhile, so no other queue's release forgets them).
      const pinned: Array<[string, AgentEntry]> = [];
      const unread: string[] = [];
      for (const agentId of groupsOfAgent.keys()) {
        let entry = company.agents.get(agentId);
        if (entry === undefined) {
          entry = { live: null, snapshot: null, queues: new Set(), stamp: 0, pins: 0 };
          company.agents.set(agentId, entry);
        }
        entry.pins += 1;
        pinned.push([agentId, entry]);
        if (entry.live === null) unread.push(agentId);
      }
      try {
        if (unread.length > 0) {
          const stamp = company.stamp;
          const read = await this.live.agents.getMany(company.companyId, unread);
          for (const [agentId, live] of read) this.applyRead(company, agentId, live, stamp);
        }
      } finally {
        for (const [agentId, entry] of pinned) {
          entry.pins -= 1;
          // A read that failed leaves nothing behind.
          if (entry.live === null && entry.queues.size === 0 && entry.pins === 0 && company.agents.get(agentId) === entry) company.agents.delete(agentId);
        }
      }
      // The queue was deleted while its members were read: nothing to hold.
      if (this.models.peek(company.companyId)?.queues.has(queueId) === false) {
        if (q !== undefined) this.drop(company, q);
        return;
      }
      const written = (agent: AgentSnapshot) => this.written(company, agent);
      const target = q ?? newQueue(queueId, record, written);
      const index = new DirectoryIndex(written);
      const agents = new Map<string, AgentSnapshot>();
      for (const agentId of [...groupsOfAgent.keys()].sort()) {
        const entry = company.agents.get(agentId)!;
        const snapshot = entry.snapshot!;
        entry.queues.add(target);
        agents.set(agentId, snapshot);
        index.write(groupsOfAgent.get(agentId)!, snapshot);
      }
      for (const agentId of target.groupsOfAgent.keys()) if (!groupsOfAgent.has(agentId)) this.release(company, agentId, target);
      target.agents = agents;
      target.index = index;
      target.groupsOfAgent = groupsOfAgent;
      company.queues.set(queueId, target);
    }
    const held = company.queues.get(queueId);
    if (held === undefined) return;
    held.record = record;
    held.groupRecords = groupRecords;
    held.groups = groups;
    held.destinationIds = [...destinationIds].sort();
  }

  /** A queue gone from the company: its agents are released. */
  private drop(company: CompanyEntry, q: QueueEntry): void {
    if (company.queues.get(q.queueId) !== q) return;
    company.queues.delete(q.queueId);
    for (const agentId of q.groupsOfAgent.keys()) this.release(company, agentId, q);
  }

  private release(company: CompanyEntry, agentId: string, q: QueueEntry): void {
    const entry = company.agents.get(agentId);
    if (entry === undefined) return;
    entry.queues.delete(q);
    if (entry.queues.size === 0 && entry.pins === 0) company.agents.delete(agentId);
  }

  /** The model announced a change: queues gone are dropped, queues whose records moved are rebuilt in the background. */
  private modelChanged(companyId: string): void {
    const company = this.companies.get(companyId);
    const model = this.models.peek(companyId);
    if (company === undefined || model === undefined || this.stopped) return;
    for (const q of [...company.queues.values()]) {
      const record = model.queues.get(q.queueId);
      if (record === undefined) this.drop(company, q);
      else if (!isCurrent(q, model, record)) {
        this.held(companyId, q.queueId).catch((err: unknown) => this.logger.warn({ err: loggableError(err), companyId, queueId: q.queueId }, 'queue directory: bringing a queue up to date failed'));
      }
    }
  }

  // ---------------------------------------------------------------- agents

  private company(companyId: string): CompanyEntry {
    let company = this.companies.get(companyId);
    if (company === undefined) {
      const entry: CompanyEntry = {
        companyId, agents: new Map(), queues: new Map(), building: new Map(), stale: new Set(), reading: null, stamp: 0, off: () => undefined,
      };
      if (this.bus !== null && !this.stopped) entry.off = this.bus.listenUpdates(companyId, 'agent', null, (payload) => this.heard(entry, payload));
      this.companies.set(companyId, (company = entry));
    }
    return company;
  }

  /** An agent update on the bus (this instance's or another's): read the agent again when its `seq` is not the one held. */
  private heard(company: CompanyEntry, payload: unknown): void {
    const { agentId, seq } = (payload ?? {}) as { agentId?: unknown; seq?: unknown };
    if (typeof agentId !== 'string' || typeof seq !== 'number') return;
    const entry = company.agents.get(agentId);
    if (entry === undefined || (entry.live !== null && entry.live.seq === seq)) return;
    this.stale(company, agentId);
  }

  /** A pass wrote an agent into a view's index: when that is not what the directory holds, the store is asked. */
  private written(company: CompanyEntry, agent: AgentSnapshot): void {
    const entry = company.agents.get(agent.id);
    if (entry === undefined || (entry.snapshot !== null && sameSnapshot(entry.snapshot, agent))) return;
    this.stale(company, agent.id);
  }

  /** Reads the agent again soon, with the others heard of in the same turn of the event loop (one batched read). */
  private stale(company: CompanyEntry, agentId: string): void {
    company.stale.add(agentId);
    if (company.reading !== null || this.stopped) return;
    company.reading = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (company.stale.size > 0 && !this.stopped) {
        const ids = [...company.stale];
        company.stale.clear();
        const stamp = company.stamp;
        try {
          const read = await this.live.agents.getMany(company.companyId, ids);
          for (const [agentId, live] of read) this.applyRead(company, agentId, live, stamp);
        } catch (err) {
          // Left to the next periodic re-read.
          this.logger.warn({ err: loggableError(err), companyId: company.companyId }, 'queue directory: reading agents again failed');
          return;
        }
      }
    })().finally(() => {
      company.reading = null;
    });
  }

  private async readAll(): Promise<void> {
    for (const company of [...this.companies.values()]) {
      if (this.stopped) return;
      const ids = [...company.agents.keys()];
      if (ids.length === 0) continue;
      const stamp = company.stamp;
      try {
        const read = await this.live.agents.getMany(company.companyId, ids);
        for (const [agentId, live] of read) this.applyRead(company, agentId, live, stamp);
      } catch (err) {
        this.logger.warn({ err: loggableError(err), companyId: company.companyId }, 'queue directory: the periodic re-read of agents failed');
      }
    }
  }

  /**
   * What the store said of an agent, read after `stamp`: it is the truth at that moment, so it replaces what
   * is held unless a change applied since the read began is newer (its `seq` higher). A lower `seq` with no
   * change since means the store restarted empty: the read is taken.
   */
  private applyRead(company: CompanyEntry, agentId: string, live: AgentLive, stamp: number): void {
    const entry = company.agents.get(agentId);
    if (entry === undefined) return;
    const held = entry.live;
    if (held !== null && live.seq < held.seq && entry.stamp > stamp) return;
    if (held !== null && entry.snapshot !== null && sameLive(held, live)) {
      // Nothing new: only a pass's differing write is undone.
      for (const q of entry.queues) {
        const indexed = q.index.get(agentId);
        if (indexed === undefined || !sameSnapshot(indexed, entry.snapshot)) q.set(entry.snapshot);
      }
      return;
    }
    this.set(company, agentId, entry, live);
  }

  private set(company: CompanyEntry, agentId: string, entry: AgentEntry, live: AgentLive): void {
    entry.live = live;
    entry.stamp = company.stamp += 1;
    const snapshot = agentSnapshot(agentId, live);
    entry.snapshot = snapshot;
    for (const q of entry.queues) q.set(snapshot);
  }
}

// ---------------------------------------------------------------- what is held

interface CompanyEntry {
  readonly companyId: string;
  /** The agents of the queues held (and members being read for a rebuild). */
  readonly agents: Map<string, AgentEntry>;
  readonly queues: Map<string, QueueEntry>;
  /** Rebuilds in progress, per queue. */
  readonly building: Map<string, Promise<void>>;
  /** Agents to read again. */
  readonly stale: Set<string>;
  reading: Promise<void> | null;
  /** Counts applied changes: a read started at stamp s may not undo a change applied after s. */
  stamp: number;
  off: () => void;
}

interface AgentEntry {
  /** null until read. */
  live: AgentLive | null;
  /** What every queue's index holds of it (the same object); null until written into one. */
  snapshot: AgentSnapshot | null;
  queues: Set<QueueEntry>;
  stamp: number;
  /** Rebuilds that are reading it. */
  pins: number;
}

interface QueueEntry {
  readonly queueId: string;
  record: QueueRecord;
  /** The model's record of each of the queue's groups, as built (checked by identity). */
  groupRecords: Array<GroupRecord | undefined>;
  groups: QueueGroupSnapshot[];
  destinationIds: string[];
  agents: Map<string, AgentSnapshot>;
  index: DirectoryIndex;
  groupsOfAgent: Map<string, string[]>;
  /** The agent counts last reported (`agentCounts`), as a key; null when none is being watched. */
  reported: string | null;
  /** Writes one agent's snapshot into the agents map and the index. */
  set(agent: AgentSnapshot): void;
}

function newQueue(queueId: string, record: QueueRecord, written: (agent: AgentSnapshot) => void): QueueEntry {
  const q: QueueEntry = {
    queueId,
    record,
    groupRecords: [],
    groups: [],
    destinationIds: [],
    agents: new Map(),
    index: new DirectoryIndex(written),
    groupsOfAgent: new Map(),
    reported: null,
    set(agent) {
      q.agents.set(agent.id, agent);
      q.index.write(q.groupsOfAgent.get(agent.id) ?? [], agent);
    },
  };
  return q;
}

/** A FreeAgentIndex that tells the directory of writes it did not make itself (a pass's claims), so that they are checked against the store. */
class DirectoryIndex extends FreeAgentIndex {
  private own = false;

  constructor(private readonly written: (agent: AgentSnapshot) => void) {
    super();
  }

  override upsert(groupIds: readonly string[], agent: AgentSnapshot): void {
    super.upsert(groupIds, agent);
    if (!this.own) this.written(agent);
  }

  /** The directory's own write. */
  write(groupIds: readonly string[], agent: AgentSnapshot): void {
    this.own = true;
    try {
      this.upsert(groupIds, agent);
    } finally {
      this.own = false;
    }
  }
}

const countsKey = (c: AgentCounts) => `${c.FREE}/${c.AGENT_WRAP_UP}/${c.AGENT_RETRY_WAIT}/${c.AGENT_BUSY}/${c.AGENT_ON_BREAK}/${c.AGENT_LOGGED_OUT}`;

function agentSnapshot(id: string, a: AgentLive): AgentSnapshot {
  return { id, status: a.status, activity: a.activity, idleSince: a.idleSince, wrapUpUntil: a.wrapUpUntil, notBefore: a.notBefore };
}

function sameSnapshot(a: AgentSnapshot, b: AgentSnapshot): boolean {
  return a.status === b.status && a.activity === b.activity && a.idleSince === b.idleSince && a.wrapUpUntil === b.wrapUpUntil && a.notBefore === b.notBefore;
}

function sameLive(a: AgentLive, b: AgentLive): boolean {
  return a.seq === b.seq && a.callId === b.callId && a.status === b.status && a.activity === b.activity && a.idleSince === b.idleSince && a.wrapUpUntil === b.wrapUpUntil && a.notBefore === b.notBefore;
}

/** Whether the queue was built from exactly these records (records are replaced, never changed, by a model change). */
function isCurrent(q: QueueEntry, model: CompanyModel, record: QueueRecord): boolean {
  return q.record === record && record.groups.every((g, i) => q.groupRecords[i] === model.groups.get(g.groupId));
}

/** The same agents, each in the same groups in the same order. */
function sameMembers(a: ReadonlyMap<string, readonly string[]>, b: ReadonlyMap<string, readonly string[]>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, groups] of b) {
    const held = a.get(id);
    if (held === undefined || held.length !== groups.length || held.some((g, i) => g !== groups[i])) return false;
  }
  return true;
}

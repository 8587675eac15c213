import { In, type DataSource } from 'typeorm';
import type { Authenticator } from '../auth/authenticate';
import { DestinationScope } from '../auth/destination-scope';
import { atLeast, type UserPrincipal } from '../auth/principal';
import { PrivilegeLevel } from '../entities/enums';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Agent } from '../entities/agent.entity';
import { Call } from '../entities/call.entity';
import { Queue } from '../entities/queue.entity';
import { findAllOwned } from '../store/persistence';
import type { EventBus } from '../realtime/event-bus';
import { LiveFeed } from '../realtime/live-feed';
import type { AgentLive } from '../store/agent-state-store';
import type { LiveState } from '../store/live-state';
import type { DestinationLive, ExternalDestinationService } from './external-destination.service';
import { SerialLines } from './serial-lines';

/** A queue's live state as dashboards see it. */
export interface QueueLive {
  queueId: string;
  seq: number;
  waitingCalls: number;
  oldestWaitSec: number;
  availableAgents: number;
  at: Date;
}

/** An agent's live state as dashboards see it (never mixed into destination streams). */
export interface AgentLiveUpdate {
  agentId: string;
  seq: number;
  status: AgentLive['status'];
  activity: AgentLive['activity'];
  at: Date;
}

/** How often a live subscription re-reads its user (reads are shared per user): privilege and profile changes apply within twice this time. */
export const PRINCIPAL_REFRESH_MS = 2_000;

type Kind = 'destination' | 'queue' | 'agent';

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
    private readonly authenticator: Authenticator,
  ) {}

  /** Publications of one resource run one after another (so this instance publishes them in `seq` order), coalesced under load. */
  private readonly lines = new SerialLines(() => undefined);

  /** Users as re-read for live subscriptions, shared by all of a user's subscriptions for a few seconds. */
  private readonly reads = new Map<string, UserRead>();

  private static readKey(user: UserPrincipal): string {
    return `${user.userId}/${user.tokenVersion}/${user.tokenExp}`;
  }

  /** The user as last read, when that read is less than PRINCIPAL_REFRESH_MS old (undefined: read again). */
  private freshUser(user: UserPrincipal, now = Date.now()): UserPrincipal | null | undefined {
    const read = this.reads.get(LiveUpdatesService.readKey(user));
    return read !== undefined && read.value !== undefined && now - read.at < PRINCIPAL_REFRESH_MS ? read.value : undefined;
  }

  /** A user that subscribes was just authenticated: that view serves their subscriptions until it is stale. */
  private seedUser(user: UserPrincipal): void {
    if (this.freshUser(user) === undefined) this.reads.set(LiveUpdatesService.readKey(user), { at: Date.now(), value: user, read: Promise.resolve(user) });
  }

  /** The user now (roles, profile, still active, token not revoked): one database read per user per refresh period. */
  private reread(user: UserPrincipal): Promise<UserPrincipal | null> {
    const key = LiveUpdatesService.readKey(user);
    const now = Date.now();
    const cached = this.reads.get(key);
    if (cached && now - cached.at < PRINCIPAL_REFRESH_MS) return cached.read;
    if (this.reads.size > 10_000) for (const [k, r] of this.reads) if (now - r.at >= PRINCIPAL_REFRESH_MS) this.reads.delete(k);
    const entry: UserRead = { at: now, value: undefined, read: this.authenticator.loadUser(user.userId, user.companyId, user.tokenVersion, user.tokenExp) };
    entry.read.then(
      (value) => (entry.value = value),
      () => {
        // A failed read is not kept: the next event reads again.
        if (this.reads.get(key) === entry) this.reads.delete(key);
      },
    );
    this.reads.set(key, entry);
    return entry.read;
  }

  /** A destination's live state changed (a slot, its health, a suspension, its configuration). */
  destinationChanged(companyId: string, destinationId: string): Promise<void> {
    return this.lines.run(`${companyId}/destination/${destinationId}`, () => this.publishDestination(companyId, destinationId));
  }

  private async publishDestination(companyId: string, destinationId: string): Promise<void> {
    const row = await this.dataSource.getRepository(ExternalDestination).findOneBy({ id: destinationId, companyId });
    if (row === null) return;
    const seq = await this.live.sequences.next(companyId, 'destination', destinationId);
    const [state] = await this.destinations.liveStates(companyId, [row]);
    this.bus.publishUpdate(companyId, 'destination', destinationId, { ...state!, seq, at: state!.at.getTime(), backedOffUntil: state!.backedOffUntil?.getTime() ?? null });
  }

  /** An agent's live state changed; its own state carries the sequence number. */
  agentChanged(companyId: string, agentId: string, live: AgentLive): void {
    this.bus.publishUpdate(companyId, 'agent', agentId, { agentId, seq: live.seq, status: live.status, activity: live.activity, at: Date.now() });
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
  async queueStates(companyId: string, queueIds: string[], seqs?: Map<string, number>, now = Date.now()): Promise<QueueLive[]> {
    const sequences = seqs ?? (await this.live.sequences.current(companyId, 'queue', queueIds));
    const out: QueueLive[] = [];
    for (const queueId of queueIds) {
      const where = { companyId, queueId, state: In(['QUEUED', 'OFFERING']) };
      const calls = this.dataSource.getRepository(Call);
      const [waitingCalls, oldestCall] = await Promise.all([calls.countBy(where), calls.findOne({ where, order: { enqueuedAt: 'ASC' }, select: { id: true, enqueuedAt: true } })]);
      const agentIds: Array<{ agentId: string }> = await this.dataSource.createQueryBuilder()
        .select('ga."agentId"', 'agentId').distinct(true).from('agent_group_agent', 'ga').innerJoin('queue_group', 'qg', 'qg."groupId" = ga."groupId"')
        .where('qg."queueId" = :queueId', { queueId }).getRawMany();
      const agents = await this.live.agents.getMany(companyId, agentIds.map((a) => a.agentId));
      out.push({
        queueId,
        seq: sequences.get(queueId) ?? 0,
        waitingCalls,
        oldestWaitSec: oldestCall === null ? 0 : Math.max(0, Math.floor((now - oldestCall.enqueuedAt.getTime()) / 1000)),
        availableAgents: [...agents.values()].filter((a) => a.status === 'AVAILABLE' && a.activity === 'IDLE').length,
        at: new Date(now),
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- subscriptions

  /** Destination updates the user may see: `ids` are checked now (unknown, hidden and other companies' alike are NOT_FOUND). */
  async destinationUpdates(user: UserPrincipal, ids: string[] | null): Promise<LiveFeed<DestinationLive>> {
    if (ids !== null) {
      const scope = DestinationScope.of(user);
      await findAllOwned(this.dataSource.manager, ExternalDestination, user.companyId, ids, 'External destination', 'ids', (d) => scope.canSee(d));
    }
    return this.stream<DestinationLive>(user, 'destination', ids, (u, event) => DestinationScope.of(u).canSee({ id: event.destinationId, companyId: u.companyId }), (e) => ({
      ...e, at: new Date(e.at as unknown as number), backedOffUntil: e.backedOffUntil === null ? null : new Date(e.backedOffUntil as unknown as number),
    }));
  }

  async agentUpdates(user: UserPrincipal, ids: string[] | null): Promise<LiveFeed<AgentLiveUpdate>> {
    if (ids !== null) await findAllOwned(this.dataSource.manager, Agent, user.companyId, ids, 'Agent', 'ids');
    return this.stream<AgentLiveUpdate>(user, 'agent', ids, (u) => atLeast(u.privileges.agents, PrivilegeLevel.VIEW), (e) => ({ ...e, at: new Date(e.at as unknown as number) }));
  }

  async queueUpdates(user: UserPrincipal, ids: string[] | null): Promise<LiveFeed<QueueLive>> {
    if (ids !== null) await findAllOwned(this.dataSource.manager, Queue, user.companyId, ids, 'Queue', 'ids');
    return this.stream<QueueLive>(user, 'queue', ids, (u) => atLeast(u.privileges.queues, PrivilegeLevel.VIEW), (e) => ({ ...e, at: new Date(e.at as unknown as number) }));
  }

  /**
   * The company's events of one kind (or of the given ids), each delivered only if the subscriber, as
   * re-read at most PRINCIPAL_REFRESH_MS ago, may see it. A user that is gone, inactive or whose token was
   * revoked ends the feed. Events reach the subscriber in the order they were published.
   */
  private stream<T extends object>(user: UserPrincipal, kind: Kind, ids: string[] | null, allowed: (u: UserPrincipal, event: T) => boolean, revive: (raw: T) => T): LiveFeed<T> {
    this.seedUser(user);
    return new LiveFeed<T>((listener) => {
      let ended = false;
      /** Events waiting behind a re-read of the user, so that they keep their order. */
      let waiting: Promise<void> | null = null;
      const decide = (current: UserPrincipal | null, raw: T) => {
        if (ended) return;
        if (current === null) {
          stop();
          listener.end();
          return;
        }
        const event = this.revived(raw, revive);
        if (allowed(current, event)) listener.next(event);
      };
      const onEvent = (raw: unknown) => {
        if (ended) return;
        const fresh = waiting === null ? this.freshUser(user) : undefined;
        if (fresh !== undefined) return decide(fresh, raw as T);
        // Skipped when the read fails: the subscriber sees a gap in `seq` and re-reads.
        const next: Promise<void> = (waiting ?? Promise.resolve())
          .then(() => this.reread(user))
          .then((current) => decide(current, raw as T), () => undefined)
          .finally(() => {
            if (waiting === next) waiting = null;
          });
        waiting = next;
      };
      const off = this.bus.listenUpdates(user.companyId, kind, ids, onEvent);
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

/** One read of a user for live subscriptions: `value` once it arrived. */
interface UserRead {
  at: number;
  value: UserPrincipal | null | undefined;
  read: Promise<UserPrincipal | null>;
}

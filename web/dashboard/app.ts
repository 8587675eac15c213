import { ApiError, codeOf, ok, request } from './api';
import { drawChart, legend } from './chart';
import { LiveCollection, type CollectionSource, type Node } from './collection';
import { DestinationsView } from './destinations';
import { byId, markUnavailable, TextSlot } from './dom';
import { count, duration, localDay } from './format';
import { LiveConnection, type ConnectionStatus } from './live';
import {
  AGENT_UPDATES, AGENTS, DESTINATION_STATES, DESTINATION_STATS, DESTINATION_UPDATES, DESTINATIONS, PAGE_SIZE, ME, QUEUE_UPDATES, QUEUES, REREAD_BATCH, RESUME, rereadQuery, TODAY_LIST,
  type Agent, type AgentLive, type Destination, type DestinationLive, type DestinationState, type DestinationStats, type Me, type Page, type Queue, type QueueLive,
  type TodayFigures,
} from './queries';
import { KeyedTable } from './tables';

/**
 * Today's figures and the chart are not streamed: they are read again (one request for every destination)
 * at most this often while updates arrive, and at least every FIGURES_IDLE_MS.
 */
const FIGURES_BUSY_MS = 10_000;
const FIGURES_IDLE_MS = 60_000;

export interface DashboardHooks {
  /** The session is over (token refused): back to the sign-in form with this message. */
  signOut(message: string): void;
  connection(status: ConnectionStatus): void;
  announce(message: string): void;
}

const LEVEL_NONE = 'NONE';

/** The signed-in dashboard: reads, live updates, and the sections the user's privileges allow. */
export class Dashboard {
  private readonly live: LiveConnection;
  private readonly stoppers: Array<() => void> = [];
  private destinations: LiveCollection<Destination, DestinationLive> | null = null;
  private destinationsView: DestinationsView | null = null;
  private queues: LiveCollection<Queue, QueueLive> | null = null;
  private agents: LiveCollection<Agent, AgentLive> | null = null;
  /** Gateway clock minus browser clock, in ms, as seen in the last update. */
  private skewMs = 0;
  /** The day today's figures were last read for: [local midnight, next local midnight) in the company's time zone. */
  private day: { from: string; to: string } | null = null;
  private stopped = false;
  /** Destination updates arrived since today's figures were last read. */
  private figuresStale = false;
  private chartId: string | null = null;
  private readonly notice = byId('notice');
  private readonly now = () => Date.now() + this.skewMs;

  constructor(private readonly token: string, private readonly me: Me, private readonly hooks: DashboardHooks) {
    this.live = new LiveConnection(token, {
      status: (status) => hooks.connection(status),
      reconnected: () => void this.loadAll(),
      sessionEnded: () => this.sessionEnded(),
      refused: () => {
        if (!this.stopped) hooks.signOut('Your session has ended. Please sign in again.');
      },
    });
    const p = me.effectivePrivileges;
    const showStats = p.statistics !== LEVEL_NONE;
    if (p.externalDestinations !== LEVEL_NONE) this.setUpDestinations(showStats);
    else {
      markUnavailable(byId('destinations'), 'Not available: your role gives no access to external destinations.');
      markUnavailable(byId('summary'), 'Not available.');
    }
    if (p.externalDestinations === LEVEL_NONE) markUnavailable(byId('chart'), 'Not available: your role gives no access to external destinations.');
    else if (!showStats) markUnavailable(byId('chart'), 'Not available: your role gives no access to statistics.');
    else this.setUpChart();
    if (p.queues !== LEVEL_NONE) this.setUpQueues();
    else markUnavailable(byId('queues'), 'Not available: your role gives no access to queues.');
    if (p.agents !== LEVEL_NONE) this.setUpAgents();
    else markUnavailable(byId('agents'), 'Not available: your role gives no access to agents.');
    void this.loadAll();
  }

  stop(): void {
    this.stopped = true;
    this.live.dispose();
    clearTimeout(this.noticeTimer);
    for (const stop of this.stoppers) stop();
  }

  /** Every section read again in full (at start and after a reconnect). */
  private async loadAll(): Promise<void> {
    if (this.stopped) return;
    await Promise.all([this.destinations?.load(), this.queues?.load(), this.agents?.load()]);
  }

  /** Whether the gateway says this token is no longer valid (a 4403 may also be a passing failure to authenticate). */
  private async sessionEnded(): Promise<boolean> {
    try {
      await ok<{ me: Me }>(ME, {}, this.token);
      return false;
    } catch (error) {
      return codeOf(error) === 'UNAUTHENTICATED';
    }
  }

  /** Today in the company's time zone, by the gateway's clock. */
  private today(): { from: string; to: string } {
    return localDay(this.now(), this.me.company.timeZone);
  }

  private failed = (error: unknown): void => {
    if (this.stopped) return;
    const code = codeOf(error);
    if (code === 'UNAUTHENTICATED') return; // the sign-out is under way
    // A network error shows as the offline banner too; keep the last state on screen.
    this.showNotice(code === 'NETWORK_ERROR' ? 'The gateway cannot be reached; showing the last known state.' : `Could not read the latest state: ${(error as Error).message}`);
  };

  private showNotice(text: string): void {
    if (this.stopped) return;
    this.notice.textContent = text;
    this.notice.hidden = false;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => (this.notice.hidden = true), 10_000);
  }
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Notes the gateway's clock from an update's `at` (for countdowns and waits). */
  private sawClock(at: string): void {
    const t = Date.parse(at);
    if (!Number.isNaN(t)) this.skewMs = t - Date.now();
  }

  // ------------------------------------------------------------------ destinations

  private setUpDestinations(showStats: boolean): void {
    for (const cell of document.querySelectorAll<HTMLElement>('[data-today]')) cell.hidden = !showStats;
    const summary = {} as Record<DestinationState | 'total', TextSlot>;
    for (const key of [...DESTINATION_STATES, 'total'] as const) summary[key] = new TextSlot(byId(`sum-${key}`));
    const p = this.me.effectivePrivileges;
    const canModify = p.externalDestinations === 'MODIFY' && this.me.kind !== 'AGENT';
    const view = new DestinationsView(byId<HTMLTableSectionElement>('destination-rows'), summary, byId('destination-empty'), {
      canModify,
      showToday: showStats,
      resume: (id) => void this.resume(id),
      backOffEnded: (id) => this.destinations?.reread(id, false),
      listChanged: () => this.chartChoicesChanged(),
      announce: (message) => {
        if (!this.stopped) this.hooks.announce(message);
      },
      now: this.now,
    });
    this.destinationsView = view;
    const source: CollectionSource<Destination, DestinationLive> = {
      idOf: (l) => l.destinationId,
      seqOf: (l) => l.seq,
      fetchAll: async () => {
        const day = this.today();
        const all = await this.pages<Destination>(DESTINATIONS, 'externalDestinations', { stats: showStats });
        const last = all[all.length - 1];
        if (last) this.sawClock(last.live.at);
        this.day = day;
        return all;
      },
      fetchSome: async (ids) => {
        const found = await this.some<Destination>('destination', ids, { stats: showStats });
        for (const d of found.values()) if (d) this.sawClock(d.live.at);
        return found;
      },
    };
    const collection = new LiveCollection(source, view, this.failed);
    this.destinations = collection;
    this.live.subscribe<DestinationLive>(DESTINATION_UPDATES, 'externalDestinationUpdates', (l) => {
      this.sawClock(l.at);
      this.figuresStale = true;
      collection.event(l);
    }, (m) => this.showNotice(`Live destination updates failed: ${m}`));
    const filter = byId<HTMLInputElement>('destination-filter');
    const onFilter = () => view.setFilter(filter.value);
    filter.addEventListener('input', onFilter);
    if (showStats) {
      let last = Date.now();
      const timer = setInterval(() => {
        if (!this.figuresStale && Date.now() - last < FIGURES_IDLE_MS) return;
        this.figuresStale = false;
        last = Date.now();
        void this.refreshToday();
      }, FIGURES_BUSY_MS);
      this.stoppers.push(() => clearInterval(timer));
    }
    this.stoppers.push(() => {
      collection.stop();
      view.stop();
      filter.removeEventListener('input', onFilter);
    });
  }

  private async resume(id: string): Promise<void> {
    const name = this.destinations?.nodes.get(id)?.name ?? 'The destination';
    try {
      const data = await ok<{ resumeExternalDestination: { id: string; live: DestinationLive } }>(RESUME, { id }, this.token);
      if (this.stopped) return;
      this.sawClock(data.resumeExternalDestination.live.at);
      const current = this.destinations?.nodes.get(id);
      if (current) this.destinations!.applyRead({ ...current, live: data.resumeExternalDestination.live });
    } catch (error) {
      if (this.stopped) return;
      this.destinationsView?.resumeFailed(id);
      const code = codeOf(error);
      const text = code === 'FORBIDDEN' ? `You may not resume ${name}: your role does not allow changing it.` : `${name} could not be resumed: ${(error as Error).message}`;
      this.showNotice(text);
      this.hooks.announce(text);
    }
  }

  /** Today's figures of every destination, in one request (they are not streamed). */
  private async refreshToday(): Promise<void> {
    const collection = this.destinations;
    if (!collection || this.stopped) return;
    const day = this.today();
    // A new day (in the company's time zone): read everything, which brings the new day's figures.
    if (this.day === null || day.from !== this.day.from) {
      await collection.load();
      void this.drawSelectedChart();
      return;
    }
    try {
      const from = day.from;
      const to = new Date(this.now() + 60_000).toISOString();
      const data = await ok<{ externalDestinationStatsList: Array<TodayFigures & { destinationId: string; name: string }> }>(TODAY_LIST, { from, to }, this.token);
      if (this.stopped) return;
      // The list also carries each destination's name now: a renamed destination shows its new name.
      for (const { destinationId, name, ...figures } of data.externalDestinationStatsList) {
        collection.patch(destinationId, (d) => ({ ...d, name, todayStats: { ...figures, from } }));
      }
    } catch (error) {
      this.failed(error);
    }
    void this.drawSelectedChart();
  }

  // ------------------------------------------------------------------ chart

  private setUpChart(): void {
    const select = byId<HTMLSelectElement>('chart-destination');
    byId('chart-legend').replaceChildren(legend());
    const onChange = () => {
      this.chartId = select.value || null;
      void this.drawSelectedChart();
    };
    select.addEventListener('change', onChange);
    this.stoppers.push(() => select.removeEventListener('change', onChange));
  }

  private chartChoicesChanged(): void {
    if (this.me.effectivePrivileges.statistics === LEVEL_NONE || !this.destinationsView) return;
    const select = byId<HTMLSelectElement>('chart-destination');
    const list = this.destinationsView.list();
    const options = list.map((d) => {
      const option = document.createElement('option');
      option.value = d.id;
      option.textContent = d.name;
      return option;
    });
    select.replaceChildren(...options);
    const keep = list.some((d) => d.id === this.chartId);
    const chosen = keep ? this.chartId : (list[0]?.id ?? null);
    if (chosen !== null) select.value = chosen;
    const changed = chosen !== this.chartId;
    this.chartId = chosen;
    if (changed) void this.drawSelectedChart();
    byId('chart-empty').hidden = list.length > 0;
  }

  private chartRequest = 0;

  private async drawSelectedChart(): Promise<void> {
    const id = this.chartId;
    const figure = byId('chart-figure');
    if (id === null) {
      figure.replaceChildren();
      return;
    }
    const { from, to } = this.today();
    const ticket = ++this.chartRequest;
    try {
      const data = await ok<{ externalDestinationStats: DestinationStats }>(DESTINATION_STATS, { id, from, to }, this.token);
      if (ticket !== this.chartRequest || this.stopped) return;
      drawChart({ figure, summary: byId('chart-summary'), table: byId<HTMLTableSectionElement>('chart-rows') }, data.externalDestinationStats, this.me.company.timeZone, this.now());
    } catch (error) {
      if (ticket === this.chartRequest) this.failed(error);
    }
  }

  // ------------------------------------------------------------------ queues and agents

  private setUpQueues(): void {
    const view = new KeyedTable<Queue>(byId<HTMLTableSectionElement>('queue-rows'), byId('queue-empty'), {
      now: this.now,
      columns: [
        { className: 'num', text: (q) => String(q.live.waitingCalls) },
        { className: 'num', text: (q, now) => (q.live.waitingCalls === 0 ? '–' : duration(q.live.oldestWaitSec + Math.max(0, (now - Date.parse(q.live.at)) / 1000))) },
        { className: 'num', text: (q) => String(q.live.availableAgents) },
      ],
      ticks: (q) => q.live.waitingCalls > 0,
      summarise: (queues) => {
        let waiting = 0;
        for (const q of queues) waiting += q.live.waitingCalls;
        byId('queue-summary').textContent = `${count(waiting, 'call')} waiting`;
      },
    });
    const collection = new LiveCollection<Queue, QueueLive>({
      idOf: (l) => l.queueId,
      seqOf: (l) => l.seq,
      fetchAll: () => this.pages<Queue>(QUEUES, 'queues'),
      fetchSome: (ids) => this.some<Queue>('queue', ids),
    }, view, this.failed);
    this.queues = collection;
    this.live.subscribe<QueueLive>(QUEUE_UPDATES, 'queueUpdates', (l) => {
      this.sawClock(l.at);
      collection.event(l);
    }, (m) => this.showNotice(`Live queue updates failed: ${m}`));
    this.stoppers.push(() => {
      collection.stop();
      view.stop();
    });
  }

  private setUpAgents(): void {
    const STATUS: Record<AgentLive['status'], string> = { AVAILABLE: 'Available', ON_BREAK: 'On break', LOGGED_OUT: 'Logged out' };
    const ACTIVITY: Record<AgentLive['activity'], string> = { IDLE: 'Idle', RESERVED: 'Reserved', RINGING: 'Ringing', ON_CALL: 'On a call', WRAP_UP: 'Wrap-up' };
    const view = new KeyedTable<Agent>(byId<HTMLTableSectionElement>('agent-rows'), byId('agent-empty'), {
      now: this.now,
      columns: [
        { className: 'status', text: (a) => STATUS[a.live.status] },
        { className: 'activity', text: (a) => (a.live.status === 'LOGGED_OUT' ? '–' : ACTIVITY[a.live.activity]) },
      ],
      summarise: (agents) => {
        let available = 0;
        let onCall = 0;
        let onBreak = 0;
        for (const a of agents) {
          if (a.live.status === 'AVAILABLE' && a.live.activity === 'IDLE') available += 1;
          if (a.live.activity === 'ON_CALL' || a.live.activity === 'RINGING' || a.live.activity === 'RESERVED') onCall += 1;
          if (a.live.status === 'ON_BREAK') onBreak += 1;
        }
        byId('agent-summary').textContent = `${available} free · ${onCall} on or receiving a call · ${onBreak} on break`;
      },
    });
    const collection = new LiveCollection<Agent, AgentLive>({
      idOf: (l) => l.agentId,
      seqOf: (l) => l.seq,
      fetchAll: () => this.pages<Agent>(AGENTS, 'agents'),
      fetchSome: (ids) => this.some<Agent>('agent', ids),
    }, view, this.failed);
    this.agents = collection;
    this.live.subscribe<AgentLive>(AGENT_UPDATES, 'agentUpdates', (l) => {
      this.sawClock(l.at);
      collection.event(l);
    }, (m) => this.showNotice(`Live agent updates failed: ${m}`));
    this.stoppers.push(() => {
      collection.stop();
      view.stop();
    });
  }

  // ------------------------------------------------------------------ reads

  /** Every page of a connection. */
  private async pages<T>(query: string, field: string, variables: Record<string, unknown> = {}): Promise<T[]> {
    const out: T[] = [];
    let after: string | null = null;
    for (;;) {
      const data: Record<string, Page<T>> = await ok<Record<string, Page<T>>>(query, { ...variables, first: PAGE_SIZE, after }, this.token);
      const page = data[field]!;
      out.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor;
    }
  }

  /** Some resources by id, a few per request; null for those gone or no longer visible (NOT_FOUND). */
  private async some<T extends Node<unknown>>(kind: 'destination' | 'queue' | 'agent', ids: string[], extra: Record<string, unknown> = {}): Promise<Map<string, T | null>> {
    const out = new Map<string, T | null>();
    for (let i = 0; i < ids.length; i += REREAD_BATCH) {
      const chunk = ids.slice(i, i + REREAD_BATCH);
      const variables: Record<string, unknown> = { ...extra };
      chunk.forEach((id, j) => (variables[`i${j}`] = id));
      const { data, errors } = await request<Record<string, T | null>>(rereadQuery(kind, chunk.length), variables, this.token);
      const notFound = new Set(errors.filter((e) => e.extensions?.code === 'NOT_FOUND').map((e) => String(e.path?.[0])));
      const other = errors.find((e) => e.extensions?.code !== 'NOT_FOUND');
      if (other) throw new ApiError(other.message, other.extensions?.code ?? 'UNKNOWN');
      chunk.forEach((id, j) => {
        const node = data?.[`r${j}`];
        if (node) out.set(id, node);
        else if (notFound.has(`r${j}`)) out.set(id, null);
      });
    }
    return out;
  }
}

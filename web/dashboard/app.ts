import { agentState, heldBackText, KIND_RANK } from './agents';
import { AlertsView, NO_THRESHOLDS } from './alerts';
import { ApiError, codeOf, ok, request, type Answer } from './api';
import { drawChart, legend, type ChartPeriod } from './chart';
import { LiveCollection, type CollectionSource } from './collection';
import { DestinationsView } from './destinations';
import { byId, markUnavailable, TextSlot } from './dom';
import { addDays, count, dayLabel, duration, localDate, localDays } from './format';
import { LiveConnection, type ConnectionStatus } from './live';
import {
  AGENT_UPDATES, AGENTS, ALERT_UPDATES, ALERTS_NOW, type AlertThresholds, CAPACITY_POOLS, DESTINATION_STATES, DESTINATION_UPDATES, DESTINATIONS, FIGURES, FIGURES_AND_CHART, GROUP_SHARES, PAGE_SIZE, ME,
  poolDetailsQuery, POOL_UPDATES, probeStatusQuery, QUEUE_FIGURES, QUEUE_UPDATES, QUEUES, REREAD_BATCH, RESUME, rereadQuery, SHARE_GROUPS,
  type Agent, type AgentLive, type Destination, type DestinationFigureRow, type DestinationLive, type DestinationState, type DestinationStats, type Me, type Operation, type Pool, type PoolDetails, type PoolLive,
  type Queue, type QueueLive, type RereadNodes, type TodayFigures,
} from './queries';
import { sortableHeaders } from './sorting';
import { KeyedTable, type Column } from './tables';
import { GatheredReads, type Wanted } from './gathered-reads';
import { percent, QueueFiguresReader } from './queue-figures';
import { SharesView } from './shares';
import { POOL_FIGURE_KEYS, PoolDetailsReader, poolMembers, poolsSummary, poolUse } from './pools';

/**
 * The figures (table and chart) are not streamed: a destination's are read again when a live update of it
 * arrives. Updates are gathered for FIGURES_DELAY_MS, and reads start at most every FIGURES_GAP_MS (or
 * FIGURES_LOAD_FACTOR times as long as the last read took, so a busy gateway is not asked more often than
 * it answers), one at a time, each one request for every destination that changed (all of them above
 * FIGURES_ALL_ABOVE).
 */
const FIGURES_DELAY_MS = 200;
const FIGURES_GAP_MS = 1_000;
const FIGURES_LOAD_FACTOR = 10;
const FIGURES_ALL_ABOVE = 100;

/** The period the figures cover: today, a past day (a calendar day in the company's zone), or the last 7 days. */
type Period = { kind: 'today' } | { kind: 'day'; date: string } | { kind: 'week' };

export interface DashboardHooks {
  /** The session is over (token refused): back to the sign-in form with this message. */
  signOut(message: string): void;
  connection(status: ConnectionStatus): void;
  announce(message: string): void;
}

const LEVEL_NONE = 'NONE';

/** What `pages` asks of a list query's answer (a constraint the generated types meet, not a shape of its own). */
type Paged = { nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/**
 * A destination's probe is read when it has one, and also while it is backed off or suspended without one known:
 * a probe given to a destination held back starts probing at once (decision 037), and its live update says only
 * that something changed.
 */
function probeMatters(node: Destination | undefined, state: DestinationState): boolean {
  return node !== undefined && (node.probe !== null || state === 'BACKED_OFF' || state === 'SUSPENDED');
}

/** How long a queue's oldest call has waited at `now` (the gateway's clock, in ms): as read, plus the time since. */
function oldestWait(q: Queue, now: number): number {
  return q.live.oldestWaitSec + Math.max(0, (now - Date.parse(q.live.at)) / 1000);
}

/** The signed-in dashboard: reads, live updates, and the sections the user's privileges allow. */
export class Dashboard {
  private readonly live: LiveConnection;
  private readonly stoppers: Array<() => void> = [];
  private destinations: LiveCollection<Destination, DestinationLive> | null = null;
  private destinationsView: DestinationsView | null = null;
  private queues: LiveCollection<Queue, QueueLive> | null = null;
  private agents: LiveCollection<Agent, AgentLive> | null = null;
  private queuesView: KeyedTable<Queue> | null = null;
  /** The period's figures of the queues (statistics VIEW). */
  private queueFigures: QueueFiguresReader | null = null;
  /** The company's alert thresholds (read at start and after a reconnect): cells are coloured by them. */
  private thresholds: AlertThresholds = NO_THRESHOLDS;
  private alertsView: AlertsView | null = null;
  /** The shares of the WEIGHTED_SHARE groups' destinations (agent groups VIEW). */
  private shares: SharesView | null = null;
  /** The capacity pools (external destinations VIEW), and their reads as live updates ask. */
  private pools: LiveCollection<Pool, PoolLive> | null = null;
  private poolDetails: PoolDetailsReader | null = null;
  /** Which pool each destination the user may see is in (from the pools' members), for its live updates. */
  private poolOfMember = new Map<string, string>();
  /** The health probes of destinations (decision 037), read as their live updates ask. */
  private probeReads: GatheredReads | null = null;
  /** Gateway clock minus browser clock, in ms, as seen in the last update. */
  private skewMs = 0;
  private stopped = false;
  private chartId: string | null = null;
  private period: Period = { kind: 'today' };
  /** The destinations' figures and the chart, read as live updates ask. */
  private readonly figureReads: GatheredReads;
  /** Whether the period includes today (live updates change its figures). */
  private figuresLive = true;
  /** Fires at the end of the period's last day (today or the week): the figures move on to the new day. */
  private rolloverTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly notice = byId('notice');
  private readonly now = () => Date.now() + this.skewMs;

  constructor(private readonly token: string, private readonly me: Me, private readonly hooks: DashboardHooks) {
    this.figureReads = new GatheredReads({
      read: (wanted, current) => this.readFigures(wanted, current),
      failed: this.failed,
      delayMs: FIGURES_DELAY_MS,
      gapMs: FIGURES_GAP_MS,
      loadFactor: FIGURES_LOAD_FACTOR,
      allAbove: FIGURES_ALL_ABOVE,
    });
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
    if (p.externalDestinations !== LEVEL_NONE) {
      this.setUpDestinations(showStats);
      this.setUpPools(showStats);
    } else {
      markUnavailable(byId('destinations'), 'Not available: your role gives no access to external destinations.');
      markUnavailable(byId('summary'), 'Not available.');
      markUnavailable(byId('pools'), 'Not available: your role gives no access to external destinations.');
    }
    if (p.externalDestinations === LEVEL_NONE) markUnavailable(byId('chart'), 'Not available: your role gives no access to external destinations.');
    else if (!showStats) markUnavailable(byId('chart'), 'Not available: your role gives no access to statistics.');
    else this.setUpChart();
    const showPeriod = showStats && p.externalDestinations !== LEVEL_NONE;
    byId('figures-period-bar').hidden = !showPeriod;
    if (showPeriod) this.setUpPeriod();
    if (p.queues !== LEVEL_NONE) this.setUpQueues(showStats);
    else markUnavailable(byId('queues'), 'Not available: your role gives no access to queues.');
    if (p.agents !== LEVEL_NONE) this.setUpAgents();
    else markUnavailable(byId('agents'), 'Not available: your role gives no access to agents.');
    if (p.agentGroups !== LEVEL_NONE) this.setUpShares(showStats);
    else markUnavailable(byId('shares'), 'Not available: your role gives no access to agent groups.');
    this.setUpAlerts();
    void this.loadAll();
  }

  stop(): void {
    this.stopped = true;
    this.live.dispose();
    clearTimeout(this.noticeTimer);
    this.figureReads.stop();
    this.probeReads?.stop();
    clearTimeout(this.rolloverTimer);
    for (const stop of this.stoppers) stop();
  }

  /** Every section read again in full (at start and after a reconnect). */
  private async loadAll(): Promise<void> {
    if (this.stopped) return;
    this.shares?.load();
    await Promise.all([this.destinations?.load(), this.pools?.load(), this.queues?.load(), this.agents?.load(), this.loadAlerts()]);
  }

  // ------------------------------------------------------------------ alerts (decision 028)

  private setUpAlerts(): void {
    const view = new AlertsView(byId('alerts'), byId<HTMLUListElement>('alert-list'), {
      queueName: (id) => this.queues?.nodes.get(id)?.name ?? null,
      destinationName: (id) => this.destinations?.nodes.get(id)?.name ?? null,
      destinationsFlagged: (flags) => this.destinationsView?.setFlags(flags),
      announce: (message) => {
        if (!this.stopped) this.hooks.announce(message);
      },
      timeZone: this.me.company.timeZone,
    });
    this.alertsView = view;
    this.live.subscribe(ALERT_UPDATES, 'alerts', (a) => {
      this.sawClock(a.at);
      view.event(a);
    }, (m) => this.showNotice(`Live alerts failed: ${m}`));
  }

  /** The thresholds and the alerts raised now, read again (at start and after a reconnect, when events may have been missed). */
  private async loadAlerts(): Promise<void> {
    this.alertsView?.beginRead();
    try {
      const data = await ok(ALERTS_NOW, {}, this.token);
      if (this.stopped) return;
      this.thresholds = data.alertThresholds;
      this.queuesView?.refresh();
      this.alertsView?.replace(data.activeAlerts);
    } catch (error) {
      this.alertsView?.readFailed();
      this.failed(error);
    }
  }

  /** Whether the gateway says this token is no longer valid (a 4403 may also be a passing failure to authenticate). */
  private async sessionEnded(): Promise<boolean> {
    try {
      await ok(ME, {}, this.token);
      return false;
    } catch (error) {
      return codeOf(error) === 'UNAUTHENTICATED';
    }
  }

  /** Today's calendar date in the company's time zone, by the gateway's clock. */
  private todayDate(): string {
    return localDate(new Date(this.now()), this.me.company.timeZone);
  }

  /** The period's range [from, to) in UTC, its label, and whether live updates change its figures (it includes today). */
  private range(): { from: string; to: string; label: string; live: boolean } {
    const zone = this.me.company.timeZone;
    const today = this.todayDate();
    const p = this.period;
    if (p.kind === 'week') return { ...localDays(addDays(today, -6), today, zone), label: 'Last 7 days', live: true };
    if (p.kind === 'day' && p.date !== today) return { ...localDays(p.date, p.date, zone), label: dayLabel(p.date), live: false };
    return { ...localDays(today, today, zone), label: 'Today', live: true };
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
      listChanged: () => {
        this.chartChoicesChanged();
        this.alertsView?.namesChanged();
      },
      announce: (message) => {
        if (!this.stopped) this.hooks.announce(message);
      },
      now: this.now,
      timeZone: this.me.company.timeZone,
    });
    this.destinationsView = view;
    const probeReads = new GatheredReads({
      read: (wanted, current) => this.readProbes(wanted.ids, current),
      failed: this.failed,
      delayMs: FIGURES_DELAY_MS,
      gapMs: FIGURES_GAP_MS,
      loadFactor: FIGURES_LOAD_FACTOR,
      allAbove: FIGURES_ALL_ABOVE,
    });
    this.probeReads = probeReads;
    /** The probes of these destinations (as just read) read again, for those with one or held back. */
    const wantProbes = (nodes: Iterable<Destination | null>) => {
      const ids: string[] = [];
      for (const d of nodes) if (d && probeMatters(d, d.live.state)) ids.push(d.id);
      if (ids.length > 0) probeReads.want(ids);
    };
    const source: CollectionSource<Destination, DestinationLive> = {
      idOf: (l) => l.destinationId,
      seqOf: (l) => l.seq,
      fetchAll: async () => {
        const all = await this.pages(DESTINATIONS, 'externalDestinations');
        const last = all[all.length - 1];
        if (last) this.sawClock(last.live.at);
        // Everything read again (start, reconnect): so are the figures, after this read, and the probes.
        if (showStats) this.wantFigures('all');
        wantProbes(all);
        return all;
      },
      fetchSome: async (ids) => {
        const found = await this.some('destination', ids);
        for (const d of found.values()) if (d) this.sawClock(d.live.at);
        if (showStats) this.wantFigures(ids);
        // A re-read (a gap, a back-off that ran out with no update) may change where probing stands too.
        wantProbes(found.values());
        return found;
      },
    };
    const collection = new LiveCollection(source, view, this.failed);
    this.destinations = collection;
    this.live.subscribe(DESTINATION_UPDATES, 'externalDestinationUpdates', (l) => {
      this.sawClock(l.at);
      collection.event(l);
      // The same event moves the figures: they are read again for this destination (gathered with others).
      if (showStats && this.figuresLive) this.wantFigures([l.destinationId]);
      // And the shares of the groups it is in (an offer to it changes its calls).
      this.shares?.destinationChanged(l.destinationId);
      // And where its probe stands: sending a probe and its outcome publish the destination's update.
      if (probeMatters(collection.nodes.get(l.destinationId), l.state)) probeReads.want([l.destinationId]);
      // And its pool: its slot is the pool's (a member's update may come before the pool's own).
      const pool = this.poolOfMember.get(l.destinationId);
      if (pool !== undefined) this.poolDetails?.want([pool]);
    }, (m) => this.showNotice(`Live destination updates failed: ${m}`));
    const filter = byId<HTMLInputElement>('destination-filter');
    const onFilter = () => view.setFilter(filter.value);
    filter.addEventListener('input', onFilter);
    sortableHeaders(byId('destination-head'), { key: 'name', direction: 'ascending' }, (sort) => view.setSort(sort));
    this.stoppers.push(() => {
      collection.stop();
      view.stop();
      filter.removeEventListener('input', onFilter);
    });
  }

  /**
   * One read of the probes asked for (null: every destination with one, or held back): each destination's probe
   * settings, where probing stands, and its live state, from one read. The live state goes to the collection
   * (taken unless an update newer than the read arrived), so the row's state and its probe line agree.
   */
  private async readProbes(asked: string[] | null, current: () => boolean): Promise<void> {
    const collection = this.destinations;
    if (collection === null) return;
    const ids = asked ?? [...collection.nodes.values()].filter((d) => probeMatters(d, d.live.state)).map((d) => d.id);
    for (let i = 0; i < ids.length; i += REREAD_BATCH) {
      const chunk = ids.slice(i, i + REREAD_BATCH);
      const variables: Record<string, string> = {};
      chunk.forEach((id, j) => (variables[`i${j}`] = id));
      const { data, errors } = await request(probeStatusQuery(chunk.length), variables, this.token);
      // A destination gone or no longer visible (NOT_FOUND) is the collection's to drop, with its next read.
      const other = errors.find((e) => e.extensions?.code !== 'NOT_FOUND');
      if (other) throw new ApiError(other.message, other.extensions?.code ?? 'UNKNOWN');
      if (!current()) return;
      chunk.forEach((id, j) => {
        const read = data?.[`r${j}`];
        if (!read) return;
        this.sawClock(read.live.at);
        this.destinationsView?.setProbeStatus(id, read.probeStatus);
        const node = collection.nodes.get(id);
        if (node) collection.applyRead({ ...node, probe: read.probe, live: read.live });
      });
    }
  }

  private async resume(id: string): Promise<void> {
    const name = this.destinations?.nodes.get(id)?.name ?? 'The destination';
    try {
      const data = await ok(RESUME, { id }, this.token);
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

  // ------------------------------------------------------------------ figures and chart

  /** Asks for the figures of some destinations (or all) to be read again, and the chart's when `chart` or it is among them. */
  private wantFigures(ids: Iterable<string> | 'all', chart = false): void {
    if (this.stopped || this.me.effectivePrivileges.statistics === LEVEL_NONE) return;
    this.figureReads.want(ids, chart ? 'chart' : undefined);
  }

  /**
   * One read of the figures asked for: the table's rows and the chart in one request, the charted
   * destination's row from the chart's own field, so the row and the chart always show the same figures.
   */
  private async readFigures(wanted: Wanted, current: () => boolean): Promise<'all' | void> {
    if (this.stopped) return;
    const view = this.destinationsView;
    const range = this.range();
    const chartId = this.chartId;
    const withChart = chartId !== null && (wanted.marks.has('chart') || wanted.ids === null || wanted.ids.includes(chartId));
    const ids = wanted.ids === null ? null : wanted.ids.filter((id) => !(withChart && id === chartId) && this.destinations?.nodes.has(id));
    const withList = ids === null || ids.length > 0;
    if (!withList && !withChart) return;
    this.scheduleRollover(range);
    const { data, errors }: Answer<{ list?: DestinationFigureRow[]; chart?: DestinationStats }> = withChart
      ? await request(FIGURES_AND_CHART, { from: range.from, to: range.to, ids, list: withList, chart: chartId }, this.token)
      : await request(FIGURES, { from: range.from, to: range.to, ids }, this.token);
    if (!current()) return;
    const other = errors.find((e) => e.extensions?.code !== 'NOT_FOUND');
    if (other) throw new ApiError(other.message, other.extensions?.code ?? 'UNKNOWN');
    const figures = new Map<string, TodayFigures>();
    for (const { destinationId, name, ...f } of data?.list ?? []) {
      figures.set(destinationId, f);
      // The figures carry each destination's name now: a renamed destination shows its new name.
      if (this.destinations?.nodes.get(destinationId)?.name !== name) this.destinations?.patch(destinationId, (d) => ({ ...d, name }));
    }
    const chart = data?.chart;
    if (chart && chartId !== null && chartId === this.chartId) {
      figures.set(chartId, chart);
      drawChart({ figure: byId('chart-figure'), summary: byId('chart-summary'), table: byId<HTMLTableSectionElement>('chart-rows') }, chart, this.me.company.timeZone, this.now(), this.chartPeriod(range.label));
    }
    if (data?.list !== undefined || chart) view?.setFigures(figures, ids === null && data?.list !== undefined);
    // A destination gone or no longer visible makes the read NOT_FOUND: all of them are read instead (the
    // chart's choice follows the list of destinations once the gone one leaves it).
    if (errors.some((e) => e.extensions?.code === 'NOT_FOUND')) return 'all';
  }

  private chartPeriod(label: string): ChartPeriod {
    return { label, byDay: this.period.kind === 'week' };
  }

  /**
   * The one timed read: when the period includes today, its figures are read again once the day ends in the
   * company's zone (the range moves on to the new day; no update says so). Nothing else is re-read on a timer.
   */
  private scheduleRollover(range: { to: string; live: boolean }): void {
    clearTimeout(this.rolloverTimer);
    if (!range.live || this.period.kind === 'day') return;
    const wait = Date.parse(range.to) - this.now() + 1_000;
    // Timers beyond about 24 days fire at once; a day is well within.
    this.rolloverTimer = setTimeout(() => this.periodChanged(), Math.max(1_000, Math.min(wait, 2 ** 31 - 1)));
  }

  /** The period changed (or today moved on): figures of the former one are dropped and all read again. */
  private periodChanged(): void {
    if (this.stopped) return;
    this.figureReads.reset();
    const { label, live } = this.range();
    this.figuresLive = live;
    for (const cell of document.querySelectorAll<HTMLElement>('[data-period-label]')) cell.textContent = label;
    byId('chart-title').textContent = this.period.kind === 'week' ? 'Calls in the last 7 days' : label === 'Today' ? 'Calls today' : `Calls on ${label}`;
    this.destinationsView?.setFigures(new Map(), true);
    byId('chart-summary').textContent = '';
    this.wantFigures('all', true);
    this.queueFigures?.reset();
    this.queueFigures?.want('all');
    this.shares?.periodChanged();
    this.poolDetails?.periodChanged();
  }

  private setUpPeriod(): void {
    const kind = byId<HTMLSelectElement>('figures-period');
    const day = byId<HTMLInputElement>('figures-day');
    const dayField = byId('figures-day-field');
    const apply = () => {
      const today = this.todayDate();
      day.max = addDays(today, -1);
      if (kind.value === 'day') {
        dayField.hidden = false;
        if (!day.value || day.value >= today) day.value = addDays(today, -1);
        this.period = { kind: 'day', date: day.value };
      } else {
        dayField.hidden = true;
        this.period = kind.value === 'week' ? { kind: 'week' } : { kind: 'today' };
      }
      this.periodChanged();
    };
    kind.addEventListener('change', apply);
    day.addEventListener('change', apply);
    day.max = addDays(this.todayDate(), -1);
    this.stoppers.push(() => {
      kind.removeEventListener('change', apply);
      day.removeEventListener('change', apply);
    });
  }

  private setUpChart(): void {
    const select = byId<HTMLSelectElement>('chart-destination');
    byId('chart-legend').replaceChildren(legend());
    const onChange = () => {
      this.chartId = select.value || null;
      this.drawSelectedChart();
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
    if (changed) this.drawSelectedChart();
    byId('chart-empty').hidden = list.length > 0;
  }

  /** The chosen destination changed: its chart (and its row's figures, from the same read) are read. */
  private drawSelectedChart(): void {
    if (this.chartId === null) {
      byId('chart-figure').replaceChildren();
      byId('chart-summary').textContent = '';
      return;
    }
    this.wantFigures([], true);
  }

  // ------------------------------------------------------------------ queues and agents

  private setUpQueues(showStats: boolean): void {
    const figure = (q: Queue) => this.queueFigures?.figures.get(q.id);
    const minutes = (sec: number | null | undefined) => (sec === null || sec === undefined ? '–' : duration(Math.round(sec)));
    const figureColumns: Array<Column<Queue>> = !showStats ? [] : [
      { className: 'num queue-sl', text: (q) => percent(figure(q)?.serviceLevel ?? null), sort: { key: 'serviceLevel', value: (q) => figure(q)?.serviceLevel ?? -1 } },
      { className: 'num queue-abandoned', text: (q) => percent(figure(q)?.abandonRate ?? null), sort: { key: 'abandonRate', value: (q) => figure(q)?.abandonRate ?? -1 } },
      { className: 'num queue-asa', text: (q) => minutes(figure(q)?.averageSpeedOfAnswerSec), sort: { key: 'asa', value: (q) => figure(q)?.averageSpeedOfAnswerSec ?? -1 } },
      { className: 'num queue-aht', text: (q) => minutes(figure(q)?.averageHandleTimeSec), sort: { key: 'aht', value: (q) => figure(q)?.averageHandleTimeSec ?? -1 } },
      { className: 'num queue-longest', text: (q) => (figure(q) === undefined ? '–' : duration(figure(q)!.longestWaitSec)), sort: { key: 'longestWait', value: (q) => figure(q)?.longestWaitSec ?? -1 } },
      {
        className: 'num queue-answered-by',
        text: (q) => (figure(q) === undefined ? '–' : `${figure(q)!.answeredByAgents} / ${figure(q)!.answeredByExternal}`),
        sort: { key: 'answeredBy', value: (q) => (figure(q)?.answeredByAgents ?? -1) + (figure(q)?.answeredByExternal ?? 0) },
      },
    ];
    for (const cell of document.querySelectorAll<HTMLElement>('#queue-head .queue-figures')) cell.hidden = !showStats;
    const view = new KeyedTable<Queue>(byId<HTMLTableSectionElement>('queue-rows'), byId('queue-empty'), {
      now: this.now,
      columns: [
        { className: 'num', text: (q) => String(q.live.waitingCalls), sort: { key: 'waiting', value: (q) => q.live.waitingCalls } },
        {
          className: 'num',
          text: (q, now) => (q.live.waitingCalls === 0 ? '–' : duration(oldestWait(q, now))),
          // Over the company's threshold: coloured, with the words beside the value (the wait grows, so every tick looks again).
          mark: (q, now) => {
            const limit = this.thresholds.queueOldestWaitSec;
            return limit !== null && q.live.waitingCalls > 0 && oldestWait(q, now) > limit ? `over ${limit} s` : null;
          },
          // By when the oldest call came (stable in time): the earlier, the longer the wait; none waiting sorts as the shortest.
          sort: { key: 'oldest', value: (q) => (q.live.waitingCalls === 0 ? -Number.MAX_SAFE_INTEGER : q.live.oldestWaitSec - Date.parse(q.live.at) / 1000) },
        },
        // The agents routing would offer a call now (decision 026), and those held back with the reason.
        { className: 'num free-agents', text: (q) => String(q.live.availableAgents), sort: { key: 'free', value: (q) => q.live.availableAgents } },
        { className: 'held-back', text: (q) => heldBackText(q.live.agents) || '–', sort: { key: 'held', value: (q) => q.live.agents.wrapUp + q.live.agents.retryWait } },
        ...figureColumns,
      ],
      ticks: (q) => q.live.waitingCalls > 0,
      summarise: (queues) => {
        let waiting = 0;
        for (const q of queues) waiting += q.live.waitingCalls;
        byId('queue-summary').textContent = `${count(waiting, 'call')} waiting`;
        this.alertsView?.namesChanged();
      },
    });
    this.queuesView = view;
    sortableHeaders(byId('queue-head'), { key: 'name', direction: 'ascending' }, (sort) => view.setSort(sort));
    // The period's figures of each queue: read with the queues, and again for a queue when its live update
    // arrives (the same event as its live counts), so the row's figures and counts move together.
    const reader = !showStats ? null : new QueueFiguresReader({
      read: async (ids) => {
        const range = this.range();
        const { data, errors } = await request(QUEUE_FIGURES, { from: range.from, to: range.to, ids }, this.token);
        const error = errors[0];
        if (error) throw new ApiError(error.message, error.extensions?.code ?? 'UNKNOWN');
        return data?.list ?? [];
      },
      shown: () => view.refresh(),
      failed: this.failed,
      delayMs: FIGURES_DELAY_MS,
      gapMs: FIGURES_GAP_MS,
      loadFactor: FIGURES_LOAD_FACTOR,
      allAbove: FIGURES_ALL_ABOVE,
    });
    this.queueFigures = reader;
    const collection = new LiveCollection<Queue, QueueLive>({
      idOf: (l) => l.queueId,
      seqOf: (l) => l.seq,
      fetchAll: async () => {
        const all = await this.pages(QUEUES, 'queues');
        reader?.want('all');
        return all;
      },
      fetchSome: async (ids) => {
        const found = await this.some('queue', ids);
        reader?.want(ids);
        return found;
      },
    }, view, this.failed);
    this.queues = collection;
    this.live.subscribe(QUEUE_UPDATES, 'queueUpdates', (l) => {
      this.sawClock(l.at);
      collection.event(l);
      if (this.figuresLive) reader?.want([l.queueId]);
      this.shares?.queueChanged();
    }, (m) => this.showNotice(`Live queue updates failed: ${m}`));
    this.stoppers.push(() => {
      reader?.stop();
      collection.stop();
      view.stop();
    });
  }

  private setUpAgents(): void {
    const zone = this.me.company.timeZone;
    const state = (a: Agent, now = this.now()) => agentState(a.live, now, zone);
    const view = new KeyedTable<Agent>(byId<HTMLTableSectionElement>('agent-rows'), byId('agent-empty'), {
      now: this.now,
      columns: [
        {
          className: 'agent-state',
          text: (a, now) => state(a, now).text,
          sort: { key: 'state', value: (a, now) => `${KIND_RANK[state(a, now).kind]} ${state(a, now).text}` },
        },
      ],
      // A hold ends with time alone: the row turns "Free" then, by the gateway's clock.
      ticks: (a) => state(a).until !== null,
      summarise: (agents) => {
        const n = { free: 0, held: 0, busy: 0, break: 0, out: 0 };
        const now = this.now();
        for (const a of agents) n[state(a, now).kind] += 1;
        byId('agent-summary').textContent = `${n.free} free · ${n.held} held back · ${n.busy} on or receiving a call · ${n.break} on break`;
      },
    });
    sortableHeaders(byId('agent-head'), { key: 'name', direction: 'ascending' }, (sort) => view.setSort(sort));
    const collection = new LiveCollection<Agent, AgentLive>({
      idOf: (l) => l.agentId,
      seqOf: (l) => l.seq,
      fetchAll: () => this.pages(AGENTS, 'agents'),
      fetchSome: (ids) => this.some('agent', ids),
    }, view, this.failed);
    this.agents = collection;
    this.live.subscribe(AGENT_UPDATES, 'agentUpdates', (l) => {
      this.sawClock(l.at);
      collection.event(l);
    }, (m) => this.showNotice(`Live agent updates failed: ${m}`));
    this.stoppers.push(() => {
      collection.stop();
      view.stop();
    });
  }

  // ------------------------------------------------------------------ capacity pools (decision 038)

  /**
   * The capacity pools: a live collection like the destinations (full read, `capacityPoolUpdates` by `seq`, a
   * re-read after a gap), and, as their live updates ask, one read per pool of its name, members, use and (with
   * statistics VIEW) its figures of the period, gathered by the figures' scheduler.
   */
  private setUpPools(showStats: boolean): void {
    for (const cell of document.querySelectorAll<HTMLElement>('#pool-head .pool-figures')) cell.hidden = !showStats;
    const figure = (p: Pool) => this.poolDetails?.figures.get(p.id);
    const figureColumns: Array<Column<Pool>> = !showStats ? [] : POOL_FIGURE_KEYS.map((key) => ({
      className: `num pool-${key}`,
      text: (p: Pool) => String(figure(p)?.[key] ?? '–'),
      sort: { key, value: (p: Pool) => figure(p)?.[key] ?? -1 },
    }));
    const table = new KeyedTable<Pool>(byId<HTMLTableSectionElement>('pool-rows'), byId('pool-empty'), {
      now: this.now,
      columns: [
        { className: 'pool-members', text: (p) => poolMembers(p), sort: { key: 'members', value: (p) => p.externalDestinations.length } },
        { className: 'pool-use', text: (p) => poolUse(p.live), sort: { key: 'use', value: (p) => p.live.connectingCalls + p.live.activeCalls } },
        ...figureColumns,
      ],
      summarise: (pools) => {
        byId('pool-summary').textContent = poolsSummary(pools);
      },
    });
    sortableHeaders(byId('pool-head'), { key: 'name', direction: 'ascending' }, (sort) => table.setSort(sort));
    // Each render also notes which pool each visible destination is in (its live updates ask for the pool's read).
    const view = {
      render: (changed: Pool[], removed: string[]) => {
        table.render(changed, removed);
        const members = new Map<string, string>();
        for (const p of collection.nodes.values()) for (const ref of p.externalDestinations) if (ref.destination) members.set(ref.destination.id, p.id);
        this.poolOfMember = members;
      },
    };
    const details = new PoolDetailsReader({
      read: (ids, figures) => this.readPools(ids, figures),
      known: () => [...collection.nodes.keys()],
      took: (pool) => {
        this.sawClock(pool.live.at);
        collection.applyRead(pool);
      },
      gone: (id) => collection.reread(id, false),
      shown: () => table.refresh(),
      period: () => {
        if (!showStats) return null;
        const { from, to, live } = this.range();
        return { key: `${from}/${to}`, live };
      },
      failed: this.failed,
      delayMs: FIGURES_DELAY_MS,
      gapMs: FIGURES_GAP_MS,
      loadFactor: FIGURES_LOAD_FACTOR,
      allAbove: FIGURES_ALL_ABOVE,
    });
    this.poolDetails = details;
    const collection: LiveCollection<Pool, PoolLive> = new LiveCollection<Pool, PoolLive>({
      idOf: (l) => l.poolId,
      seqOf: (l) => l.seq,
      fetchAll: async () => {
        const all = await this.pages(CAPACITY_POOLS, 'capacityPools');
        // The figures of every pool, after this read.
        if (showStats) details.want('all');
        // None at all: the table says so (a render comes only with pools changed or removed).
        if (all.length === 0) view.render([], []);
        return all;
      },
      fetchSome: async (ids) => {
        const found = await this.some('pool', ids);
        if (showStats) details.want([...found].flatMap(([id, p]) => (p ? [id] : [])));
        return found;
      },
    }, view, this.failed);
    this.pools = collection;
    this.live.subscribe(POOL_UPDATES, 'capacityPoolUpdates', (l) => {
      this.sawClock(l.at);
      collection.event(l);
      // The same event moves its figures (and may come with a new name or members): the pool is read again, gathered.
      details.want([l.poolId]);
    }, (m) => this.showNotice(`Live capacity pool updates failed: ${m}`));
    this.stoppers.push(() => {
      details.stop();
      collection.stop();
      table.stop();
    });
  }

  /** Pools by id with their figures over the period when `figures`, a few per request; null for one gone (NOT_FOUND). */
  private async readPools(ids: string[], figures: boolean): Promise<Map<string, PoolDetails | null>> {
    const out = new Map<string, PoolDetails | null>();
    const { from, to } = this.range();
    for (let i = 0; i < ids.length; i += REREAD_BATCH) {
      const chunk = ids.slice(i, i + REREAD_BATCH);
      const variables: Record<string, string | boolean> = { from, to, figures };
      chunk.forEach((id, j) => (variables[`i${j}`] = id));
      const { data, errors } = await request(poolDetailsQuery(chunk.length), variables, this.token);
      const notFound = new Set(errors.filter((e) => e.extensions?.code === 'NOT_FOUND').map((e) => String(e.path?.[0])));
      const other = errors.find((e) => e.extensions?.code !== 'NOT_FOUND');
      if (other) throw new ApiError(other.message, other.extensions?.code ?? 'UNKNOWN');
      chunk.forEach((id, j) => {
        const pool = data?.[`r${j}`];
        if (pool) out.set(id, pool);
        else if (notFound.has(`r${j}`)) out.set(id, null);
      });
    }
    return out;
  }

  // ------------------------------------------------------------------ shares of the WEIGHTED_SHARE groups (decision 034)

  /**
   * The shares panel: read with everything else, then again as the live updates of destinations and queues ask
   * (gathered by the figures' scheduler); the period's counts over the period of the figures (today without
   * statistics VIEW: then none are shown).
   */
  private setUpShares(showStats: boolean): void {
    const view = new SharesView(byId('share-groups'), byId('share-empty'), {
      groups: () => this.pages(SHARE_GROUPS, 'agentGroups'),
      shares: async (id, history) => {
        const range = this.range();
        const { data, errors } = await request(GROUP_SHARES, { id, from: range.from, to: range.to, history }, this.token);
        if (errors.some((e) => e.extensions?.code === 'NOT_FOUND')) return null;
        const error = errors[0];
        if (error) throw new ApiError(error.message, error.extensions?.code ?? 'UNKNOWN');
        return data?.group ?? null;
      },
      period: () => {
        if (!showStats) return null;
        const { from, to, label, live } = this.range();
        return { key: `${from}/${to}`, label, live };
      },
      failed: this.failed,
      delayMs: FIGURES_DELAY_MS,
      gapMs: FIGURES_GAP_MS,
      loadFactor: FIGURES_LOAD_FACTOR,
      allAbove: FIGURES_ALL_ABOVE,
    });
    this.shares = view;
    this.stoppers.push(() => view.stop());
  }

  // ------------------------------------------------------------------ reads

  /** Every page of a connection (`field` of the query's answer). */
  private async pages<T extends Record<F, Paged>, F extends keyof T>(query: Operation<T, { first: number; after: string | null }>, field: F): Promise<Array<T[F]['nodes'][number]>> {
    const out: Array<T[F]['nodes'][number]> = [];
    let after: string | null = null;
    for (;;) {
      const data: T = await ok(query, { first: PAGE_SIZE, after }, this.token);
      const page: Paged = data[field];
      out.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor;
    }
  }

  /** Some resources by id, a few per request; null for those gone or no longer visible (NOT_FOUND). */
  private async some<K extends keyof RereadNodes>(kind: K, ids: string[]): Promise<Map<string, RereadNodes[K] | null>> {
    const out = new Map<string, RereadNodes[K] | null>();
    for (let i = 0; i < ids.length; i += REREAD_BATCH) {
      const chunk = ids.slice(i, i + REREAD_BATCH);
      const variables: Record<string, string> = {};
      chunk.forEach((id, j) => (variables[`i${j}`] = id));
      const { data, errors } = await request(rereadQuery(kind, chunk.length), variables, this.token);
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

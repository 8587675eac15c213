import type { CollectionView } from './collection';
import { el, TextSlot } from './dom';
import { duration, spokenDuration } from './format';
import { onNextFrame } from './frame';
import { probeText, probeTitle } from './probes';
import { compareRows, type SortState, type SortValue } from './sorting';
import { DESTINATION_STATES, type Destination, type DestinationState, type ProbeStatus, type TodayFigures } from './queries';

export interface DestinationViewOptions {
  /** Whether the user may resume a suspended destination (MODIFY on external destinations). */
  canModify: boolean;
  /** Whether today's figures are shown (VIEW on statistics). */
  showToday: boolean;
  resume(id: string): void;
  /** The back-off of a destination has run out: its state is read again (the gateway publishes no update for that). */
  backOffEnded(id: string): void;
  /** Destinations were added, removed or renamed (the chart's choice of destination follows). */
  listChanged(): void;
  announce(message: string): void;
  /** The gateway's clock, in ms (the browser's, corrected by the skew seen in updates). */
  now(): number;
  /** The company's time zone (the time of a destination's last probe). */
  timeZone: string;
}

const STATE_TEXT: Record<DestinationState, string> = {
  AVAILABLE: 'Available',
  AT_CAPACITY: 'At capacity',
  BACKED_OFF: 'Backed off',
  SUSPENDED: 'Suspended',
  DISABLED: 'Disabled',
};

/** A back-off that has run out but still reads as BACKED_OFF (the gateway's clock is behind ours) is read again this often. */
const ENDING_REREAD_MS = 2_000;

const TODAY_KEYS: Array<keyof TodayFigures> = ['offered', 'answered', 'busy', 'noAnswer', 'failed'];

/** One table row and the slots that change in it. */
interface Row {
  id: string;
  name: string;
  /** The last state shown (for sorting). */
  node: Destination;
  tr: HTMLTableRowElement;
  nameCell: HTMLElement;
  nameSlot: TextSlot;
  /** Beside the name while a back-off alert is raised for the destination (text, so never colour alone). */
  flagSlot: TextSlot;
  flag: string | null;
  /** Under the name, for a destination with a health probe: where probing stands, in words (empty without one). */
  probe: HTMLElement;
  probeSlot: TextSlot;
  badge: HTMLElement;
  badgeSlot: TextSlot;
  /** The state as said to screen readers while the badge shows a countdown (which is hidden from them). */
  spokenSlot: TextSlot;
  state: DestinationState | null;
  backedOffUntil: number | null;
  active: HTMLElement;
  connecting: HTMLElement;
  barKey: string;
  callsSlot: TextSlot;
  failuresSlot: TextSlot;
  failuresCell: HTMLElement;
  today: TextSlot[];
  actions: HTMLElement;
  resume: HTMLButtonElement | null;
}

/**
 * The destinations table: one row per destination, keyed by id, kept in name order. A render touches only
 * the rows that changed, and in them only the slots whose text changed.
 */
export class DestinationsView implements CollectionView<Destination> {
  private readonly rows = new Map<string, Row>();
  /** Rows in table order (by name). */
  private order: Row[] = [];
  private readonly counts = Object.fromEntries(DESTINATION_STATES.map((s) => [s, 0])) as Record<DestinationState, number>;
  private readonly backedOff = new Set<Row>();
  /** Rows whose back-off ran out, and when their re-read was last asked for. */
  private readonly ending = new Map<string, number>();
  private filter = '';
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly tick = () => this.updateCountdowns();
  private readonly collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  private sort: SortState = { key: 'name', direction: 'ascending' };
  /** The period's figures by destination (they come apart from the live state: see app.ts). */
  private figures = new Map<string, TodayFigures>();
  /** Where each probed destination's health probe stands, as last read (apart from the live state: see app.ts). */
  private readonly probes = new Map<string, ProbeStatus>();

  constructor(
    private readonly tbody: HTMLTableSectionElement,
    private readonly summary: Record<DestinationState | 'total', TextSlot>,
    private readonly empty: HTMLElement,
    private readonly options: DestinationViewOptions,
  ) {
    this.ticker = setInterval(() => {
      if (this.backedOff.size > 0) onNextFrame(this.tick);
    }, 1000);
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLocaleLowerCase();
    for (const row of this.order) this.applyFilter(row);
  }

  /** Orders the rows by another column (or direction); later updates keep that order. */
  setSort(sort: SortState): void {
    this.sort = sort;
    this.order.sort((a, b) => this.compare(a, b));
    const fragment = document.createDocumentFragment();
    for (const row of this.order) fragment.append(row.tr);
    this.tbody.append(fragment);
  }

  /**
   * Shows figures of the period: `complete` says `figures` holds every destination (the others show none);
   * otherwise only those given change.
   */
  setFigures(figures: Map<string, TodayFigures>, complete: boolean): void {
    const rows = complete ? [...this.rows.values()] : [...figures.keys()].map((id) => this.rows.get(id)).filter((r): r is Row => r !== undefined);
    const before = rows.map((row) => this.sortValue(row));
    if (complete) this.figures = new Map(figures);
    else for (const [id, f] of figures) this.figures.set(id, f);
    const moved: Row[] = [];
    rows.forEach((row, i) => {
      this.showFigures(row);
      if (this.sortValue(row) !== before[i]) moved.push(row);
    });
    this.reposition(moved);
  }

  render(changed: Destination[], removed: string[]): void {
    let listChanged = false;
    const news: Row[] = [];
    const moved: Row[] = [];
    const suspended: string[] = [];
    const resumed: string[] = [];
    for (const id of removed) {
      const row = this.rows.get(id);
      if (row === undefined) continue;
      this.rows.delete(id);
      this.order.splice(this.order.indexOf(row), 1);
      row.tr.remove();
      if (row.state) this.counts[row.state] -= 1;
      this.backedOff.delete(row);
      this.ending.delete(id);
      this.probes.delete(id);
      listChanged = true;
    }
    for (const d of changed) {
      let row = this.rows.get(d.id);
      const isNew = row === undefined;
      if (row === undefined) {
        row = this.createRow(d);
        this.rows.set(d.id, row);
        news.push(row);
        listChanged = true;
      }
      const sortedBefore = this.sortValue(row);
      const renamed = row.name !== d.name;
      if (renamed) {
        row.name = d.name;
        row.nameSlot.set(d.name);
        row.resume?.setAttribute('aria-label', `Resume ${d.name}`);
        listChanged = true;
      }
      const before = row.state;
      row.node = d;
      this.update(row, d);
      if (!isNew && (renamed || this.sortValue(row) !== sortedBefore)) moved.push(row);
      if (!isNew && before !== row.state) {
        if (row.state === 'SUSPENDED') suspended.push(row.name);
        else if (before === 'SUSPENDED') resumed.push(row.name);
      }
    }
    this.reposition(moved);
    if (news.length > 0) this.insertAll(news);
    this.updateSummary();
    this.empty.hidden = this.rows.size > 0;
    this.announceChanges(suspended, resumed);
    if (listChanged) this.options.listChanged();
  }

  private createRow(d: Destination): Row {
    const nameText = el('span', { class: 'name-text' });
    const flagText = el('span', { class: 'alert-flag' });
    const probe = el('span', { class: 'probe-text' });
    const nameCell = el('th', { class: 'name', attrs: { scope: 'row' } }, nameText, flagText, probe);
    const badge = el('span', { class: 'badge' });
    const spoken = el('span', { class: 'visually-hidden' });
    const active = el('span', { class: 'bar-active' });
    const connecting = el('span', { class: 'bar-connecting' });
    const callsText = el('span', { class: 'calls-text' });
    const failuresCell = el('td', { class: 'num failures' });
    const failuresText = el('span');
    // The parts that change often sit in fixed-size boxes: a change inside one is laid out within it, never across the table.
    const tr = el(
      'tr',
      { attrs: { 'data-id': d.id } },
      nameCell,
      el('td', { class: 'state' }, el('div', { class: 'box' }, badge, spoken)),
      el('td', { class: 'calls' }, el('div', { class: 'box' }, el('div', { class: 'bar', attrs: { 'aria-hidden': 'true' } }, active, connecting), callsText)),
      failuresCell,
    );
    failuresCell.append(el('div', { class: 'box' }, failuresText));
    const today: TextSlot[] = [];
    if (this.options.showToday) {
      for (const key of TODAY_KEYS) {
        const cell = el('td', { class: `num today today-${key}` });
        today.push(new TextSlot(cell));
        tr.append(cell);
      }
    }
    const actions = el('td', { class: 'actions' });
    tr.append(actions);
    const row: Row = {
      id: d.id, name: d.name, node: d, tr, nameCell, nameSlot: new TextSlot(nameText), flagSlot: new TextSlot(flagText), flag: null, probe, probeSlot: new TextSlot(probe), badge, badgeSlot: new TextSlot(badge), spokenSlot: new TextSlot(spoken), state: null, backedOffUntil: null,
      active, connecting, barKey: '', callsSlot: new TextSlot(callsText), failuresSlot: new TextSlot(failuresText), failuresCell, today, actions, resume: null,
    };
    row.nameSlot.set(d.name);
    this.applyFilter(row);
    this.showFigures(row);
    this.showFlag(row);
    return row;
  }

  private update(row: Row, d: Destination): void {
    const { live } = d;
    if (row.state !== live.state) {
      if (row.state) this.counts[row.state] -= 1;
      this.counts[live.state] += 1;
      row.state = live.state;
      row.tr.dataset.state = live.state;
      row.badge.className = `badge badge-${live.state.toLowerCase().replace('_', '-')}`;
    }
    const until = live.state === 'BACKED_OFF' && live.backedOffUntil ? Date.parse(live.backedOffUntil) : null;
    // Every read or update starts the "ending" wait afresh: one still BACKED_OFF after its end is read again later.
    if (until === null || until !== row.backedOffUntil) this.ending.delete(row.id);
    row.backedOffUntil = until;
    if (until === null) this.backedOff.delete(row);
    else this.backedOff.add(row);
    this.setStateText(row);

    const max = live.maxSimultaneousCalls;
    const barKey = `${live.activeCalls}/${live.connectingCalls}/${max}`;
    if (barKey !== row.barKey) {
      row.barKey = barKey;
      // Unlimited: the bar shows the calls against a scale that grows with them.
      const scale = max ?? Math.max(10, live.activeCalls + live.connectingCalls);
      const active = Math.min(1, live.activeCalls / scale);
      const connecting = Math.min(1 - active, live.connectingCalls / scale);
      row.active.style.width = `${active * 100}%`;
      row.connecting.style.width = `${connecting * 100}%`;
      row.callsSlot.set(`${live.connectingCalls} connecting · ${live.activeCalls} answered · ${max === null ? 'no limit' : `max ${max}`}`);
    }
    row.failuresSlot.set(String(live.consecutiveFailures));
    row.failuresCell.classList.toggle('warn', live.consecutiveFailures > 0);
    this.showProbe(row);

    const wantResume = this.options.canModify && live.state === 'SUSPENDED';
    if (wantResume && row.resume === null) {
      const button = el('button', { class: 'resume', text: 'Resume', attrs: { type: 'button', 'aria-label': `Resume ${row.name}` } });
      // aria-disabled rather than disabled: the button keeps its focus while the request runs; repeat clicks are ignored.
      button.addEventListener('click', () => {
        if (button.getAttribute('aria-disabled') === 'true') return;
        button.setAttribute('aria-disabled', 'true');
        button.textContent = 'Resuming…';
        this.options.resume(row.id);
      });
      row.resume = button;
      row.actions.append(button);
    } else if (!wantResume && row.resume !== null) {
      // Focus on the button would fall to the page's top when it goes: it moves to the row's name instead.
      if (row.resume.contains(document.activeElement)) {
        row.nameCell.tabIndex = -1;
        row.nameCell.focus({ preventScroll: true });
      }
      row.resume.remove();
      row.resume = null;
    }
  }

  /**
   * Where a destination's probe stands, as just read; its row shows it with the next render of the destination
   * (the same read gives its live state to the collection, which renders the row).
   */
  setProbeStatus(id: string, status: ProbeStatus): void {
    this.probes.set(id, status);
  }

  /** The probe line under the name: nothing without a probe. */
  private showProbe(row: Row): void {
    const { probe, live } = row.node;
    row.probeSlot.set(probeText(probe, this.probes.get(row.id), live.state, this.options.timeZone, this.options.now()));
    const title = probeTitle(probe);
    if (row.probe.title !== title) row.probe.title = title;
  }

  /** The resume request failed: the button may be used again. */
  resumeFailed(id: string): void {
    const row = this.rows.get(id);
    if (row?.resume) {
      row.resume.removeAttribute('aria-disabled');
      row.resume.textContent = 'Resume';
    }
  }

  private setStateText(row: Row): void {
    const state = row.state!;
    if (row.backedOffUntil === null) {
      row.badgeSlot.set(STATE_TEXT[state]);
      row.badge.removeAttribute('aria-hidden');
      row.spokenSlot.set('');
      return;
    }
    // The badge's "m:ss" is read badly by screen readers: they get the words in a visually hidden span instead.
    row.badge.setAttribute('aria-hidden', 'true');
    const left = Math.ceil((row.backedOffUntil - this.options.now()) / 1000);
    if (left > 0) {
      row.badgeSlot.set(`Backed off · ${duration(left)}`);
      row.spokenSlot.set(`Backed off for ${spokenDuration(left)} more`);
    } else {
      row.badgeSlot.set('Backed off · ending');
      row.spokenSlot.set('Back-off ending');
      // Asked again while the state read still says BACKED_OFF (e.g. the gateway's clock is a little behind).
      const asked = this.ending.get(row.id);
      const now = Date.now();
      if (asked === undefined || now - asked >= ENDING_REREAD_MS) {
        this.ending.set(row.id, now);
        this.options.backOffEnded(row.id);
      }
    }
  }

  private updateCountdowns(): void {
    for (const row of this.backedOff) this.setStateText(row);
  }

  /** Flags the rows of destinations with a back-off alert raised now (id -> what it measured); the others lose theirs. */
  setFlags(flags: Map<string, string>): void {
    this.flags = flags;
    for (const row of this.rows.values()) this.showFlag(row);
  }
  private flags = new Map<string, string>();

  private showFlag(row: Row): void {
    const flag = this.flags.get(row.id) ?? null;
    if (flag === row.flag) return;
    row.flag = flag;
    row.flagSlot.set(flag === null ? '' : ` · Alert: ${flag}`);
    row.tr.classList.toggle('alerted', flag !== null);
    if (flag === null) row.nameCell.removeAttribute('title');
    else row.nameCell.title = `Back-off alert: ${flag}`;
  }

  private applyFilter(row: Row): void {
    row.tr.hidden = this.filter !== '' && !row.name.toLocaleLowerCase().includes(this.filter);
  }

  private showFigures(row: Row): void {
    if (!this.options.showToday) return;
    const figures = this.figures.get(row.id);
    TODAY_KEYS.forEach((key, i) => row.today[i]!.set(figures ? String(figures[key]) : '–'));
  }

  /** The value of the column sorted by (stable in time: a countdown's end, not what is left). */
  private sortValue(row: Row): SortValue {
    const live = row.node.live;
    switch (this.sort.key) {
      case 'state':
        return DESTINATION_STATES.indexOf(live.state);
      case 'calls':
        return live.activeCalls + live.connectingCalls;
      case 'failures':
        return live.consecutiveFailures;
      case 'offered':
      case 'answered':
      case 'busy':
      case 'noAnswer':
      case 'failed':
        return this.figures.get(row.id)?.[this.sort.key] ?? -1;
      default:
        return row.name;
    }
  }

  /** By the sorted column, ties (and the default) by name, then id: one order on every page. */
  private compare(a: Row, b: Row): number {
    return compareRows({ id: a.id, name: a.name, value: this.sortValue(a) }, { id: b.id, name: b.name, value: this.sortValue(b) }, this.sort.direction, this.collator);
  }

  /**
   * Moves rows whose sort value or name changed to where they now belong: the order is worked out in the
   * list, then only rows not already before their successor move in the table.
   */
  private reposition(rows: Row[]): void {
    const changed = new Set(rows.filter((row) => this.rows.get(row.id) === row));
    if (changed.size === 0) return;
    const outOfPlace = [...changed].some((row) => {
      const i = this.order.indexOf(row);
      const prev = this.order[i - 1];
      const next = this.order[i + 1];
      return (prev !== undefined && this.compare(prev, row) > 0) || (next !== undefined && this.compare(row, next) > 0);
    });
    if (!outOfPlace) return;
    this.order = this.order.filter((row) => !changed.has(row));
    for (const row of changed) this.order.splice(this.indexFor(row), 0, row);
    for (let i = this.order.length - 1; i >= 0; i -= 1) {
      const row = this.order[i]!;
      if (!changed.has(row)) continue;
      const next = this.order[i + 1]?.tr ?? null;
      if (row.tr.nextSibling !== next) this.tbody.insertBefore(row.tr, next);
    }
  }

  /** Where a row belongs in `order` (binary search). */
  private indexFor(row: Row): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(this.order[mid]!, row) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Puts new rows in place: all at once into an empty table, else each where its name belongs. */
  private insertAll(news: Row[]): void {
    if (this.order.length === 0) {
      news.sort((a, b) => this.compare(a, b));
      this.order = news;
      const fragment = document.createDocumentFragment();
      for (const row of news) fragment.append(row.tr);
      this.tbody.append(fragment);
      return;
    }
    for (const row of news) this.insertOrdered(row);
  }

  private insertOrdered(row: Row): void {
    const lo = this.indexFor(row);
    const next = this.order[lo];
    this.order.splice(lo, 0, row);
    this.tbody.insertBefore(row.tr, next ? next.tr : null);
  }

  private updateSummary(): void {
    for (const state of DESTINATION_STATES) this.summary[state].set(String(this.counts[state]));
    this.summary.total.set(String(this.rows.size));
  }

  private announceChanges(suspended: string[], resumed: string[]): void {
    const parts: string[] = [];
    if (suspended.length > 3) parts.push(`${suspended.length} destinations suspended`);
    else if (suspended.length > 0) parts.push(`${suspended.join(', ')} suspended`);
    if (resumed.length > 3) parts.push(`${resumed.length} destinations back in service`);
    else if (resumed.length > 0) parts.push(`${resumed.join(', ')} back in service`);
    if (parts.length > 0) this.options.announce(`${parts.join('. ')}.`);
  }

  /** Destinations in table order, for the chart's choice. */
  list(): Array<{ id: string; name: string }> {
    return this.order.map((r) => ({ id: r.id, name: r.name }));
  }
}

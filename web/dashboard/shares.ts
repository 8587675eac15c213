import { el, TextSlot } from './dom';
import { count } from './format';
import { GatheredReads, type GatheredReadsOptions } from './gathered-reads';
import type { GroupShares, ShareGroup, ShareHistory } from './queries';

/*
 * The shares of the external destinations of each agent group that spreads its calls by target (WEIGHTED_SHARE,
 * decision 034): per destination, its share of the group's last offers against its target ("70% of the last 20
 * offers vs target 70%") and, with statistics VIEW, its offers over the period the dashboard shows. A destination
 * the user may not see is one row saying so, with neither its name nor any number.
 *
 * Like the figures, the shares are not streamed: a group's are read again when a live update of one of its
 * destinations arrives (an offer changes the destination's calls), and every group's when a queue's does (an
 * offer to a destination this user cannot see changes only the queue), gathered by the same scheduler
 * (GatheredReads). Each read also reads the list of groups again (from the gateway's memory), so a group switched
 * to WEIGHTED_SHARE or away from it shows or goes with the next read.
 */

/** The period of the figures, as the shares' last column shows it. */
export interface SharesPeriod {
  /** Identifies the range: a group's period counts are read again when it changes. */
  key: string;
  /** "Today", "Tue 1 Dec", "Last 7 days". */
  label: string;
  /** Whether it includes today (live updates change its counts, so they are read with every read). */
  live: boolean;
}

export interface SharesOptions extends Omit<GatheredReadsOptions, 'read'> {
  /** Every agent group the user may see, with its rule. */
  groups(): Promise<ShareGroup[]>;
  /** One group's shares now, and over the period when `history`; null when the group is gone (NOT_FOUND). */
  shares(id: string, history: boolean): Promise<GroupShares | null>;
  /** The period shown, or null without statistics VIEW (no period column then). */
  period(): SharesPeriod | null;
}

/** A share (0..1) as a whole percentage. */
const pct = (share: number): string => `${Math.round(share * 100)}%`;

interface RowSlots {
  tr: HTMLTableRowElement;
  name: TextSlot;
  now: TextSlot | null;
  period: TextSlot | null;
  fill: HTMLElement | null;
  target: HTMLElement | null;
}

/** What one row shows: a visible destination, or a hidden one (nothing but that it is there). */
type RowContent =
  | { key: string; hidden: false; name: string; now: string; actual: number | null; target: number | null; period: string }
  | { key: string; hidden: true };

interface GroupBlock {
  section: HTMLElement;
  title: TextSlot;
  window: TextSlot;
  periodHead: TextSlot | null;
  tbody: HTMLTableSectionElement;
  rows: Map<string, RowSlots>;
  shares: GroupShares;
  /** The period's counts and the period they are of (kept when a read did not ask for them again). */
  history: ShareHistory | null;
  historyKey: string | null;
  /** The visible destinations of the group: their live updates ask for its shares again. */
  destinations: Set<string>;
}

/** The shares panel: one block per WEIGHTED_SHARE group, in the order of the group list (by name). */
export class SharesView {
  private readonly blocks = new Map<string, GroupBlock>();
  private readonly reads: GatheredReads;
  private period: SharesPeriod | null;

  constructor(private readonly container: HTMLElement, private readonly empty: HTMLElement, private readonly options: SharesOptions) {
    this.period = options.period();
    this.reads = new GatheredReads({ ...options, read: (wanted, current) => this.read(wanted.ids, current) });
  }

  /** Everything read again (at start and after a reconnect). */
  load(): void {
    this.reads.want('all');
  }

  /** A live update of a destination: the shares of the groups it is in are read again. */
  destinationChanged(id: string): void {
    const groups = [...this.blocks.entries()].filter(([, b]) => b.destinations.has(id)).map(([groupId]) => groupId);
    if (groups.length > 0) this.reads.want(groups);
  }

  /** A live update of a queue: an offer may have gone to a destination this user cannot see, so every group is read. */
  queueChanged(): void {
    this.reads.want('all');
  }

  /** The period changed (or today moved on): its counts are dropped and all read again. */
  periodChanged(): void {
    this.reads.reset();
    this.period = this.options.period();
    for (const block of this.blocks.values()) {
      block.history = null;
      block.historyKey = null;
      this.fill(block);
    }
    this.reads.want('all');
  }

  stop(): void {
    this.reads.stop();
  }

  private async read(ids: string[] | null, current: () => boolean): Promise<'all' | void> {
    const period = this.options.period();
    const weighted = (await this.options.groups()).filter((g) => g.externalDistribution === 'WEIGHTED_SHARE');
    if (!current()) return;
    // The groups asked for, and any not shown yet (switched to WEIGHTED_SHARE since).
    const toRead = weighted.filter((g) => ids === null || ids.includes(g.id) || !this.blocks.has(g.id));
    const answers = await Promise.all(toRead.map(async (g) => {
      const known = this.blocks.get(g.id);
      const history = period !== null && (period.live || known?.historyKey !== period.key);
      return { id: g.id, history, shares: await this.options.shares(g.id, history) };
    }));
    if (!current()) return;
    this.period = period;
    let gone = false;
    const read = new Map(answers.map((a) => [a.id, a]));
    const order: string[] = [];
    for (const g of weighted) {
      const answer = read.get(g.id);
      if (answer !== undefined && (answer.shares === null || answer.shares.externalDistribution !== 'WEIGHTED_SHARE')) {
        // Deleted or switched away between the two reads: the next read has the list as it is then.
        gone = true;
        continue;
      }
      const block = this.blocks.get(g.id);
      if (answer === undefined) {
        if (block === undefined) continue;
        if (block.shares.name !== g.name) block.shares = { ...block.shares, name: g.name };
        this.fill(block);
      } else {
        const shares = answer.shares!;
        const target = block ?? this.block(shares);
        target.shares = shares;
        if (answer.history) {
          target.history = shares.shareHistory ?? null;
          target.historyKey = period?.key ?? null;
        }
        target.destinations = new Set(shares.externalDestinationShares.flatMap((s) => (s.destination ? [s.destination.id] : [])));
        this.fill(target);
      }
      order.push(g.id);
    }
    for (const [id, block] of this.blocks) {
      if (order.includes(id)) continue;
      block.section.remove();
      this.blocks.delete(id);
    }
    // In the list's order (by name); only blocks out of place move.
    let previous: Element | null = null;
    for (const id of order) {
      const section = this.blocks.get(id)!.section;
      const expected: Element | null = previous === null ? this.container.firstElementChild : previous.nextElementSibling;
      if (expected !== section) {
        if (previous === null) this.container.prepend(section);
        else previous.after(section);
      }
      previous = section;
    }
    this.empty.hidden = this.blocks.size > 0;
    if (gone) return 'all';
  }

  /** A new group's block: its name, how its window stands, and its table. */
  private block(shares: GroupShares): GroupBlock {
    const titleId = `share-group-${shares.id}`;
    const title = el('h3', { attrs: { id: titleId } });
    const window = el('p', { class: 'share-window' });
    const periodHead = this.period === null ? null : el('th', { class: 'share-period', attrs: { scope: 'col' } });
    const tbody = el('tbody');
    const head = el('tr', {}, el('th', { text: 'Destination', attrs: { scope: 'col' } }), el('th', { text: 'Now', attrs: { scope: 'col' } }));
    if (periodHead) head.append(periodHead);
    const table = el(
      'table',
      { class: 'grid compact share-table' },
      // The group's name is the section's heading (it may change); the caption says what the table holds.
      el('caption', { class: 'visually-hidden', text: 'Each external destination\'s share of the group\'s last offers against its target, and its offers in the period chosen' }),
      el('thead', {}, head),
      tbody,
    );
    const section = el('section', { class: 'share-group', attrs: { 'data-group-id': shares.id, 'aria-labelledby': titleId } }, title, window, el('div', { class: 'scroll' }, table));
    const block: GroupBlock = {
      section, title: new TextSlot(title), window: new TextSlot(window), periodHead: periodHead && new TextSlot(periodHead), tbody, rows: new Map(), shares,
      history: null, historyKey: null, destinations: new Set(),
    };
    this.blocks.set(shares.id, block);
    return block;
  }

  /** Writes a block from what was read: only the text that changed, rows moved only when out of place. */
  private fill(block: GroupBlock): void {
    const { shares, history } = block;
    const n = shares.shareWindowOffers;
    block.title.set(shares.name);
    block.window.set(
      n === 0 ? `No offers counted yet (the share is counted over the last ${count(shares.shareWindow, 'offer')})`
        : n < shares.shareWindow ? `Counted over the last ${count(n, 'offer')} (up to ${shares.shareWindow})`
          : `Counted over the last ${count(n, 'offer')}`,
    );
    block.periodHead?.set(this.period?.label ?? '');
    const rows = this.rows(shares, history);
    const keys = new Set(rows.map((r) => r.key));
    for (const [key, slots] of block.rows) {
      if (keys.has(key)) continue;
      slots.tr.remove();
      block.rows.delete(key);
    }
    let previous: HTMLTableRowElement | null = null;
    for (const row of rows) {
      let slots = block.rows.get(row.key);
      if (slots === undefined) {
        slots = this.row(row);
        block.rows.set(row.key, slots);
      }
      if (!row.hidden) {
        slots.name.set(row.name);
        slots.now!.set(row.now);
        slots.period?.set(row.period);
        slots.fill!.style.transform = `scaleX(${row.actual ?? 0})`;
        slots.target!.hidden = row.target === null;
        if (row.target !== null) slots.target!.style.left = `${row.target}%`;
      }
      const expected: Element | null = previous === null ? block.tbody.firstElementChild : previous.nextElementSibling;
      if (expected !== slots.tr) {
        if (previous === null) block.tbody.prepend(slots.tr);
        else previous.after(slots.tr);
      }
      previous = slots.tr;
    }
  }

  /** A row's cells: a visible destination has its name, its share now (text and bar) and the period's; a hidden one one cell. */
  private row(row: RowContent): RowSlots {
    if (row.hidden) {
      const th = el('th', { class: 'share-hidden', text: 'Hidden destination: you may not see it', attrs: { scope: 'row', title: 'Not in your External Destinations profile: neither its name nor its figures are shown', colspan: this.period === null ? '2' : '3' } });
      return { tr: el('tr', { attrs: { 'data-hidden': 'true' } }, th), name: new TextSlot(th), now: null, period: null, fill: null, target: null };
    }
    const th = el('th', { attrs: { scope: 'row' } });
    const text = el('span', { class: 'share-text' });
    const fill = el('span', { class: 'share-fill' });
    const target = el('span', { class: 'share-target' });
    const now = el('td', { class: 'share-now' }, text, el('span', { class: 'share-bar', attrs: { 'aria-hidden': 'true' } }, fill, target));
    const tr = el('tr', { attrs: { 'data-id': row.key } }, th, now);
    let period: TextSlot | null = null;
    if (this.period !== null) {
      const td = el('td', { class: 'share-period' });
      tr.append(td);
      period = new TextSlot(td);
    }
    return { tr, name: new TextSlot(th), now: new TextSlot(text), period, fill, target };
  }

  /**
   * The rows of a group: its members as the group lists them, then destinations that had offers in the period but
   * are members no longer, then as many hidden rows as either list has hidden destinations.
   */
  private rows(shares: GroupShares, history: ShareHistory | null): RowContent[] {
    const n = shares.shareWindowOffers;
    const inPeriod = new Map<string, number>();
    let hiddenInPeriod = 0;
    for (const d of history?.destinations ?? []) {
      if (d.destination === null) hiddenInPeriod += 1;
      else inPeriod.set(d.destination.id, d.offers ?? 0);
    }
    const periodText = (id: string): string => {
      if (history === null) return '–';
      const offers = inPeriod.get(id) ?? 0;
      return history.offers === 0 ? 'No offers' : `${offers} of ${count(history.offers, 'offer')} (${pct(offers / history.offers)})`;
    };
    const out: RowContent[] = [];
    let hidden = 0;
    for (const s of shares.externalDestinationShares) {
      if (s.destination === null) {
        hidden += 1;
        continue;
      }
      const target = s.percent;
      const targetText = target === null ? 'no target' : `target ${target}%`;
      const now = n === 0 ? `No offers yet vs ${targetText}` : `${pct((s.recentOffers ?? 0) / n)} of the last ${count(n, 'offer')} vs ${targetText}`;
      out.push({ key: s.destination.id, hidden: false, name: s.destination.name, now, actual: n === 0 ? null : (s.recentOffers ?? 0) / n, target, period: periodText(s.destination.id) });
    }
    for (const d of history?.destinations ?? []) {
      if (d.destination === null || out.some((r) => r.key === d.destination!.id)) continue;
      out.push({ key: d.destination.id, hidden: false, name: d.destination.name, now: 'No longer in the group', actual: null, target: null, period: periodText(d.destination.id) });
    }
    for (let i = 0; i < Math.max(hidden, hiddenInPeriod); i += 1) out.push({ key: `hidden:${i}`, hidden: true });
    return out;
  }
}

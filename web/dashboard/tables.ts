import type { CollectionView } from './collection';
import { el, TextSlot } from './dom';
import { onNextFrame } from './frame';
import { compareRows, type SortState, type SortValue } from './sorting';

export interface Column<N> {
  className?: string;
  /** The cell's text for a node, `now` being the gateway's clock in ms. */
  text(node: N, now: number): string;
  /** The header's `data-sort` this column sorts by, and its value (stable in time: e.g. an instant, not an age). */
  sort?: { key: string; value(node: N, now: number): SortValue };
  /**
   * A threshold crossed: a short text (e.g. "over 30 s") shown in the cell beside its value and as its title, the
   * cell coloured too (never colour alone); null when within. Re-evaluated with the text, so on every tick.
   */
  mark?(node: N, now: number): string | null;
}

export interface KeyedTableOptions<N> {
  columns: Array<Column<N>>;
  /** Rows whose text changes with time alone (e.g. a wait growing): re-rendered every second. */
  ticks?(node: N): boolean;
  /** Called after each render, and after a tick, with every node shown. */
  summarise?(nodes: Iterable<N>): void;
  now(): number;
}

interface Row<N> {
  node: N;
  tr: HTMLTableRowElement;
  name: TextSlot;
  cells: TextSlot[];
  /** Per column with `mark`: the marker's text slot and its cell (else null). */
  marks: Array<{ td: HTMLElement; slot: TextSlot; shown: string | null } | null>;
  /** The sort value the row was placed by. */
  sorted: SortValue;
}

/**
 * A table of named resources (queues, agents): one row per id in the chosen order (by name unless a column
 * is sorted by, ties by name); a render touches the rows that changed and, in them, only cells whose text
 * changed, and moves only the rows whose place changed.
 */
export class KeyedTable<N extends { id: string; name: string }> implements CollectionView<N> {
  private readonly rows = new Map<string, Row<N>>();
  private readonly ticking = new Set<Row<N>>();
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly tick = () => {
    const now = this.options.now();
    const moved: Array<Row<N>> = [];
    for (const row of this.ticking) {
      this.fill(row, now);
      // A value sorted by that changes with time (e.g. a hold that ended): the row moves.
      if (this.sortValue(row.node) !== row.sorted) moved.push(row);
    }
    for (const row of moved) row.tr.remove();
    for (const row of moved) this.insertOrdered(row);
    if (this.ticking.size > 0) this.summarise();
  };
  private readonly collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
  private sort: SortState = { key: 'name', direction: 'ascending' };

  constructor(private readonly tbody: HTMLTableSectionElement, private readonly empty: HTMLElement, private readonly options: KeyedTableOptions<N>) {
    this.ticker = setInterval(() => {
      if (this.ticking.size > 0) onNextFrame(this.tick);
    }, 1000);
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  /** Orders the rows by another column (or direction); later updates keep that order. */
  setSort(sort: SortState): void {
    this.sort = sort;
    const rows = [...this.rows.values()].sort((a, b) => this.compare(a.node, b.node));
    for (const row of rows) row.sorted = this.sortValue(row.node);
    const fragment = document.createDocumentFragment();
    for (const row of rows) fragment.append(row.tr);
    this.tbody.append(fragment);
  }

  render(changed: N[], removed: string[]): void {
    const now = this.options.now();
    for (const id of removed) {
      const row = this.rows.get(id);
      if (row === undefined) continue;
      row.tr.remove();
      this.rows.delete(id);
      this.ticking.delete(row);
    }
    const placed: Array<Row<N>> = [];
    for (const node of changed) {
      let row = this.rows.get(node.id);
      if (row === undefined) {
        const th = el('th', { attrs: { scope: 'row' } });
        const tr = el('tr', { attrs: { 'data-id': node.id } }, th);
        const marks: Row<N>['marks'] = [];
        const cells = this.options.columns.map((c) => {
          const td = el('td', { class: c.className ?? '' });
          tr.append(td);
          if (!c.mark) {
            marks.push(null);
            return new TextSlot(td);
          }
          const value = el('span', { class: 'value' });
          const marker = el('span', { class: 'over-marker' });
          td.append(value, marker);
          marks.push({ td, slot: new TextSlot(marker), shown: null });
          return new TextSlot(value);
        });
        row = { node, tr, name: new TextSlot(th), cells, marks, sorted: '' };
        this.rows.set(node.id, row);
      } else if (row.node.name !== node.name || row.sorted !== this.sortValue(node)) {
        // Its name or the value sorted by changed: it may belong elsewhere.
        row.tr.remove();
      }
      row.node = node;
      if (!row.tr.isConnected) placed.push(row);
      this.fill(row, now);
      if (this.options.ticks?.(node)) this.ticking.add(row);
      else this.ticking.delete(row);
    }
    for (const row of placed) this.insertOrdered(row);
    this.empty.hidden = this.rows.size > 0;
    this.summarise();
  }

  private summarise(): void {
    this.options.summarise?.([...this.rows.values()].map((r) => r.node));
  }

  private fill(row: Row<N>, now: number): void {
    row.name.set(row.node.name);
    this.options.columns.forEach((c, i) => {
      row.cells[i]!.set(c.text(row.node, now));
      const m = row.marks[i];
      if (!m || !c.mark) return;
      const over = c.mark(row.node, now);
      if (over === m.shown) return;
      m.shown = over;
      m.slot.set(over ?? '');
      m.td.classList.toggle('over-threshold', over !== null);
      if (over === null) m.td.removeAttribute('title');
      else m.td.title = over;
    });
  }

  /** Every row written again (e.g. the thresholds its marks compare with changed). */
  refresh(): void {
    const now = this.options.now();
    for (const row of this.rows.values()) this.fill(row, now);
  }

  private sortValue(node: N): SortValue {
    if (this.sort.key === 'name') return node.name;
    const column = this.options.columns.find((c) => c.sort?.key === this.sort.key);
    return column ? column.sort!.value(node, this.options.now()) : node.name;
  }

  /** By the sorted column, then by name, then by id: names differing only in case (or not at all) keep one order on every page. */
  private compare(a: N, b: N): number {
    return compareRows({ id: a.id, name: a.name, value: this.sortValue(a) }, { id: b.id, name: b.name, value: this.sortValue(b) }, this.sort.direction, this.collator);
  }

  private insertOrdered(row: Row<N>): void {
    row.sorted = this.sortValue(row.node);
    const rows = this.tbody.rows;
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const other = this.rows.get(rows[mid]!.dataset.id!)!;
      if (this.compare(other.node, row.node) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.tbody.insertBefore(row.tr, rows[lo] ?? null);
  }
}

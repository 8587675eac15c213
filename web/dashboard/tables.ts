import type { CollectionView } from './collection';
import { el, TextSlot } from './dom';
import { onNextFrame } from './frame';

export interface Column<N> {
  className?: string;
  /** The cell's text for a node, `now` being the gateway's clock in ms. */
  text(node: N, now: number): string;
}

export interface KeyedTableOptions<N> {
  columns: Array<Column<N>>;
  /** Rows whose text changes with time alone (e.g. a wait growing): re-rendered every second. */
  ticks?(node: N): boolean;
  /** Called after each render with every node shown. */
  summarise?(nodes: Iterable<N>): void;
  now(): number;
}

interface Row<N> {
  node: N;
  tr: HTMLTableRowElement;
  name: TextSlot;
  cells: TextSlot[];
}

/**
 * A table of named resources (queues, agents): one row per id in name order; a render touches the rows
 * that changed and, in them, only cells whose text changed.
 */
export class KeyedTable<N extends { id: string; name: string }> implements CollectionView<N> {
  private readonly rows = new Map<string, Row<N>>();
  private readonly ticking = new Set<Row<N>>();
  private readonly ticker: ReturnType<typeof setInterval>;
  private readonly tick = () => {
    const now = this.options.now();
    for (const row of this.ticking) this.fill(row, now);
  };
  private readonly collator = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

  constructor(private readonly tbody: HTMLTableSectionElement, private readonly empty: HTMLElement, private readonly options: KeyedTableOptions<N>) {
    this.ticker = setInterval(() => {
      if (this.ticking.size > 0) onNextFrame(this.tick);
    }, 1000);
  }

  stop(): void {
    clearInterval(this.ticker);
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
    const added: Array<Row<N>> = [];
    for (const node of changed) {
      let row = this.rows.get(node.id);
      if (row === undefined) {
        const th = el('th', { attrs: { scope: 'row' } });
        const tr = el('tr', { attrs: { 'data-id': node.id } }, th);
        const cells = this.options.columns.map((c) => {
          const td = el('td', { class: c.className ?? '' });
          tr.append(td);
          return new TextSlot(td);
        });
        row = { node, tr, name: new TextSlot(th), cells };
        this.rows.set(node.id, row);
        added.push(row);
      } else if (row.node.name !== node.name) {
        row.tr.remove();
        added.push(row);
      }
      row.node = node;
      this.fill(row, now);
      if (this.options.ticks?.(node)) this.ticking.add(row);
      else this.ticking.delete(row);
    }
    for (const row of added) this.insertOrdered(row);
    this.empty.hidden = this.rows.size > 0;
    this.options.summarise?.([...this.rows.values()].map((r) => r.node));
  }

  private fill(row: Row<N>, now: number): void {
    row.name.set(row.node.name);
    this.options.columns.forEach((c, i) => row.cells[i]!.set(c.text(row.node, now)));
  }

  /** By name, then by id: names differing only in case (or not at all) keep one order on every page. */
  private compare(a: N, b: N): number {
    return this.collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  }

  private insertOrdered(row: Row<N>): void {
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

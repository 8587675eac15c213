import { el } from './dom';

export type SortDirection = 'ascending' | 'descending';

export interface SortState {
  /** The `data-sort` of the column sorted by ('name': the first column). */
  key: string;
  direction: SortDirection;
}

export type SortValue = number | string;

/** Compares two sort values: numbers as numbers, text in the page's collation. */
export function compareValues(a: SortValue, b: SortValue, collator: Intl.Collator): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return collator.compare(String(a), String(b));
}

/**
 * The order of two rows under a sort: by the column's value in the chosen direction, and rows with equal
 * values always by name (then id) ascending, so ties keep one order whatever the direction.
 */
export function compareRows(
  a: { id: string; name: string; value: SortValue },
  b: { id: string; name: string; value: SortValue },
  direction: SortDirection,
  collator: Intl.Collator,
): number {
  const byValue = compareValues(a.value, b.value, collator);
  if (byValue !== 0) return direction === 'ascending' ? byValue : -byValue;
  return collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Makes the headers of `thead` that carry `data-sort` sortable: their text goes into a button (so a click,
 * Enter or Space sorts), the sorted header carries `aria-sort`. A header sorts ascending first; choosing it
 * again reverses it.
 */
export function sortableHeaders(thead: HTMLElement, initial: SortState, changed: (state: SortState) => void): void {
  const headers = [...thead.querySelectorAll<HTMLTableCellElement>('th[data-sort]')];
  let state = initial;
  const show = () => {
    for (const th of headers) {
      if (th.dataset.sort === state.key) th.setAttribute('aria-sort', state.direction);
      else th.setAttribute('aria-sort', 'none');
    }
  };
  for (const th of headers) {
    const button = el('button', { class: 'sort', attrs: { type: 'button' } });
    button.append(...th.childNodes);
    button.append(el('span', { class: 'sort-mark', attrs: { 'aria-hidden': 'true' } }));
    th.append(button);
    button.addEventListener('click', () => {
      const key = th.dataset.sort!;
      state = { key, direction: state.key === key && state.direction === 'ascending' ? 'descending' : 'ascending' };
      show();
      changed(state);
    });
    // The whole header cell sorts (a cell spanning two header rows is taller than its button).
    th.addEventListener('click', (event) => {
      if (!button.contains(event.target as Node)) button.click();
    });
  }
  show();
}

import { count } from './format';
import { GatheredReads, type GatheredReadsOptions } from './gathered-reads';
import type { Pool, PoolDetails, PoolFigures, PoolLive } from './queries';

/*
 * Capacity pools (issue 19, decision 038): destinations sharing one maximum of simultaneous calls. The pools are a
 * live collection like the destinations (app.ts: a full read, `capacityPoolUpdates` ordered by `seq`, a re-read
 * after a gap); each row shows the pool's name, its members ("hidden destination" for one the user may not see,
 * never its name or id) and its use now, "3 of 4 in use (2 ringing, 1 connected)".
 *
 * Like the destinations' figures, a pool's figures of the period (statistics VIEW) are not streamed: they are read
 * again when a live update of the pool arrives, gathered by the same scheduler (GatheredReads). That read
 * (POOL_DETAILS) also gives the pool's name, members and live use, which go to the collection (taken unless an
 * update newer than the read arrived), so the row's use and figures come from one read and a renamed pool or a
 * changed membership shows with it.
 */

/** A pool's use now: "3 of 4 in use (2 ringing, 1 connected)", "0 of 4 in use". */
export function poolUse(live: PoolLive): string {
  const used = live.connectingCalls + live.activeCalls;
  const base = `${used} of ${live.maxSimultaneousCalls} in use`;
  return used === 0 ? base : `${base} (${live.connectingCalls} ringing, ${live.activeCalls} connected)`;
}

/** A pool's members: those the user may see by name, then how many it may not ("hidden destination"), never more. */
export function poolMembers(pool: Pool): string {
  const names: string[] = [];
  let hidden = 0;
  for (const ref of pool.externalDestinations) {
    if (ref.destination === null) hidden += 1;
    else names.push(ref.destination.name);
  }
  if (hidden === 1) names.push('hidden destination');
  else if (hidden > 1) names.push(`${hidden} hidden destinations`);
  if (names.length === 0) return 'No destinations';
  const text = names.join(', ');
  // Only hidden ones: the cell still starts with a capital.
  return names.length === 1 && hidden > 0 ? text[0]!.toUpperCase() + text.slice(1) : text;
}

/** The period of the figures: a key identifying its range, and whether it includes today (live updates change it). */
export interface PoolsPeriod {
  key: string;
  live: boolean;
}

export interface PoolDetailsOptions extends Omit<GatheredReadsOptions, 'read'> {
  /** Reads these pools, with their figures over the period when `figures`; null for one not found (deleted). */
  read(ids: string[], figures: boolean): Promise<Map<string, PoolDetails | null>>;
  /** The pools shown now (what a read of all of them reads). */
  known(): string[];
  /** A pool as read: its name, members and live use go to the collection. */
  took(pool: Pool): void;
  /** A pool the read did not find: the collection reads it again by id (and drops it). */
  gone(id: string): void;
  /** Figures changed: the table shows them. */
  shown(): void;
  /** The period of the figures, or null without statistics VIEW (no figures are read then). */
  period(): PoolsPeriod | null;
}

/** The pools read again as their live updates ask (gathered), with the figures of the period. */
export class PoolDetailsReader {
  /** Each pool's figures over the period shown. */
  readonly figures = new Map<string, PoolFigures>();
  /** The period each pool's figures are of (a past day's are not read again on every update). */
  private readonly figuresOf = new Map<string, string>();
  private readonly reads: GatheredReads;

  constructor(private readonly options: PoolDetailsOptions) {
    this.reads = new GatheredReads({ ...options, read: (wanted, current) => this.read(wanted.ids, current) });
  }

  want(ids: Iterable<string> | 'all'): void {
    this.reads.want(ids);
  }

  /** The period changed (or today moved on): its figures are dropped and all read again. */
  periodChanged(): void {
    this.reads.reset();
    this.figures.clear();
    this.figuresOf.clear();
    this.options.shown();
    this.reads.want('all');
  }

  stop(): void {
    this.reads.stop();
  }

  private async read(asked: string[] | null, current: () => boolean): Promise<void> {
    const ids = asked ?? this.options.known();
    if (ids.length === 0) return;
    const period = this.options.period();
    const figures = period !== null && (period.live || ids.some((id) => this.figuresOf.get(id) !== period.key));
    const found = await this.options.read(ids, figures);
    if (!current()) return;
    for (const [id, pool] of found) {
      if (pool === null) {
        this.figures.delete(id);
        this.figuresOf.delete(id);
        this.options.gone(id);
        continue;
      }
      if (figures && pool.statistics) {
        this.figures.set(id, pool.statistics);
        this.figuresOf.set(id, period!.key);
      }
      this.options.took({ id: pool.id, name: pool.name, externalDestinations: pool.externalDestinations, live: pool.live });
    }
    if (asked === null) {
      const known = new Set(ids);
      for (const id of this.figures.keys()) {
        if (known.has(id)) continue;
        this.figures.delete(id);
        this.figuresOf.delete(id);
      }
    }
    this.options.shown();
  }
}

/** The figures of a pool in the table's order: offered, answered, refused for its limit, most at once. */
export const POOL_FIGURE_KEYS = ['offered', 'answered', 'refused', 'peakSimultaneousCalls'] as const satisfies ReadonlyArray<keyof PoolFigures>;

/** "3 pools · 1 at its maximum", for the section's summary line; nothing without a pool (the table says so). */
export function poolsSummary(pools: Iterable<Pool>): string {
  let n = 0;
  let full = 0;
  for (const p of pools) {
    n += 1;
    if (p.live.connectingCalls + p.live.activeCalls >= p.live.maxSimultaneousCalls) full += 1;
  }
  if (n === 0) return '';
  return `${count(n, 'pool')} · ${full} ${full === 1 ? 'at its' : 'at their'} maximum`;
}

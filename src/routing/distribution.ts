/** How a group spreads calls over its external destinations; the API's ExternalDistribution enum is built from this list. */
export const EXTERNAL_DISTRIBUTIONS = {
  /** The one with the most spare capacity (unlimited first), then by id: the rule before distributions existed. */
  MOST_SPARE: 'MOST_SPARE',
  /** The first that can take the call, in the group's order. */
  PRIORITY_ORDER: 'PRIORITY_ORDER',
  /** The next after the one the group offered its last call to, in the group's order. */
  ROUND_ROBIN: 'ROUND_ROBIN',
  /** The one furthest below its target share of the group's recent offers. */
  WEIGHTED_SHARE: 'WEIGHTED_SHARE',
} as const;
export type ExternalDistribution = keyof typeof EXTERNAL_DISTRIBUTIONS;

/** A group's rule, and what it needs to know of the group's recent offers. */
export interface GroupDistribution {
  readonly mode: ExternalDistribution;
  /** WEIGHTED_SHARE: each destination's target, in percent (the group's add up to 100). */
  readonly shares?: ReadonlyMap<string, number>;
  /**
   * The destinations the group's most recent offers went to, newest first, at most its window: ROUND_ROBIN
   * goes on after the newest, WEIGHTED_SHARE counts them (older offers no longer count: a destination that
   * could not take calls for a while is not owed them beyond the window).
   */
  readonly recent?: readonly string[];
  /** WEIGHTED_SHARE: how many of the group's most recent offers count (the group's shareWindow). */
  readonly window?: number;
}

/** A destination of the group that can take the call now, and its spare capacity (Infinity when unlimited). */
export interface Candidate {
  readonly id: string;
  readonly spare: number;
}

export interface Pick {
  readonly chosen: Candidate;
  /** Why, for the decision's choice. */
  readonly detail: string;
  /** Why each other candidate of the group was passed over. */
  readonly passedOver: ReadonlyArray<{ id: string; reason: 'DISTRIBUTION' | 'LESS_SPARE_CAPACITY'; detail: string }>;
}

const spareWords = (c: Candidate) => (c.spare === Infinity ? 'unlimited capacity' : `${c.spare} spare`);

/**
 * Picks one of a group's destinations that can take the call (`candidates`, never empty) by the group's
 * distribution; `order` is the group's order of all its destinations (candidates or not). Pure: the recent
 * offers are read before, and the caller adds the chosen one to them after the offer.
 */
export function pickDestination(distribution: GroupDistribution | undefined, candidates: readonly Candidate[], order: readonly string[]): Pick {
  const mode = distribution?.mode ?? 'MOST_SPARE';
  const position = (id: string) => {
    const at = order.indexOf(id);
    return at < 0 ? order.length : at;
  };
  const inOrder = [...candidates].sort((a, b) => position(a.id) - position(b.id) || (a.id < b.id ? -1 : 1));
  const others = (chosen: Candidate, reason: Pick['passedOver'][number]['reason'], detail: (c: Candidate) => string) =>
    inOrder.filter((c) => c !== chosen).map((c) => ({ id: c.id, reason, detail: detail(c) }));

  if (mode === 'PRIORITY_ORDER') {
    const chosen = inOrder[0]!;
    return { chosen, detail: `first in the group's order (${spareWords(chosen)})`, passedOver: others(chosen, 'DISTRIBUTION', () => 'another destination comes first in the group\'s order') };
  }
  if (mode === 'ROUND_ROBIN') {
    const last = distribution?.recent?.[0];
    const start = last === undefined ? 0 : position(last) + 1;
    // The first candidate at or after `start` in the group's order, wrapping around.
    const turn = (c: Candidate) => (position(c.id) - start + order.length + 1) % (order.length + 1);
    const chosen = [...inOrder].sort((a, b) => turn(a) - turn(b))[0]!;
    return { chosen, detail: `its turn in the group's round robin (${spareWords(chosen)})`, passedOver: others(chosen, 'DISTRIBUTION', () => 'another destination\'s turn in the round robin') };
  }
  if (mode === 'WEIGHTED_SHARE') {
    const recent = distribution?.recent ?? [];
    const counts = new Map<string, number>();
    for (const id of recent) counts.set(id, (counts.get(id) ?? 0) + 1);
    const target = (c: Candidate) => distribution?.shares?.get(c.id) ?? 0;
    // How many offers short of its target it would be with this call counted: the largest gap goes first.
    const gap = (c: Candidate) => (target(c) * (recent.length + 1)) / 100 - (counts.get(c.id) ?? 0);
    const chosen = inOrder.reduce((best, c) => (gap(c) > gap(best) + 1e-9 ? c : best));
    const share = (c: Candidate) => `${counts.get(c.id) ?? 0} of the group's last ${recent.length} offers, target ${target(c)}%`;
    return {
      chosen,
      detail: `furthest below its target share: ${share(chosen)} (${spareWords(chosen)})`,
      passedOver: others(chosen, 'DISTRIBUTION', (c) => `nearer its target share than another destination: ${share(c)}`),
    };
  }
  const chosen = inOrder.reduce((best, c) => (c.spare > best.spare || (c.spare === best.spare && c.id < best.id) ? c : best));
  return { chosen, detail: spareWords(chosen), passedOver: others(chosen, 'LESS_SPARE_CAPACITY', () => 'another destination has more spare capacity or a higher priority') };
}

/** A group's destinations in its order: those its stored order names, in that order, then the others by id. */
export function orderedDestinations<D extends { id: string }>(members: readonly D[], order: readonly string[]): D[] {
  const at = (id: string) => {
    const i = order.indexOf(id);
    return i < 0 ? order.length : i;
  };
  return [...members].sort((a, b) => at(a.id) - at(b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

import type { GroupDistribution } from '../../src/routing/distribution';
import { routeCall } from '../../src/routing/route-call';
import type { DestinationSnapshot, QueueGroupSnapshot, RoutingDecision } from '../../src/routing/types';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

const dest = (id: string, over: Partial<DestinationSnapshot> = {}): DestinationSnapshot => ({
  id, enabled: true, suspended: false, maxSimultaneousCalls: null, connectingCalls: 0, activeCalls: 0, backedOffUntil: null,
  consecutiveFailures: 0, retryIntervalSec: 5, ...over,
});

/**
 * One group of destinations under a distribution, offered one call after another as the engine does: each
 * decision reads the group's recent offers (newest first, at most `window`), and the chosen destination joins them.
 */
class Group {
  readonly recent: string[] = [];
  readonly offers = new Map<string, number>();
  /** Destinations that cannot take a call now (full, backed off). */
  readonly unavailable = new Set<string>();

  constructor(
    private readonly order: string[],
    private readonly mode: GroupDistribution['mode'],
    private readonly shares: Record<string, number> = {},
    private readonly window = 100,
    /** A second group, after this one, whose destination is always free. */
    private readonly overflow: string | null = null,
  ) {}

  decide(): RoutingDecision {
    const groups: QueueGroupSnapshot[] = [{
      priority: 1, groupId: 'g1', agentIds: [], destinationIds: this.order, overflow: null,
      distribution: { mode: this.mode, shares: new Map(Object.entries(this.shares)), recent: [...this.recent] },
    }];
    if (this.overflow !== null) groups.push({ priority: 2, groupId: 'g2', agentIds: [], destinationIds: [this.overflow], overflow: { queueLengthAbove: 0, oldestWaitAboveSec: null, noAgentsLoggedIn: false } });
    const destinations = [...this.order, ...(this.overflow === null ? [] : [this.overflow])].map((id) => dest(id, this.unavailable.has(id) ? { backedOffUntil: NOW + 60_000 } : {}));
    return routeCall({
      call: { id: 'c', enqueuedAt: NOW - 1000, eligiblePriorities: [], lastOfferEndedAt: {} },
      queue: { id: 'q', groups, waitingCalls: 1, oldestWaitingSince: NOW - 1000, maxQueueLength: 0, maxWaitSec: 0 },
      agents: new Map(), destinations: new Map(destinations.map((d) => [d.id, d])), now: NOW,
    });
  }

  /** Offers `n` calls; the destinations they went to, in order. */
  offer(n: number): string[] {
    const to: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const chosen = this.decide().chosen!;
      to.push(chosen.id);
      this.offers.set(chosen.id, (this.offers.get(chosen.id) ?? 0) + 1);
      if (chosen.priority === 1) {
        this.recent.unshift(chosen.id);
        this.recent.length = Math.min(this.recent.length, this.window);
      }
    }
    return to;
  }

  /** Each destination's offers among the group's last `window`. */
  windowCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const id of this.recent) counts[id] = (counts[id] ?? 0) + 1;
    return counts;
  }
}

describe('how a group spreads calls over its external destinations', () => {
  it('keeps the most-spare rule by default: the destination with the most room, whatever the order', () => {
    const g = new Group(['a', 'b'], 'MOST_SPARE');
    const d = routeCall({
      call: { id: 'c', enqueuedAt: NOW, eligiblePriorities: [], lastOfferEndedAt: {} },
      queue: { id: 'q', groups: [{ priority: 1, groupId: 'g1', agentIds: [], destinationIds: ['a', 'b'], overflow: null }], waitingCalls: 1, oldestWaitingSince: NOW, maxQueueLength: 0, maxWaitSec: 0 },
      agents: new Map(), destinations: new Map([['a', dest('a', { maxSimultaneousCalls: 3, connectingCalls: 2 })], ['b', dest('b', { maxSimultaneousCalls: 3 })]]), now: NOW,
    });
    expect(d.chosen).toMatchObject({ id: 'b', detail: '3 spare' });
    expect(d.skipped).toContainEqual(expect.objectContaining({ resourceId: 'a', reason: 'LESS_SPARE_CAPACITY' }));
    expect(g.offer(3)).toEqual(['a', 'a', 'a']);
  });

  it('in priority order, gives every call to the first destination that can take it, and says why the others waited', () => {
    const g = new Group(['c', 'a', 'b'], 'PRIORITY_ORDER');
    expect(g.offer(3)).toEqual(['c', 'c', 'c']);
    g.unavailable.add('c');
    const d = g.decide();
    expect(d.chosen).toMatchObject({ id: 'a', detail: "first in the group's order (unlimited capacity)" });
    expect(d.skipped).toContainEqual({ kind: 'DESTINATION', resourceId: 'b', reason: 'DISTRIBUTION', detail: "another destination comes first in the group's order" });
    expect(d.skipped).toContainEqual(expect.objectContaining({ resourceId: 'c', reason: 'DESTINATION_BACKED_OFF' }));
  });

  it('in round robin, takes turns in the group\'s order, and one that cannot take a call gives its turn to the next', () => {
    const g = new Group(['a', 'b', 'c'], 'ROUND_ROBIN');
    expect(g.offer(7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    g.unavailable.add('b');
    expect(g.offer(4)).toEqual(['c', 'a', 'c', 'a']);
    g.unavailable.clear();
    expect(g.offer(3)).toEqual(['b', 'c', 'a']);
  });

  it('in weighted shares, converges exactly: after every call each destination is within one offer of its target', () => {
    const g = new Group(['a', 'b', 'c'], 'WEIGHTED_SHARE', { a: 50, b: 30, c: 20 }, 1000);
    for (let n = 1; n <= 1000; n += 1) {
      g.offer(1);
      for (const [id, share] of Object.entries({ a: 50, b: 30, c: 20 })) {
        expect(Math.abs((g.offers.get(id) ?? 0) - (share * n) / 100)).toBeLessThan(1);
      }
    }
    expect(Object.fromEntries(g.offers)).toEqual({ a: 500, b: 300, c: 200 });
  });

  it('in weighted shares, gives a full or backed-off destination\'s calls to the others, and owes it nothing beyond the window once it is back', () => {
    const g = new Group(['a', 'b'], 'WEIGHTED_SHARE', { a: 70, b: 30 }, 100);
    g.offer(100);
    expect(g.windowCounts()).toEqual({ a: 70, b: 30 });
    // a cannot take calls for 300 calls: b takes them all (a's target does not hold a call back).
    g.unavailable.add('a');
    expect(new Set(g.offer(300))).toEqual(new Set(['b']));
    g.unavailable.clear();
    // Back: a catches up to its share of the window and no further (at most 70 in a row, not the 210 it missed).
    const after = g.offer(200);
    const firstB = after.indexOf('b');
    expect(firstB).toBeLessThanOrEqual(71);
    expect(after.slice(0, firstB).every((id) => id === 'a')).toBe(true);
    // Once the window has turned over, each is within one offer of its share of the window again.
    const counts = g.windowCounts();
    expect(Math.abs(counts.a! - 70)).toBeLessThanOrEqual(1);
    expect(counts.a! + counts.b!).toBe(100);
    const d = g.decide();
    expect(d.skipped.find((s) => s.reason === 'DISTRIBUTION')?.detail).toMatch(/^nearer its target share than another destination: \d+ of the group's last 100 offers, target \d+%$/);
  });

  it('in weighted shares, sends a call to the next group only when no destination of the group can take it', () => {
    const g = new Group(['a', 'b'], 'WEIGHTED_SHARE', { a: 50, b: 50 }, 100, 'z');
    expect(new Set(g.offer(10))).toEqual(new Set(['a', 'b']));
    g.unavailable.add('a');
    g.unavailable.add('b');
    const d = g.decide();
    expect(d.chosen).toMatchObject({ id: 'z', priority: 2 });
  });
});

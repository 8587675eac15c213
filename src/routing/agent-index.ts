import { agentBlocker } from './agent-blocker';
import type { AgentBlockReason, AgentSnapshot, Millis } from './types';

/** How many agents of some groups are free, and how many are blocked for each reason, at one instant. */
export type AgentCounts = Readonly<Record<AgentBlockReason | 'FREE', number>>;

/** One agent of some groups and why it cannot take a call now (null: it can). */
export interface IndexedAgent {
  readonly agent: AgentSnapshot;
  readonly reason: AgentBlockReason | null;
}

/** Phases are small numbers (FREE, then the block reasons) indexing the count arrays. */
const FREE = 0;
const PHASE_OF: Readonly<Record<AgentBlockReason, number>> = {
  AGENT_LOGGED_OUT: 1, AGENT_ON_BREAK: 2, AGENT_BUSY: 3, AGENT_WRAP_UP: 4, AGENT_RETRY_WAIT: 5,
};

interface Entry {
  readonly key: string;
  agent: AgentSnapshot;
  groups: readonly string[];
  shared: SharedSet;
  /** FREE or PHASE_OF[reason], as of the index's clock. */
  phase: number;
  /** When a wrap-up or retry wait ends (the phase may change then); null when only an upsert changes it. */
  timerAt: Millis | null;
}

interface Group {
  /** Members in the order they joined (the order a trace names them in). */
  readonly members: Set<string>;
  readonly free: KeyedHeap<Entry>;
  readonly counts: number[];
  /** The sets of several groups some members of this group belong to (for counting them once). */
  readonly overlaps: Set<SharedSet>;
}

/** The agents that belong to exactly the same groups. */
interface SharedSet {
  readonly key: string;
  readonly groups: readonly string[];
  readonly counts: number[];
  size: number;
}

/** A binary min-heap of items with a string key, removable by key in O(log n). */
class KeyedHeap<T extends { readonly key: string }> {
  private readonly items: T[] = [];
  private readonly position = new Map<string, number>();

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.position.set(item.key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  remove(key: string): void {
    const i = this.position.get(key);
    if (i === undefined) return;
    this.position.delete(key);
    const last = this.items.pop()!;
    if (i === this.items.length) return;
    this.items[i] = last;
    this.position.set(last.key, i);
    this.down(i);
    this.up(i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(item, items[parent]!)) break;
      this.place(items[parent]!, i);
      i = parent;
    }
    this.place(item, i);
  }

  private down(i: number): void {
    const items = this.items;
    const item = items[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && this.before(items[right]!, items[left]!) ? right : left;
      if (!this.before(items[child]!, item)) break;
      this.place(items[child]!, i);
      i = child;
    }
    this.place(item, i);
  }

  private place(item: T, i: number): void {
    this.items[i] = item;
    this.position.set(item.key, i);
  }
}

const idleLonger = (a: Entry, b: Entry) => a.agent.idleSince < b.agent.idleSince || (a.agent.idleSince === b.agent.idleSince && a.key < b.key);
const endsSooner = (a: Entry, b: Entry) => a.timerAt! < b.timerAt!;
const unique = (ids: readonly string[]) => (ids.length < 2 ? ids : [...new Set(ids)]);
const toCounts = (c: readonly number[]): AgentCounts => ({
  FREE: c[0]!, AGENT_LOGGED_OUT: c[1]!, AGENT_ON_BREAK: c[2]!, AGENT_BUSY: c[3]!, AGENT_WRAP_UP: c[4]!, AGENT_RETRY_WAIT: c[5]!,
});

/**
 * Free agents per group, kept up to date by the caller, so a routing decision looks at a few candidates
 * instead of every agent (pass it as RoutingInput.agentIndex).
 *
 * Contract with the caller: `upsert(groupIds, agent)` whenever an agent's live state or its groups change
 * (group ids as in QueueGroupSnapshot.groupId), `remove(agentId)` when it leaves; the index then answers,
 * for any `now`, exactly what `agentBlocker` says of those snapshots. Time is never read: a wrap-up or retry
 * wait that ends is noticed when a query's `now` reaches it. `now` is expected not to go backwards; when it
 * does, the index re-sorts every agent (still correct, O(n log n)).
 *
 * Inside: per group a heap of free agents ordered by (idleSince, id); one heap of agents whose wrap-up or
 * retry wait ends at a known time, promoted lazily; per group, and per set of groups agents share, counts
 * of agents by state, so counts over several groups count an agent in two of them once.
 */
export class FreeAgentIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly groups = new Map<string, Group>();
  private readonly sharedSets = new Map<string, SharedSet>();
  private readonly timers = new KeyedHeap<Entry>(endsSooner);
  /** The instant the phases are as of: every timer at or before it has been promoted. */
  private clock: Millis = -Infinity;

  /** How many agents the index holds. */
  get size(): number {
    return this.entries.size;
  }

  /** Adds the agent, or replaces its groups and live state: O(groups · log n). */
  upsert(groupIds: readonly string[], agent: AgentSnapshot): void {
    const groups = [...new Set(groupIds)];
    let entry = this.entries.get(agent.id);
    if (entry === undefined) {
      entry = { key: agent.id, agent, groups: [], shared: this.joinShared([]), phase: FREE, timerAt: null };
      this.entries.set(agent.id, entry);
    } else {
      this.unplace(entry);
      entry.agent = agent;
    }
    this.setGroups(entry, groups);
    this.place(entry);
  }

  /** Forgets the agent; false when it was not there: O(groups · log n). */
  remove(agentId: string): boolean {
    const entry = this.entries.get(agentId);
    if (entry === undefined) return false;
    this.unplace(entry);
    this.setGroups(entry, []);
    this.leaveShared(entry.shared);
    this.entries.delete(agentId);
    return true;
  }

  /** The agent's live state as last upserted, or undefined: O(1). */
  get(agentId: string): AgentSnapshot | undefined {
    return this.entries.get(agentId)?.agent;
  }

  /**
   * The longest-idle agent (earliest idleSince, then smallest id) of any of `groupIds` that can take a call
   * at `now`, with the first of `groupIds` it belongs to; null when none can: O(groups · log n), plus
   * O(log n) per wrap-up or retry wait that ended since the previous query.
   */
  longestIdle(groupIds: readonly string[], now: Millis): { agent: AgentSnapshot; groupId: string } | null {
    this.advance(now);
    let best: Entry | undefined;
    for (const id of groupIds) {
      const top = this.groups.get(id)?.free.peek();
      if (top !== undefined && (best === undefined || idleLonger(top, best))) best = top;
    }
    if (best === undefined) return null;
    const key = best.key;
    return { agent: best.agent, groupId: groupIds.find((id) => this.groups.get(id)?.members.has(key) === true)! };
  }

  /** How many distinct agents of `groupIds` are free or blocked for each reason at `now`: O(groups + shared group sets). */
  counts(groupIds: readonly string[], now: Millis): AgentCounts {
    this.advance(now);
    const ids = unique(groupIds);
    const total = [0, 0, 0, 0, 0, 0];
    for (const id of ids) {
      const group = this.groups.get(id);
      if (group !== undefined) for (let p = 0; p < total.length; p += 1) total[p]! += group.counts[p]!;
    }
    if (ids.length > 1) {
      // An agent in k of the groups was added k times: take k - 1 away, per set of groups agents share.
      const wanted = new Set(ids);
      const done = new Set<SharedSet>();
      for (const id of ids) {
        for (const shared of this.groups.get(id)?.overlaps ?? []) {
          if (done.has(shared)) continue;
          done.add(shared);
          const extra = shared.groups.filter((g) => wanted.has(g)).length - 1;
          if (extra > 0) for (let p = 0; p < total.length; p += 1) total[p]! -= extra * shared.counts[p]!;
        }
      }
    }
    return toCounts(total);
  }

  /**
   * The first `limit` agents of `groupIds`, each once, group by group in the order they joined, with why each
   * is blocked at `now` (the agents a trace names): O(limit + agents met again).
   */
  firstAgents(groupIds: readonly string[], now: Millis, limit: number): IndexedAgent[] {
    const found: IndexedAgent[] = [];
    const seen = new Set<string>();
    for (const id of groupIds) {
      const group = this.groups.get(id);
      if (group === undefined) continue;
      for (const key of group.members) {
        if (found.length >= limit) return found;
        if (seen.has(key)) continue;
        seen.add(key);
        const agent = this.entries.get(key)!.agent;
        found.push({ agent, reason: agentBlocker(agent, now) });
      }
    }
    return found;
  }

  /** Brings every phase to `now`: promotes the timers that ended, or re-sorts everything if time went back. */
  private advance(now: Millis): void {
    if (now === this.clock) return;
    if (now < this.clock) {
      this.clock = now;
      for (const entry of this.entries.values()) {
        this.unplace(entry);
        this.place(entry);
      }
      return;
    }
    this.clock = now;
    for (let next = this.timers.peek(); next !== undefined && next.timerAt! <= now; next = this.timers.peek()) {
      this.unplace(next);
      this.place(next);
    }
  }

  /** Sets the entry's phase as of the clock and adds it to the counts, free heaps and timers. */
  private place(entry: Entry): void {
    const reason = agentBlocker(entry.agent, this.clock);
    entry.phase = reason === null ? FREE : PHASE_OF[reason];
    entry.timerAt = reason === 'AGENT_WRAP_UP' ? entry.agent.wrapUpUntil : reason === 'AGENT_RETRY_WAIT' ? entry.agent.notBefore : null;
    entry.shared.counts[entry.phase]! += 1;
    for (const id of entry.groups) {
      const group = this.groups.get(id)!;
      group.counts[entry.phase]! += 1;
      if (entry.phase === FREE) group.free.push(entry);
    }
    if (entry.timerAt !== null) this.timers.push(entry);
  }

  /** Undoes `place`. */
  private unplace(entry: Entry): void {
    entry.shared.counts[entry.phase]! -= 1;
    for (const id of entry.groups) {
      const group = this.groups.get(id)!;
      group.counts[entry.phase]! -= 1;
      if (entry.phase === FREE) group.free.remove(entry.key);
    }
    if (entry.timerAt !== null) this.timers.remove(entry.key);
  }

  /** Moves an unplaced entry to exactly `groups`, keeping its place in the groups it stays in. */
  private setGroups(entry: Entry, groups: readonly string[]): void {
    for (const id of entry.groups) {
      if (groups.includes(id)) continue;
      const group = this.groups.get(id)!;
      group.members.delete(entry.key);
      if (group.members.size === 0) this.groups.delete(id);
    }
    for (const id of groups) {
      let group = this.groups.get(id);
      if (group === undefined) {
        group = { members: new Set(), free: new KeyedHeap<Entry>(idleLonger), counts: [0, 0, 0, 0, 0, 0], overlaps: new Set() };
        this.groups.set(id, group);
      }
      group.members.add(entry.key);
    }
    const key = [...groups].sort().join('\u0000');
    if (key !== entry.shared.key) {
      this.leaveShared(entry.shared);
      entry.shared = this.joinShared(groups);
    }
    entry.groups = groups;
  }

  private joinShared(groups: readonly string[]): SharedSet {
    const key = [...groups].sort().join('\u0000');
    let shared = this.sharedSets.get(key);
    if (shared === undefined) {
      shared = { key, groups, counts: [0, 0, 0, 0, 0, 0], size: 0 };
      this.sharedSets.set(key, shared);
      if (groups.length > 1) for (const id of groups) this.groups.get(id)?.overlaps.add(shared);
    }
    shared.size += 1;
    return shared;
  }

  private leaveShared(shared: SharedSet): void {
    shared.size -= 1;
    if (shared.size > 0) return;
    this.sharedSets.delete(shared.key);
    for (const id of shared.groups) this.groups.get(id)?.overlaps.delete(shared);
  }
}

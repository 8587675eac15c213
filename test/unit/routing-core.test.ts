import { FreeAgentIndex } from '../../src/routing/agent-index';
import { applyOutcome, destinationState } from '../../src/routing/destination-state';
import { admitToQueue, waitDeadline } from '../../src/routing/queue-caps';
import { eligibleGroups, routeCall, type RoutingInput } from '../../src/routing/route-call';
import { AGENT_ACTIVITY, ATTEMPT_STATE, CALL_STATE, transition } from '../../src/routing/state-machine';
import type { AgentSnapshot, DestinationSnapshot, QueueGroupSnapshot, WaitingCall } from '../../src/routing/types';
import { seededRandom as mulberry32 } from '../support/random';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const sec = (n: number) => n * 1000;

const agent = (id: string, over: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  id, status: 'AVAILABLE', activity: 'IDLE', idleSince: NOW - sec(10), wrapUpUntil: null, notBefore: null, ...over,
});
const dest = (id: string, over: Partial<DestinationSnapshot> = {}): DestinationSnapshot => ({
  id, enabled: true, suspended: false, maxSimultaneousCalls: 2, connectingCalls: 0, activeCalls: 0, backedOffUntil: null,
  consecutiveFailures: 0, retryIntervalSec: 5, ...over,
});
const group = (priority: number, agentIds: string[], destinationIds: string[], overflow: QueueGroupSnapshot['overflow'] = null): QueueGroupSnapshot => ({
  priority, groupId: `g${priority}`, agentIds, destinationIds, overflow,
});
const call = (over: Partial<WaitingCall> = {}): WaitingCall => ({ id: 'c1', enqueuedAt: NOW - sec(5), eligiblePriorities: [], lastOfferEndedAt: {}, ...over });

function input(groups: QueueGroupSnapshot[], agents: AgentSnapshot[], destinations: DestinationSnapshot[], over: Partial<RoutingInput> = {}): RoutingInput {
  return {
    call: call(),
    queue: { id: 'q', groups, waitingCalls: 1, oldestWaitingSince: NOW - sec(5), maxQueueLength: 0, maxWaitSec: 0 },
    agents: new Map(agents.map((a) => [a.id, a])),
    destinations: new Map(destinations.map((d) => [d.id, d])),
    now: NOW,
    ...over,
  };
}

describe('routeCall', () => {
  it('gives the call to a free agent of any eligible group and nothing to the destination', () => {
    const d = routeCall(input([group(1, ['a1'], ['d1'])], [agent('a1')], [dest('d1')]));
    expect(d.chosen).toMatchObject({ kind: 'AGENT', id: 'a1', priority: 1 });
    expect(d.skipped).toContainEqual(expect.objectContaining({ resourceId: 'd1', reason: 'AGENT_AVAILABLE_FIRST' }));
  });

  it('offers the agent idle longest first', () => {
    const d = routeCall(input([group(1, ['a1', 'a2', 'a3'], [])], [agent('a1', { idleSince: NOW - sec(5) }), agent('a2', { idleSince: NOW - sec(90) }), agent('a3')], []));
    expect(d.chosen?.id).toBe('a2');
    expect(d.chosen?.detail).toBe('agent idle for 90 s');
  });

  it.each([
    ['logged out', { status: 'LOGGED_OUT' as const }, 'AGENT_LOGGED_OUT'],
    ['on break', { status: 'ON_BREAK' as const }, 'AGENT_ON_BREAK'],
    ['on a call', { activity: 'ON_CALL' as const }, 'AGENT_BUSY'],
    ['ringing', { activity: 'RINGING' as const }, 'AGENT_BUSY'],
    ['in wrap-up', { activity: 'WRAP_UP' as const, wrapUpUntil: NOW + sec(20) }, 'AGENT_WRAP_UP'],
    ['waiting after a missed call', { notBefore: NOW + sec(3) }, 'AGENT_RETRY_WAIT'],
  ])('passes over an agent %s and says so', (_what, over, reason) => {
    const d = routeCall(input([group(1, ['a1'], ['d1'])], [agent('a1', over)], [dest('d1')]));
    expect(d.chosen).toMatchObject({ kind: 'DESTINATION', id: 'd1' });
    expect(d.skipped).toContainEqual(expect.objectContaining({ resourceId: 'a1', reason }));
  });

  it('counts an agent whose wrap-up has ended as available', () => {
    const d = routeCall(input([group(1, ['a1'], [])], [agent('a1', { activity: 'WRAP_UP', wrapUpUntil: NOW - 1 })], []));
    expect(d.chosen?.id).toBe('a1');
  });

  it('prefers an available agent of a later eligible group over a destination of the first', () => {
    const groups = [group(1, [], ['d1']), group(2, ['a2'], [], { queueLengthAbove: 0, oldestWaitAboveSec: null, noAgentsLoggedIn: false })];
    expect(routeCall(input(groups, [agent('a2')], [dest('d1')])).chosen).toMatchObject({ kind: 'AGENT', id: 'a2', priority: 2 });
  });

  it('chooses among destinations by group priority, then by the most spare capacity', () => {
    const groups = [group(1, [], ['full', 'small', 'big']), group(2, [], ['unlimited'], { queueLengthAbove: 0, oldestWaitAboveSec: null, noAgentsLoggedIn: false })];
    const d = routeCall(input(groups, [], [
      dest('full', { connectingCalls: 1, activeCalls: 1 }),
      dest('small', { maxSimultaneousCalls: 3, activeCalls: 2 }),
      dest('big', { maxSimultaneousCalls: 10, activeCalls: 2 }),
      dest('unlimited', { maxSimultaneousCalls: null }),
    ]));
    expect(d.chosen).toMatchObject({ kind: 'DESTINATION', id: 'big', priority: 1, detail: '8 spare' });
    expect(d.skipped).toContainEqual({ kind: 'DESTINATION', resourceId: 'full', reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 2/2' });
  });

  it.each([
    ['disabled', { enabled: false }, 'DESTINATION_DISABLED', 'disabled'],
    ['suspended', { suspended: true, consecutiveFailures: 3 }, 'DESTINATION_SUSPENDED', 'suspended after 3 consecutive failures'],
    ['backed off', { backedOffUntil: NOW + sec(60) }, 'DESTINATION_BACKED_OFF', 'backed off until 12:01:00 UTC'],
    ['full', { connectingCalls: 2 }, 'DESTINATION_AT_CAPACITY', 'at capacity 2/2'],
  ])('skips a %s destination with its reason and leaves the call waiting', (_what, over, reason, detail) => {
    const d = routeCall(input([group(1, [], ['d1'])], [], [dest('d1', over)]));
    expect(d.chosen).toBeNull();
    expect(d.skipped).toContainEqual({ kind: 'DESTINATION', resourceId: 'd1', reason, detail });
    expect(d.summary).toMatch(/keeps its place/);
  });

  it('counts ringing attempts toward capacity', () => {
    const d = routeCall(input([group(1, [], ['d1'])], [], [dest('d1', { connectingCalls: 1, activeCalls: 1 })]));
    expect(d.chosen).toBeNull();
  });

  it('does not offer the same call to a destination again before its retry interval, but another call may use it', () => {
    const retrying = call({ lastOfferEndedAt: { d1: NOW - sec(2) } });
    const d = routeCall({ ...input([group(1, [], ['d1'])], [], [dest('d1')]), call: retrying });
    expect(d.chosen).toBeNull();
    expect(d.skipped).toContainEqual(expect.objectContaining({ resourceId: 'd1', reason: 'DESTINATION_RETRY_WAIT', detail: 'this call may be offered again in 3 s' }));
    expect(routeCall(input([group(1, [], ['d1'])], [], [dest('d1')])).chosen?.id).toBe('d1');
    const later = routeCall({ ...input([group(1, [], ['d1'])], [], [dest('d1')]), call: retrying, now: NOW + sec(3) });
    expect(later.chosen?.id).toBe('d1');
  });

  it('names at most twenty agents in a decision and counts the rest', () => {
    const agents = Array.from({ length: 50 }, (_, i) => agent(`a${i}`, { status: 'ON_BREAK' }));
    const d = routeCall(input([group(1, agents.map((a) => a.id), [])], agents, []));
    const agentSkips = d.skipped.filter((s) => s.kind === 'AGENT');
    expect(agentSkips).toHaveLength(21);
    expect(agentSkips[20]).toEqual({ kind: 'AGENT', resourceId: '*', reason: 'AGENT_ON_BREAK', detail: '30 more agents' });
  });
});

describe('eligibleGroups', () => {
  const overflow = (o: Partial<NonNullable<QueueGroupSnapshot['overflow']>>) => ({ queueLengthAbove: null, oldestWaitAboveSec: null, noAgentsLoggedIn: false, ...o });

  it('always includes group 1 and no later group without a reason', () => {
    const r = eligibleGroups(input([group(1, ['a1'], []), group(2, ['a2'], [], overflow({ queueLengthAbove: 5 }))], [agent('a1'), agent('a2')], []));
    expect(r.priorities).toEqual([1]);
    expect(r.skipped).toEqual([expect.objectContaining({ resourceId: 'g2', reason: 'GROUP_NOT_ELIGIBLE' })]);
  });

  it.each([
    ['the queue is longer than its threshold', overflow({ queueLengthAbove: 2 }), { waitingCalls: 3 }, /3 calls waiting, more than 2/],
    ['the oldest call has waited longer than its threshold', overflow({ oldestWaitAboveSec: 30 }), { oldestWaitingSince: NOW - sec(31) }, /oldest call waiting 31 s/],
  ])('makes a later group eligible when %s', (_what, rule, queueOver, why) => {
    const base = input([group(1, ['a1'], []), group(2, [], ['d2'], rule)], [agent('a1', { activity: 'ON_CALL' })], [dest('d2')]);
    const r = eligibleGroups({ ...base, queue: { ...base.queue, ...queueOver } });
    expect(r.priorities).toEqual([1, 2]);
    expect(r.reasons[1]).toMatch(why);
  });

  it('makes a group eligible when no agent of the earlier groups is logged in', () => {
    const groups = [group(1, ['a1'], []), group(2, [], ['d2'], overflow({ noAgentsLoggedIn: true }))];
    expect(eligibleGroups(input(groups, [agent('a1', { status: 'LOGGED_OUT' })], [dest('d2')])).priorities).toEqual([1, 2]);
    expect(eligibleGroups(input(groups, [agent('a1', { status: 'ON_BREAK' })], [dest('d2')])).priorities).toEqual([1]);
  });

  it('makes the next group eligible at once when every destination of the previous one is full or backed off', () => {
    const groups = [group(1, [], ['full', 'backed']), group(2, ['a2'], [], overflow({ oldestWaitAboveSec: 600 })), group(3, [], ['d3'], overflow({ oldestWaitAboveSec: 600 }))];
    const r = routeCall(input(groups, [agent('a2', { activity: 'ON_CALL' })], [dest('full', { connectingCalls: 2 }), dest('backed', { backedOffUntil: NOW + sec(1) }), dest('d3')]));
    expect(r.eligiblePriorities).toEqual([1, 2]);
    expect(r.summary).toMatch(/group 2: every destination of group 1 is full or backed off/);
    expect(r.chosen).toBeNull();
  });

  it('keeps a group eligible for a call once it was', () => {
    const groups = [group(1, ['a1'], []), group(2, [], ['d2'], overflow({ queueLengthAbove: 10 }))];
    const r = eligibleGroups({ ...input(groups, [agent('a1', { activity: 'ON_CALL' })], [dest('d2')]), call: call({ eligiblePriorities: [2] }) });
    expect(r.priorities).toEqual([1, 2]);
  });
});

describe('applyOutcome', () => {
  const timeouts = { busyBackoffSec: 60, noAnswerBackoffSec: 0, failureBackoffSec: 5, maxConsecutiveFailures: 3 };
  const fresh = { backedOffUntil: null, consecutiveFailures: 0, suspended: false };

  it.each([
    ['BUSY', NOW + sec(60), 'busy: backed off for 60 s'],
    ['NO_ANSWER', null, 'no answer: no back-off configured'],
    ['FAILED', NOW + sec(5), 'failed: backed off for 5 s'],
    ['REJECTED', NOW + sec(5), 'rejected: backed off for 5 s'],
  ] as const)('backs the destination off after %s by its own timeout and counts a failure', (outcome, until, detail) => {
    expect(applyOutcome(fresh, timeouts, outcome, NOW)).toEqual({ backedOffUntil: until, consecutiveFailures: 1, suspended: false, detail });
  });

  it('never shortens a back-off already running', () => {
    const e = applyOutcome({ ...fresh, backedOffUntil: NOW + sec(50) }, timeouts, 'FAILED', NOW);
    expect(e.backedOffUntil).toBe(NOW + sec(50));
  });

  it('suspends the destination when consecutive failures reach the limit', () => {
    const e = applyOutcome({ ...fresh, consecutiveFailures: 2 }, timeouts, 'NO_ANSWER', NOW);
    expect(e).toMatchObject({ suspended: true, consecutiveFailures: 3 });
    expect(e.detail).toMatch(/suspended after 3 consecutive failures/);
    expect(applyOutcome({ ...fresh, consecutiveFailures: 50 }, { ...timeouts, maxConsecutiveFailures: 0 }, 'BUSY', NOW).suspended).toBe(false);
  });

  it('resets consecutive failures on an answer and does nothing for a caller who hung up', () => {
    expect(applyOutcome({ ...fresh, consecutiveFailures: 2 }, timeouts, 'ANSWERED', NOW).consecutiveFailures).toBe(0);
    expect(applyOutcome({ ...fresh, consecutiveFailures: 2 }, timeouts, 'CANCELLED', NOW)).toMatchObject({ consecutiveFailures: 2, backedOffUntil: null });
  });
});

describe('destinationState', () => {
  it.each([
    [{ enabled: false, suspended: true }, 'DISABLED'],
    [{ suspended: true, backedOffUntil: NOW + 1 }, 'SUSPENDED'],
    [{ backedOffUntil: NOW + 1, connectingCalls: 2 }, 'BACKED_OFF'],
    [{ backedOffUntil: NOW, connectingCalls: 1, activeCalls: 1 }, 'AT_CAPACITY'],
    [{ maxSimultaneousCalls: null, activeCalls: 500 }, 'AVAILABLE'],
  ] as const)('shows %j as %s', (over, state) => {
    expect(destinationState(dest('d', over), NOW)).toBe(state);
  });
});

describe('queue caps', () => {
  it('refuses a call when the queue holds its maximum and admits it below', () => {
    expect(admitToQueue({ waitingCalls: 5, maxQueueLength: 5 })).toEqual({ admitted: false, reason: 'QUEUE_FULL', detail: 'queue full: 5 of 5 calls waiting' });
    expect(admitToQueue({ waitingCalls: 4, maxQueueLength: 5 })).toEqual({ admitted: true });
    expect(admitToQueue({ waitingCalls: 10_000, maxQueueLength: 0 })).toEqual({ admitted: true });
  });

  it('sets the wait deadline from maxWaitSec, or none', () => {
    expect(waitDeadline({ maxWaitSec: 120 }, NOW)).toBe(NOW + sec(120));
    expect(waitDeadline({ maxWaitSec: 0 }, NOW)).toBeNull();
  });
});

describe('transition tables', () => {
  it('walk an agent through a call and back to idle', () => {
    let state: Parameters<typeof transition>[1] = 'IDLE';
    for (const event of ['reserve', 'ring', 'answer', 'hangUp', 'finishWrapUp'] as const) {
      const t = transition(AGENT_ACTIVITY, state as 'IDLE', event);
      expect(t.ok).toBe(true);
      if (t.ok) state = t.to;
    }
    expect(state).toBe('IDLE');
  });

  it('refuse an event that is not possible in a state, with the reason', () => {
    expect(transition(AGENT_ACTIVITY, 'ON_CALL', 'reserve')).toEqual({ ok: false, reason: 'reserve is not possible while ON_CALL' });
    expect(transition(ATTEMPT_STATE, 'BUSY', 'ANSWERED')).toEqual({ ok: false, reason: 'ANSWERED is not possible while BUSY' });
    expect(transition(CALL_STATE, 'ENDED', 'callerHungUp').ok).toBe(false);
  });

  it('put a call whose offer ended unanswered back in the queue, and abandon it when the caller hangs up', () => {
    expect(transition(CALL_STATE, 'OFFERING', 'attemptEnded')).toEqual({ ok: true, to: 'QUEUED' });
    expect(transition(CALL_STATE, 'OFFERING', 'callerHungUp')).toEqual({ ok: true, to: 'ABANDONED' });
    expect(transition(ATTEMPT_STATE, 'RINGING', 'CANCEL')).toEqual({ ok: true, to: 'CANCELLED' });
  });
});

describe('routeCall with an agent index', () => {
  const overflow = (o: Partial<NonNullable<QueueGroupSnapshot['overflow']>>) => ({ queueLengthAbove: null, oldestWaitAboveSec: null, noAgentsLoggedIn: false, ...o });
  const indexOf = (groups: QueueGroupSnapshot[], agents: AgentSnapshot[]) => {
    const index = new FreeAgentIndex();
    for (const a of agents) index.upsert(groups.filter((g) => g.agentIds.includes(a.id)).map((g) => g.groupId), a);
    return index;
  };
  /** A decision with the counted agents in a fixed order, and only the destinations of `considered`. */
  const comparable = (d: ReturnType<typeof routeCall>) => ({
    chosen: d.chosen,
    eligiblePriorities: d.eligiblePriorities,
    summary: d.summary,
    skipped: [...d.skipped.filter((s) => s.resourceId !== '*'), ...d.skipped.filter((s) => s.resourceId === '*').sort((x, y) => (x.reason < y.reason ? -1 : 1))],
    consideredDestinations: d.considered.filter((id) => id.startsWith('d')),
  });

  it('reads the agents from the index, not from the agents map', () => {
    const groups = [group(1, ['a1'], ['d1'])];
    const index = indexOf(groups, [agent('a1')]);
    const d = routeCall(input(groups, [], [dest('d1')], { agentIndex: index }));
    expect(d.chosen).toMatchObject({ kind: 'AGENT', id: 'a1', priority: 1, detail: 'agent idle for 10 s' });
    expect(d.considered).toEqual(['a1', 'd1']);
  });

  it('names the same twenty agents as the scan and counts the rest per reason', () => {
    const agents = Array.from({ length: 50 }, (_, i) => agent(`a${i}`, i % 2 === 0 ? { status: 'ON_BREAK' } : { idleSince: NOW - sec(i) }));
    const groups = [group(1, agents.map((a) => a.id), [])];
    const scan = routeCall(input(groups, agents, []));
    const indexed = routeCall(input(groups, [], [], { agentIndex: indexOf(groups, agents) }));
    expect(indexed.chosen).toEqual(scan.chosen);
    expect(indexed.chosen?.id).toBe('a49');
    expect(comparable(indexed)).toEqual(comparable(scan));
    expect(indexed.skipped).toContainEqual({ kind: 'AGENT', resourceId: '*', reason: 'AGENT_ON_BREAK', detail: '14 more agents' });
    expect(indexed.skipped).toContainEqual({ kind: 'AGENT', resourceId: '*', reason: 'LONGER_IDLE_AGENT_FIRST', detail: '15 more agents' });
    expect(indexed.considered.length).toBeLessThan(30);
  });

  it('makes a group eligible from the index when no agent of the earlier groups is logged in', () => {
    const groups = [group(1, ['a1'], []), group(2, [], ['d2'], overflow({ noAgentsLoggedIn: true }))];
    const loggedOut = routeCall(input(groups, [], [dest('d2')], { agentIndex: indexOf(groups, [agent('a1', { status: 'LOGGED_OUT' })]) }));
    expect(loggedOut.eligiblePriorities).toEqual([1, 2]);
    expect(loggedOut.chosen?.id).toBe('d2');
    const onBreak = routeCall(input(groups, [], [dest('d2')], { agentIndex: indexOf(groups, [agent('a1', { status: 'ON_BREAK' })]) }));
    expect(onBreak.eligiblePriorities).toEqual([1]);
  });

  it('overflows at once past a group whose destinations are full only when the index has no free agent in it', () => {
    const groups = [group(1, ['a1'], ['full']), group(2, [], ['d2'], overflow({ oldestWaitAboveSec: 600 }))];
    const destinations = [dest('full', { connectingCalls: 2 }), dest('d2')];
    const busy = routeCall(input(groups, [], destinations, { agentIndex: indexOf(groups, [agent('a1', { activity: 'ON_CALL' })]) }));
    expect(busy.eligiblePriorities).toEqual([1, 2]);
    expect(busy.chosen?.id).toBe('d2');
    const free = routeCall(input(groups, [], destinations, { agentIndex: indexOf(groups, [agent('a1')]) }));
    expect(free.eligiblePriorities).toEqual([1]);
    expect(free.chosen?.id).toBe('a1');
  });

  it('makes the same decision as the scan for random agents, groups, destinations and times', () => {
    const seen = { agent: 0, destination: 0, none: 0, counted: 0, multiGroup: 0 };
    for (let seed = 1; seed <= 150; seed += 1) {
      const random = mulberry32(seed);
      const chance = (p: number) => random() < p;
      const int = (n: number) => Math.floor(random() * n);
      const groupCount = 1 + int(4);
      const destinations = Array.from({ length: int(5) }, (_, i) => dest(`d${i}`, {
        enabled: !chance(0.1), maxSimultaneousCalls: chance(0.2) ? null : 1 + int(3), connectingCalls: int(2), activeCalls: int(2),
        backedOffUntil: chance(0.2) ? NOW + sec(int(60) - 30) : null,
      }));
      const agents = new Map<string, AgentSnapshot>();
      const members: string[][] = Array.from({ length: groupCount }, () => []);
      const index = new FreeAgentIndex();
      const put = (a: AgentSnapshot, groupsOf: number[]) => {
        members.forEach((list, g) => {
          const at = list.indexOf(a.id);
          if (groupsOf.includes(g) && at < 0) list.push(a.id);
          if (!groupsOf.includes(g) && at >= 0) list.splice(at, 1);
        });
        agents.set(a.id, a);
        index.upsert(groupsOf.map((g) => `g${g + 1}`), a);
      };
      const randomGroups = () => members.map((_, g) => g).filter(() => chance(0.5));
      const population = int(60);
      for (let i = 0; i < population; i += 1) put(randomAgent(`a${i}`, random, NOW), randomGroups());
      const rules = () => overflow({ queueLengthAbove: chance(0.3) ? int(4) : null, oldestWaitAboveSec: chance(0.3) ? int(60) : null, noAgentsLoggedIn: chance(0.5) });
      const overflows = members.map((_, g) => (g === 0 ? null : rules()));
      const destinationsOf = members.map(() => destinations.filter(() => chance(0.5)).map((d) => d.id));
      for (let step = 0; step < 6; step += 1) {
        const now = NOW + sec(int(80) - 40);
        const groups = members.map((list, g) => group(g + 1, [...list], destinationsOf[g]!, overflows[g]!));
        const base = input(groups, [...agents.values()], destinations, {
          now,
          call: call({ eligiblePriorities: chance(0.2) ? [1 + int(groupCount)] : [], lastOfferEndedAt: chance(0.3) ? { d0: now - sec(int(8)) } : {} }),
        });
        const queue = { ...base.queue, waitingCalls: 1 + int(4), oldestWaitingSince: now - sec(int(90)) };
        const scan = routeCall({ ...base, queue });
        const indexed = routeCall({ ...base, queue, agents: new Map(), agentIndex: index });
        expect({ seed, step, ...comparable(indexed) }).toEqual({ seed, step, ...comparable(scan) });
        expect(scan.considered).toEqual(expect.arrayContaining([...indexed.considered]));
        seen[scan.chosen === null ? 'none' : scan.chosen.kind === 'AGENT' ? 'agent' : 'destination'] += 1;
        if (scan.skipped.some((s) => s.resourceId === '*')) seen.counted += 1;
        if (scan.eligiblePriorities.length > 1 && scan.chosen?.kind === 'AGENT') seen.multiGroup += 1;
        // Some agents change state, move between groups or leave before the next decision.
        for (let k = 0; k < 4; k += 1) {
          const id = `a${int(60)}`;
          if (chance(0.2)) {
            index.remove(id);
            agents.delete(id);
            members.forEach((list) => list.includes(id) && list.splice(list.indexOf(id), 1));
          } else {
            put(randomAgent(id, random, now), chance(0.3) ? randomGroups() : members.flatMap((list, g) => (list.includes(id) ? [g] : [])));
          }
        }
      }
    }
    // The random cases reach every kind of outcome, so the comparison above means something.
    expect(Object.values(seen).every((n) => n > 20)).toBe(true);
  });
});

/** Any agent state, with times near `now` and ties in idle time on purpose. */
function randomAgent(id: string, random: () => number, now: number): AgentSnapshot {
  const near = () => now + sec(Math.floor(random() * 61) - 30);
  const r = random();
  const activities = ['IDLE', 'IDLE', 'IDLE', 'RESERVED', 'RINGING', 'ON_CALL', 'WRAP_UP', 'WRAP_UP'] as const;
  const activity = activities[Math.floor(random() * activities.length)]!;
  return {
    id,
    status: r < 0.1 ? 'LOGGED_OUT' : r < 0.2 ? 'ON_BREAK' : 'AVAILABLE',
    activity,
    idleSince: now - sec(Math.floor(random() * 5)),
    wrapUpUntil: activity === 'WRAP_UP' && random() < 0.9 ? near() : null,
    notBefore: random() < 0.3 ? near() : null,
  };
}

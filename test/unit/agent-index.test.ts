import { FreeAgentIndex, type AgentCounts } from '../../src/routing/agent-index';
import { agentBlocker } from '../../src/routing/agent-blocker';
import type { AgentSnapshot } from '../../src/routing/types';
import { seededRandom as mulberry32 } from '../support/random';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const sec = (n: number) => n * 1000;

const agent = (id: string, over: Partial<AgentSnapshot> = {}): AgentSnapshot => ({
  id, status: 'AVAILABLE', activity: 'IDLE', idleSince: NOW - sec(10), wrapUpUntil: null, notBefore: null, ...over,
});

function indexOf(members: Array<[string[], AgentSnapshot]>): FreeAgentIndex {
  const index = new FreeAgentIndex();
  for (const [groups, a] of members) index.upsert(groups, a);
  return index;
}

const zero: AgentCounts = { FREE: 0, AGENT_LOGGED_OUT: 0, AGENT_ON_BREAK: 0, AGENT_BUSY: 0, AGENT_WRAP_UP: 0, AGENT_RETRY_WAIT: 0 };
const best = (index: FreeAgentIndex, groups: string[], now = NOW) => index.longestIdle(groups, now)?.agent.id ?? null;

describe('FreeAgentIndex', () => {
  it.each([
    ['the agent idle longest', [agent('a', { idleSince: NOW - sec(5) }), agent('b', { idleSince: NOW - sec(90) }), agent('c')], 'b'],
    ['the smaller id when two have been idle equally long', [agent('b2'), agent('b1'), agent('b3')], 'b1'],
    ['a free agent over blocked agents idle longer', [agent('x', { idleSince: 0, status: 'ON_BREAK' }), agent('y', { idleSince: 0, activity: 'ON_CALL' }), agent('z')], 'z'],
    ['nobody when no agent is free', [agent('x', { status: 'LOGGED_OUT' }), agent('y', { activity: 'RINGING' })], null],
    ['nobody in an empty group', [], null],
  ])('offers %s', (_what, agents, expected) => {
    const index = indexOf(agents.map((a) => [['g'], a]));
    expect(best(index, ['g'])).toBe(expected);
  });

  it.each([
    ['logged out', { status: 'LOGGED_OUT' as const }, 'AGENT_LOGGED_OUT'],
    ['on break', { status: 'ON_BREAK' as const }, 'AGENT_ON_BREAK'],
    ['reserved', { activity: 'RESERVED' as const }, 'AGENT_BUSY'],
    ['ringing', { activity: 'RINGING' as const }, 'AGENT_BUSY'],
    ['on a call', { activity: 'ON_CALL' as const }, 'AGENT_BUSY'],
    ['in wrap-up', { activity: 'WRAP_UP' as const, wrapUpUntil: NOW + sec(20) }, 'AGENT_WRAP_UP'],
    ['in wrap-up with no end', { activity: 'WRAP_UP' as const, wrapUpUntil: null }, 'AGENT_WRAP_UP'],
    ['waiting after a missed call', { notBefore: NOW + sec(3) }, 'AGENT_RETRY_WAIT'],
  ] as const)('counts an agent %s under its reason and never offers it', (_what, over, reason) => {
    const index = indexOf([[['g'], agent('a1', over)], [['g'], agent('a2', { activity: 'ON_CALL' })]]);
    expect(best(index, ['g'])).toBeNull();
    const counts = index.counts(['g'], NOW);
    expect(counts[reason]).toBe(reason === 'AGENT_BUSY' ? 2 : 1);
    expect(counts.FREE).toBe(0);
  });

  it.each([
    ['a wrap-up', { activity: 'WRAP_UP' as const, wrapUpUntil: NOW + sec(30) }, NOW + sec(30), 'AGENT_WRAP_UP'],
    ['a retry wait', { notBefore: NOW + sec(30) }, NOW + sec(30), 'AGENT_RETRY_WAIT'],
  ] as const)('frees an agent at the end of %s and not a millisecond before', (_what, over, freeAt, reason) => {
    const index = indexOf([[['g'], agent('a1', over)]]);
    expect(best(index, ['g'], NOW)).toBeNull();
    expect(best(index, ['g'], freeAt - 1)).toBeNull();
    expect(index.counts(['g'], freeAt - 1)).toEqual({ ...zero, [reason]: 1 });
    expect(best(index, ['g'], freeAt)).toBe('a1');
    expect(index.counts(['g'], freeAt)).toEqual({ ...zero, FREE: 1 });
  });

  it('offers an agent whose wrap-up ended before the index was first asked', () => {
    const index = indexOf([[['g'], agent('a1', { activity: 'WRAP_UP', wrapUpUntil: NOW - sec(1) })]]);
    expect(best(index, ['g'], NOW)).toBe('a1');
  });

  it('moves an agent from wrap-up to its retry wait, then frees it', () => {
    const index = indexOf([[['g'], agent('a1', { activity: 'WRAP_UP', wrapUpUntil: NOW + sec(10), notBefore: NOW + sec(20) })]]);
    expect(index.counts(['g'], NOW + sec(9)).AGENT_WRAP_UP).toBe(1);
    expect(index.counts(['g'], NOW + sec(10)).AGENT_RETRY_WAIT).toBe(1);
    expect(best(index, ['g'], NOW + sec(19))).toBeNull();
    expect(best(index, ['g'], NOW + sec(20))).toBe('a1');
  });

  it('gives the right answer again when now goes back in time', () => {
    const index = indexOf([[['g'], agent('a1', { notBefore: NOW + sec(10) })], [['g'], agent('a2', { activity: 'ON_CALL' })]]);
    expect(best(index, ['g'], NOW + sec(10))).toBe('a1');
    expect(best(index, ['g'], NOW)).toBeNull();
    expect(index.counts(['g'], NOW)).toEqual({ ...zero, AGENT_RETRY_WAIT: 1, AGENT_BUSY: 1 });
    expect(best(index, ['g'], NOW + sec(11))).toBe('a1');
  });

  it('finds an agent of two groups from either, names the first listed group it is in, and counts it once', () => {
    const index = indexOf([[['g1', 'g2'], agent('shared', { idleSince: NOW - sec(60) })], [['g1'], agent('only1')], [['g2'], agent('only2', { status: 'ON_BREAK' })]]);
    expect(index.longestIdle(['g1'], NOW)).toEqual({ agent: expect.objectContaining({ id: 'shared' }), groupId: 'g1' });
    expect(index.longestIdle(['g2'], NOW)).toEqual({ agent: expect.objectContaining({ id: 'shared' }), groupId: 'g2' });
    expect(index.longestIdle(['g3', 'g2', 'g1'], NOW)?.groupId).toBe('g2');
    expect(index.counts(['g1', 'g2'], NOW)).toEqual({ ...zero, FREE: 2, AGENT_ON_BREAK: 1 });
    expect(index.counts(['g2', 'g1', 'g2'], NOW)).toEqual({ ...zero, FREE: 2, AGENT_ON_BREAK: 1 });
  });

  it('forgets a removed agent in every group and says whether it knew it', () => {
    const index = indexOf([[['g1', 'g2'], agent('a1', { idleSince: 0 })], [['g2'], agent('a2')]]);
    expect(index.remove('a1')).toBe(true);
    expect(index.remove('a1')).toBe(false);
    expect(best(index, ['g1'])).toBeNull();
    expect(best(index, ['g1', 'g2'])).toBe('a2');
    expect(index.counts(['g1', 'g2'], NOW)).toEqual({ ...zero, FREE: 1 });
    expect(index.get('a1')).toBeUndefined();
    expect(index.size).toBe(1);
  });

  it.each([
    ['takes a call', { activity: 'RESERVED' as const }, 'a2'],
    ['goes on break', { status: 'ON_BREAK' as const }, 'a2'],
    ['logs out', { status: 'LOGGED_OUT' as const }, 'a2'],
    ['becomes idle again, now idle for the shortest time', { idleSince: NOW }, 'a2'],
    ['stays idle with the same idle time', {}, 'a1'],
  ])('follows an agent that %s', (_what, over, expected) => {
    const index = indexOf([[['g'], agent('a1', { idleSince: NOW - sec(60) })], [['g'], agent('a2', { idleSince: NOW - sec(30) })]]);
    expect(best(index, ['g'])).toBe('a1');
    index.upsert(['g'], agent('a1', { idleSince: NOW - sec(60), ...over }));
    expect(best(index, ['g'])).toBe(expected);
  });

  it('moves an agent whose groups change, keeping its place in the groups it stays in', () => {
    const index = indexOf([[['g1', 'g2'], agent('a1')], [['g1', 'g2'], agent('a2')]]);
    index.upsert(['g2', 'g3'], agent('a1', { idleSince: 0 }));
    expect(best(index, ['g1'])).toBe('a2');
    expect(best(index, ['g3'])).toBe('a1');
    expect(index.firstAgents(['g2'], NOW, 5).map((x) => x.agent.id)).toEqual(['a1', 'a2']);
    expect(index.counts(['g1', 'g2', 'g3'], NOW)).toEqual({ ...zero, FREE: 2 });
    index.upsert([], agent('a1'));
    expect(index.counts(['g1', 'g2', 'g3'], NOW)).toEqual({ ...zero, FREE: 1 });
  });

  it('lists the first agents of several groups once each, group by group in joining order, with their reasons', () => {
    const index = indexOf([[['g2'], agent('c', { status: 'ON_BREAK' })], [['g1', 'g2'], agent('b')], [['g1'], agent('a', { activity: 'ON_CALL' })], [['g2'], agent('d')]]);
    const listed = (limit: number) => index.firstAgents(['g1', 'g2', 'missing'], NOW, limit).map(({ agent: a, reason }) => [a.id, reason]);
    expect(listed(10)).toEqual([['b', null], ['a', 'AGENT_BUSY'], ['c', 'AGENT_ON_BREAK'], ['d', null]]);
    expect(listed(3)).toEqual([['b', null], ['a', 'AGENT_BUSY'], ['c', 'AGENT_ON_BREAK']]);
  });

  it('agrees with a scan of the same agents after any sequence of changes', () => {
    const random = mulberry32(7);
    const groupNames = ['g1', 'g2', 'g3', 'g4'];
    const index = new FreeAgentIndex();
    const model = new Map<string, { groups: string[]; agent: AgentSnapshot }>();
    let now = NOW;
    for (let step = 0; step < 3000; step += 1) {
      const id = `a${Math.floor(random() * 40)}`;
      if (random() < 0.1) {
        expect(index.remove(id)).toBe(model.delete(id));
      } else {
        const groups = groupNames.filter(() => random() < 0.4);
        const a = randomAgent(id, random, now);
        index.upsert(groups, a);
        model.set(id, { groups, agent: a });
      }
      now += random() < 0.05 ? -sec(Math.floor(random() * 30)) : Math.floor(random() * 3000);
      const asked = groupNames.filter(() => random() < 0.5);
      const members = [...model.values()].filter((m) => m.groups.some((g) => asked.includes(g)));
      const free = members.filter((m) => agentBlocker(m.agent, now) === null).map((m) => m.agent);
      free.sort((x, y) => x.idleSince - y.idleSince || (x.id < y.id ? -1 : 1));
      const expected: Record<string, number> = { ...zero };
      for (const m of members) expected[agentBlocker(m.agent, now) ?? 'FREE']! += 1;
      const found = index.longestIdle(asked, now);
      expect({ step, best: found?.agent.id ?? null, counts: index.counts(asked, now) }).toEqual({ step, best: free[0]?.id ?? null, counts: expected });
      if (found !== null) expect(model.get(found.agent.id)!.groups).toContain(found.groupId);
      expect(index.size).toBe(model.size);
    }
  });
});

/** Any agent state, with times near `now` (ties in idle time on purpose). */
function randomAgent(id: string, random: () => number, now: number): AgentSnapshot {
  const near = () => now + sec(Math.floor(random() * 61) - 30);
  const r = random();
  const status = r < 0.1 ? 'LOGGED_OUT' : r < 0.2 ? 'ON_BREAK' : 'AVAILABLE';
  const activities = ['IDLE', 'IDLE', 'IDLE', 'RESERVED', 'RINGING', 'ON_CALL', 'WRAP_UP', 'WRAP_UP'] as const;
  const activity = activities[Math.floor(random() * activities.length)]!;
  return {
    id,
    status,
    activity,
    idleSince: now - sec(Math.floor(random() * 5)),
    wrapUpUntil: activity === 'WRAP_UP' && random() < 0.9 ? near() : null,
    notBefore: random() < 0.3 ? near() : null,
  };
}

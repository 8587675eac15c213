import { QueueDirectory } from '../../src/engine/queue-directory';
import { queueLoader, type QueueView } from '../../src/engine/queue-pass';
import { createLogger } from '../../src/logger';
import { ManualScheduler, systemScheduler } from '../../src/platform/scheduler';
import { noMeter } from '../../src/platform/meter';
import { routeCall } from '../../src/routing/route-call';
import type { AgentStatus } from '../../src/routing/types';
import type { AgentActivity } from '../../src/routing/state-machine';
import type { AgentChange, AgentLive, AgentStateStore } from '../../src/store/agent-state-store';
import type { LiveState } from '../../src/store/live-state';
import { redisKeys } from '../../src/store/redis-keys';
import { createDestination, provisionCompany, type Company } from '../support/fixtures';
import { dropMatching, dropPrefix, redisSuitesOn, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

/**
 * The queue directory against what a fresh read of the system of record and the live state computes for the
 * same queue (the queue pass's own loader), on real gateways: after configuration changes made through the
 * API, agents' live state changed on the live-state store and told to the directory by each of its paths,
 * and a pass's own writes; then a randomised sequence of all of these. On the embedded default (SQLite), and
 * in cluster mode (PostgreSQL and Redis, when those suites are on) with the changes made through a second
 * instance, so they reach the directory's instance over the bus.
 */

const logger = createLogger('silent');

type Mode = { name: string; cluster: boolean };
const modes: Mode[] = [{ name: 'the embedded default', cluster: false }];
if (redisSuitesOn() && process.env.POSTGRES_SUITES === 'on') modes.push({ name: 'PostgreSQL and Redis, two instances', cluster: true });

/** The gateway the directory runs in, and the one changes are made through (the same one, or another instance). */
interface Instances {
  here: TestGateway;
  there: TestGateway;
}

/** Counts what the directory reads of agents' live state. */
function counted(live: LiveState): { live: LiveState; reads: { calls: number; agents: number } } {
  const reads = { calls: 0, agents: 0 };
  const inner = live.agents;
  const agents: AgentStateStore = {
    get: (companyId, agentId) => {
      reads.calls += 1;
      reads.agents += 1;
      return inner.get(companyId, agentId);
    },
    getMany: (companyId, agentIds) => {
      reads.calls += 1;
      reads.agents += agentIds.length;
      return inner.getMany(companyId, agentIds);
    },
    compareAndSet: (...args) => inner.compareAndSet(...args),
    close: () => inner.close(),
  };
  return { live: { ...live, agents }, reads };
}

/** One company of the test gateway, a directory over it, and the API calls the tests make. */
async function setup({ here, there }: Instances, slug: string) {
  const company: Company = await provisionCompany(there, slug);
  const { live, reads } = counted(here.gateway.live);
  const directory = new QueueDirectory(here.gateway.services.models, live, here.gateway.services.bus, { logger, scheduler: new ManualScheduler() });
  const fresh = queueLoader({ dataSource: here.gateway.dataSource, live: here.gateway.live, time: systemScheduler, logger, meter: noMeter });
  const ok = (query: string, variables: Record<string, unknown> = {}) => there.ok(query, variables, company.adminToken);
  /** Changes made on the other instance reach this one over the bus: comparisons wait up to this long for them. */
  const propagationMs = here === there ? 0 : 3_000;
  let names = 0;

  const api = {
    async agent(): Promise<string> {
      names += 1;
      return (await ok('mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name: `Agent ${names}` } })).createAgent.id;
    },
    async deleteAgent(id: string): Promise<void> {
      await ok('mutation($id: ID!) { deleteAgent(id: $id) }', { id });
    },
    async group(agentIds: string[], destinationIds: string[] = []): Promise<string> {
      names += 1;
      return (await ok('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: `Group ${names}`, agentIds, externalDestinationIds: destinationIds } })).createAgentGroup.id;
    },
    async setGroup(id: string, agentIds: string[], destinationIds: string[] = []): Promise<void> {
      names += 1;
      await ok('mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id } }', { id, i: { name: `Group ${names}`, agentIds, externalDestinationIds: destinationIds } });
    },
    async queue(groups: QueueGroupInput[]): Promise<string> {
      names += 1;
      return (await ok('mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name: `Queue ${names}`, groups } })).createQueue.id;
    },
    async setQueue(id: string, groups: QueueGroupInput[], settings: Record<string, number> = {}): Promise<void> {
      names += 1;
      await ok('mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { id } }', { id, i: { name: `Queue ${names}`, groups, ...settings } });
    },
    async deleteQueue(id: string): Promise<void> {
      await ok('mutation($id: ID!) { deleteQueue(id: $id) }', { id });
    },
    async destination(): Promise<string> {
      return (await createDestination(there, company.adminToken)).id;
    },
  };

  /**
   * An agent's live state changed on the store, as the engine changes it (a compare-and-set): told to the
   * directory directly (this instance's change), announced on the bus only (by the other instance, if any),
   * both, or not at all (a lost message).
   */
  const change = async (agentId: string, fields: AgentChange, path: Path = 'both'): Promise<AgentLive> => {
    const next = (await there.gateway.live.agents.compareAndSet(company.id, agentId, {}, fields))!;
    if (path === 'direct' || path === 'both') directory.agentChanged(company.id, agentId, next);
    if (path === 'bus' || path === 'both') there.gateway.services.liveUpdates.agentChanged(company.id, agentId, next);
    return next;
  };

  /** Runs `check` until it passes, for at most the time changes take to reach this instance. */
  const eventually = async <T>(check: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + propagationMs;
    for (;;) {
      await directory.settled();
      try {
        return await check();
      } catch (error) {
        if (Date.now() >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };

  /** The directory's view equals a fresh read: structure, every index query, and routing decisions, at several instants. */
  const expectFresh = (queueId: string, why: string): Promise<QueueView | null> => eventually(() => compare(queueId, why));
  const compare = async (queueId: string, why: string): Promise<QueueView | null> => {
    const oldest = Date.now() - 40_000;
    const mine = await directory.view(company.id, queueId, 3, oldest);
    const read = await fresh(company.id, queueId, 3, oldest);
    expect({ why, view: shape(mine) }).toEqual({ why, view: shape(read) });
    if (mine === null || read === null) return mine;
    const groupIds = read.snapshot.groups.map((g) => g.groupId);
    const subsets = [groupIds, ...groupIds.map((g) => [g]), groupIds.slice(1), [...groupIds].reverse()].filter((s) => s.length > 0);
    const base = Date.now();
    for (const now of [base, base + 4_000, base + 120_000]) {
      for (const ids of subsets) {
        expect({ why, now, ids, longest: mine.agentIndex.longestIdle(ids, now) }).toEqual({ why, now, ids, longest: read.agentIndex.longestIdle(ids, now) });
        expect({ why, now, ids, counts: mine.agentIndex.counts(ids, now) }).toEqual({ why, now, ids, counts: read.agentIndex.counts(ids, now) });
        expect({ why, now, ids, first: mine.agentIndex.firstAgents(ids, now, 1_000) }).toEqual({ why, now, ids, first: read.agentIndex.firstAgents(ids, now, 1_000) });
      }
      for (const eligiblePriorities of [[], read.snapshot.groups.map((g) => g.priority)]) {
        const call = { id: 'call', enqueuedAt: oldest, eligiblePriorities, lastOfferEndedAt: {} };
        const decide = (v: QueueView) => routeCall({ call, queue: v.snapshot, agents: v.agents, agentIndex: v.agentIndex, destinations: v.destinations, now });
        expect({ why, now, decision: decide(mine) }).toEqual({ why, now, decision: decide(read) });
      }
    }
    expect(mine.agentIndex.size).toBe(read.agentIndex.size);
    for (const now of [base, base + 120_000]) {
      expect({ why, now, counted: await directory.agentCounts(company.id, queueId, now) }).toEqual({ why, now, counted: read.agentIndex.counts(groupIds, now) });
    }
    return mine;
  };

  /** In cluster mode, lets announcements still on their way over the bus arrive. */
  const quiet = () => new Promise((resolve) => setTimeout(resolve, propagationMs === 0 ? 0 : 300));
  return { company, directory, reads, api, change, expectFresh, eventually, quiet, store: there.gateway.live.agents };
}

type Path = 'direct' | 'bus' | 'both' | 'silent';
type QueueGroupInput = { groupId: string; overflow?: { queueLengthAbove?: number | null; oldestWaitAboveSec?: number | null; noAgentsLoggedIn?: boolean } };

/** What two views are compared on, their maps as sorted entries. */
function shape(v: QueueView | null) {
  if (v === null) return null;
  const sorted = <T>(m: Map<string, T>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    queue: v.queue,
    snapshot: v.snapshot,
    agents: sorted(v.agents),
    groupsOfAgent: sorted(v.groupsOfAgent).map(([id, groups]) => [id, [...groups].sort()]),
    destinations: sorted(v.destinations),
    configs: sorted(v.configs),
  };
}

const AVAILABLE = { status: 'AVAILABLE' as const, activity: 'IDLE' as const, callId: null, wrapUpUntil: null, notBefore: null };

describe.each(modes)('QueueDirectory on $name', (mode) => {
  const prefix = uniquePrefix();
  let instances: Instances;

  beforeAll(async () => {
    if (!mode.cluster) {
      const t = await startTestGateway('sqlite');
      instances = { here: t, there: t };
      return;
    }
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix };
    const here = await startTestGateway('postgres', env);
    instances = { here, there: await startTestGateway('postgres', { ...env, DATABASE_URL: here.databaseUrl }) };
  });

  afterAll(async () => {
    if (instances.there !== instances.here) await instances.there.close();
    await instances.here.close();
    if (mode.cluster) await dropPrefix(prefix);
  });

  it('gives what a fresh read gives, and keeps giving it after agents change state by each path', async () => {
    const s = await setup(instances, 'qd-paths');
    const agents = await Promise.all([1, 2, 3, 4, 5, 6].map(() => s.api.agent()));
    const now = Date.now();
    for (const [i, id] of agents.entries()) await s.change(id, { ...AVAILABLE, idleSince: now - 10_000 * (i + 1) });
    const destination = await s.api.destination();
    const g1 = await s.api.group(agents.slice(0, 4));
    const g2 = await s.api.group(agents.slice(2), [destination]);
    const queue = await s.api.queue([{ groupId: g1 }, { groupId: g2, overflow: { oldestWaitAboveSec: 30 } }]);
    const first = await s.expectFresh(queue, 'first view');

    // This instance's change, told directly.
    await s.change(agents[0]!, { activity: 'RINGING', callId: 'call-1' }, 'direct');
    await s.expectFresh(queue, 'direct');
    // Another instance's change: the bus carries only its seq, the directory reads the agent.
    await s.change(agents[1]!, { activity: 'WRAP_UP', wrapUpUntil: Date.now() + 2_000, idleSince: Date.now() + 2_000 }, 'bus');
    await s.change(agents[2]!, { status: 'ON_BREAK' }, 'bus');
    await s.expectFresh(queue, 'bus');
    // Both (the bus copy of a change already applied is recognised by its seq).
    await s.change(agents[3]!, { notBefore: Date.now() + 5_000 }, 'both');
    await s.expectFresh(queue, 'both');
    // A lost message: out of date until the periodic re-read.
    await s.change(agents[4]!, { status: 'LOGGED_OUT' }, 'silent');
    await s.directory.refresh();
    await s.expectFresh(queue, 'silent, then re-read');

    // The agents, their index and their groups are the directory's, not a copy per view.
    const again = await s.directory.view(s.company.id, queue, 1, null);
    expect(again!.agentIndex).toBe(first!.agentIndex);
    expect(again!.agents).toBe(first!.agents);
    await s.directory.stop();
  });

  it('costs no agent reads per view: a change told directly costs none, one heard on the bus one agent', async () => {
    const s = await setup(instances, 'qd-cost');
    const agents: string[] = [];
    for (let i = 0; i < 40; i += 1) agents.push(await s.api.agent());
    for (const id of agents) await s.change(id, { ...AVAILABLE, idleSince: Date.now() });
    const queue = await s.api.queue([{ groupId: await s.api.group(agents) }]);
    await s.quiet();
    await s.eventually(async () => expect(await s.directory.view(s.company.id, queue, 1, null)).not.toBeNull());
    expect(s.reads.agents).toBe(40);

    for (let i = 0; i < 20; i += 1) await s.directory.view(s.company.id, queue, 1, null);
    expect(s.reads.agents).toBe(40);
    for (let i = 0; i < 10; i += 1) await s.change(agents[i]!, { activity: 'ON_CALL', callId: `call-${i}` }, 'both');
    await s.quiet();
    await s.directory.settled();
    expect(s.reads.agents).toBe(40);
    for (let i = 10; i < 20; i += 1) {
      await s.change(agents[i]!, { activity: 'ON_CALL', callId: `call-${i}` }, 'bus');
      await s.eventually(async () => expect(s.reads.agents).toBe(31 + i));
    }
    await s.expectFresh(queue, 'after the changes');
    await s.directory.stop();
  });

  it('undoes a pass write the store does not confirm, and keeps one it does', async () => {
    const s = await setup(instances, 'qd-pass');
    const [a, b] = [await s.api.agent(), await s.api.agent()];
    await s.change(a, { ...AVAILABLE, idleSince: Date.now() - 5_000 });
    await s.change(b, { ...AVAILABLE, idleSince: Date.now() - 9_000 });
    const queue = await s.api.queue([{ groupId: await s.api.group([a, b]) }]);
    const view = (await s.expectFresh(queue, 'first'))!;
    const groups = view.groupsOfAgent.get(a)!;

    // A pass's stale write (a claim that lost, written from an old read): undone from the store.
    view.agentIndex.upsert(groups, { id: a, status: 'AVAILABLE', activity: 'ON_CALL', idleSince: 0, wrapUpUntil: null, notBefore: null });
    await s.expectFresh(queue, 'a stale write');

    // A pass's claim that the directory has not heard of yet (its announcement still on the way): kept, and confirmed.
    const claimed = (await s.store.compareAndSet(s.company.id, b, { activity: ['IDLE'] }, { activity: 'RESERVED', callId: 'call-x' }))!;
    view.agentIndex.upsert(view.groupsOfAgent.get(b)!, { id: b, status: claimed.status, activity: claimed.activity, idleSince: claimed.idleSince, wrapUpUntil: null, notBefore: null });
    expect(view.agentIndex.longestIdle(view.snapshot.groups.map((g) => g.groupId), Date.now())?.agent.id).toBe(a);
    await s.expectFresh(queue, 'a claim');
    await s.directory.stop();
  });

  it('follows configuration changes: members, groups of the queue, overflow, destinations, deletions', async () => {
    const s = await setup(instances, 'qd-config');
    const agents: string[] = [];
    for (let i = 0; i < 8; i += 1) agents.push(await s.api.agent());
    for (const [i, id] of agents.entries()) if (i % 3 !== 2) await s.change(id, { ...AVAILABLE, idleSince: Date.now() - 1_000 * i });
    const g1 = await s.api.group(agents.slice(0, 3));
    const g2 = await s.api.group(agents.slice(3, 6));
    const queue = await s.api.queue([{ groupId: g1 }]);
    const other = await s.api.queue([{ groupId: g2 }, { groupId: g1, overflow: { queueLengthAbove: 2 } }]);
    await s.expectFresh(queue, 'first');
    await s.expectFresh(other, 'first, other queue');

    // Members added in front of others (the order a trace names them in must stay a fresh read's), removed, moved.
    const early = [...agents].sort()[0]!;
    await s.api.setGroup(g1, [...new Set([early, ...agents.slice(1, 5)])]);
    await s.expectFresh(queue, 'members added');
    await s.api.setGroup(g1, [agents[1]!]);
    await s.expectFresh(queue, 'members removed');
    await s.expectFresh(other, 'members removed, other queue');
    // A new agent joins; an agent is deleted (the model mirrors the cascade).
    const late = await s.api.agent();
    await s.change(late, { ...AVAILABLE, idleSince: Date.now() - 60_000 });
    await s.api.setGroup(g1, [agents[1]!, late, agents[6]!]);
    await s.expectFresh(queue, 'a new agent');
    await s.api.deleteAgent(agents[6]!);
    await s.expectFresh(queue, 'an agent deleted');
    // The queue's groups: one added with overflow, the order swapped, the overflow changed, a setting changed.
    await s.api.setQueue(queue, [{ groupId: g1 }, { groupId: g2, overflow: { noAgentsLoggedIn: true } }]);
    await s.expectFresh(queue, 'a group added');
    await s.api.setQueue(queue, [{ groupId: g2 }, { groupId: g1, overflow: { oldestWaitAboveSec: 10, queueLengthAbove: 1 } }], { maxQueueLength: 7, agentRingTimeoutSec: 20 });
    await s.expectFresh(queue, 'groups swapped');
    // Destinations of a group, then one of them disabled.
    const d1 = await s.api.destination();
    const d2 = await s.api.destination();
    await s.api.setGroup(g2, agents.slice(3, 6), [d1, d2]);
    await s.expectFresh(queue, 'destinations');
    await instances.there.ok('mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }', {
      id: d2, i: { name: 'Disabled partner', numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5, enabled: false },
    }, s.company.adminToken);
    await s.expectFresh(queue, 'a destination disabled');
    // Live state of an agent in both queues.
    await s.change(agents[3]!, { activity: 'ON_CALL', callId: 'c' }, 'bus');
    await s.expectFresh(queue, 'shared agent');
    await s.expectFresh(other, 'shared agent, other queue');
    // The queue deleted: no view; the other still served.
    await s.api.deleteQueue(queue);
    expect(await s.directory.view(s.company.id, queue, 0, null)).toBeNull();
    expect(await s.directory.agentCounts(s.company.id, queue, Date.now())).toBeNull();
    await s.expectFresh(other, 'after a deletion');
    await s.directory.stop();
  });

  it('takes what the store says after the store restarted empty (sequence numbers start again)', async () => {
    const s = await setup(instances, 'qd-restart');
    const agents = [await s.api.agent(), await s.api.agent(), await s.api.agent()];
    for (const id of agents) for (let i = 0; i < 3; i += 1) await s.change(id, { ...AVAILABLE, idleSince: Date.now() - i });
    const queue = await s.api.queue([{ groupId: await s.api.group(agents) }]);
    await s.expectFresh(queue, 'before');
    // Every agent of the store is gone (as after a restart of an empty Redis).
    if (mode.cluster) await dropMatching(redisKeys(prefix).agent(s.company.id, '*'));
    else await (s.store as { close(): Promise<void> }).close();
    await s.directory.refresh();
    await s.expectFresh(queue, 'after the re-read');
    await s.change(agents[0]!, { ...AVAILABLE, idleSince: Date.now() }, 'bus');
    await s.expectFresh(queue, 'a first change after the restart, heard on the bus');
    await s.directory.stop();
  });

  it('equals a fresh read after every step of random changes (differential)', async () => {
    const seed = Number(process.env.QUEUE_DIRECTORY_SEED ?? 20261202);
    const random = mulberry32(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const some = <T>(xs: readonly T[], p: number): T[] => xs.filter(() => random() < p);
    const s = await setup(instances, 'qd-random');
    const pool: string[] = [];
    for (let i = 0; i < 12; i += 1) pool.push(await s.api.agent());
    const destinations = [await s.api.destination(), await s.api.destination()];
    const groups = [await s.api.group(some(pool, 0.5)), await s.api.group(some(pool, 0.5), [destinations[0]!]), await s.api.group(some(pool, 0.3))];
    const queueGroups = (): QueueGroupInput[] => {
      const chosen = some(groups, 0.6);
      if (chosen.length === 0) chosen.push(pick(groups));
      if (random() < 0.5) chosen.reverse();
      return chosen.map((groupId, i) => ({
        groupId,
        overflow: i === 0 ? undefined : pick([{ queueLengthAbove: Math.floor(random() * 4) }, { oldestWaitAboveSec: Math.floor(random() * 60) }, { noAgentsLoggedIn: true }]),
      }));
    };
    const queues = [await s.api.queue(queueGroups()), await s.api.queue(queueGroups())];
    const statuses: AgentStatus[] = ['AVAILABLE', 'AVAILABLE', 'AVAILABLE', 'ON_BREAK', 'LOGGED_OUT'];
    const activities: AgentActivity[] = ['IDLE', 'IDLE', 'RESERVED', 'RINGING', 'ON_CALL', 'WRAP_UP'];
    const randomLive = (): AgentChange => {
      const now = Date.now();
      const activity = pick(activities);
      return {
        status: pick(statuses),
        activity,
        callId: activity === 'IDLE' || activity === 'WRAP_UP' ? null : `call-${Math.floor(random() * 1e6)}`,
        // Ties of idle time are broken by id: make some.
        idleSince: now - Math.floor(random() * 4) * 10_000,
        wrapUpUntil: activity === 'WRAP_UP' ? now + Math.floor(random() * 10_000) - 3_000 : null,
        notBefore: random() < 0.25 ? now + Math.floor(random() * 10_000) - 3_000 : null,
      };
    };
    for (const id of pool) await s.change(id, randomLive());
    const paths: Path[] = ['direct', 'bus', 'both', 'both', 'silent'];
    const steps: string[] = [];
    for (let step = 0; step < 150; step += 1) {
      const roll = random();
      if (roll < 0.45) {
        const path = pick(paths);
        const id = pick(pool);
        await s.change(id, randomLive(), path);
        if (path === 'silent') await s.directory.refresh();
        steps.push(`live ${path}`);
      } else if (roll < 0.6) {
        const g = pick(groups);
        await s.api.setGroup(g, some(pool, 0.5), g === groups[1] ? some(destinations, 0.6) : []);
        steps.push('members');
      } else if (roll < 0.7) {
        await s.api.setQueue(pick(queues), queueGroups());
        steps.push('queue groups');
      } else if (roll < 0.77) {
        const id = await s.api.agent();
        pool.push(id);
        await s.change(id, randomLive(), pick(paths));
        const g = pick(groups);
        await s.api.setGroup(g, [...new Set([...some(pool, 0.4), id])], g === groups[1] ? some(destinations, 0.6) : []);
        steps.push('new agent');
      } else if (roll < 0.82 && pool.length > 6) {
        const id = pick(pool);
        pool.splice(pool.indexOf(id), 1);
        await s.api.deleteAgent(id);
        steps.push('agent deleted');
      } else {
        // A pass's write into a view: the store's state or an invented one.
        const queue = pick(queues);
        const view = await s.directory.view(s.company.id, queue, 0, null);
        const ids = view === null ? [] : [...view.agents.keys()];
        if (ids.length > 0) {
          const id = pick(ids);
          const fromStore = random() < 0.5;
          const live = fromStore ? await s.store.get(s.company.id, id) : { ...(randomLive() as AgentLive) };
          view!.agentIndex.upsert(view!.groupsOfAgent.get(id) ?? [], {
            id, status: live.status, activity: live.activity, idleSince: live.idleSince, wrapUpUntil: live.wrapUpUntil ?? null, notBefore: live.notBefore ?? null,
          });
        }
        steps.push('pass write');
      }
      for (const queue of queues) await s.expectFresh(queue, `seed ${seed}, step ${step} (${steps.slice(-3).join(', ')})`);
    }
    await s.directory.stop();
  });
});

/** A small seeded generator (so a failing sequence can be run again). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

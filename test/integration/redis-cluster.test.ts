import { randomUUID } from 'node:crypto';
import type { Cluster } from 'ioredis';
import { openEventBus, type AddressedInstruction, type EventBus } from '../../src/realtime/event-bus';
import type { ModelChangeEvent } from '../../src/routing/vocabulary';
import { openLiveState, type LiveState } from '../../src/store/live-state';
import { scanKeys } from '../../src/store/redis-client';
import { redisKeys } from '../../src/store/redis-keys';
import { pokeUntil, until } from '../support/conditions';
import { subscribe } from '../support/live';
import { dropPrefix, uniquePrefix } from '../support/redis';
import { clusterReady, newClusterClient, redisClusterSuitesOn, testClusterNodes } from '../support/redis-cluster';
import { Connector, RoutingWorld, startCluster } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

/*
 * Decision 030: cluster mode over a Redis Cluster (three masters, started for the run by the global setup).
 * The stores' contracts run against it in their own suites (the 'Redis Cluster' adapter); here the event bus
 * between two instances, the whole live state, and two gateways configured with REDIS_CLUSTER_NODES.
 */

const suite = redisClusterSuitesOn() ? describe : describe.skip;
const withPostgres = redisClusterSuitesOn() && process.env.POSTGRES_SUITES === 'on' ? describe : describe.skip;

/** A plain client of the cluster, for looking at it from outside the gateway. */
let cluster: Cluster;
let prefix: string;

beforeAll(async () => {
  if (!redisClusterSuitesOn()) return;
  await clusterReady();
  cluster = (await newClusterClient('test-observer')) as Cluster;
});
afterAll(() => cluster?.disconnect());

suite('the event bus over a Redis Cluster', () => {
  let here: EventBus;
  let there: EventBus;
  /** What the buses reported (a failed SUBSCRIBE or PUBLISH), shown when a wait fails. */
  let errors: string[];
  const reported = () => (errors.length > 0 ? `; the buses reported: ${errors.join('; ')}` : '');
  beforeEach(async () => {
    prefix = uniquePrefix();
    errors = [];
    const onError = (err: unknown) => void errors.push(String(err));
    [here, there] = await Promise.all([openEventBus(testClusterNodes(), prefix, onError), openEventBus(testClusterNodes(), prefix, onError)]);
  });
  afterEach(async () => {
    await Promise.all([here.close(), there.close()]);
  });

  it('hands a model change published on one instance to the other once, and to its own listeners once', async () => {
    const heardHere: ModelChangeEvent[] = [];
    const heardThere: ModelChangeEvent[] = [];
    here.listenModelChanges((e) => void heardHere.push(e));
    there.listenModelChanges((e) => void heardThere.push(e));
    expect(here.connected() && there.connected()).toBe(true);
    const companyId = randomUUID();
    // The subscription is made in the background: published until the other instance hears one.
    const rounds = await pokeUntil(
      (round) => there.publishModelChange({ companyId, version: round + 1, changes: [{ kind: 'destination', id: 'destination-1' }] }),
      () => heardHere.length > 0,
      { what: () => `a model change from the other instance${reported()}` },
    );
    expect(heardHere[0]).toEqual({ companyId, version: heardHere[0]!.version, changes: [{ kind: 'destination', id: 'destination-1' }] });
    expect(heardThere.map((e) => e.version)).toEqual(Array.from({ length: rounds }, (_, i) => i + 1));
    // Every later change arrives, in order (one publisher), and nothing of this instance's own comes back to it.
    await there.publishModelChange({ companyId, version: 1000, changes: [] });
    await until(() => heardHere.some((e) => e.version === 1000), { what: 'the last change' });
    expect(heardHere.map((e) => e.version)).toEqual([...heardHere.map((e) => e.version)].sort((a, b) => a - b));
    expect(heardThere.filter((e) => e.version === 1000)).toHaveLength(1);
  });

  it('delivers live updates and instructions of a company from one instance to the other, per resource and per kind', async () => {
    const companyId = randomUUID();
    const oneDestination: unknown[] = [];
    const everyDestination: unknown[] = [];
    const instructions: AddressedInstruction[] = [];
    here.listenUpdates(companyId, 'destination', ['destination-1'], (p) => oneDestination.push(p));
    here.listenUpdates(companyId, 'destination', null, (p) => everyDestination.push(p));
    here.listenInstructions(companyId, (i) => instructions.push(i));
    await pokeUntil(async (round) => {
      there.publishUpdate(companyId, 'destination', 'destination-1', { round });
      there.publishInstruction(companyId, instruction(`warm-up-${round}`));
    }, () => oneDestination.length > 0 && everyDestination.length > 0 && instructions.length > 0, {
      what: () => `the first update and instruction (heard ${oneDestination.length}, ${everyDestination.length}, ${instructions.length})${reported()}`,
    });
    there.publishUpdate(companyId, 'destination', 'destination-2', { other: true });
    there.publishInstruction(companyId, instruction('the-one'));
    await until(() => everyDestination.some((p) => (p as { other?: boolean }).other) && instructions.some((i) => i.instructionId === 'the-one'), {
      what: 'the update of another destination and the last instruction',
    });
    expect(oneDestination.some((p) => (p as { other?: boolean }).other)).toBe(false);
    expect(instructions.find((i) => i.instructionId === 'the-one')).toEqual(instruction('the-one'));
  });

  it('reaches a subscriber whichever master a message is published on (PUBLISH is broadcast over the cluster)', async () => {
    const companyId = randomUUID();
    const heard = new Set<number>();
    here.listenUpdates(companyId, 'queue', ['queue-1'], (p) => heard.add((p as { port: number }).port));
    const masters = cluster.nodes('master');
    expect(masters).toHaveLength(3);
    const channel = redisKeys(prefix).updatesChannel(companyId, 'queue', 'queue-1');
    await pokeUntil(
      () => Promise.all(masters.filter((m) => !heard.has(m.options.port!)).map((m) => m.publish(channel, JSON.stringify({ port: m.options.port })))),
      () => heard.size === masters.length,
      { what: () => `a message published on each master; heard from ${[...heard].join(', ')}${reported()}` },
    );
    expect([...heard].sort()).toEqual(masters.map((m) => m.options.port).sort());
  });
});

suite('the live state over a Redis Cluster', () => {
  let live: LiveState;
  beforeEach(async () => {
    prefix = uniquePrefix();
    live = await openLiveState(testClusterNodes(), prefix);
  });
  afterEach(async () => {
    await live.close();
    await dropPrefix(prefix, cluster);
  });

  it('opens every store on the cluster, takes fenced slots and spreads the companies\' keys over the masters', async () => {
    expect(live.mode).toBe('redis');
    expect(live.connected()).toBe(true);
    // As the rebuild leaves it: a generation published, the gate open.
    await live.generation.publish('g1');
    live.generation.release();
    await live.ready();
    const companies = Array.from({ length: 6 }, () => randomUUID());
    for (const companyId of companies) {
      const ref = { companyId, destinationId: 'destination-1' };
      expect(await live.capacity.acquire(ref, 'attempt-1', 1, { fenced: true, notBackedOffAt: Date.now() })).toBe(true);
      expect(await live.capacity.acquire(ref, 'attempt-2', 1, { fenced: true })).toBe(false);
      await live.agents.compareAndSet(companyId, 'agent-1', {}, { status: 'AVAILABLE' });
      await live.sessions.register(companyId, { sessionId: 'session-1', keyId: 'key-1' }, 30_000);
      await live.sequences.next(companyId, 'queue', 'queue-1');
    }
    await live.timers.schedule('ring:1', 0, 'payload');
    expect(await live.timers.claimDue(10)).toEqual([{ id: 'ring:1', payload: 'payload' }]);
    for (const companyId of companies) {
      expect(await live.capacity.counts({ companyId, destinationId: 'destination-1' })).toEqual({ connecting: 1, active: 0 });
      expect((await live.agents.get(companyId, 'agent-1')).status).toBe('AVAILABLE');
      expect(await live.sessions.live(companyId)).toEqual([{ sessionId: 'session-1', keyId: 'key-1' }]);
      expect(await live.sequences.current(companyId, 'queue', ['queue-1', 'queue-2'])).toEqual(new Map([['queue-1', 1], ['queue-2', 0]]));
    }
    // Each master holds some of the keys (six companies by chance on one master would be one in 243).
    const perMaster = await Promise.all(cluster.nodes('master').map((m) => scanKeys(m, `${prefix}:*`)));
    expect(perMaster.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
  });
});

withPostgres('two gateway instances over PostgreSQL and a Redis Cluster (REDIS_CLUSTER_NODES)', () => {
  let nodes: TestGateway[];
  let close: () => Promise<void>;
  let clusterPrefix: string;
  beforeAll(async () => {
    const nodesSetting = testClusterNodes().map((n) => `${n.host}:${n.port}`).join(',');
    ({ nodes, close, prefix: clusterPrefix } = await startCluster(2, {}, { REDIS_URL: '', REDIS_CLUSTER_NODES: nodesSetting }));
  });
  afterAll(async () => {
    await close?.();
    if (clusterPrefix !== undefined) await dropPrefix(clusterPrefix, cluster);
  });

  it('routes a call taken on one instance to a destination made on the other, and streams its state to a dashboard of the other', async () => {
    const w = await RoutingWorld.create(nodes[0]!);
    try {
      // Made on the first instance: the second knows it from the model change that crossed the cluster.
      const destination = await w.destination({ maxSimultaneousCalls: 1 });
      const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
      const dashboard = await subscribe(nodes[0]!.url, w.admin, 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId connectingCalls } }', 'externalDestinationUpdates', { ids: [destination] });
      try {
        const call = await new Connector(nodes[1]!, w.connector.key).enqueueOk(queue);
        // The connector subscribed on the first instance gets the dial, whichever instance routed the call.
        const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
        expect(dial).toMatchObject({ destinationId: destination });
        await until(() => dashboard.events.some((e: any) => e.connectingCalls === 1), { what: () => `the slot taken, on the dashboard: ${JSON.stringify(dashboard.events)}` });
        // The slot lives in the cluster, beside the company's other keys.
        const holders = await cluster.zrange(redisKeys(clusterPrefix).destinationLeases(w.company.id, destination), 0, -1);
        expect(holders).toEqual([dial!.attemptId]);
      } finally {
        await dashboard.close();
      }
    } finally {
      await w.close();
    }
  });
});

function instruction(instructionId: string): AddressedInstruction {
  return {
    instructionId, sessionId: 'session-1', kind: 'PLAY_MESSAGE', callId: 'call-1', attemptId: null, agentId: null, destinationId: null, number: null,
    ringTimeoutSec: null, message: 'Please hold', context: null, endReason: null, issuedAt: 1_700_000_000_000,
  };
}

import { DataSource } from 'typeorm';
import { clusterAvailable, Connector, eventually, RoutingWorld, startCluster } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

const cluster = clusterAvailable() ? describe : describe.skip;

/*
 * A capacity pool's limit across instances (decision 038): two gateway instances over one PostgreSQL and one
 * Redis, the pool's slots taken with each member's in one Redis script.
 */
cluster('capacity pools over several gateway instances', () => {
  let nodes: TestGateway[];
  let close: () => Promise<void>;
  let w: RoutingWorld;
  beforeAll(async () => {
    ({ nodes, close } = await startCluster(2));
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(nodes[0]!);
  });
  afterEach(async () => {
    await w?.close();
  });
  afterAll(async () => {
    await close?.();
  });

  const via = (node: TestGateway) => new Connector(node, w.connector.key);
  const createPool = async (max: number, members: string[]) =>
    (await nodes[0]!.ok('mutation($i: CapacityPoolInput!) { createCapacityPool(input: $i) { id } }', { i: { name: `Pool ${members[0]!.slice(0, 6)}`, maxSimultaneousCalls: max, externalDestinationIds: members } }, w.admin)).createCapacityPool.id as string;
  const poolLive = async (id: string) => (await nodes[1]!.ok('query($id: ID!) { capacityPool(id: $id) { live { connectingCalls activeCalls } } }', { id }, w.admin)).capacityPool.live;

  it('never holds more calls at a pool\'s members than the pool\'s maximum while 150 calls contend through both instances, and leaks no slot', async () => {
    const max = 4;
    const total = 150;
    const members = [await w.destination({ maxSimultaneousCalls: 10 }), await w.destination({ maxSimultaneousCalls: 10 })];
    const pool = await createPool(max, members);
    const queues = [await w.queue([{ groupId: await w.group([], members) }]), await w.queue([{ groupId: await w.group([], members) }])];
    const clients = [via(nodes[0]!), via(nodes[1]!)];
    let handled = 0;
    const work: Promise<unknown>[] = [];
    const seen = new Set<string>();
    const react = setInterval(() => {
      for (const i of w.connector.instructions) {
        if (i.kind !== 'DIAL_EXTERNAL' || seen.has(i.attemptId!)) continue;
        seen.add(i.attemptId!);
        const c = clients[handled++ % 2]!;
        work.push((async () => {
          await c.outcome(i.attemptId!, 'ANSWERED');
          await c.endCall(i.callId, 'COMPLETED');
        })());
      }
    }, 5);
    const db = new DataSource({ type: 'postgres', url: nodes[0]!.databaseUrl });
    await db.initialize();
    let highest = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await db.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = ANY($1) AND state IN ('RINGING', 'CONNECTED')`, [members]);
        highest = Math.max(highest, row.n);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      for (let i = 0; i < total; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, k) => clients[(i + k) % 2]!.enqueueOk(queues[(i + k) % 2]!)));
      }
      let ended = 0;
      await eventually(async () => {
        const [row] = await db.query(`SELECT COUNT(*)::int AS n FROM call WHERE "queueId" = ANY($1) AND state = 'ENDED'`, [queues]);
        ended = row.n;
        return ended === total;
      }, 120_000, { what: () => `only ${ended} of ${total} calls ended`, everyMs: 50 });
      await Promise.all(work);
    } finally {
      clearInterval(react);
      sampling = false;
      await sampler;
    }
    const [pooled] = await db.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "poolId" = $1`, [pool]);
    await db.destroy();
    expect(seen.size).toBe(total);
    expect(pooled.n).toBe(total);
    expect(highest).toBeGreaterThan(1);
    expect(highest).toBeLessThanOrEqual(max);
    expect(await poolLive(pool)).toEqual({ connectingCalls: 0, activeCalls: 0 });
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const stats = (await nodes[0]!.ok('query($id: ID!, $from: DateTime!, $to: DateTime!) { capacityPool(id: $id) { statistics(from: $from, to: $to) { offered answered peakSimultaneousCalls } } }', { id: pool, ...range }, w.admin)).capacityPool.statistics;
    expect(stats).toMatchObject({ offered: total, answered: total });
    expect(stats.peakSimultaneousCalls).toBeLessThanOrEqual(max);
  }, 150_000);

  it('gives back the pool\'s slots of an instance that stopped in the middle of its calls, once another instance times them out', async () => {
    const members = [await w.destination({ maxSimultaneousCalls: 5, outdialTimeoutSec: 5, noAnswerBackoffSec: 0 })];
    const pool = await createPool(2, members);
    const queue = await w.queue([{ groupId: await w.group([], members) }]);
    const second = via(nodes[1]!);
    const calls = [await second.enqueueOk(queue), await second.enqueueOk(queue)];
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && calls.some((c) => c.id === i.callId), 2);
    const waiting = await w.connector.enqueueOk(queue);
    expect(await poolLive(pool)).toEqual({ connectingCalls: 2, activeCalls: 0 });
    // Instance 2 stops; the ring timeouts of its attempts are fired by instance 1, which frees the pool's slots.
    await nodes[1]!.gateway.close();
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === waiting.id, 1, 30_000);
    const live = (await nodes[0]!.ok('query($id: ID!) { capacityPool(id: $id) { live { connectingCalls activeCalls } } }', { id: pool }, w.admin)).capacityPool.live;
    expect(live.connectingCalls + live.activeCalls).toBeLessThanOrEqual(2);
  });
});

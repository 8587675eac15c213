import { DataSource } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { clusterAvailable, Connector, eventually, RoutingWorld, startCluster } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

const cluster = clusterAvailable() ? describe : describe.skip;

cluster('several gateway instances over one PostgreSQL and one Redis', () => {
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

  /** A connector client of another instance, with the same key (for its mutations; it does not subscribe). */
  const via = (node: TestGateway) => new Connector(node, w.connector.key);

  it('lets exactly one of many calls racing on two instances take the last slot', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 1 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const clients = [via(nodes[0]!), via(nodes[1]!)];
    const calls = await Promise.all(Array.from({ length: 20 }, (_, i) => clients[i % 2]!.enqueueOk(queue)));
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL');
    // What the race left is in the system of record: one attempt among the 20 calls, the one dialled.
    const attempts = (await Promise.all(calls.map(async (c) => (await w.call(c.id)).attempts as Array<{ id: string }>))).flat();
    expect(attempts.map((a) => a.id)).toEqual([dial!.attemptId]);
    expect(w.connector.of('DIAL_EXTERNAL')).toEqual([dial]);
    expect(await w.destinationLive(destination)).toMatchObject({ state: 'AT_CAPACITY', connectingCalls: 1, activeCalls: 0 });
  });

  it('admits no more than the maximum through 300 contested calls on two instances and leaks no slot', async () => {
    const max = 5;
    const total = 300;
    const destination = await w.destination({ maxSimultaneousCalls: max });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const clients = [via(nodes[0]!), via(nodes[1]!)];
    // The connector answers every dial at once and ends the call right after, on alternating instances.
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
    // Meanwhile, an independent reader samples the attempts open in the database: never more than `max`.
    const db = new DataSource({ type: 'postgres', url: nodes[0]!.databaseUrl });
    await db.initialize();
    let highest = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [row] = await db.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1 AND state IN ('RINGING', 'CONNECTED')`, [destination]);
        highest = Math.max(highest, row.n);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    try {
      for (let i = 0; i < total; i += 100) {
        await Promise.all(Array.from({ length: 100 }, (_, k) => clients[(i + k) % 2]!.enqueueOk(queue)));
      }
      let ended = 0;
      await eventually(async () => {
        const [row] = await db.query(`SELECT COUNT(*)::int AS n FROM call WHERE "queueId" = $1 AND state = 'ENDED'`, [queue]);
        ended = row.n;
        return ended === total;
      }, 120_000, { what: () => `only ${ended} of ${total} calls ended`, everyMs: 50 });
      await Promise.all(work);
    } finally {
      clearInterval(react);
      sampling = false;
      await sampler;
    }
    const [attempts] = await db.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1`, [destination]);
    await db.destroy();
    expect(seen.size).toBe(total);
    expect(attempts.n).toBe(total);
    expect(highest).toBeGreaterThan(0);
    expect(highest).toBeLessThanOrEqual(max);
    expect(await w.destinationLive(destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0, state: 'AVAILABLE' });
  // A fixed amount of work (300 calls through two instances, sixty rounds of the limit): about 10 s alone on the
  // 2-core machine; the deadline leaves room for a busy one. Thousands of contested calls are the fault suite's soak.
  }, 150_000);

  it('fires the ring timeout of an instance that stopped on another instance, once', async () => {
    const destination = await w.destination({ outdialTimeoutSec: 5, noAnswerBackoffSec: 0 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    // Instance 2 dials and then stops; its ring timer lives in Redis and instance 1 fires it.
    const call = await via(nodes[1]!).enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    await nodes[1]!.gateway.close();
    const [cancel] = await w.connector.waitFor((i) => i.kind === 'CANCEL_ATTEMPT' && i.callId === call.id, 1, 30_000);
    expect(cancel!.attemptId).toBe(dial!.attemptId);
    // An instruction the remaining instance issues later (a call rung on an agent) comes after any second cancel it sent.
    const marker = await w.connector.enqueueOk(await w.queue([{ groupId: await w.group([await w.agent(`Marker ${randomUUID().slice(0, 4)}`)]) }]));
    await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === marker.id);
    expect(w.connector.of('CANCEL_ATTEMPT', call.id)).toHaveLength(1);
    const view = await w.call(call.id);
    expect(view.attempts[0]).toMatchObject({ state: 'NO_ANSWER' });
    expect(view.trace.filter((e: any) => e.step === 'RING_TIMEOUT')).toHaveLength(1);
  });
});

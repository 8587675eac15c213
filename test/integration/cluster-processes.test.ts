import { randomUUID } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { createScratchDatabase } from '../support/postgres';
import { ensureBuilt, GatewayProcess, PrivateRedis, redisServerInstalled, WatchedSubscription } from '../support/processes';
import { uniquePrefix } from '../support/redis';
import { Connector, RoutingWorld, type Instruction } from '../support/telephony';
import { JWT_SECRET, PLATFORM_KEY } from '../support/test-gateway';

/**
 * Two gateway processes (`node dist/src/main.js`, configured from the environment as in production) over one
 * scratch PostgreSQL database and one private redis-server, both started here. The Redis is the suite's own,
 * so stopping it disturbs no other suite.
 */

const skipReason = process.env.POSTGRES_SUITES !== 'on' ? 'no PostgreSQL' : !redisServerInstalled() ? 'no redis-server binary' : null;
const suite = skipReason === null ? describe : describe.skip;

jest.setTimeout(45_000);

/** Fails with the errors of a GraphQL answer that has them. */
function expectOk<T extends { errors?: unknown }>(res: T): T {
  if (res.errors) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
  return res;
}

/** A pause in what a connector or a caller does (its retry interval, a call's length, arrivals spread out). */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a mutation until it is acknowledged (attempt `k` = 0, 1, ...), within `timeoutMs`; returns the answer. */
async function retrying<T extends { errors?: unknown }>(what: string, send: (k: number) => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let k = 0; ; k += 1) {
    let last: unknown;
    try {
      const res = await send(k);
      if (!res.errors) return res;
      last = res.errors;
    } catch (error) {
      last = String(error);
    }
    if (Date.now() > deadline) throw new Error(`${what} was never acknowledged: ${JSON.stringify(last)}`);
    await sleep(200);
  }
}

/** Polls until `check` holds; the failure says `explain()`. */
async function eventuallyTrue(check: () => Promise<boolean>, timeoutMs = 10_000, explain?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not reached in ${timeoutMs} ms${explain ? `: ${await explain()}` : ''}`);
    await sleep(50);
  }
}

const INSTRUCTIONS = 'subscription { telephonyInstructions { instructionId kind callId attemptId agentId destinationId number ringTimeoutSec message } }';
const DESTINATION_UPDATES = 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId seq state connectingCalls activeCalls } }';

interface DestinationLive {
  destinationId: string;
  seq: number;
  state: string;
  connectingCalls: number;
  activeCalls: number;
}

suite(`two gateway processes over one PostgreSQL and one Redis${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let redis: PrivateRedis;
  let db: { url: string; drop: () => Promise<void> };
  let sql: PgClient;
  let env: Record<string, string>;
  const nodes: Record<'A' | 'B', GatewayProcess | null> = { A: null, B: null };
  /** Everything a test opened, closed after it. */
  let opened: Array<{ close(): Promise<void> }> = [];

  const node = (name: 'A' | 'B'): GatewayProcess => nodes[name]!;

  /** Starts the instances that are not running (the first start migrates; a test may have killed one). */
  async function ensureUp(): Promise<void> {
    for (const name of ['A', 'B'] as const) {
      if (nodes[name]?.alive) continue;
      nodes[name] = await GatewayProcess.start(name, env);
    }
  }

  beforeAll(async () => {
    await ensureBuilt();
    redis = await PrivateRedis.start();
    db = await createScratchDatabase();
    sql = new PgClient({ connectionString: db.url });
    await sql.connect();
    env = {
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: uniquePrefix(),
      PLATFORM_API_KEY: PLATFORM_KEY,
      JWT_SECRET,
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
    };
    await ensureUp();
  }, 300_000);

  beforeEach(async () => {
    await ensureUp();
  });

  afterEach(async () => {
    await Promise.allSettled(opened.map((o) => o.close()));
    opened = [];
  });

  afterAll(async () => {
    await Promise.allSettled([nodes.A?.kill('SIGKILL'), nodes.B?.kill('SIGKILL')]);
    await redis?.dispose();
    await sql?.end().catch(() => undefined);
    await db?.drop();
  });

  /** A company provisioned through A, and its connector's instruction stream held on A. */
  async function world(): Promise<{ w: RoutingWorld; key: string; instructions: WatchedSubscription<Instruction> }> {
    const w = await RoutingWorld.create(node('A').client);
    // The fixture's connector cannot say whether its stream ended; this suite watches its own instead.
    await w.connector.close();
    const key = w.connector.key;
    const instructions = await WatchedSubscription.open<Instruction>(node('A').url, key, INSTRUCTIONS, 'telephonyInstructions');
    opened.push(instructions);
    return { w, key, instructions };
  }

  /** The connector's mutations sent to one instance. */
  const via = (name: 'A' | 'B', key: string) => new Connector(node(name).client, key);

  async function destinationUpdates(name: 'A' | 'B', token: string, destinationId: string): Promise<WatchedSubscription<DestinationLive>> {
    const s = await WatchedSubscription.open<DestinationLive>(node(name).url, token, DESTINATION_UPDATES, 'externalDestinationUpdates', { ids: [destinationId] });
    opened.push(s);
    return s;
  }

  async function liveOn(name: 'A' | 'B', token: string, destinationId: string): Promise<{ connectingCalls: number; activeCalls: number; state: string }> {
    const data = await node(name).client.ok('query($id: ID!) { externalDestination(id: $id) { live { state connectingCalls activeCalls } } }', { id: destinationId }, token);
    return data.externalDestination.live;
  }

  async function openAttemptsInDatabase(destinationId: string): Promise<number> {
    const { rows } = await sql.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1 AND state IN ('RINGING', 'CONNECTED')`, [destinationId]);
    return rows[0].n;
  }

  /** The attempts of calls (one each here), in the order of `callIds`. */
  async function attemptRows(callIds: string[]): Promise<Array<{ callId: string; state: string; outcome: string | null; answered: boolean }>> {
    const { rows } = await sql.query(`SELECT "callId", state, outcome, "answeredAt" IS NOT NULL AS answered FROM call_attempt WHERE "callId" = ANY($1)`, [callIds]);
    return callIds.flatMap((id) => rows.filter((r) => r.callId === id));
  }

  /**
   * A connector that answers each dial it receives and completes the call `holdMs` later, its mutations
   * alternating between the instances; a mutation refused (an error, or no answer) is sent again with the
   * same eventId, to the other instance, until acknowledged, as a real connector does. It counts what was
   * acknowledged per call.
   */
  function answeringConnector(stream: WatchedSubscription<Instruction>, clients: Connector[], holdMs: number) {
    const failures: string[] = [];
    const seen = new Set<string>();
    const answered = new Map<string, number>();
    const work = new Set<Promise<unknown>>();
    let turn = 0;
    const timer = setInterval(() => {
      for (const i of stream.events) {
        if (i.kind !== 'DIAL_EXTERNAL' || seen.has(i.attemptId!)) continue;
        seen.add(i.attemptId!);
        const first = turn++;
        const answer = randomUUID();
        const end = randomUUID();
        const job: Promise<unknown> = (async () => {
          await retrying(`answer ${i.attemptId}`, (k) => clients[(first + k) % 2]!.outcome(i.attemptId!, 'ANSWERED', answer));
          answered.set(i.callId, (answered.get(i.callId) ?? 0) + 1);
          await sleep(holdMs);
          await retrying(`end ${i.callId}`, (k) => clients[(first + 1 + k) % 2]!.endCall(i.callId, 'COMPLETED', end));
        })()
          .catch((e: Error) => failures.push(e.message))
          .finally(() => work.delete(job));
        work.add(job);
      }
    }, 10);
    return {
      failures,
      answered,
      /** Whether it has no mutation in progress. */
      idle: () => work.size === 0,
      stop: async () => {
        clearInterval(timer);
        await Promise.all([...work]);
      },
    };
  }

  const lastHour = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

  /** A destination's statistics for the last hour, read from instance A. */
  async function destinationFigures(token: string, id: string): Promise<Record<string, number>> {
    const data = await node('A').client.ok(
      'query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { offered callsHandled answered noAnswer busy failed cancelledByCaller } }',
      { id, ...lastHour() }, token,
    );
    return data.externalDestinationStats;
  }

  /** A queue's statistics for the last hour, read from instance A. */
  async function queueFigures(token: string, id: string): Promise<Record<string, number>> {
    const data = await node('A').client.ok(
      'query($id: ID!, $from: DateTime!, $to: DateTime!) { queueStats(id: $id, from: $from, to: $to) { offered answeredByExternal abandoned } }',
      { id, ...lastHour() }, token,
    );
    return data.queueStats;
  }

  const dialOf = (callId: string) => (i: Instruction) => i.kind === 'DIAL_EXTERNAL' && i.callId === callId;

  it('shows a call routed through instance B on a subscription held on instance A, and gives A\'s connector the dial', async () => {
    const { w, key, instructions } = await world();
    const destination = await w.destination({ maxSimultaneousCalls: 5 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const updates = await destinationUpdates('A', w.admin, destination);

    const call = await via('B', key).enqueueOk(queue);
    expect(call.state).toBe('OFFERING');

    const [seen] = await updates.waitFor((e) => e.destinationId === destination && e.connectingCalls === 1);
    expect(seen).toMatchObject({ activeCalls: 0 });
    const [dial] = await instructions.waitFor(dialOf(call.id));
    expect(dial).toMatchObject({ destinationId: destination, number: '+442079460958' });
    const view = await w.call(call.id);
    expect(view.attempts).toHaveLength(1);
    expect(view.attempts[0]).toMatchObject({ id: dial!.attemptId, state: 'RINGING' });
    expect(updates.ended).toBeNull();
  });

  it('never lets more calls than the maximum be open at a destination while 100 calls contend through both instances', async () => {
    const max = 2;
    const total = 100;
    const { w, key, instructions } = await world();
    const destination = await w.destination({ maxSimultaneousCalls: max });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const clients = [via('A', key), via('B', key)];

    // The connector answers each dial and completes the call right after, its mutations alternating between instances.
    const failures: string[] = [];
    const handled = new Set<string>();
    const work: Array<Promise<void>> = [];
    const react = setInterval(() => {
      for (const i of instructions.events) {
        if (i.kind !== 'DIAL_EXTERNAL' || handled.has(i.attemptId!)) continue;
        const c = clients[handled.size % 2]!;
        handled.add(i.attemptId!);
        work.push((async () => {
          const answered = await c.outcome(i.attemptId!, 'ANSWERED');
          if (answered.errors) failures.push(`outcome of ${i.attemptId}: ${JSON.stringify(answered.errors)}`);
          const ended = await c.endCall(i.callId, 'COMPLETED');
          if (ended.errors) failures.push(`endCall of ${i.callId}: ${JSON.stringify(ended.errors)}`);
        })());
      }
    }, 5);
    // An independent reader samples the attempts open in the database the whole time.
    let highest = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        highest = Math.max(highest, await openAttemptsInDatabase(destination));
        await sleep(2);
      }
    })();
    try {
      const calls = await Promise.all(Array.from({ length: total }, (_, k) => clients[k % 2]!.enqueueOk(queue)));
      expect(new Set(calls.map((c) => c.id)).size).toBe(total);
      let ended = 0;
      await eventuallyTrue(async () => {
        ended = (await sql.query(`SELECT COUNT(*)::int AS n FROM call WHERE "queueId" = $1 AND state = 'ENDED'`, [queue])).rows[0].n;
        return ended === total;
      }, 30_000, async () => `only ${ended} of ${total} calls ended; ${failures.length} failed mutations: ${failures.slice(0, 3).join('; ')}`);
      await Promise.all(work);
    } finally {
      clearInterval(react);
      sampling = false;
      await sampler;
    }
    expect(failures).toEqual([]);
    expect(handled.size).toBe(total);
    expect(highest).toBe(max);
    const { rows } = await sql.query(`SELECT state, COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1 GROUP BY state`, [destination]);
    expect(rows).toEqual([{ state: 'COMPLETED', n: total }]);
    expect(await liveOn('A', w.admin, destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0, state: 'AVAILABLE' });
    expect(await liveOn('B', w.admin, destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0, state: 'AVAILABLE' });
  });

  it('keeps serving on A when B is killed with SIGKILL in the middle of calls, times out B\'s ringing attempts, loses nothing B acknowledged and counts each outcome once in the statistics', async () => {
    const { w, key, instructions } = await world();
    // A retry interval longer than the test: a call whose attempt timed out waits instead of being dialled again.
    const destination = await w.destination({ maxSimultaneousCalls: 10, outdialTimeoutSec: 5, noAnswerBackoffSec: 0, retryIntervalSec: 60 });
    // Its slots are also a capacity pool's (decision 038): those B took must come back with the destination's.
    const pool = (await w.t.ok('mutation($i: CapacityPoolInput!) { createCapacityPool(input: $i) { id } }', { i: { name: `Killed ${destination.slice(0, 6)}`, maxSimultaneousCalls: 10, externalDestinationIds: [destination] } }, w.admin)).createCapacityPool.id;
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const updates = await destinationUpdates('A', w.admin, destination);
    const onA = via('A', key);
    const onB = via('B', key);

    const calls: Array<{ id: string }> = [];
    for (let k = 0; k < 5; k += 1) calls.push(await onB.enqueueOk(queue));
    const dials = await Promise.all(calls.map(async (c) => (await instructions.waitFor(dialOf(c.id)))[0]!));
    // Acknowledged by B: call 0 answered and completed, calls 1 and 2 answered; calls 3 and 4 still ring.
    const answerEvents = dials.map(() => randomUUID());
    for (const k of [0, 1, 2]) expectOk(await onB.outcome(dials[k]!.attemptId!, 'ANSWERED', answerEvents[k]));
    expectOk(await onB.endCall(calls[0]!.id, 'COMPLETED'));
    const acknowledged = await attemptRows(calls.slice(0, 3).map((c) => c.id));
    expect(acknowledged.map((r) => [r.state, r.outcome])).toEqual([['COMPLETED', 'ANSWERED'], ['CONNECTED', 'ANSWERED'], ['CONNECTED', 'ANSWERED']]);

    const exit = await node('B').kill('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');

    // A still answers, and nothing B acknowledged is lost.
    expect(await node('A').readyz()).toBe(200);
    expect(await attemptRows(calls.slice(0, 3).map((c) => c.id))).toEqual(acknowledged);
    expect((await w.call(calls[0]!.id)).state).toBe('ENDED');
    // Subscriptions on A go on: the one held across the kill, and a new one.
    const heldBefore = updates.events.length;
    const fresh = await destinationUpdates('A', w.admin, destination);

    // The connector carries on with A alone. It cannot know whether B's last acknowledgement reached it, so it sends
    // call 2's answer again, with the same event id: acknowledged, and applied once.
    expectOk(await onA.outcome(dials[2]!.attemptId!, 'ANSWERED', answerEvents[2]));
    expectOk(await onA.endCall(calls[1]!.id, 'COMPLETED'));
    expectOk(await onA.endCall(calls[2]!.id, 'CALLER_HUNG_UP'));
    expectOk(await onA.outcome(dials[3]!.attemptId!, 'ANSWERED'));
    expectOk(await onA.endCall(calls[3]!.id, 'COMPLETED'));
    await updates.waitFor(() => true, heldBefore + 1);
    await fresh.waitFor((e) => e.activeCalls === 0);
    expect(updates.ended).toBeNull();

    // Call 4 was never answered: its ring timeout, scheduled by B, is fired by A, once.
    const [cancel] = await instructions.waitFor((i) => i.kind === 'CANCEL_ATTEMPT' && i.callId === calls[4]!.id, 1, 10_000);
    expect(cancel!.attemptId).toBe(dials[4]!.attemptId);
    const timedOut = await w.call(calls[4]!.id);
    expect(timedOut.state).toBe('QUEUED');
    expect(timedOut.attempts).toEqual([expect.objectContaining({ id: dials[4]!.attemptId, state: 'NO_ANSWER', outcome: 'NO_ANSWER' })]);
    expect(timedOut.trace.filter((e: { step: string }) => e.step === 'RING_TIMEOUT')).toHaveLength(1);
    expectOk(await onA.endCall(calls[4]!.id, 'CALLER_HUNG_UP'));

    // Every call ended: no slot is left, in Redis or in the database.
    const { rows } = await sql.query(`SELECT state, "endReason" FROM call WHERE id = ANY($1) ORDER BY "enqueuedAt"`, [calls.map((c) => c.id)]);
    expect(rows).toEqual([
      { state: 'ENDED', endReason: 'COMPLETED' },
      { state: 'ENDED', endReason: 'COMPLETED' },
      { state: 'ENDED', endReason: 'CALLER_HUNG_UP' },
      { state: 'ENDED', endReason: 'COMPLETED' },
      { state: 'ABANDONED', endReason: 'CALLER_HUNG_UP' },
    ]);
    expect(await openAttemptsInDatabase(destination)).toBe(0);
    expect(await liveOn('A', w.admin, destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0 });
    expect((await w.t.ok('query($id: ID!) { capacityPool(id: $id) { live { connectingCalls activeCalls } } }', { id: pool }, w.admin)).capacityPool.live).toEqual({ connectingCalls: 0, activeCalls: 0 });
    expect((await attemptRows(calls.slice(0, 3).map((c) => c.id))).map((r) => r.outcome)).toEqual(['ANSWERED', 'ANSWERED', 'ANSWERED']);

    // The statistics, read from A, count what B acknowledged before it died once, and the rest once.
    expect(await destinationFigures(w.admin, destination)).toEqual({ offered: 5, callsHandled: 5, answered: 4, noAnswer: 1, busy: 0, failed: 0, cancelledByCaller: 0 });
    expect(await queueFigures(w.admin, queue)).toEqual({ offered: 5, answeredByExternal: 4, abandoned: 1 });
  });

  /**
   * What "converge to the truth" means after Redis restarts empty (it keeps nothing: no persistence). Slot
   * leases, ring timers, health, sequence numbers and instruction claims vanish with it. So for as long as
   * the calls in flight at the restart last, the live counts under-report what the database says is open
   * (the maximum is not enforced against those calls), and an attempt that was ringing has no ring timer any
   * more. Converging means: once those calls end (answered and completed by the connector, or, for a call
   * the outage left ringing with no dial ever delivered, when its caller hangs up), new calls route again;
   * the live counts read back on both instances equal the attempts the database has open for the
   * destination; and no event was applied twice, although the connector re-sent every mutation the outage
   * refused with the same eventId: each acknowledged outcome appears once in its call's trace, each call
   * ended once. The subscriptions held on A across the restart deliver the changes made after it.
   */
  it('converges to the database after a Redis restart during traffic: subscriptions resume, calls route again, live counts match, no event is applied twice and the statistics count each answer once', async () => {
    const { w, key, instructions } = await world();
    const destination = await w.destination({ maxSimultaneousCalls: 3 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const updates = await destinationUpdates('A', w.admin, destination);
    const clients = [via('A', key), via('B', key)];
    const connector = answeringConnector(instructions, clients, 300);
    let enqueued = 0;
    /** How many times each call was sent, and which were acknowledged. */
    const sends = new Map<number, number>();
    const acknowledged = new Set<number>();
    const enqueue = (n: number) => {
      enqueued += 1;
      return retrying(`enqueue ${n}`, (k) => {
        sends.set(n, k + 1);
        return clients[(n + k) % 2]!.enqueue(queue, { connectorCallId: `restart-${n}` });
      }).then((res) => {
        acknowledged.add(n);
        return res;
      });
    };

    try {
      // Traffic: more calls than slots, so some wait in the queue; Redis stops once calls are connected.
      const before = Array.from({ length: 8 }, (_, n) => sleep(n * 80).then(() => enqueue(n)));
      await eventuallyTrue(async () => (await sql.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1 AND state = 'CONNECTED'`, [destination])).rows[0].n >= 1);
      expect(await redis.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      // Calls keep arriving while Redis is away; the connector keeps re-sending what is refused: Redis comes
      // back once each of them was refused at least once.
      const during = [8, 9].map((n) => enqueue(n));
      await eventuallyTrue(async () => [8, 9].every((n) => acknowledged.has(n) || (sends.get(n) ?? 0) >= 2), 30_000, async () => `sends during the outage: ${JSON.stringify([...sends])}`);
      await redis.start();
      const restartedAt = { instructions: instructions.events.length, updates: updates.events.length };
      const after = Array.from({ length: 6 }, (_, n) => sleep(n * 80).then(() => enqueue(10 + n)));
      await Promise.all([...before, ...during, ...after]);

      // Every call ends as the connector completes it: a dial the outage kept from the connector is delivered
      // again (decision 023), and a call waiting behind it is offered once that one is done. No caller has to
      // hang up (before instructions were delivered at least once, the test hung up the calls left ringing).
      await eventuallyTrue(async () => (await node('A').readyz()) === 200 && (await node('B').readyz()) === 200, 15_000, async () => 'instances not ready after the restart');
      await eventuallyTrue(
        async () => connector.idle() && (await sql.query(`SELECT 1 FROM call WHERE "queueId" = $1 AND state NOT IN ('ENDED', 'ABANDONED') LIMIT 1`, [queue])).rows.length === 0,
        90_000,
        async () => `calls still open: ${JSON.stringify((await sql.query(`SELECT id, state FROM call WHERE "queueId" = $1 AND state NOT IN ('ENDED', 'ABANDONED')`, [queue])).rows)}`,
      );
      await connector.stop();
      expect(connector.failures).toEqual([]);
      // The streams held on A since before the restart go on: dials and live updates issued after it arrived.
      expect(instructions.events.slice(restartedAt.instructions).filter((i) => i.kind === 'DIAL_EXTERNAL').length).toBeGreaterThan(0);
      expect(updates.events.length).toBeGreaterThan(restartedAt.updates);
      expect(instructions.ended).toBeNull();
      expect(updates.ended).toBeNull();

      // One call per connectorCallId, each ended once; each acknowledged outcome applied once.
      const { rows: calls } = await sql.query(`SELECT id FROM call WHERE "queueId" = $1`, [queue]);
      expect(calls).toHaveLength(enqueued);
      for (const { id } of calls) {
        const view = await w.call(id);
        const steps = (step: string) => view.trace.filter((e: { step: string }) => e.step === step).length;
        expect({ id, state: view.state, outcomes: steps('OUTCOME'), ends: steps('ENDED') })
          .toEqual({ id, state: 'ENDED', outcomes: connector.answered.get(id) ?? 0, ends: 1 });
      }
    } finally {
      await connector.stop();
      if (!redis.running) await redis.start();
    }
    expect(await openAttemptsInDatabase(destination)).toBe(0);

    // Calls route again, and with two of them connected the live counts equal the database's open attempts.
    const live = [await clients[1]!.enqueueOk(queue), await clients[0]!.enqueueOk(queue)];
    const dials = await Promise.all(live.map(async (c) => (await instructions.waitFor(dialOf(c.id)))[0]!));
    for (const [k, d] of dials.entries()) expectOk(await clients[k % 2]!.outcome(d.attemptId!, 'ANSWERED'));
    expect(await openAttemptsInDatabase(destination)).toBe(2);
    for (const name of ['A', 'B'] as const) expect(await liveOn(name, w.admin, destination)).toMatchObject({ connectingCalls: 0, activeCalls: 2 });
    await updates.waitFor((e) => e.activeCalls === 2);
    for (const c of live) expectOk(await clients[0]!.endCall(c.id, 'COMPLETED'));
    expect(await openAttemptsInDatabase(destination)).toBe(0);
    for (const name of ['A', 'B'] as const) expect(await liveOn(name, w.admin, destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0, state: 'AVAILABLE' });
    expect([node('A').alive, node('B').alive]).toEqual([true, true]);

    // The statistics, computed from the records, count every acknowledged answer once, whatever the connector re-sent
    // during the outage: the answers it counted, and the two calls after it.
    const answeredByConnector = [...connector.answered.values()].reduce((sum, n) => sum + n, 0) + live.length;
    const { rows: [attempts] } = await sql.query(`SELECT COUNT(*)::int AS offered, COUNT(DISTINCT "callId")::int AS calls FROM call_attempt WHERE "destinationId" = $1`, [destination]);
    expect(await destinationFigures(w.admin, destination)).toMatchObject({ offered: attempts.offered, callsHandled: attempts.calls, answered: answeredByConnector });
    expect(await queueFigures(w.admin, queue)).toEqual({ offered: enqueued + live.length, answeredByExternal: answeredByConnector, abandoned: 0 });
  }, 180_000);

  /*
   * Publications are fire-and-forget (the Redis event target does not await them). While Redis is
   * unreachable the publish fails, and that must not become an unhandled rejection, which ends a Node
   * process (exit code 1). A call refused by a full queue publishes DISCONNECT with no Redis command before
   * it, so it reaches the publish during the outage.
   */
  it('keeps running when it refuses a call for a full queue while Redis is unreachable', async () => {
    const { w, key } = await world();
    const queue = await w.queue([{ groupId: await w.group([], []) }], { maxQueueLength: 1 });
    expect((await via('A', key).enqueueOk(queue)).state).toBe('QUEUED');
    /** The messages A logged since `since` (ms since the epoch). */
    const loggedSince = (since: number): string[] =>
      node('A').output().split('\n').flatMap((line) => {
        try {
          const entry = JSON.parse(line) as { time?: number; msg?: string };
          return entry.time !== undefined && entry.time >= since && entry.msg !== undefined ? [entry.msg] : [];
        } catch {
          return [];
        }
      });
    try {
      await redis.stop('SIGTERM');
      const refusedAt = Date.now();
      expect(await via('A', key).enqueueOk(queue)).toMatchObject({ state: 'FAILED', endReason: 'QUEUE_FULL' });
      // What the refusal started in the background (the DISCONNECT for the connector, the queue's live update)
      // fails for want of Redis while it is away: each failure is reported as handled, and A runs on.
      const handled = ['addressing a telephony instruction failed', 'publishing a live update failed'];
      await eventuallyTrue(async () => !node('A').alive || handled.every((m) => loggedSince(refusedAt).includes(m)), 15_000,
        async () => `A logged since the refusal: ${JSON.stringify(loggedSince(refusedAt).filter((m) => !/connection error|command failed/.test(m)))}`);
      expect(node('A').exit).toBeNull();
    } finally {
      await redis.start();
    }
    // Ready again once its Redis connections are back (reconnects back off up to 5 s): the same process, which
    // ran all through the outage.
    await eventuallyTrue(async () => (await node('A').readyz()) === 200, 15_000, async () => `A did not become ready again (exit ${JSON.stringify(node('A').exit)})`);
    expect(node('A').exit).toBeNull();
  });

  /*
   * Ring timers live in Redis (the timer store); when Redis comes back empty the timer is gone. The
   * database sweep of overdue ringing attempts (ring time plus a 5 s grace, checked every 5 s) times the
   * attempt out instead, under the same event id as the timer (so once).
   */
  it('still times out an attempt that was ringing when Redis restarted empty', async () => {
    // The previous test restarted Redis: start once both instances report ready (every Redis connection up,
    // so the dial below is not published before the subscriber's channel is back).
    await eventuallyTrue(async () => (await node('A').readyz()) === 200 && (await node('B').readyz()) === 200, 15_000, async () => 'instances not ready');
    const { w, key, instructions } = await world();
    const destination = await w.destination({ outdialTimeoutSec: 5, retryIntervalSec: 60 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await via('B', key).enqueueOk(queue);
    const [dial] = await instructions.waitFor(dialOf(call.id));
    const dialledAt = Date.now();
    try {
      await redis.stop('SIGTERM');
      await redis.start();
      // The ring time ends 5 s after the dial; allow for the instances' reconnection (backing off up to 5 s).
      await eventuallyTrue(async () => (await attemptRows([call.id]))[0]!.state !== 'RINGING', dialledAt + 25_000 - Date.now(),
        async () => `the attempt is still ${JSON.stringify(await attemptRows([call.id]))}, ${Math.round((Date.now() - dialledAt) / 1000)} s after its dial`);
      expect(await attemptRows([call.id])).toEqual([expect.objectContaining({ state: 'NO_ANSWER', outcome: 'NO_ANSWER' })]);
      expect((await w.call(call.id)).trace.filter((e: { step: string }) => e.step === 'RING_TIMEOUT')).toHaveLength(1);
      expect(dial!.ringTimeoutSec).toBe(5);
    } finally {
      const eventId = randomUUID();
      await retrying(`hang up ${call.id}`, (k) => via(k % 2 === 0 ? 'A' : 'B', key).endCall(call.id, 'CALLER_HUNG_UP', eventId));
    }
  });
});


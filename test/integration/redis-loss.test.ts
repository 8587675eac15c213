import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/gateway';
import { redisKeys } from '../../src/store/redis-keys';
import { until } from '../support/conditions';
import { createScratchDatabase } from '../support/postgres';
import { PrivateRedis, redisServerInstalled } from '../support/processes';
import { uniquePrefix } from '../support/redis';
import { Connector, fast, RoutingWorld } from '../support/telephony';
import { clientFor, JWT_SECRET, PLATFORM_KEY, type TestGateway } from '../support/test-gateway';

/*
 * Decision 022: two in-process gateway instances over one scratch PostgreSQL database and a redis-server of
 * this suite's own. The Redis is stopped and started again empty while calls ring and talk; the live state is
 * rebuilt from the system of record before anything is acquired again.
 */

const skipReason = process.env.POSTGRES_SUITES !== 'on' ? 'no PostgreSQL' : !redisServerInstalled() ? 'no redis-server binary' : null;
const suite = skipReason === null ? describe : describe.skip;

jest.setTimeout(90_000);

const OPEN_OF = `SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1 AND state IN ('RINGING', 'CONNECTED')`;

suite(`live state after an empty Redis restart${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let redis: PrivateRedis;
  let db: { url: string; drop: () => Promise<void> };
  let sql: DataSource;
  let prefix: string;
  const nodes: TestGateway[] = [];
  let w: RoutingWorld;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    db = await createScratchDatabase();
    prefix = uniquePrefix();
    for (let i = 0; i < 2; i += 1) {
      const config = loadConfig({
        NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix,
        PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false',
      });
      const gateway = await createGateway(config, fast());
      nodes.push(clientFor(gateway, db.url, () => gateway.close()));
    }
    sql = new DataSource({ type: 'postgres', url: db.url });
    await sql.initialize();
    w = await RoutingWorld.create(nodes[0]!);
  });

  afterAll(async () => {
    await w?.close();
    for (const n of nodes) await n.close();
    await sql?.destroy();
    await db?.drop();
    await redis?.dispose();
  });

  /** A connector client of an instance, with the world's key (for its mutations; it does not subscribe). */
  const via = (node: TestGateway) => new Connector(node, w.connector.key);

  /** Enqueues a call through `node`, again with the same connectorCallId until it is acknowledged (Redis may be coming back). */
  async function enqueueRetrying(node: TestGateway, queueId: string): Promise<string> {
    const connectorCallId = randomUUID();
    let last: unknown = null;
    return until(async () => {
      const res = await via(node).enqueue(queueId, { connectorCallId }).catch((error: unknown) => ({ errors: [String(error)], data: undefined }));
      last = res.errors ?? null;
      return res.errors ? null : res.data!.enqueueCall.id;
    }, { timeoutMs: 30_000, everyMs: 100, what: () => `enqueueing through an instance: ${JSON.stringify(last)}` });
  }

  const openOf = async (destinationId: string) => (await sql.query(OPEN_OF, [destinationId]))[0].n as number;
  const dialsTo = (destinationId: string) => w.connector.of('DIAL_EXTERNAL').filter((i) => i.destinationId === destinationId);

  it('rebuilds leases, agents held for calls and back-offs before anything is acquired again', async () => {
    const companyId = w.company.id;
    const limited = await w.destination({ maxSimultaneousCalls: 2, outdialTimeoutSec: 300 });
    const busy = await w.destination({ outdialTimeoutSec: 300, busyBackoffSec: 3_600 });
    const queue = await w.queue([{ groupId: await w.group([], [limited]) }]);
    const busyQueue = await w.queue([{ groupId: await w.group([], [busy]) }]);
    const agentId = await w.agent(`Agent ${randomUUID().slice(0, 4)}`);
    const agentQueue = await w.queue([{ groupId: await w.group([agentId]) }], { agentRingTimeoutSec: 300 });

    // Two calls on the destination limited to 2: one answered, one ringing.
    const first = await via(nodes[0]!).enqueueOk(queue);
    const second = await via(nodes[1]!).enqueueOk(queue);
    const dials = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.destinationId === limited, 2);
    expect(dials.map((d) => d.callId).sort()).toEqual([first.id, second.id].sort());
    const answered = dials.find((d) => d.callId === first.id)!;
    expect((await via(nodes[0]!).outcome(answered.attemptId!, 'ANSWERED')).errors).toBeUndefined();
    // A destination backed off for an hour by a BUSY.
    const toBusy = await via(nodes[1]!).enqueueOk(busyQueue);
    const [busyDial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === toBusy.id);
    expect((await via(nodes[1]!).outcome(busyDial!.attemptId!, 'BUSY')).errors).toBeUndefined();
    const backedOffUntil = (await nodes[0]!.gateway.live.health.getMany(companyId, [busy])).get(busy)!.backedOffUntil;
    expect(backedOffUntil).not.toBeNull();
    // An agent ringing with a call.
    const ringing = await via(nodes[0]!).enqueueOk(agentQueue);
    await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === ringing.id);
    const ref = { companyId, destinationId: limited };
    expect(await nodes[0]!.gateway.live.capacity.counts(ref)).toEqual({ connecting: 1, active: 1 });

    // Meanwhile, an independent reader samples the attempts of the limited destination open in the database.
    let highest = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        highest = Math.max(highest, await openOf(limited));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      // Redis restarts empty.
      await redis.stop('SIGKILL');
      await redis.start();

      // More calls at once, through both instances: the limited destination has no slot for them.
      const waiting = await Promise.all([enqueueRetrying(nodes[0]!, queue), enqueueRetrying(nodes[1]!, queue), enqueueRetrying(nodes[1]!, queue)]);
      const toBackedOff = await enqueueRetrying(nodes[0]!, busyQueue);

      // The generation is back, both instances work in it, and the leases are those of the open attempts.
      const key = redisKeys(prefix).liveGeneration();
      await until(async () => nodes.every((n) => n.gateway.live.generation.isReady()) && (await nodes[0]!.gateway.live.generation.read()) !== null, {
        timeoutMs: 30_000, what: `the generation key ${key} set and both instances ready`,
      });
      let counts: unknown = null;
      await until(async () => {
        const now = await nodes[1]!.gateway.live.capacity.counts(ref);
        counts = now;
        if (now.connecting + now.active > 2) throw new Error(`the limited destination carries ${JSON.stringify(now)}`);
        return JSON.stringify(counts) === JSON.stringify({ connecting: 1, active: 1 });
      }, { timeoutMs: 30_000, what: () => `slots of the limited destination: ${JSON.stringify(counts)}` });
      expect(await openOf(limited)).toBe(2);
      // The back-off runs on, the agent is held for its call again (its status is not known any more).
      expect((await nodes[1]!.gateway.live.health.getMany(companyId, [busy])).get(busy)!.backedOffUntil).toBe(backedOffUntil);
      expect(await nodes[1]!.gateway.live.agents.get(companyId, agentId)).toMatchObject({ activity: 'RINGING', callId: ringing.id, status: 'LOGGED_OUT' });

      // The marker: the answered call ends, its slot frees, and exactly one waiting call is dialled for it.
      await until(async () => !(await via(nodes[0]!).endCall(first.id, 'COMPLETED')).errors, { timeoutMs: 20_000, everyMs: 200, what: 'the end of the answered call' });
      await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.destinationId === limited && waiting.includes(i.callId), 1, 20_000);
      // Every instance had every chance to route the waiting calls (passes run every 200 ms): still only one more.
      await until(async () => {
        const [row] = await sql.query(`SELECT COUNT(*)::int AS n FROM call_trace_entry WHERE "callId" = ANY($1) AND step = 'WAITING'`, [waiting]);
        return row.n >= 2;
      }, { timeoutMs: 20_000, what: 'the calls left waiting noted as waiting' });
      expect(dialsTo(limited)).toHaveLength(3);
      const [attempts] = await sql.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "destinationId" = $1`, [limited]);
      expect(attempts.n).toBe(3);
      expect(await openOf(limited)).toBe(2);
      expect(await nodes[0]!.gateway.live.capacity.counts(ref)).toEqual({ connecting: 2, active: 0 });
      // The backed-off destination was not dialled again: its new call waits.
      expect(dialsTo(busy)).toHaveLength(1);
      const [busyAttempts] = await sql.query(`SELECT COUNT(*)::int AS n FROM call_attempt WHERE "callId" = $1`, [toBackedOff]);
      expect(busyAttempts.n).toBe(0);
    } finally {
      sampling = false;
      await sampler;
    }
    expect(highest).toBe(2);
  });
});

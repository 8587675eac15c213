import { randomUUID } from 'node:crypto';
import { Call } from '../../src/entities/call.entity';
import { StatisticsService } from '../../src/services/statistics.service';
import { INTERVAL_MS, type Range } from '../../src/statistics/figures';
import { checkBuckets } from '../../src/store/stat-rebuild';
import { bucketOf, bucketStart } from '../../src/statistics/buckets';
import { sealRange } from '../../src/store/stat-seal';
import { seededRandom } from '../support/random';
import { routingModes, RoutingWorld, eventually, type Instruction } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(240_000);

/*
 * Differential test of the statistics buckets (docs/decisions/025-statistics-buckets.md): a random history of
 * calls driven through the public API (enqueues, offers to agents and destinations, every outcome, back-offs,
 * hang-ups, a destination resumed, repeated and concurrent repeated events), with the router's clock moved by
 * random steps across quarter hours and the quarter hours over sealed now and then along the way (so later
 * writes land in sealed quarter hours and unseal them); then the figures the API serves (buckets inside a
 * range, records at its edges) must equal the figures worked out from the records alone, for random ranges,
 * and the buckets must equal what `stats:rebuild` works out from the records.
 */

const SEED = Number(process.env.STATISTICS_SEED ?? 20261202);
const START = Date.parse('2026-11-20T07:50:00.000Z');
const floor15 = (ms: number) => Math.floor(ms / INTERVAL_MS) * INTERVAL_MS;

describe.each(routingModes().map((m) => [m.name, m] as const))('statistics buckets against the records (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  let now = START;

  beforeAll(async () => {
    t = await mode.start({ routing: { clock: () => now } });
    w = await RoutingWorld.create(t);
  });
  afterAll(async () => {
    await w?.close();
    await t?.close();
  });

  it('gives the same figures from buckets as from the records for random ranges over a random history, and the rebuild finds no difference', async () => {
    const rng = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
    const a1 = await w.agent('Ann');
    const a2 = await w.agent('Bob');
    const d1 = await w.destination({ maxSimultaneousCalls: 2, busyBackoffSec: 600, noAnswerBackoffSec: 0, failureBackoffSec: 5400, retryIntervalSec: 1, outdialTimeoutSec: 300 });
    const d2 = await w.destination({ maxSimultaneousCalls: 1, busyBackoffSec: 60, noAnswerBackoffSec: 90, retryIntervalSec: 1, outdialTimeoutSec: 300 });
    const settings = { wrapUpSec: 30, agentRingTimeoutSec: 300, agentRetrySec: 1, maxWaitSec: 86_400 };
    const q1 = await w.queue([{ groupId: await w.group([a1, a2]) }, { groupId: await w.group([], [d1, d2]), overflow: { queueLengthAbove: 0 } }], settings);
    const q2 = await w.queue([{ groupId: await w.group([], [d2, d1]) }], settings);

    const calls: string[] = [];
    const reported = new Set<string>();
    const connected = new Map<string, string>(); // attemptId -> callId
    const events: Array<() => Promise<unknown>> = [];
    const ringing = () => w.connector.instructions.filter((i): i is Instruction & { attemptId: string } =>
      (i.kind === 'RING_AGENT' || i.kind === 'DIAL_EXTERNAL') && !!i.attemptId && !reported.has(i.attemptId));

    const ds = t.gateway.dataSource;
    /** Quarter hours that a write marked not sealed after they were sealed (seen before each sealing). */
    let unsealedByWrites = 0;
    for (let step = 0; step < 70; step += 1) {
      now += Math.floor(rng() * (rng() < 0.2 ? 40 * 60_000 : 4 * 60_000));
      if (step % 7 === 6) {
        const [row] = await ds.query(`SELECT COUNT(*) AS n FROM stat_seal WHERE "companyId" = '${w.company.id}' AND NOT sealed`);
        unsealedByWrites += Number(row.n);
        const sealer = new StatisticsService(ds, () => now).sealer;
        await sealer.ensure(w.company.id, bucketOf(START) - 4, sealer.horizon());
      }
      const r = rng();
      if (r < 0.3) {
        calls.push((await w.connector.enqueueOk(pick([q1, q1, q2]))).id);
      } else if (r < 0.65) {
        const open = ringing();
        if (open.length === 0) continue;
        const attempt = pick(open);
        const outcome = pick(['ANSWERED', 'ANSWERED', 'BUSY', 'NO_ANSWER', 'REJECTED', 'FAILED']);
        const eventId = randomUUID();
        // Sometimes the same event twice at once, or again later: it must change nothing more.
        const sends = rng() < 0.2 ? [w.connector.outcome(attempt.attemptId, outcome, eventId), w.connector.outcome(attempt.attemptId, outcome, eventId)] : [w.connector.outcome(attempt.attemptId, outcome, eventId)];
        await Promise.all(sends);
        if (rng() < 0.2) events.push(() => w.connector.outcome(attempt.attemptId, outcome, eventId));
        reported.add(attempt.attemptId);
        if (outcome === 'ANSWERED') connected.set(attempt.attemptId, attempt.callId);
      } else if (r < 0.85) {
        if (calls.length === 0) continue;
        const callId = pick(calls);
        const isConnected = [...connected.values()].includes(callId);
        const eventId = randomUUID();
        await w.connector.endCall(callId, isConnected && rng() < 0.7 ? 'COMPLETED' : 'CALLER_HUNG_UP', eventId);
        if (rng() < 0.3) events.push(() => w.connector.endCall(callId, 'COMPLETED', eventId));
        for (const [attemptId, c] of connected) if (c === callId) connected.delete(attemptId);
        for (const i of ringing()) if (i.callId === callId) reported.add(i.attemptId);
      } else if (r < 0.92) {
        await t.ok('mutation($id: ID!) { resumeExternalDestination(id: $id) { id } }', { id: pick([d1, d2]) }, w.admin);
      } else if (events.length > 0) {
        await events.splice(Math.floor(rng() * events.length), 1)[0]!();
      }
    }
    for (const repeat of events) await repeat();
    // The calls still waiting or ringing are hung up; those connected stay connected (open at the end).
    for (const call of await ds.getRepository(Call).find({ where: { companyId: w.company.id } })) {
      if (call.state === 'QUEUED' || call.state === 'OFFERING') await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
    }
    await eventually(async () => (await ds.getRepository(Call).find({ where: { companyId: w.company.id } })).every((c) => !['QUEUED', 'OFFERING'].includes(c.state)), 15_000);
    const end = now;

    const companyId = w.company.id;
    const destinations = [{ id: d1, name: 'd1' }, { id: d2, name: 'd2' }];
    const agents = [{ id: a1, name: 'a1' }, { id: a2, name: 'a2' }];
    const queues = [{ id: q1, name: 'q1' }, { id: q2, name: 'q2' }];
    for (const readNow of [end + 7 * 60_000 + 1234, end + 3 * 3_600_000]) {
      const buckets = new StatisticsService(ds, () => readNow);
      const records = new StatisticsService(ds, () => readNow, null, 'records');
      const ranges: Range[] = [
        { from: floor15(START) - 3_600_000, to: floor15(readNow) + 2 * 3_600_000, now: readNow },
        { from: floor15(START), to: readNow + 1, now: readNow },
        { from: floor15(START + 3_600_000), to: floor15(START + 3_600_000) + INTERVAL_MS, now: readNow },
        { from: floor15(START + 2 * 3_600_000), to: end - 61_000, now: readNow },
      ];
      for (let i = 0; i < 8; i += 1) {
        const from = START - 600_000 + Math.floor(rng() * (end - START));
        ranges.push({ from, to: from + 1 + Math.floor(rng() * (readNow + 3_600_000 - from)), now: readNow });
      }
      for (const range of ranges) {
        const where = `range ${new Date(range.from).toISOString()} - ${new Date(range.to).toISOString()}, now ${new Date(readNow).toISOString()}`;
        for (const intervals of [true, false]) {
          expect({ where, figures: await buckets.destinationFigures(companyId, destinations, range, { intervals }) })
            .toEqual({ where, figures: await records.destinationFigures(companyId, destinations, range, { intervals }) });
          expect({ where, figures: await buckets.agentFigures(companyId, agents, range, { intervals }) })
            .toEqual({ where, figures: await records.agentFigures(companyId, agents, range, { intervals }) });
        }
        // The default (kept in the buckets), and others (summed from the waits), one of them drawn.
        for (const sl of [0, 20, 3600, 1 + Math.floor(rng() * 90)]) {
          for (const intervals of [true, false]) {
            expect({ where, sl, figures: await buckets.queueFigures(companyId, queues, range, sl, { intervals }) })
              .toEqual({ where, sl, figures: await records.queueFigures(companyId, queues, range, sl, { intervals }) });
          }
        }
      }
    }
    // Something of every kind happened (else the comparison proves little).
    const totals = (await new StatisticsService(ds, () => end + 1).destinationFigures(companyId, destinations, { from: START - 86_400_000, to: end + 1, now: end + 1 }, { intervals: false }));
    expect(totals.reduce((n, d) => n + d.figures.total.offered, 0)).toBeGreaterThan(5);
    // Writes landed in quarter hours already sealed (their buckets were worked out again before these reads).
    expect(unsealedByWrites).toBeGreaterThan(0);
    expect((await checkBuckets(ds, companyId, START - 86_400_000, end + 86_400_000, false)).differences).toEqual([]);
  });

  it('has the rebuild report a stored queue bucket and wait row that their records do not give, and write them right again', async () => {
    const ds = t.gateway.dataSource;
    const companyId = w.company.id;
    const p = (i: number) => (ds.options.type === 'postgres' ? `$${i}` : '?');
    const [row] = await ds.query(`SELECT "queueId", bucket, "answeredBy", "waitSec" FROM stat_queue_wait WHERE "companyId" = ${p(1)} ORDER BY bucket LIMIT 1`, [companyId]);
    expect(row).toBeDefined();
    const bucket = Number(row.bucket);
    await ds.query(`UPDATE stat_queue_wait SET calls = calls + 1 WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket = ${p(3)} AND "answeredBy" = ${p(4)} AND "waitSec" = ${p(5)}`,
      [companyId, row.queueId, bucket, row.answeredBy, row.waitSec]);
    await ds.query(`UPDATE stat_queue_bucket SET "agentsWithin" = "agentsWithin" + 7 WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket = ${p(3)}`, [companyId, row.queueId, bucket]);
    const found = (await checkBuckets(ds, companyId, bucketStart(bucket), bucketStart(bucket + 1), false)).differences;
    expect(found.map((d) => [d.kind, d.id, d.bucket, d.kind === 'queue' ? d.column : 'wait'])).toEqual(expect.arrayContaining([
      ['queue', row.queueId, bucket, 'agentsWithin'], ['queue wait', row.queueId, bucket, 'wait'],
    ]));
    expect(found).toHaveLength(2);
    await checkBuckets(ds, companyId, bucketStart(bucket), bucketStart(bucket + 1), true);
    expect((await checkBuckets(ds, companyId, bucketStart(bucket), bucketStart(bucket + 1), false)).differences).toEqual([]);
  });

  it('leaves a quarter hour unsealed when a write changed its records while they were read, seals it at the next try, and reads it right', async () => {
    // Past every quarter hour the reads above sealed (their clock ran up to three hours ahead of the router's).
    now = floor15(now) + 5 * 3_600_000 + 60_000;
    const k = bucketOf(now);
    const destination = await w.destination({ maxSimultaneousCalls: 1 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.connector.enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    await w.connector.outcome(dial!.attemptId!, 'ANSWERED');
    // Twenty minutes later the quarter hour is over: it is sealed, and while its records are read the call ends
    // (its attempt started in that quarter hour: its talk time counts there).
    now += 20 * 60_000;
    const ds = t.gateway.dataSource;
    let ended = false;
    const sealed = await sealRange(ds, w.company.id, k, k, false, async () => {
      if (ended) return;
      ended = true;
      await w.connector.endCall(call.id, 'COMPLETED');
    });
    expect(ended).toBe(true);
    expect(sealed).toBe(false);
    const [row] = await ds.query(`SELECT sealed FROM stat_seal WHERE "companyId" = '${w.company.id}' AND bucket = ${k}`);
    expect([false, 0]).toContain(row.sealed);
    expect(await sealRange(ds, w.company.id, k, k)).toBe(true);
    const range = { from: bucketStart(k), to: bucketStart(k + 1), now };
    const rows = [{ id: destination, name: 'd' }];
    const fromBuckets = await new StatisticsService(ds, () => now).destinationFigures(w.company.id, rows, range);
    expect(fromBuckets).toEqual(await new StatisticsService(ds, () => now, null, 'records').destinationFigures(w.company.id, rows, range));
    expect(fromBuckets[0]!.figures.total).toMatchObject({ answered: 1, talkTimeSec: 1200 });
  });

  it("seals a company's quarter hours one sealing at a time in an instance: a second one waits, then finds them sealed and works nothing out", async () => {
    now = floor15(now) + 3 * 3_600_000;
    const destination = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.connector.enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    await w.connector.outcome(dial!.attemptId!, 'ANSWERED');
    await w.connector.endCall(call.id, 'COMPLETED');
    const k = bucketOf(now);
    now += 20 * 60_000;
    const ds = t.gateway.dataSource;
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstPaused = false;
    const first = sealRange(ds, w.company.id, k, k, true, () => {
      firstPaused = true;
      return held;
    });
    await eventually(async () => firstPaused, 10_000);
    let secondPauses = 0;
    const second = sealRange(ds, w.company.id, k, k, false, () => {
      secondPauses += 1;
      return undefined;
    });
    release();
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    // The second never read a record (it pauses between destinations while it reads them).
    expect(secondPauses).toBe(0);
  });
});

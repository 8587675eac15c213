import type { DataSource, EntityManager } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { bucketOf, bucketStart, agentBuckets, destinationBuckets, queueBuckets } from '../statistics/buckets';
import { inTransaction } from './persistence';
import { agentRows, destinationRows, lockDestination, longestSpanMs, queueRows, touchAgent, touchDestination, touchLinks, touchQueue } from './stat-buckets';
import { attemptsStartedIn, destinationAttemptsBefore, queueCallsIn, refusalsIn } from './statistics-records';

/*
 * `npm run stats:rebuild`: the buckets of a company worked out again from its records and compared with the
 * stored ones (a bucket without a row reads as zeros, with the open calls carried from the row before it), and
 * with `write`, written again (by the same code that writes them with the records: each day's buckets touched
 * in one transaction). docs/decisions/025-statistics-buckets.md.
 */

const DAY_BUCKETS = 96;

export interface BucketDifference {
  kind: 'destination' | 'agent' | 'queue' | 'link';
  id: string;
  bucket: number;
  column: string;
  stored: unknown;
  records: unknown;
}

async function distinctIds(m: EntityManager, sql: string, companyId: string): Promise<string[]> {
  // The one company id, as often as the query names it (SQLite's parameters are positional).
  const postgres = m.connection.options.type === 'postgres';
  const times = sql.split('$1').length - 1;
  const rows: Array<{ id: string | null }> = await m.query(postgres ? sql : sql.replaceAll('$1', '?'), postgres ? [companyId] : Array(times).fill(companyId));
  return [...new Set(rows.map((r) => r.id).filter((id): id is string => id !== null))].sort();
}

/** The resources of a company that have records or buckets. */
export async function resourcesWithRecords(ds: DataSource, companyId: string): Promise<{ destinations: string[]; agents: string[]; queues: string[] }> {
  const m = ds.manager;
  return {
    destinations: await distinctIds(m, `SELECT DISTINCT "destinationId" AS id FROM call_attempt WHERE "companyId" = $1 UNION SELECT DISTINCT "destinationId" AS id FROM capacity_refusal WHERE "companyId" = $1 UNION SELECT DISTINCT "destinationId" AS id FROM stat_destination_bucket WHERE "companyId" = $1`, companyId),
    agents: await distinctIds(m, `SELECT DISTINCT "agentId" AS id FROM call_attempt WHERE "companyId" = $1 UNION SELECT DISTINCT "agentId" AS id FROM stat_agent_bucket WHERE "companyId" = $1`, companyId),
    queues: await distinctIds(m, `SELECT DISTINCT "queueId" AS id FROM call WHERE "companyId" = $1 UNION SELECT DISTINCT "queueId" AS id FROM stat_queue_bucket WHERE "companyId" = $1`, companyId),
  };
}

/** Day-long runs of buckets covering [from, to). */
function days(from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let b = bucketOf(from); b <= bucketOf(to - 1); b += DAY_BUCKETS) out.push([b, Math.min(b + DAY_BUCKETS - 1, bucketOf(to - 1))]);
  return out;
}

function compare(out: BucketDifference[], kind: BucketDifference['kind'], id: string, bucket: number, storedRow: object, recordsRow: object): void {
  const stored = storedRow as Record<string, unknown>;
  const records = recordsRow as Record<string, unknown>;
  for (const column of Object.keys(records)) {
    const a = stored[column];
    const b = records[column];
    const same = a instanceof Map && b instanceof Map ? JSON.stringify([...a].sort()) === JSON.stringify([...b].sort()) : a === b;
    if (!same) out.push({ kind, id, bucket, column, stored: a instanceof Map ? Object.fromEntries(a) : a, records: b instanceof Map ? Object.fromEntries(b) : b });
  }
}

/**
 * Compares (and with `write`, first rewrites) a company's buckets of [from, to) with the records. The queries
 * the pending marker guards are left to the caller (`markReady`).
 */
export async function checkBuckets(ds: DataSource, companyId: string, from: number, to: number, write: boolean, check = true): Promise<{ differences: BucketDifference[]; buckets: number }> {
  const { destinations, agents, queues } = await resourcesWithRecords(ds, companyId);
  const m = ds.manager;
  if (write) {
    // Each destination's longest attempt, from all its records, before any bucket is read along it.
    for (const d of destinations) {
      const spans: Array<{ startedAt: Date; endedAt: Date | null; backoffUntil: Date | null }> = await m.getRepository(CallAttempt).find({
        where: { companyId, destinationId: d }, select: { id: true, startedAt: true, endedAt: true, backoffUntil: true },
      });
      let longest = 0;
      for (const a of spans) {
        if (a.endedAt === null) continue;
        const end = Math.max(a.endedAt.getTime(), a.backoffUntil?.getTime() ?? 0);
        longest = Math.max(longest, Math.ceil((end - a.startedAt.getTime()) / 1000));
      }
      await inTransaction(ds, (tm) => lockDestination(tm, companyId, d, longest));
    }
    for (const [first, last] of days(from, to)) {
      await inTransaction(ds, async (tm) => {
        for (const d of destinations) touchDestination(tm, companyId, d, bucketStart(first), bucketStart(last));
        for (const a of agents) for (let b = first; b <= last; b += 1) touchAgent(tm, companyId, a, bucketStart(b));
        for (const q of queues) for (let b = first; b <= last; b += 1) touchQueue(tm, companyId, q, bucketStart(b));
      });
    }
    // Links: every call with attempts (refusals) at a destination in the range, one transaction per day.
    for (const [first, last] of days(from, to)) {
      const span = { companyId, from: new Date(bucketStart(first)), to: new Date(bucketStart(last + 1)) };
      const [offers, refusals] = [
        await m.getRepository(CallAttempt).createQueryBuilder('a').select(['a.callId AS "callId"', 'a.destinationId AS "destinationId"']).distinct(true)
          .where('a.companyId = :companyId AND a.destinationId IS NOT NULL AND a.startedAt >= :from AND a.startedAt < :to', span).getRawMany<{ callId: string; destinationId: string }>(),
        await m.getRepository(CapacityRefusal).createQueryBuilder('r').select(['r.callId AS "callId"', 'r.destinationId AS "destinationId"']).distinct(true)
          .where('r.companyId = :companyId AND r.at >= :from AND r.at < :to', span).getRawMany<{ callId: string; destinationId: string }>(),
      ];
      if (offers.length + refusals.length === 0) continue;
      await inTransaction(ds, async (tm) => {
        for (const o of offers) touchLinks(tm, companyId, o.destinationId, 'OFFER', o.callId);
        for (const r of refusals) touchLinks(tm, companyId, r.destinationId, 'REFUSAL', r.callId);
      });
    }
  }
  const differences: BucketDifference[] = [];
  let buckets = 0;
  for (const [first, last] of check ? days(from, to) : []) {
    const start = bucketStart(first);
    const end = bucketStart(last + 1);
    for (const d of destinations) {
      const started = await attemptsStartedIn(m, companyId, 'DESTINATION', d, start, end);
      const before = await destinationAttemptsBefore(m, companyId, d, start, await longestSpanMs(m, companyId, d));
      const refusals = await refusalsIn(m, companyId, d, start, end);
      const computed = destinationBuckets([...before, ...started], refusals, first, last);
      const { rows, carry } = await destinationRows(ds, companyId, d, first, last + 1);
      const byBucket = new Map(rows.map((r) => [r.bucket, r]));
      let level = carry;
      for (const c of computed) {
        const row = byBucket.get(c.bucket);
        const effective = row ?? { ...Object.fromEntries(Object.keys(c).map((k) => [k, 0])), bucket: c.bucket, peakSimultaneousCalls: level, levelEnd: level };
        if (row) level = row.levelEnd;
        compare(differences, 'destination', d, c.bucket, effective, c);
        buckets += 1;
      }
      // Links of the calls with attempts in these buckets.
      const callIds = [...new Set(started.filter((a) => a.startedAt >= start).map((a) => a.callId))];
      for (const callId of callIds) {
        const times = (await m.getRepository(CallAttempt).find({ where: { callId, destinationId: d, targetKind: 'DESTINATION' }, select: { id: true, startedAt: true } })).map((a) => bucketOf(a.startedAt.getTime()));
        const sorted = [...new Set(times)].sort((x, y) => x - y);
        const expected = sorted.slice(1).map((b, i) => `${b}<${sorted[i]}`).sort();
        const stored = (await m.query(`SELECT bucket, "prevBucket" FROM stat_destination_link WHERE "companyId" = ${ph(m, 1)} AND "destinationId" = ${ph(m, 2)} AND kind = 'OFFER' AND "callId" = ${ph(m, 3)}`, [companyId, d, callId]) as Array<{ bucket: unknown; prevBucket: unknown }>)
          .map((l) => `${Number(l.bucket)}<${Number(l.prevBucket)}`).sort();
        if (expected.join() !== stored.join()) differences.push({ kind: 'link', id: `${d}/${callId}`, bucket: first, column: 'OFFER', stored, records: expected });
      }
    }
    for (const a of agents) {
      const computed = agentBuckets(await attemptsStartedIn(m, companyId, 'AGENT', a, start, end), first, last);
      const byBucket = new Map((await agentRows(ds, companyId, a, first, last + 1)).map((r) => [r.bucket, r]));
      for (const c of computed) {
        compare(differences, 'agent', a, c.bucket, byBucket.get(c.bucket) ?? { offered: 0, answered: 0, missed: 0, talkTimeSec: 0, wrapUpSec: 0, bucket: c.bucket }, c);
        buckets += 1;
      }
    }
    for (const q of queues) {
      const computed = queueBuckets(await queueCallsIn(m, companyId, q, start, end), first, last);
      const byBucket = new Map((await queueRows(ds, companyId, q, first, last + 1)).map((r) => [r.bucket, r]));
      for (const c of computed) {
        const zero = { offered: 0, answeredByAgents: 0, answeredByExternal: 0, overflowedToExternal: 0, abandoned: 0, settled: 0, waits: new Map(), bucket: c.bucket };
        compare(differences, 'queue', q, c.bucket, byBucket.get(c.bucket) ?? zero, c);
        buckets += 1;
      }
    }
  }
  return { differences, buckets };
}

/** The company's figures may be read from its buckets from now on. */
export async function markReady(ds: DataSource, companyId: string): Promise<void> {
  await ds.manager.query(`DELETE FROM stat_rebuild_pending WHERE "companyId" = ${ph(ds.manager, 1)}`, [companyId]);
}

const ph = (m: EntityManager, i: number) => (m.connection.options.type === 'postgres' ? `$${i}` : '?');


/** The span of a company's records, whole quarter hours, with a day after the last for back-offs and open calls (null: none). */
export async function recordSpan(ds: DataSource, companyId: string, now: number): Promise<{ from: number; to: number } | null> {
  const m = ds.manager;
  const first = await m.getRepository(Call).findOne({ where: { companyId }, order: { enqueuedAt: 'ASC' }, select: { id: true, enqueuedAt: true } });
  const firstAttempt = await m.getRepository(CallAttempt).findOne({ where: { companyId }, order: { startedAt: 'ASC' }, select: { id: true, startedAt: true } });
  const last = await m.getRepository(CallAttempt).findOne({ where: { companyId }, order: { startedAt: 'DESC' }, select: { id: true, startedAt: true } });
  const lastCall = await m.getRepository(Call).findOne({ where: { companyId }, order: { enqueuedAt: 'DESC' }, select: { id: true, enqueuedAt: true } });
  const firstRefusal = await m.getRepository(CapacityRefusal).findOne({ where: { companyId }, order: { at: 'ASC' }, select: { id: true, at: true } });
  const lastRefusal = await m.getRepository(CapacityRefusal).findOne({ where: { companyId }, order: { at: 'DESC' }, select: { id: true, at: true } });
  const starts = [first?.enqueuedAt, firstAttempt?.startedAt, firstRefusal?.at].filter((d): d is Date => d !== undefined).map((d) => d.getTime());
  const ends = [last?.startedAt, lastCall?.enqueuedAt, lastRefusal?.at].filter((d): d is Date => d !== undefined).map((d) => d.getTime()).concat(now);
  if (starts.length === 0) return null;
  const from = bucketStart(bucketOf(Math.min(...starts)));
  return { from, to: bucketStart(bucketOf(Math.max(...ends) + 86_400_000) + 1) };
}

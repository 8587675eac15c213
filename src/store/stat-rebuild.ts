import type { DataSource, EntityManager } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { bucketOf, bucketStart, type QueueWaitRow } from '../statistics/buckets';
import { agentRows, destinationRows, queueRows, queueWaitRowsStored } from './stat-buckets';
import { rowsFromRecords, sealRange, type Carry } from './stat-seal';

/*
 * `npm run stats:rebuild`: a company's sealed buckets worked out again from its records and compared with the
 * stored ones, and with `write`, sealed again from the records first (every quarter hour of the span, sealed
 * or not). docs/decisions/025-statistics-buckets.md.
 */

const DAY_BUCKETS = 96;

export interface BucketDifference {
  kind: 'destination' | 'agent' | 'queue' | 'queue wait' | 'link';
  id: string;
  bucket: number;
  column: string;
  stored: unknown;
  records: unknown;
}

const ph = (m: EntityManager, i: number) => (m.connection.options.type === 'postgres' ? `$${i}` : '?');

/** Day-long runs of buckets covering [from, to). */
function days(from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let b = bucketOf(from); b <= bucketOf(to - 1); b += DAY_BUCKETS) out.push([b, Math.min(b + DAY_BUCKETS - 1, bucketOf(to - 1))]);
  return out;
}

/** Compares rows by bucket (a missing row reads as all zeros, as a read takes it). */
function compare<R extends { bucket: number }>(out: BucketDifference[], kind: BucketDifference['kind'], id: string, stored: readonly R[], records: readonly R[], sealed: Set<number>): void {
  const byBucket = new Map(stored.map((r) => [r.bucket, r]));
  const seen = new Set<number>();
  for (const r of records) {
    if (!sealed.has(r.bucket)) continue;
    seen.add(r.bucket);
    const s = byBucket.get(r.bucket);
    for (const [column, value] of Object.entries(r)) {
      const storedValue: unknown = s === undefined ? 0 : (s as Record<string, unknown>)[column];
      if (storedValue !== value) out.push({ kind, id, bucket: r.bucket, column, stored: storedValue, records: value });
    }
  }
  for (const s of stored) if (sealed.has(s.bucket) && !seen.has(s.bucket)) out.push({ kind, id, bucket: s.bucket, column: '(row)', stored: 'a row', records: 'nothing' });
}

/** The sealed quarter hours of a company in [first, last]. */
async function sealedIn(ds: DataSource, companyId: string, first: number, last: number): Promise<Set<number>> {
  const m = ds.manager;
  const rows: Array<{ bucket: unknown; sealed: unknown }> = await m.query(
    `SELECT bucket, sealed FROM stat_seal WHERE "companyId" = ${ph(m, 1)} AND bucket >= ${ph(m, 2)} AND bucket <= ${ph(m, 3)}`, [companyId, first, last],
  );
  return new Set(rows.filter((r) => r.sealed === true || r.sealed === 1).map((r) => Number(r.bucket)));
}

/**
 * Compares (and with `write`, first seals again from the records) a company's sealed buckets of [from, to),
 * which must be over, with what its records give.
 */
export async function checkBuckets(ds: DataSource, companyId: string, from: number, to: number, write: boolean): Promise<{ differences: BucketDifference[]; buckets: number }> {
  if (write) await sealRange(ds, companyId, bucketOf(from), bucketOf(to - 1), true);
  const differences: BucketDifference[] = [];
  let buckets = 0;
  const carry: Carry = new Map();
  for (const [first, last] of days(from, to)) {
    const sealed = await sealedIn(ds, companyId, first, last);
    const computed = await rowsFromRecords(ds.manager, companyId, first, last, carry);
    if (sealed.size === 0) continue;
    buckets += sealed.size;
    const ids = (map: Map<string, unknown>, table: string, column: string) => queryIds(ds, table, column, companyId, first, last).then((stored) => [...new Set([...map.keys(), ...stored])].sort());
    for (const d of await ids(computed.destinations, 'stat_destination_bucket', 'destinationId')) {
      compare(differences, 'destination', d, await destinationRows(ds, companyId, d, first, last + 1), computed.destinations.get(d) ?? [], sealed);
    }
    for (const a of await ids(computed.agents, 'stat_agent_bucket', 'agentId')) {
      compare(differences, 'agent', a, await agentRows(ds, companyId, a, first, last + 1), computed.agents.get(a) ?? [], sealed);
    }
    for (const q of await ids(computed.queues, 'stat_queue_bucket', 'queueId')) {
      compare(differences, 'queue', q, await queueRows(ds, companyId, q, first, last + 1), computed.queues.get(q) ?? [], sealed);
    }
    for (const q of await ids(computed.queueWaits, 'stat_queue_wait', 'queueId')) {
      const key = (r: QueueWaitRow) => `${r.bucket}/${r.answeredBy}/${r.waitSec}`;
      const storedWaits = new Map((await queueWaitRowsStored(ds, companyId, q, first, last)).filter((r) => sealed.has(r.bucket)).map((r) => [key(r), r.calls]));
      const expectedWaits = new Map((computed.queueWaits.get(q) ?? []).filter((r) => sealed.has(r.bucket)).map((r) => [key(r), r.calls]));
      for (const k of new Set([...storedWaits.keys(), ...expectedWaits.keys()])) {
        if (storedWaits.get(k) !== expectedWaits.get(k)) {
          differences.push({ kind: 'queue wait', id: q, bucket: Number(k.split('/')[0]), column: k, stored: storedWaits.get(k) ?? null, records: expectedWaits.get(k) ?? null });
        }
      }
    }
    const m = ds.manager;
    const storedLinks: Array<Record<string, unknown>> = await m.query(
      `SELECT "destinationId", kind, "callId", bucket, "prevBucket" FROM stat_destination_link WHERE "companyId" = ${ph(m, 1)} AND bucket >= ${ph(m, 2)} AND bucket <= ${ph(m, 3)}`,
      [companyId, first, last],
    );
    const key = (l: Record<string, unknown>) => `${String(l.destinationId)}/${String(l.kind)}/${String(l.callId)}@${Number(l.bucket)}<${Number(l.prevBucket)}`;
    const expected = new Set(computed.links.filter((l) => sealed.has(l.bucket)).map((l) => key(l as unknown as Record<string, unknown>)));
    const stored = new Set(storedLinks.filter((l) => sealed.has(Number(l.bucket))).map(key));
    for (const k of expected) if (!stored.has(k)) differences.push({ kind: 'link', id: k, bucket: first, column: 'link', stored: null, records: k });
    for (const k of stored) if (!expected.has(k)) differences.push({ kind: 'link', id: k, bucket: first, column: 'link', stored: k, records: null });
  }
  return { differences, buckets };
}

async function queryIds(ds: DataSource, table: string, column: string, companyId: string, first: number, last: number): Promise<string[]> {
  const m = ds.manager;
  const rows: Array<{ id: string }> = await m.query(
    `SELECT DISTINCT "${column}" AS id FROM ${table} WHERE "companyId" = ${ph(m, 1)} AND bucket >= ${ph(m, 2)} AND bucket <= ${ph(m, 3)}`, [companyId, first, last],
  );
  return rows.map((r) => r.id);
}

/** The span of a company's records in whole quarter hours up to `before` (null: none). */
export async function recordSpan(ds: DataSource, companyId: string, before: number): Promise<{ from: number; to: number } | null> {
  const m = ds.manager;
  const first = await m.getRepository(Call).findOne({ where: { companyId }, order: { enqueuedAt: 'ASC' }, select: { id: true, enqueuedAt: true } });
  const firstAttempt = await m.getRepository(CallAttempt).findOne({ where: { companyId }, order: { startedAt: 'ASC' }, select: { id: true, startedAt: true } });
  const firstRefusal = await m.getRepository(CapacityRefusal).findOne({ where: { companyId }, order: { at: 'ASC' }, select: { id: true, at: true } });
  const starts = [first?.enqueuedAt, firstAttempt?.startedAt, firstRefusal?.at].filter((d): d is Date => d !== undefined).map((d) => d.getTime());
  if (starts.length === 0) return null;
  const from = bucketStart(bucketOf(Math.min(...starts)));
  const to = bucketStart(bucketOf(before));
  return to > from ? { from, to } : null;
}

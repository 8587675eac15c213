import type { DataSource, EntityManager } from 'typeorm';
import { CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { systemScheduler } from '../platform/scheduler';
import { bucketOf, type AgentBucket, type DestinationBucket, type QueueBucket, type QueueWaitRow } from '../statistics/buckets';
import { DEFAULT_SERVICE_LEVEL_SEC } from '../statistics/figures';
import { beforeCommit } from './persistence';

/*
 * Statistics buckets (docs/decisions/025-statistics-buckets.md), the writers' side. A company's quarter hour is
 * read from its bucket rows once it is sealed (stat_seal): the sealer (src/store/stat-seal.ts) works the rows
 * out from the records of a quarter hour that is over. Whatever changes a record a figure counts says which
 * quarter hours it touched (`touch…`, in its transaction); before the transaction commits, each touched
 * quarter hour that is over by the statistics clock is marked not sealed and its version raised (its
 * stat_seal row, upserted, so the row is locked until the commit), and it is read from the records until the
 * sealer seals it again. Nothing
 * is counted by the writer: a repeated event changes no record, and a quarter hour's rows are a function of
 * its records. A write in the current quarter hour (nearly all of them) writes nothing here.
 */

const SEP = '\u0000';

/** `${companyId}\u0000${bucket}` of the quarter hours a transaction touched. */
type Touched = Set<string>;

const clocks = new WeakMap<object, () => number>();

/**
 * The clock statistics use for a data source (the routing clock of the gateway that opened it): which quarter
 * hours are over when a record is written, and which the sealer may seal. Without one, the system clock.
 */
export function setStatisticsClock(ds: DataSource, clock: () => number): void {
  clocks.set(ds, clock);
}

export function statisticsClock(ds: DataSource): () => number {
  return clocks.get(ds) ?? systemScheduler.now;
}

function touched(m: EntityManager): Touched {
  return beforeCommit<Touched>(m, 'statistics buckets', () => new Set(), (t) => flush(m, t));
}

/**
 * A company's quarter hours [fromMs, toMs] changed: a record a figure counts (an attempt, a refusal, a call
 * in a queue) was written there. Quarter hours are sealed per company, so which resource does not matter.
 */
export function touchQuarterHours(m: EntityManager, companyId: string, fromMs: number, toMs = fromMs): void {
  const t = touched(m);
  for (let b = bucketOf(fromMs); b <= bucketOf(toMs); b += 1) t.add(`${companyId}${SEP}${b}`);
}

/**
 * An attempt's quarter hours: where it started (counts) and where it ended (open calls). Its back-off starts
 * at its end, at the time of writing: never in a quarter hour that is over.
 */
export function touchAttempt(m: EntityManager, a: Pick<CallAttempt, 'companyId' | 'startedAt' | 'endedAt'>): void {
  touchQuarterHours(m, a.companyId, a.startedAt.getTime());
  if (a.endedAt !== null) touchQuarterHours(m, a.companyId, a.endedAt.getTime());
}

const placeholder = (m: EntityManager) => (m.connection.options.type === 'postgres' ? (i: number) => `$${i}` : () => '?');

async function flush(m: EntityManager, t: Touched): Promise<void> {
  const current = bucketOf(statisticsClock(m.connection)());
  const over = [...t].map((key) => {
    const [companyId, bucket] = key.split(SEP) as [string, string];
    return { companyId, bucket: Number(bucket) };
  }).filter((k) => k.bucket < current);
  if (over.length === 0) return;
  // In one order (company, bucket): two transactions never wait for each other in a circle.
  over.sort((a, b) => (a.companyId < b.companyId ? -1 : a.companyId > b.companyId ? 1 : a.bucket - b.bucket));
  const p = placeholder(m);
  const params: unknown[] = [];
  const values = over.map((k) => {
    params.push(k.companyId, k.bucket);
    return `(${p(params.length - 1)}, ${p(params.length)}, ${m.connection.options.type === 'postgres' ? 'false' : '0'}, 1)`;
  }).join(', ');
  await m.query(
    `INSERT INTO stat_seal ("companyId", bucket, sealed, version) VALUES ${values} ON CONFLICT ("companyId", bucket) DO UPDATE SET sealed = excluded.sealed, version = stat_seal.version + 1`,
    params,
  );
}

/** INSERT of whole rows, 200 at a time. */
export async function insertRows(m: EntityManager, table: string, columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>): Promise<void> {
  const p = placeholder(m);
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const params: unknown[] = [];
    const values = chunk.map((row) => `(${row.map((v) => { params.push(v); return p(params.length); }).join(', ')})`).join(', ');
    await m.query(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${values}`, params);
  }
}

export const DESTINATION_COLUMNS = [
  'offered', 'callsHandled', 'answered', 'busy', 'noAnswer', 'failed', 'limitReached', 'cancelledByCaller', 'returned', 'talkTimeSec',
  'timeToAnswerSumSec', 'timeToAnswerMaxSec', 'backedOffSec', 'peakSimultaneousCalls',
] as const;
export const AGENT_COLUMNS = ['offered', 'answered', 'missed', 'talkTimeSec', 'wrapUpSec'] as const;
/** A queue's columns; `answeredWithin` and `agentsWithin` are kept for DEFAULT_SERVICE_LEVEL_SEC (others: stat_queue_wait). */
export const QUEUE_COLUMNS = [
  'offered', 'answeredByAgents', 'answeredByExternal', 'overflowedToExternal', 'abandoned', 'settled', 'longestWaitSec', 'handleTimeSec', 'handled',
  'answered', 'waitSumSec', 'answeredWithin', 'agentsWithin',
] as const;
const QUEUE_MAX = new Set<string>(['longestWaitSec']);

export type LinkKind = 'OFFER' | 'REFUSAL';

// ---------------------------------------------------------------- reads

const num = (v: unknown) => Number(v ?? 0);

/** A destination's rows of buckets [first, last) ascending. */
export async function destinationRows(ds: DataSource | EntityManager, companyId: string, destinationId: string, first: number, last: number): Promise<DestinationBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const cols = DESTINATION_COLUMNS.map((c) => `"${c}"`).join(', ');
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT bucket, ${cols} FROM stat_destination_bucket WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} ORDER BY "destinationId", bucket`,
    [companyId, destinationId, first, last],
  );
  return raw.map((r) => Object.fromEntries([['bucket', num(r.bucket)], ...DESTINATION_COLUMNS.map((c) => [c, num(r[c])])]) as DestinationBucket);
}

/** The same for a question without intervals, summed by the database: at most one row (at `first`). */
export async function destinationRowsTotal(ds: DataSource | EntityManager, companyId: string, destinationId: string, first: number, last: number): Promise<DestinationBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const maxima = new Set<string>(['timeToAnswerMaxSec', 'peakSimultaneousCalls']);
  const [agg]: Array<Record<string, unknown>> = await m.query(
    `SELECT COUNT(*) AS n, ${DESTINATION_COLUMNS.map((c) => `${maxima.has(c) ? 'MAX' : 'SUM'}("${c}") AS "${c}"`).join(', ')}
     FROM stat_destination_bucket WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)}`,
    [companyId, destinationId, first, last],
  );
  if (num(agg?.n) === 0) return [];
  return [Object.fromEntries([['bucket', first], ...DESTINATION_COLUMNS.map((c) => [c, num(agg![c])])]) as DestinationBucket];
}

/** Distinct calls of a destination's buckets [first, last): Σ per bucket − links inside. */
export async function destinationDistinct(ds: DataSource | EntityManager, companyId: string, destinationId: string, first: number, last: number, rows: readonly DestinationBucket[]): Promise<{ callsHandled: number; limitReached: number }> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const links: Array<{ kind: string; n: unknown }> = await m.query(
    `SELECT kind, COUNT(*) AS n FROM stat_destination_link WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} AND "prevBucket" >= ${p(5)} GROUP BY kind`,
    [companyId, destinationId, first, last, first],
  );
  const linked = (k: string) => num(links.find((l) => l.kind === k)?.n);
  let calls = 0;
  let refused = 0;
  for (const r of rows) {
    calls += r.callsHandled;
    refused += r.limitReached;
  }
  return { callsHandled: calls - linked('OFFER'), limitReached: refused - linked('REFUSAL') };
}

/** Of `callIds`, how many have an attempt at (a refusal by) the destination in [from, to). */
export async function callsWithRecordsIn(ds: DataSource | EntityManager, _companyId: string, destinationId: string, kind: LinkKind, callIds: readonly string[], from: number, to: number): Promise<number> {
  if (callIds.length === 0) return 0;
  const m = 'manager' in ds ? ds.manager : ds;
  let n = 0;
  for (let i = 0; i < callIds.length; i += 500) {
    const ids = callIds.slice(i, i + 500);
    const q = kind === 'OFFER'
      // Along the call id index (the ids are few); the company's and destination's indexes would scan the range.
      ? m.getRepository(CallAttempt).createQueryBuilder('x').select('COUNT(DISTINCT x.callId)', 'n')
        .where('x.callId IN (:...ids) AND x.destinationId = :destinationId AND x.targetKind = :k', { destinationId, k: 'DESTINATION', ids })
        .andWhere('x.startedAt >= :from AND x.startedAt < :to', { from: new Date(from), to: new Date(to) })
      : m.getRepository(CapacityRefusal).createQueryBuilder('x').select('COUNT(DISTINCT x.callId)', 'n')
        .where('x.callId IN (:...ids) AND x.destinationId = :destinationId', { destinationId, ids })
        .andWhere('x.at >= :from AND x.at < :to', { from: new Date(from), to: new Date(to) });
    n += num((await q.getRawOne<{ n: unknown }>())?.n);
  }
  return n;
}

export async function agentRows(ds: DataSource | EntityManager, companyId: string, agentId: string, first: number, last: number): Promise<AgentBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT bucket, ${AGENT_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM stat_agent_bucket WHERE "companyId" = ${p(1)} AND "agentId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} ORDER BY "agentId", bucket`,
    [companyId, agentId, first, last],
  );
  return raw.map((r) => Object.fromEntries([['bucket', num(r.bucket)], ...AGENT_COLUMNS.map((c) => [c, num(r[c])])]) as AgentBucket);
}

/** An agent's buckets [first, last) summed by the database: at most one row, at `first`. */
export async function agentRowsTotal(ds: DataSource | EntityManager, companyId: string, agentId: string, first: number, last: number): Promise<AgentBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const [agg]: Array<Record<string, unknown>> = await m.query(
    `SELECT COUNT(*) AS n, ${AGENT_COLUMNS.map((c) => `SUM("${c}") AS "${c}"`).join(', ')} FROM stat_agent_bucket WHERE "companyId" = ${p(1)} AND "agentId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)}`,
    [companyId, agentId, first, last],
  );
  return num(agg?.n) === 0 ? [] : [Object.fromEntries([['bucket', first], ...AGENT_COLUMNS.map((c) => [c, num(agg![c])])]) as AgentBucket];
}

/**
 * Per bucket of a queue's [first, last), how many of its calls were answered within `serviceLevelSec`, and of
 * those by agents, summed by the database from stat_queue_wait (buckets with none answered within it: absent).
 */
async function withinByBucket(m: EntityManager, companyId: string, queueId: string, first: number, last: number, serviceLevelSec: number, total: boolean): Promise<Map<number, { answeredWithin: number; agentsWithin: number }>> {
  const p = placeholder(m);
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT ${total ? '' : 'bucket, '}SUM(calls) AS "answeredWithin", SUM(CASE WHEN "answeredBy" = 'AGENT' THEN calls ELSE 0 END) AS "agentsWithin"
     FROM stat_queue_wait WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} AND "waitSec" <= ${p(5)}${total ? '' : ' GROUP BY bucket'}`,
    [companyId, queueId, first, last, serviceLevelSec],
  );
  // Summed over the range (`total`): one row, under the bucket the summed row carries (`first`).
  return new Map(raw.filter((r) => r.answeredWithin !== null).map((r) => [total ? first : num(r.bucket), { answeredWithin: num(r.answeredWithin), agentsWithin: num(r.agentsWithin) }]));
}

/** Rows with their counts within `serviceLevelSec` (as kept for the default, otherwise from stat_queue_wait). */
async function atServiceLevel(m: EntityManager, companyId: string, queueId: string, first: number, last: number, serviceLevelSec: number, rows: QueueBucket[], total: boolean): Promise<QueueBucket[]> {
  if (serviceLevelSec === DEFAULT_SERVICE_LEVEL_SEC || rows.length === 0) return rows;
  const within = await withinByBucket(m, companyId, queueId, first, last, serviceLevelSec, total);
  return rows.map((r) => ({ ...r, ...(within.get(r.bucket) ?? { answeredWithin: 0, agentsWithin: 0 }) }));
}

/** A queue's buckets [first, last) summed by the database, for a service level: at most one row, at `first`. */
export async function queueRowsTotal(ds: DataSource | EntityManager, companyId: string, queueId: string, first: number, last: number, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<QueueBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const [agg]: Array<Record<string, unknown>> = await m.query(
    `SELECT COUNT(*) AS n, ${QUEUE_COLUMNS.map((c) => `${QUEUE_MAX.has(c) ? 'MAX' : 'SUM'}("${c}") AS "${c}"`).join(', ')}
     FROM stat_queue_bucket WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)}`,
    [companyId, queueId, first, last],
  );
  const rows = num(agg?.n) === 0 ? [] : [Object.fromEntries([['bucket', first], ...QUEUE_COLUMNS.map((c) => [c, num(agg![c])])]) as QueueBucket];
  return atServiceLevel(m, companyId, queueId, first, last, serviceLevelSec, rows, true);
}

/** A queue's rows of buckets [first, last), for a service level. */
export async function queueRows(ds: DataSource | EntityManager, companyId: string, queueId: string, first: number, last: number, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<QueueBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT bucket, ${QUEUE_COLUMNS.map((c) => `"${c}"`).join(', ')} FROM stat_queue_bucket WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} ORDER BY "queueId", bucket`,
    [companyId, queueId, first, last],
  );
  const rows = raw.map((r) => Object.fromEntries([['bucket', num(r.bucket)], ...QUEUE_COLUMNS.map((c) => [c, num(r[c])])]) as QueueBucket);
  return atServiceLevel(m, companyId, queueId, first, last, serviceLevelSec, rows, false);
}

/** A queue's wait rows of buckets [first, last] (stat_queue_wait), in their order. */
export async function queueWaitRowsStored(ds: DataSource | EntityManager, companyId: string, queueId: string, first: number, last: number): Promise<QueueWaitRow[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT bucket, "answeredBy", "waitSec", calls FROM stat_queue_wait WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket >= ${p(3)} AND bucket <= ${p(4)} ORDER BY bucket, "answeredBy", "waitSec"`,
    [companyId, queueId, first, last],
  );
  return raw.map((r) => ({ bucket: num(r.bucket), answeredBy: String(r.answeredBy) as QueueWaitRow['answeredBy'], waitSec: num(r.waitSec), calls: num(r.calls) }));
}

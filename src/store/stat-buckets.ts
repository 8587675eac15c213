import type { DataSource, EntityManager } from 'typeorm';
import { CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import {
  agentBuckets, bucketOf, bucketStart, destinationBuckets, queueBuckets,
  type AgentBucket, type DestinationBucket, type QueueBucket,
} from '../statistics/buckets';
import { beforeCommit } from './persistence';
import { attemptsStartedIn, destinationAttemptsBefore, queueCallsIn, refusalsIn } from './statistics-records';

/*
 * Statistics buckets (docs/decisions/025-statistics-buckets.md). Whatever changes a record a figure counts
 * says which buckets it touched (`touch…`, in its transaction); before the transaction commits, each touched
 * bucket is locked (its row, in one global order: kind, resource, bucket) and then worked out again from
 * the records of that bucket and written whole. Recomputing from records makes it exactly once: a repeated
 * event changes no record, so it changes no bucket; two concurrent transactions touching one bucket serialize
 * on its row, and the second, reading after the first committed (PostgreSQL READ COMMITTED: each statement
 * sees what is committed when it starts; SQLite: one writer), counts both.
 */

type Kind = 'destination' | 'agent' | 'queue';

const TABLE: Record<Kind, { table: string; id: string }> = {
  destination: { table: 'stat_destination_bucket', id: 'destinationId' },
  agent: { table: 'stat_agent_bucket', id: 'agentId' },
  queue: { table: 'stat_queue_bucket', id: 'queueId' },
};

const DESTINATION_COLUMNS = [
  'offered', 'callsHandled', 'answered', 'busy', 'noAnswer', 'failed', 'limitReached', 'cancelledByCaller', 'talkTimeSec',
  'timeToAnswerSumSec', 'timeToAnswerMaxSec', 'backedOffSec', 'peakSimultaneousCalls', 'levelEnd',
] as const;
const AGENT_COLUMNS = ['offered', 'answered', 'missed', 'talkTimeSec', 'wrapUpSec'] as const;
const QUEUE_COLUMNS = ['offered', 'answeredByAgents', 'answeredByExternal', 'overflowedToExternal', 'abandoned', 'settled'] as const;

export type LinkKind = 'OFFER' | 'REFUSAL';

interface Touched {
  /** `${kind}\u0000${companyId}\u0000${resourceId}` -> buckets */
  buckets: Map<string, Set<number>>;
  /** `${companyId}\u0000${destinationId}\u0000${kind}\u0000${callId}` */
  links: Set<string>;
  /** `${companyId}\u0000${destinationId}` -> the longest attempt (with its back-off) written, in whole seconds. */
  spans: Map<string, number>;
}

const SEP = '\u0000';

function touched(m: EntityManager): Touched {
  return beforeCommit<Touched>(m, 'statistics buckets', () => ({ buckets: new Map(), links: new Set(), spans: new Map() }), (t) => flush(m, t));
}

function touch(m: EntityManager, kind: Kind, companyId: string, resourceId: string, fromMs: number, toMs = fromMs): void {
  const key = [kind, companyId, resourceId].join(SEP);
  const t = touched(m);
  let set = t.buckets.get(key);
  if (set === undefined) t.buckets.set(key, (set = new Set()));
  for (let b = bucketOf(fromMs); b <= bucketOf(toMs); b += 1) set.add(b);
}

/** A destination's buckets [bucket of fromMs, bucket of toMs] changed (its attempts, refusals or back-off). */
export function touchDestination(m: EntityManager, companyId: string, destinationId: string, fromMs: number, toMs = fromMs): void {
  touch(m, 'destination', companyId, destinationId, fromMs, toMs);
}

export function touchAgent(m: EntityManager, companyId: string, agentId: string, atMs: number): void {
  touch(m, 'agent', companyId, agentId, atMs);
}

export function touchQueue(m: EntityManager, companyId: string, queueId: string, atMs: number): void {
  touch(m, 'queue', companyId, queueId, atMs);
}

/** A call got an attempt at (OFFER) or a refusal by (REFUSAL) a destination: its links between buckets are worked out again. */
export function touchLinks(m: EntityManager, companyId: string, destinationId: string, kind: LinkKind, callId: string): void {
  touched(m).links.add([companyId, destinationId, kind, callId].join(SEP));
}

/** An attempt's buckets: where it started (counts), where it ended (open calls), and its back-off. */
export function touchAttempt(m: EntityManager, a: Pick<CallAttempt, 'companyId' | 'targetKind' | 'agentId' | 'destinationId' | 'startedAt' | 'endedAt' | 'backoffUntil'>): void {
  const started = a.startedAt.getTime();
  if (a.targetKind === 'AGENT' && a.agentId !== null) {
    touchAgent(m, a.companyId, a.agentId, started);
    return;
  }
  if (a.destinationId === null) return;
  touchDestination(m, a.companyId, a.destinationId, started);
  if (a.endedAt !== null) {
    const ended = a.endedAt.getTime();
    const spans = touched(m).spans;
    const key = [a.companyId, a.destinationId].join(SEP);
    const span = Math.max(0, Math.ceil((Math.max(ended, a.backoffUntil?.getTime() ?? ended) - started) / 1000));
    spans.set(key, Math.max(spans.get(key) ?? 0, span));
    touchDestination(m, a.companyId, a.destinationId, ended);
    const until = a.backoffUntil?.getTime() ?? null;
    if (until !== null && until > ended) touchDestination(m, a.companyId, a.destinationId, ended, until - 1);
  }
}

const placeholder = (m: EntityManager) => (m.connection.options.type === 'postgres' ? (i: number) => `$${i}` : () => '?');

/** INSERT … ON CONFLICT DO UPDATE of whole rows (`update` null: lock only, the row made empty if new). */
async function upsert(m: EntityManager, table: string, keys: readonly string[], columns: readonly string[], rows: ReadonlyArray<readonly unknown[]>, lockOnly: boolean): Promise<void> {
  const p = placeholder(m);
  const all = [...keys, ...columns];
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    const params: unknown[] = [];
    const values = chunk.map((row) => `(${row.map((v) => { params.push(v); return p(params.length); }).join(', ')})`).join(', ');
    const set = lockOnly ? `"${keys[keys.length - 1]}" = ${table}."${keys[keys.length - 1]}"` : columns.map((c) => `"${c}" = excluded."${c}"`).join(', ');
    await m.query(`INSERT INTO ${table} (${all.map((c) => `"${c}"`).join(', ')}) VALUES ${values} ON CONFLICT (${keys.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${set}`, params);
  }
}

/** Locks a destination's buckets and makes its longest attempt at least `spanSec`. */
export async function lockDestination(m: EntityManager, companyId: string, destinationId: string, spanSec: number): Promise<void> {
  const p = placeholder(m);
  const greatest = m.connection.options.type === 'postgres' ? 'GREATEST' : 'MAX';
  await m.query(
    `INSERT INTO stat_destination_lock ("companyId", "destinationId", "longestSpanSec") VALUES (${p(1)}, ${p(2)}, ${p(3)})
     ON CONFLICT ("companyId", "destinationId") DO UPDATE SET "longestSpanSec" = ${greatest}(stat_destination_lock."longestSpanSec", excluded."longestSpanSec")`,
    [companyId, destinationId, spanSec],
  );
}

/** The longest attempt of a destination with its back-off, in ms (null: none written since the buckets exist). */
export async function longestSpanMs(m: EntityManager, companyId: string, destinationId: string): Promise<number | null> {
  const p = placeholder(m);
  const rows: Array<{ longestSpanSec: unknown }> = await m.query(
    `SELECT "longestSpanSec" FROM stat_destination_lock WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)}`, [companyId, destinationId],
  );
  return rows.length === 0 ? null : num(rows[0]!.longestSpanSec) * 1000;
}

/** Runs of consecutive buckets. */
function runs(buckets: Iterable<number>): Array<[number, number]> {
  const sorted = [...buckets].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const b of sorted) {
    const last = out.at(-1);
    if (last && b === last[1] + 1) last[1] = b;
    else out.push([b, b]);
  }
  return out;
}

async function flush(m: EntityManager, t: Touched): Promise<void> {
  const entries = [...t.buckets].map(([key, set]) => {
    const [kind, companyId, resourceId] = key.split(SEP) as [Kind, string, string];
    return { kind, companyId, resourceId, buckets: [...set].sort((a, b) => a - b) };
  });
  const order: Record<Kind, number> = { destination: 0, agent: 1, queue: 2 };
  entries.sort((a, b) => order[a.kind] - order[b.kind] || (a.resourceId < b.resourceId ? -1 : a.resourceId > b.resourceId ? 1 : 0));
  // Locks first, all of them in the one order, then the work: no two transactions wait for each other in a circle.
  for (const e of entries) {
    const { table, id } = TABLE[e.kind];
    if (e.kind === 'destination') {
      // A destination's buckets are written one transaction at a time (its stat_destination_lock row): how many
      // calls are open carries from bucket to bucket, so an attempt's start or end changes every row after its
      // bucket that exists already (a back-off's rows ahead of now, or rows an earlier-stamped record was late
      // for). The lock row keeps the longest attempt too, before the records are read along it.
      await lockDestination(m, e.companyId, e.resourceId, t.spans.get([e.companyId, e.resourceId].join(SEP)) ?? 0);
      const p = placeholder(m);
      const later: Array<{ bucket: unknown }> = await m.query(
        `SELECT bucket FROM ${table} WHERE "companyId" = ${p(1)} AND "${id}" = ${p(2)} AND bucket > ${p(3)}`, [e.companyId, e.resourceId, e.buckets[0]!],
      );
      e.buckets = [...new Set([...e.buckets, ...later.map((r) => Number(r.bucket))])].sort((a, b) => a - b);
    }
    await upsert(m, table, ['companyId', id, 'bucket'], [], e.buckets.map((b) => [e.companyId, e.resourceId, b]), true);
  }
  for (const e of entries) {
    for (const [first, last] of runs(e.buckets)) await recompute(m, e.kind, e.companyId, e.resourceId, first, last);
  }
  for (const key of [...t.links].sort()) {
    const [companyId, destinationId, kind, callId] = key.split(SEP) as [string, string, LinkKind, string];
    await relink(m, companyId, destinationId, kind, callId);
  }
}

/** Works buckets first..last of one resource out again from its records and writes them. */
export async function recompute(m: EntityManager, kind: Kind, companyId: string, resourceId: string, first: number, last: number): Promise<void> {
  const from = bucketStart(first);
  const to = bucketStart(last + 1);
  if (kind === 'destination') {
    // One after another: a transaction is one connection (PostgreSQL's client takes one query at a time).
    const started = await attemptsStartedIn(m, companyId, 'DESTINATION', resourceId, from, to);
    const before = await destinationAttemptsBefore(m, companyId, resourceId, from, await longestSpanMs(m, companyId, resourceId));
    const refusals = await refusalsIn(m, companyId, resourceId, from, to);
    await writeDestinationBuckets(m, companyId, resourceId, destinationBuckets([...before, ...started], refusals, first, last));
  } else if (kind === 'agent') {
    await writeAgentBuckets(m, companyId, resourceId, agentBuckets(await attemptsStartedIn(m, companyId, 'AGENT', resourceId, from, to), first, last));
  } else {
    await writeQueueBuckets(m, companyId, resourceId, queueBuckets(await queueCallsIn(m, companyId, resourceId, from, to), first, last));
  }
}

export function writeDestinationBuckets(m: EntityManager, companyId: string, destinationId: string, rows: readonly DestinationBucket[]): Promise<void> {
  return upsert(m, 'stat_destination_bucket', ['companyId', 'destinationId', 'bucket'], DESTINATION_COLUMNS, rows.map((r) => [companyId, destinationId, r.bucket, ...DESTINATION_COLUMNS.map((c) => r[c])]), false);
}

export function writeAgentBuckets(m: EntityManager, companyId: string, agentId: string, rows: readonly AgentBucket[]): Promise<void> {
  return upsert(m, 'stat_agent_bucket', ['companyId', 'agentId', 'bucket'], AGENT_COLUMNS, rows.map((r) => [companyId, agentId, r.bucket, ...AGENT_COLUMNS.map((c) => r[c])]), false);
}

export async function writeQueueBuckets(m: EntityManager, companyId: string, queueId: string, rows: readonly QueueBucket[]): Promise<void> {
  await upsert(m, 'stat_queue_bucket', ['companyId', 'queueId', 'bucket'], [...QUEUE_COLUMNS, 'waits'],
    rows.map((r) => [companyId, queueId, r.bucket, ...QUEUE_COLUMNS.map((c) => r[c]), JSON.stringify(Object.fromEntries([...r.waits].sort()))]), false);
}

/** The buckets in which a call has attempts at (refusals by) a destination, each with the one before it. */
export async function relink(m: EntityManager, companyId: string, destinationId: string, kind: LinkKind, callId: string): Promise<void> {
  const times = kind === 'OFFER'
    ? (await m.getRepository(CallAttempt).find({ where: { callId, destinationId, targetKind: 'DESTINATION' }, select: { id: true, startedAt: true } })).map((a) => a.startedAt.getTime())
    : (await m.getRepository(CapacityRefusal).find({ where: { callId, destinationId }, select: { id: true, at: true } })).map((r) => r.at.getTime());
  const buckets = [...new Set(times.map(bucketOf))].sort((a, b) => a - b);
  // Records are never removed: a call with one bucket never had a link.
  if (buckets.length < 2) return;
  const p = placeholder(m);
  await m.query(`DELETE FROM stat_destination_link WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND kind = ${p(3)} AND "callId" = ${p(4)}`, [companyId, destinationId, kind, callId]);
  await upsert(m, 'stat_destination_link', ['companyId', 'destinationId', 'kind', 'callId', 'bucket'], ['prevBucket'],
    buckets.slice(1).map((b, i) => [companyId, destinationId, kind, callId, b, buckets[i]!]), false);
}

// ---------------------------------------------------------------- reads

const num = (v: unknown) => Number(v ?? 0);

/** A destination's rows of buckets [first, last) ascending, and the level of open calls carried into `first`. */
export async function destinationRows(ds: DataSource | EntityManager, companyId: string, destinationId: string, first: number, last: number): Promise<{ rows: DestinationBucket[]; carry: number }> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const cols = DESTINATION_COLUMNS.map((c) => `"${c}"`).join(', ');
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT bucket, ${cols} FROM stat_destination_bucket WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} ORDER BY "destinationId", bucket`,
    [companyId, destinationId, first, last],
  );
  const rows = raw.map((r) => Object.fromEntries([['bucket', num(r.bucket)], ...DESTINATION_COLUMNS.map((c) => [c, num(r[c])])]) as DestinationBucket);
  let carry = 0;
  if (rows[0]?.bucket !== first) {
    const before: Array<{ levelEnd: unknown }> = await m.query(
      `SELECT "levelEnd" FROM stat_destination_bucket WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket < ${p(3)} ORDER BY "destinationId" DESC, bucket DESC LIMIT 1`,
      [companyId, destinationId, first],
    );
    carry = num(before[0]?.levelEnd);
  }
  return { rows, carry };
}

/**
 * The same for a question without intervals, summed by the database: at most one row (at `first`) holding the
 * sums of [first, last) and its peak (a bucket without a row peaks at the open calls carried into it, which is
 * at most the peak of the row it carries from, except before the first row, where the level carried into the
 * range counts).
 */
export async function destinationRowsTotal(ds: DataSource | EntityManager, companyId: string, destinationId: string, first: number, last: number): Promise<{ rows: DestinationBucket[]; carry: number }> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const sums = DESTINATION_COLUMNS.filter((c) => c !== 'timeToAnswerMaxSec' && c !== 'peakSimultaneousCalls' && c !== 'levelEnd');
  const [agg]: Array<Record<string, unknown>> = await m.query(
    `SELECT COUNT(*) AS n, MIN(bucket) AS lo, ${sums.map((c) => `SUM("${c}") AS "${c}"`).join(', ')}, MAX("timeToAnswerMaxSec") AS "timeToAnswerMaxSec", MAX("peakSimultaneousCalls") AS "peakSimultaneousCalls"
     FROM stat_destination_bucket WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)}`,
    [companyId, destinationId, first, last],
  );
  const n = num(agg?.n);
  let carry = 0;
  if (n === 0 || num(agg!.lo) > first) {
    const before: Array<{ levelEnd: unknown }> = await m.query(
      `SELECT "levelEnd" FROM stat_destination_bucket WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)} AND bucket < ${p(3)} ORDER BY "destinationId" DESC, bucket DESC LIMIT 1`,
      [companyId, destinationId, first],
    );
    carry = num(before[0]?.levelEnd);
  }
  if (n === 0) return { rows: [], carry };
  const row = Object.fromEntries([['bucket', first], ...DESTINATION_COLUMNS.map((c) => [c, num(agg![c])])]) as DestinationBucket;
  row.peakSimultaneousCalls = Math.max(row.peakSimultaneousCalls, carry);
  row.levelEnd = 0;
  return { rows: [row], carry: 0 };
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

/** A queue's buckets [first, last) summed (the counts by the database, the waits here): at most one row, at `first`. */
export async function queueRowsTotal(ds: DataSource | EntityManager, companyId: string, queueId: string, first: number, last: number): Promise<QueueBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const params = [companyId, queueId, first, last];
  const where = `"companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)}`;
  const [agg]: Array<Record<string, unknown>> = await m.query(`SELECT COUNT(*) AS n, ${QUEUE_COLUMNS.map((c) => `SUM("${c}") AS "${c}"`).join(', ')} FROM stat_queue_bucket WHERE ${where}`, params);
  if (num(agg?.n) === 0) return [];
  const waits = new Map<string, number>();
  const raw: Array<{ waits: unknown }> = await m.query(`SELECT waits FROM stat_queue_bucket WHERE ${where} AND waits <> '{}'`, params);
  for (const r of raw) {
    for (const [k, n] of Object.entries(JSON.parse(String(r.waits)) as Record<string, number>)) waits.set(k, (waits.get(k) ?? 0) + n);
  }
  return [Object.assign(Object.fromEntries([['bucket', first], ...QUEUE_COLUMNS.map((c) => [c, num(agg![c])])]), { waits }) as QueueBucket];
}

/** A queue's rows of buckets [first, last), with their waits. */
export async function queueRows(ds: DataSource | EntityManager, companyId: string, queueId: string, first: number, last: number): Promise<QueueBucket[]> {
  const m = 'manager' in ds ? ds.manager : ds;
  const p = placeholder(m);
  const raw: Array<Record<string, unknown>> = await m.query(
    `SELECT bucket, ${QUEUE_COLUMNS.map((c) => `"${c}"`).join(', ')}, waits FROM stat_queue_bucket WHERE "companyId" = ${p(1)} AND "queueId" = ${p(2)} AND bucket >= ${p(3)} AND bucket < ${p(4)} ORDER BY "queueId", bucket`,
    [companyId, queueId, first, last],
  );
  return raw.map((r) => Object.assign(
    Object.fromEntries([['bucket', num(r.bucket)], ...QUEUE_COLUMNS.map((c) => [c, num(r[c])])]),
    { waits: new Map<string, number>(Object.entries(JSON.parse(String(r.waits ?? '{}')) as Record<string, number>)) },
  ) as QueueBucket);
}

/** Whether a company's buckets hold all its records (not awaiting `stats:rebuild --write` after the migration). */
export async function bucketsReady(ds: DataSource, companyId: string): Promise<boolean> {
  const p = placeholder(ds.manager);
  const rows: unknown[] = await ds.manager.query(`SELECT "companyId" FROM stat_rebuild_pending WHERE "companyId" = ${p(1)}`, [companyId]);
  return rows.length === 0;
}

import type { DataSource, EntityManager } from 'typeorm';
import { CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { Company } from '../entities/company.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import type { Logger } from 'pino';
import type { Scheduler } from '../platform/scheduler';
import { loggableError } from '../errors';
import {
  agentBuckets, bucketLinks, bucketOf, bucketStart, destinationBuckets, emptyBucket, queueBuckets, queueWaitRows,
  type AgentBucket, type DestinationBucket, type QueueBucket, type QueueWaitRow,
} from '../statistics/buckets';
import type { AttemptRecord, RefusalRecord } from '../statistics/figures';
import { TimeSlicer } from '../platform/time-slice';
import { inTransaction } from './persistence';
import { AGENT_COLUMNS, DESTINATION_COLUMNS, insertRows, QUEUE_COLUMNS, type LinkKind } from './stat-buckets';
import { ATTEMPT_COLUMNS, attemptRecord, destinationAttemptsBefore, queueCallsIn } from './statistics-records';

/*
 * Sealing a company's quarter hours (docs/decisions/025-statistics-buckets.md): once a quarter hour is over
 * (by the statistics clock, SEAL_GRACE_MS ago), its bucket rows are worked out from its records by figures.ts
 * and written, and its stat_seal row says sealed. A write that touches a sealed quarter hour later marks it
 * not sealed and raises its version in its own transaction (src/store/stat-buckets.ts), and it is sealed
 * again. Optimistic: the versions are read first, then the records (outside any transaction, giving the
 * event loop turns), then, in one short transaction, the seal rows are locked (the rows those writes lock)
 * and the rows written only if no version moved; otherwise the run is left for the next try. A write that
 * marked a quarter hour after the versions were read moved its version (or waits for the lock, then marks it
 * again after the seal); one that marked it before committed before the records were read, or holds the row
 * lock, so its version is seen moved.
 */

/**
 * How long after its end a quarter hour may be sealed: a write stamped in a quarter hour that commits this
 * much later than it checked the clock (or an instance whose clock is this much behind) would not mark it.
 */
export const SEAL_GRACE_MS = 60_000;
/** How long sealing works before it gives the event loop a turn. */
const SLICE_MS = 10;
/** Quarter hours per sealing transaction (a day). */
const RUN_BUCKETS = 96;
/** Quarter hours one periodic pass seals per company at most (a week): a company catches up over passes. */
const PASS_BUCKETS = 672;

export interface LinkRow {
  destinationId: string;
  kind: LinkKind;
  callId: string;
  bucket: number;
  prevBucket: number;
}

/** A company's bucket rows of a run of quarter hours, as the records give them (empty buckets have no row). */
export interface RunRows {
  destinations: Map<string, DestinationBucket[]>;
  agents: Map<string, AgentBucket[]>;
  queues: Map<string, QueueBucket[]>;
  /** Per queue, its answered calls by who answered and wait (for service levels other than the default). */
  queueWaits: Map<string, QueueWaitRow[]>;
  links: LinkRow[];
  /** Per destination, the longest of its attempts seen that ended (with their back-off), in whole seconds. */
  spans: Map<string, number>;
}

/** What a run carries into the next one: per destination, its attempts that may still overlap the next run. */
export type Carry = Map<string, AttemptRecord[]>;

const placeholder = (m: EntityManager) => (m.connection.options.type === 'postgres' ? (i: number) => `$${i}` : () => '?');

async function idsOf(m: EntityManager, entity: typeof Queue | typeof ExternalDestination, companyId: string): Promise<string[]> {
  const rows = await m.getRepository(entity).find({ where: { companyId }, select: { id: true }, order: { id: 'ASC' } });
  return rows.map((r) => r.id);
}

function push<T>(map: Map<string, T[]>, key: string, item: T): void {
  const list = map.get(key);
  if (list) list.push(item);
  else map.set(key, [item]);
}

/** A company's attempts (by destination and by agent) and refusals (by destination) of [from, to), each read once. */
async function companyRecords(m: EntityManager, companyId: string, from: number, to: number) {
  const span = { companyId, from: new Date(from), to: new Date(to) };
  const attempts = await m.getRepository(CallAttempt).createQueryBuilder('a').select([...ATTEMPT_COLUMNS, 'a.targetKind', 'a.destinationId', 'a.agentId'])
    .where('a.companyId = :companyId AND a.startedAt >= :from AND a.startedAt < :to', span)
    .orderBy('a.startedAt', 'ASC').addOrderBy('a.id', 'ASC').getMany();
  const byDestination = new Map<string, AttemptRecord[]>();
  const byAgent = new Map<string, AttemptRecord[]>();
  for (const a of attempts) {
    if (a.targetKind === 'DESTINATION' && a.destinationId !== null) push(byDestination, a.destinationId, attemptRecord(a));
    else if (a.targetKind === 'AGENT' && a.agentId !== null) push(byAgent, a.agentId, attemptRecord(a));
  }
  const refusals = await m.getRepository(CapacityRefusal).createQueryBuilder('r').select(['r.id', 'r.callId', 'r.destinationId', 'r.at'])
    .where('r.companyId = :companyId AND r.at >= :from AND r.at < :to', span)
    .orderBy('r.at', 'ASC').addOrderBy('r.id', 'ASC').getMany();
  const refusalsByDestination = new Map<string, RefusalRecord[]>();
  for (const r of refusals) push(refusalsByDestination, r.destinationId, { callId: r.callId, at: r.at.getTime() });
  return { byDestination, byAgent, refusalsByDestination };
}

/** Per call, the bucket of its last record at a destination before `before` (for the links of a run). */
async function previousBuckets(m: EntityManager, kind: LinkKind, destinationId: string, callIds: readonly string[], before: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < callIds.length; i += 500) {
    const ids = callIds.slice(i, i + 500);
    const rows = kind === 'OFFER'
      ? await m.getRepository(CallAttempt).createQueryBuilder('x').select('x.callId', 'callId').addSelect('MAX(x.startedAt)', 'at')
        .where('x.callId IN (:...ids) AND x.destinationId = :destinationId AND x.targetKind = :k AND x.startedAt < :before', { ids, destinationId, k: 'DESTINATION', before: new Date(before) })
        .groupBy('x.callId').getRawMany<{ callId: string; at: unknown }>()
      : await m.getRepository(CapacityRefusal).createQueryBuilder('x').select('x.callId', 'callId').addSelect('MAX(x.at)', 'at')
        .where('x.callId IN (:...ids) AND x.destinationId = :destinationId AND x.at < :before', { ids, destinationId, before: new Date(before) })
        .groupBy('x.callId').getRawMany<{ callId: string; at: unknown }>();
    for (const r of rows) {
      // MAX() of a timestamp comes back as a Date (PostgreSQL) or as the stored text (SQLite).
      const at = r.at instanceof Date ? r.at.getTime() : new Date(`${String(r.at).replace(' ', 'T')}${String(r.at).endsWith('Z') ? '' : 'Z'}`).getTime();
      out.set(r.callId, bucketOf(at));
    }
  }
  return out;
}

/**
 * A company's bucket rows of quarter hours first..last, from its records (by figures.ts, as any range is
 * worked out). `carry` holds each destination's attempts from before `first` that may still overlap it (from
 * the run before); without it they are read. On return it holds those that may overlap the run after.
 */
export async function rowsFromRecords(m: EntityManager, companyId: string, first: number, last: number, carry?: Carry, pause: () => Promise<void> | undefined = () => undefined): Promise<RunRows> {
  const from = bucketStart(first);
  const to = bucketStart(last + 1);
  const out: RunRows = { destinations: new Map(), agents: new Map(), queues: new Map(), queueWaits: new Map(), links: [], spans: new Map() };
  const records = await companyRecords(m, companyId, from, to);
  // Every destination that has records here or may have some still overlapping (a deleted one's history too).
  const destinations = new Set([...(await idsOf(m, ExternalDestination, companyId)), ...records.byDestination.keys(), ...records.refusalsByDestination.keys(), ...(carry?.keys() ?? [])]);
  for (const d of [...destinations].sort()) {
    await pause();
    const before = carry?.get(d) ?? (await destinationAttemptsBefore(m, companyId, d, from));
    const started = records.byDestination.get(d) ?? [];
    const refusals = records.refusalsByDestination.get(d) ?? [];
    const attempts = [...before, ...started];
    carry?.set(d, attempts.filter((a) => a.endedAt === null || a.endedAt > to || (a.backoffUntil !== null && a.backoffUntil > to)));
    if (attempts.length === 0 && refusals.length === 0) continue;
    let longest = 0;
    for (const a of attempts) {
      if (a.endedAt !== null) longest = Math.max(longest, Math.ceil((Math.max(a.endedAt, a.backoffUntil ?? 0) - a.startedAt) / 1000));
    }
    out.spans.set(d, longest);
    const rows = destinationBuckets(attempts, refusals, first, last).filter((r) => !emptyBucket(r));
    if (rows.length > 0) out.destinations.set(d, rows);
    const offers = started.map((a) => ({ callId: a.callId, at: a.startedAt }));
    for (const [kind, list] of [['OFFER', offers], ['REFUSAL', refusals]] as const) {
      if (list.length === 0) continue;
      const previous = await previousBuckets(m, kind, d, [...new Set(list.map((r) => r.callId))], from);
      for (const link of bucketLinks(list, previous)) out.links.push({ destinationId: d, kind, ...link });
    }
  }
  for (const [a, attempts] of [...records.byAgent].sort(([x], [y]) => (x < y ? -1 : 1))) {
    out.agents.set(a, agentBuckets(attempts, first, last).filter((r) => !emptyBucket(r)));
  }
  for (const q of await idsOf(m, Queue, companyId)) {
    await pause();
    const calls = await queueCallsIn(m, companyId, q, from, to);
    if (calls.length === 0) continue;
    out.queues.set(q, queueBuckets(calls, first, last).filter((r) => !emptyBucket(r)));
    const waits = queueWaitRows(calls, first, last);
    if (waits.length > 0) out.queueWaits.set(q, waits);
  }
  return out;
}

/** A company's seal rows of first..last: bucket -> [version, sealed] (a missing row: version 0, not sealed). */
async function sealsOf(m: EntityManager, companyId: string, first: number, last: number): Promise<Map<number, [number, boolean]>> {
  const p = placeholder(m);
  const rows: Array<{ bucket: unknown; sealed: unknown; version: unknown }> = await m.query(
    `SELECT bucket, sealed, version FROM stat_seal WHERE "companyId" = ${p(1)} AND bucket >= ${p(2)} AND bucket <= ${p(3)}`, [companyId, first, last],
  );
  return new Map(rows.map((r) => [Number(r.bucket), [Number(r.version), r.sealed === true || r.sealed === 1]]));
}

/** Locks a company's seal rows first..last (made, not sealed, version 0, where missing). */
async function lockSeals(m: EntityManager, companyId: string, first: number, last: number): Promise<void> {
  const p = placeholder(m);
  const no = m.connection.options.type === 'postgres' ? 'false' : '0';
  for (let b = first; b <= last; b += 200) {
    const params: unknown[] = [];
    const values: string[] = [];
    for (let k = b; k <= Math.min(last, b + 199); k += 1) {
      params.push(companyId, k);
      values.push(`(${p(params.length - 1)}, ${p(params.length)}, ${no}, 0)`);
    }
    await m.query(`INSERT INTO stat_seal ("companyId", bucket, sealed, version) VALUES ${values.join(', ')} ON CONFLICT ("companyId", bucket) DO UPDATE SET sealed = stat_seal.sealed`, params);
  }
}

const versionOf = (seals: Map<number, [number, boolean]>, bucket: number) => seals.get(bucket)?.[0] ?? 0;

/** Writes a run's rows in place of what its quarter hours held. */
async function writeRun(m: EntityManager, companyId: string, first: number, last: number, rows: RunRows): Promise<void> {
  const p = placeholder(m);
  for (const table of ['stat_destination_bucket', 'stat_agent_bucket', 'stat_queue_bucket', 'stat_queue_wait', 'stat_destination_link']) {
    await m.query(`DELETE FROM ${table} WHERE "companyId" = ${p(1)} AND bucket >= ${p(2)} AND bucket <= ${p(3)}`, [companyId, first, last]);
  }
  const destination: unknown[][] = [];
  for (const [id, list] of rows.destinations) for (const r of list) destination.push([companyId, id, r.bucket, ...DESTINATION_COLUMNS.map((c) => r[c])]);
  await insertRows(m, 'stat_destination_bucket', ['companyId', 'destinationId', 'bucket', ...DESTINATION_COLUMNS], destination);
  const agent: unknown[][] = [];
  for (const [id, list] of rows.agents) for (const r of list) agent.push([companyId, id, r.bucket, ...AGENT_COLUMNS.map((c) => r[c])]);
  await insertRows(m, 'stat_agent_bucket', ['companyId', 'agentId', 'bucket', ...AGENT_COLUMNS], agent);
  const queue: unknown[][] = [];
  for (const [id, list] of rows.queues) for (const r of list) queue.push([companyId, id, r.bucket, ...QUEUE_COLUMNS.map((c) => r[c])]);
  await insertRows(m, 'stat_queue_bucket', ['companyId', 'queueId', 'bucket', ...QUEUE_COLUMNS], queue);
  const waits: unknown[][] = [];
  for (const [id, list] of rows.queueWaits) for (const r of list) waits.push([companyId, id, r.bucket, r.answeredBy, r.waitSec, r.calls]);
  await insertRows(m, 'stat_queue_wait', ['companyId', 'queueId', 'bucket', 'answeredBy', 'waitSec', 'calls'], waits);
  await insertRows(m, 'stat_destination_link', ['companyId', 'destinationId', 'kind', 'callId', 'bucket', 'prevBucket'],
    rows.links.map((l) => [companyId, l.destinationId, l.kind, l.callId, l.bucket, l.prevBucket]));
  const greatest = m.connection.options.type === 'postgres' ? 'GREATEST' : 'MAX';
  for (const [id, span] of [...rows.spans].sort()) {
    await m.query(
      `INSERT INTO stat_destination_span ("companyId", "destinationId", "longestSpanSec") VALUES (${p(1)}, ${p(2)}, ${p(3)})
       ON CONFLICT ("companyId", "destinationId") DO UPDATE SET "longestSpanSec" = ${greatest}(stat_destination_span."longestSpanSec", excluded."longestSpanSec")`,
      [companyId, id, span],
    );
  }
  const yes = m.connection.options.type === 'postgres' ? 'true' : '1';
  await m.query(`UPDATE stat_seal SET sealed = ${yes} WHERE "companyId" = ${p(1)} AND bucket >= ${p(2)} AND bucket <= ${p(3)}`, [companyId, first, last]);
}

/**
 * Seals a company's quarter hours first..last (all over), a day at a time; `force` works out again those
 * already sealed too. Answers whether every one of them is sealed now (false: a write moved one while it was
 * being worked out; the next try seals it).
 */
export function sealRange(
  ds: DataSource, companyId: string, first: number, last: number, force = false,
  /** Gives the event loop a turn while the records are read (default: every SLICE_MS). */
  pause: () => Promise<void> | undefined = sliced(),
): Promise<boolean> {
  return oneAtATime(ds, companyId, () => sealRuns(ds, companyId, first, last, force, pause));
}

/** Per data source and company, the end of the sealing under way in this instance. */
const sealing = new WeakMap<DataSource, Map<string, Promise<unknown>>>();

/**
 * A company's sealings in this instance one after another: a second one at once (the periodic pass, a
 * question, the rebuild) would work out the same quarter hours again; after the first, it finds them sealed.
 */
async function oneAtATime<T>(ds: DataSource, companyId: string, work: () => Promise<T>): Promise<T> {
  let companies = sealing.get(ds);
  if (companies === undefined) sealing.set(ds, (companies = new Map()));
  const mine = (companies.get(companyId) ?? Promise.resolve()).then(work);
  const end = mine.catch(() => undefined);
  companies.set(companyId, end);
  try {
    return await mine;
  } finally {
    if (companies.get(companyId) === end) companies.delete(companyId);
  }
}

async function sealRuns(ds: DataSource, companyId: string, first: number, last: number, force: boolean, pause: () => Promise<void> | undefined): Promise<boolean> {
  let all = true;
  let carry: Carry | undefined;
  for (let a = first; a <= last; a += RUN_BUCKETS) {
    const b = Math.min(last, a + RUN_BUCKETS - 1);
    const before = await sealsOf(ds.manager, companyId, a, b);
    if (!force && [...before.values()].filter(([, sealed]) => sealed).length === b - a + 1) {
      carry = undefined;
      continue;
    }
    const known: Carry = new Map(carry ?? []);
    const rows = await rowsFromRecords(ds.manager, companyId, a, b, known, pause);
    await pause();
    const written = await inTransaction(ds, async (m) => {
      await lockSeals(m, companyId, a, b);
      const now = await sealsOf(m, companyId, a, b);
      for (let k = a; k <= b; k += 1) if (versionOf(now, k) !== versionOf(before, k)) return false;
      await writeRun(m, companyId, a, b, rows);
      return true;
    });
    all &&= written;
    carry = written ? known : undefined;
  }
  return all;
}

/** The longest span the sealed quarter hours know of a destination's attempts, in ms (null: none sealed). */
export async function longestSpanMs(m: EntityManager, companyId: string, destinationId: string): Promise<number | null> {
  const p = placeholder(m);
  const rows: Array<{ longestSpanSec: unknown }> = await m.query(
    `SELECT "longestSpanSec" FROM stat_destination_span WHERE "companyId" = ${p(1)} AND "destinationId" = ${p(2)}`, [companyId, destinationId],
  );
  return rows.length === 0 ? null : Number(rows[0]!.longestSpanSec) * 1000;
}

/** A pause that gives the event loop a turn once every SLICE_MS of work. */
function sliced(): () => Promise<void> | undefined {
  const slicer = new TimeSlicer(SLICE_MS);
  return () => slicer.pause();
}

/** Runs of consecutive numbers among `missing` (ascending). */
function runs(missing: readonly number[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const b of missing) {
    const last = out.at(-1);
    if (last && b === last[1] + 1) last[1] = b;
    else out.push([b, b]);
  }
  return out;
}

/**
 * Keeps companies' quarter hours sealed: `tick` (every `everyMs` once started) seals, per company, what later
 * writes unsealed and the quarter hours over since the last one sealed (from a day back for a company that
 * has none); `ensure` seals a range before a question reads its buckets.
 */
export class StatisticsSealer {
  private readonly stops: Array<() => void> = [];
  private pass: Promise<void> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly time: Pick<Scheduler, 'now' | 'every'>,
    private readonly logger: Logger | null = null,
    private readonly everyMs = 60_000,
  ) {}

  /** The first quarter hour that may not be sealed yet. */
  horizon(): number {
    return bucketOf(this.time.now() - SEAL_GRACE_MS);
  }

  /** The start of the quarter hour before which buckets may be read (every one of them sealed first). */
  sealedBefore(): number {
    return bucketStart(this.horizon());
  }

  /**
   * Seals whatever of a company's quarter hours [first, last) is not sealed (they must be over); answers
   * whether all of them are sealed (false: writes kept moving one, three tries over).
   */
  async ensure(companyId: string, first: number, last: number, tries = 3): Promise<boolean> {
    if (last <= first) return true;
    const p = placeholder(this.dataSource.manager);
    const sealedIn = `FROM stat_seal WHERE "companyId" = ${p(1)} AND bucket >= ${p(2)} AND bucket < ${p(3)} AND sealed = ${this.dataSource.options.type === 'postgres' ? 'true' : '1'}`;
    // Nearly always all of them are: counted by the database, without reading a row per quarter hour.
    const [count]: Array<{ n: unknown }> = await this.dataSource.manager.query(`SELECT COUNT(*) AS n ${sealedIn}`, [companyId, first, last]);
    if (Number(count?.n) === last - first) return true;
    const rows: Array<{ bucket: unknown }> = await this.dataSource.manager.query(`SELECT bucket ${sealedIn}`, [companyId, first, last]);
    const sealed = new Set(rows.map((r) => Number(r.bucket)));
    const missing: number[] = [];
    for (let b = first; b < last; b += 1) if (!sealed.has(b)) missing.push(b);
    let all = true;
    for (const [a, b] of runs(missing)) all = (await sealRange(this.dataSource, companyId, a, b)) && all;
    return all || (tries > 1 && this.ensure(companyId, first, last, tries - 1));
  }

  start(): void {
    this.stops.push(this.time.every(this.everyMs, () => {
      if (this.pass !== null) return;
      const pass = this.sealAll()
        .catch((err: unknown) => this.logger?.warn({ err: loggableError(err) }, 'sealing statistics buckets failed (tried again at the next tick)'))
        .finally(() => { this.pass = null; });
      this.pass = pass;
    }));
  }

  async stop(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    await this.pass?.catch(() => undefined);
  }

  /** One pass over every company. */
  async sealAll(): Promise<void> {
    const companies = await this.dataSource.getRepository(Company).find({ select: { id: true }, order: { id: 'ASC' } });
    for (const c of companies) await this.sealCompany(c.id);
  }

  private async sealCompany(companyId: string): Promise<void> {
    const horizon = this.horizon();
    const m = this.dataSource.manager;
    const p = placeholder(m);
    const no = this.dataSource.options.type === 'postgres' ? 'false' : '0';
    // Quarter hours a later write unsealed.
    const unsealed: Array<{ bucket: unknown }> = await m.query(
      `SELECT bucket FROM stat_seal WHERE "companyId" = ${p(1)} AND sealed = ${no} AND bucket < ${p(2)} ORDER BY bucket`, [companyId, horizon],
    );
    for (const [a, b] of runs(unsealed.map((r) => Number(r.bucket)))) await sealRange(this.dataSource, companyId, a, b);
    const yes = this.dataSource.options.type === 'postgres' ? 'true' : '1';
    const [latest]: Array<{ bucket: unknown }> = await m.query(`SELECT MAX(bucket) AS bucket FROM stat_seal WHERE "companyId" = ${p(1)} AND sealed = ${yes}`, [companyId]);
    const from = latest?.bucket === null || latest?.bucket === undefined ? horizon - RUN_BUCKETS : Number(latest.bucket) + 1;
    const to = Math.min(horizon - 1, from + PASS_BUCKETS - 1);
    if (to >= from) await sealRange(this.dataSource, companyId, from, to);
  }
}

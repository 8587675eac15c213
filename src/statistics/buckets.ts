/**
 * Statistics buckets (pure): the figures of one resource per 15-minute bucket, as kept in the stat_* tables,
 * worked out by the same functions as any range (figures.ts), and the figures of a range put back together
 * from buckets inside it and the records of its partial edges (docs/decisions/025-statistics-buckets.md).
 *
 * A bucket is `floor(ms / INTERVAL_MS)`: every zone in use is a whole number of quarter hours from UTC, so
 * bucket bounds are interval bounds in every zone.
 */
import {
  addQueueTally, agentFigures, answerWaitSec, DEFAULT_SERVICE_LEVEL_SEC, destinationFigures, emptyQueueTally, INTERVAL_MS, queueFiguresOfTally, queueTallies,
  type AgentFigures, type AnsweredBy, type AttemptRecord, type Breakdown, type DestinationFigures, type QueueCallRecord, type QueueFigures, type QueueTally, type RefusalRecord,
} from './figures';

export const bucketOf = (ms: number): number => Math.floor(ms / INTERVAL_MS);
export const bucketStart = (bucket: number): number => bucket * INTERVAL_MS;

export type DestinationBucket = DestinationFigures & { bucket: number };
export type AgentBucket = AgentFigures & { bucket: number };
export type QueueBucket = QueueTally & { bucket: number };

/**
 * A destination's buckets first..last (inclusive) from its records that may overlap them (attempts started in
 * them or before them and still open or backed off in them; refusals in them). Worked out once the buckets are
 * over: an attempt still open counts as open to their end.
 */
export function destinationBuckets(attempts: readonly AttemptRecord[], refusals: readonly RefusalRecord[], first: number, last: number): DestinationBucket[] {
  const to = bucketStart(last + 1);
  const figures = destinationFigures(attempts, refusals, { from: bucketStart(first), to, now: to });
  return figures.intervals.map(({ start, ...rest }) => ({ ...rest, bucket: bucketOf(start) }));
}

/** Whether a bucket's figures are all zero (no row is kept for it). */
export function emptyBucket(row: object): boolean {
  for (const [k, v] of Object.entries(row)) {
    if (k === 'bucket') continue;
    if (v !== 0) return false;
  }
  return true;
}

/**
 * For the distinct counts of a range: per call with records at one destination in buckets first..last, each
 * such bucket with the bucket of its previous record (`before`: the call's last bucket before `first`, if
 * any). Distinct calls of buckets [A, B) = Σ per-bucket distinct − links with A <= prevBucket and bucket < B.
 */
export function bucketLinks(records: ReadonlyArray<{ callId: string; at: number }>, before: ReadonlyMap<string, number>): Array<{ callId: string; bucket: number; prevBucket: number }> {
  const byCall = new Map<string, Set<number>>();
  for (const r of records) {
    let set = byCall.get(r.callId);
    if (set === undefined) byCall.set(r.callId, (set = new Set()));
    set.add(bucketOf(r.at));
  }
  const out: Array<{ callId: string; bucket: number; prevBucket: number }> = [];
  for (const [callId, set] of byCall) {
    let prev = before.get(callId);
    for (const bucket of [...set].sort((a, b) => a - b)) {
      if (prev !== undefined) out.push({ callId, bucket, prevBucket: prev });
      prev = bucket;
    }
  }
  return out;
}

export function agentBuckets(attempts: readonly AttemptRecord[], first: number, last: number): AgentBucket[] {
  const to = bucketStart(last + 1);
  return agentFigures(attempts, { from: bucketStart(first), to, now: to }).intervals.map(({ start, ...f }) => ({ ...f, bucket: bucketOf(start) }));
}

/** A queue's buckets first..last, with their counts within the default service level. */
export function queueBuckets(calls: readonly QueueCallRecord[], first: number, last: number): QueueBucket[] {
  const to = bucketStart(last + 1);
  return queueTallies(calls, { from: bucketStart(first), to, now: to }, DEFAULT_SERVICE_LEVEL_SEC).intervals.map(({ start, ...t }) => ({ ...t, bucket: bucketOf(start) }));
}

/** How many of a queue's calls of one bucket were answered by whom after how long (`answerWaitSec`). */
export interface QueueWaitRow {
  bucket: number;
  answeredBy: AnsweredBy;
  waitSec: number;
  calls: number;
}

/**
 * A queue's answered calls of buckets first..last by who answered and wait (calls count in the bucket they
 * entered the queue, as in their tallies): from these, the counts within any other service level.
 */
export function queueWaitRows(calls: readonly QueueCallRecord[], first: number, last: number): QueueWaitRow[] {
  const from = bucketStart(first);
  const to = bucketStart(last + 1);
  const rows = new Map<string, QueueWaitRow>();
  for (const c of calls) {
    if (c.answeredAt === null || c.enqueuedAt < from || c.enqueuedAt >= to) continue;
    const row: QueueWaitRow = { bucket: bucketOf(c.enqueuedAt), answeredBy: c.answeredBy ?? 'NONE', waitSec: answerWaitSec(c), calls: 0 };
    const key = `${row.bucket}:${row.answeredBy}:${row.waitSec}`;
    (rows.get(key) ?? rows.set(key, row).get(key)!).calls += 1;
  }
  return [...rows.values()].sort((a, b) => a.bucket - b.bucket || (a.answeredBy < b.answeredBy ? -1 : a.answeredBy > b.answeredBy ? 1 : 0) || a.waitSec - b.waitSec);
}

/** How a range [from, to) is read: [innerFrom, innerTo) from buckets (empty when equal), the rest from records. */
export interface RangeSplit {
  innerFrom: number;
  innerTo: number;
  /** The partial edges read from records: before the buckets, and after them (the bucket of now and later included). */
  left: { from: number; to: number } | null;
  right: { from: number; to: number } | null;
}

/**
 * Buckets cover the whole quarter hours of the range that ended before `sealedBefore` (the quarter hours that
 * may be sealed); the edges of the range and everything after are read from the records (at most a quarter
 * hour of activity at the left edge). No whole quarter hour: all from the records.
 */
export function splitRange(from: number, to: number, sealedBefore: number): RangeSplit | null {
  const innerFrom = Math.ceil(from / INTERVAL_MS) * INTERVAL_MS;
  const innerTo = Math.min(Math.floor(to / INTERVAL_MS), Math.floor(sealedBefore / INTERVAL_MS)) * INTERVAL_MS;
  if (innerTo <= innerFrom) return null;
  return {
    innerFrom, innerTo,
    left: from < innerFrom ? { from, to: innerFrom } : null,
    right: innerTo < to ? { from: innerTo, to } : null,
  };
}

const zeroDestination = (): DestinationFigures => ({
  offered: 0, callsHandled: 0, answered: 0, busy: 0, noAnswer: 0, failed: 0, limitReached: 0, cancelledByCaller: 0, returned: 0,
  talkTimeSec: 0, timeToAnswerSumSec: 0, timeToAnswerMaxSec: 0, backedOffSec: 0, peakSimultaneousCalls: 0,
});

const DESTINATION_SUMS = ['offered', 'answered', 'busy', 'noAnswer', 'failed', 'cancelledByCaller', 'returned', 'talkTimeSec', 'timeToAnswerSumSec', 'backedOffSec'] as const;

function destinationFromRow(row: DestinationBucket | undefined): DestinationFigures {
  const f = zeroDestination();
  if (row === undefined) return f;
  for (const k of Object.keys(f) as Array<keyof DestinationFigures>) f[k] = row[k];
  return f;
}

/**
 * A destination's figures of a split range: the edges' figures from the records, the inner buckets from their
 * rows (`rows` ascending; a bucket without a row had nothing). Distinct counts of the whole range are given
 * (`callsHandled`, `limitReached`): the inner buckets' distinct calls, plus the edges' calls the inner buckets
 * do not have.
 */
export function destinationFromBuckets(input: {
  split: RangeSplit;
  left: Breakdown<DestinationFigures> | null;
  right: Breakdown<DestinationFigures> | null;
  rows: readonly DestinationBucket[];
  callsHandled: number;
  limitReached: number;
  withIntervals: boolean;
}): Breakdown<DestinationFigures> {
  const { split, left, right, rows } = input;
  const intervals: Array<DestinationFigures & { start: number }> = [];
  const total = zeroDestination();
  const addToTotal = (f: DestinationFigures) => {
    for (const k of DESTINATION_SUMS) total[k] += f[k];
    total.timeToAnswerMaxSec = Math.max(total.timeToAnswerMaxSec, f.timeToAnswerMaxSec);
    total.peakSimultaneousCalls = Math.max(total.peakSimultaneousCalls, f.peakSimultaneousCalls);
  };
  const edge = (b: Breakdown<DestinationFigures> | null) => {
    if (b === null) return;
    addToTotal(b.total);
    if (input.withIntervals) intervals.push(...b.intervals);
  };
  edge(left);
  let r = 0;
  for (let bucket = bucketOf(split.innerFrom); bucket < bucketOf(split.innerTo); bucket += 1) {
    while (r < rows.length && rows[r]!.bucket < bucket) r += 1;
    const f = destinationFromRow(rows[r]?.bucket === bucket ? rows[r] : undefined);
    addToTotal(f);
    if (input.withIntervals) intervals.push(Object.assign(f, { start: bucketStart(bucket) }));
  }
  edge(right);
  total.callsHandled = input.callsHandled;
  total.limitReached = input.limitReached;
  return { total, intervals };
}

const zeroAgent = (): AgentFigures => ({ offered: 0, answered: 0, missed: 0, talkTimeSec: 0, wrapUpSec: 0 });

export function agentFromBuckets(split: RangeSplit, left: Breakdown<AgentFigures> | null, right: Breakdown<AgentFigures> | null, rows: readonly AgentBucket[], withIntervals: boolean): Breakdown<AgentFigures> {
  const total = zeroAgent();
  const intervals: Array<AgentFigures & { start: number }> = [];
  const add = (f: AgentFigures) => {
    for (const k of Object.keys(total) as Array<keyof AgentFigures>) total[k] += f[k];
  };
  for (const b of [left]) if (b) { add(b.total); if (withIntervals) intervals.push(...b.intervals); }
  const byBucket = new Map(rows.map((row) => [row.bucket, row]));
  for (let bucket = bucketOf(split.innerFrom); bucket < bucketOf(split.innerTo); bucket += 1) {
    const row = byBucket.get(bucket);
    const f = zeroAgent();
    if (row) for (const k of Object.keys(f) as Array<keyof AgentFigures>) f[k] = row[k];
    add(f);
    if (withIntervals) intervals.push(Object.assign(f, { start: bucketStart(bucket) }));
  }
  if (right) { add(right.total); if (withIntervals) intervals.push(...right.intervals); }
  return { total, intervals };
}

/** A queue's figures of a range from its edges' tallies and its buckets' rows, all for the question's service level. */
export function queueFromBuckets(
  split: RangeSplit, left: Breakdown<QueueTally> | null, right: Breakdown<QueueTally> | null, rows: readonly QueueBucket[], withIntervals: boolean,
): Breakdown<QueueFigures> {
  const total = emptyQueueTally();
  const intervals: Array<QueueFigures & { start: number }> = [];
  const edge = (b: Breakdown<QueueTally> | null) => {
    if (b === null) return;
    addQueueTally(total, b.total);
    if (withIntervals) for (const t of b.intervals) intervals.push(Object.assign(queueFiguresOfTally(t), { start: t.start }));
  };
  edge(left);
  const byBucket = new Map(rows.map((row) => [row.bucket, row]));
  for (let bucket = bucketOf(split.innerFrom); bucket < bucketOf(split.innerTo); bucket += 1) {
    const t = byBucket.get(bucket) ?? emptyQueueTally();
    addQueueTally(total, t);
    if (withIntervals) intervals.push(Object.assign(queueFiguresOfTally(t), { start: bucketStart(bucket) }));
  }
  edge(right);
  return { total: queueFiguresOfTally(total), intervals };
}

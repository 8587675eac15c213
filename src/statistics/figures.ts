/**
 * Statistics figures, derived from durable call, attempt and capacity refusal records only (pure: no I/O, no
 * clock). Every figure is computed afresh from the records of a range, so a repeated or lost event cannot
 * make a count drift: a record exists once, whatever happened to the events that wrote it.
 *
 * Intervals are 15 minutes, aligned on the quarter hours of the company's wall clock. Every time zone in use
 * today is a whole number of quarter hours from UTC, so those are also the quarter hours of UTC: a local day
 * has 92 intervals when the clocks go forward and 100 when they go back. Counts of attempts and calls go to
 * the interval in which the attempt started (the call entered the queue); time spent (back-off) and
 * simultaneous calls are spread over the intervals they cover.
 */

export const INTERVAL_MS = 15 * 60_000;

/** [from, to) in ms since the epoch; `now` bounds what is still open (an attempt ringing, a back-off running). */
export interface Range {
  from: number;
  to: number;
  now: number;
}

/** An offer to a destination or an agent, as recorded. Times in ms since the epoch. */
export interface AttemptRecord {
  callId: string;
  startedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** ANSWERED, BUSY, NO_ANSWER, REJECTED, FAILED, CANCELLED; null while ringing. */
  outcome: string | null;
  /** Destinations: end of the back-off the outcome started. */
  backoffUntil: number | null;
  /** Agents: wrap-up after an answered call. */
  wrapUpSec: number | null;
  /** Destinations: it answered and handed the call back (returnCall). */
  returned?: boolean;
}

/**
 * A call a destination refused for capacity (queue routing passed it over, or a flow node found it full), as
 * its `capacity_refusal` record keeps it: one per trace entry and destination, counted once per call.
 */
export interface RefusalRecord {
  callId: string;
  at: number;
}

/** A call that entered a queue, with how it ended. */
export interface QueueCallRecord {
  callId: string;
  enqueuedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  state: string;
  /** Who answered it: a regular agent or an external destination (null: not answered). */
  answeredBy: 'AGENT' | 'DESTINATION' | null;
  /** Whether it was offered to an external destination at least once. */
  offeredExternal: boolean;
  /** Wrap-up the agent who answered it took after it, in seconds (null: not answered by an agent, or none yet). */
  wrapUpSec: number | null;
}

export interface DestinationFigures {
  offered: number;
  callsHandled: number;
  answered: number;
  busy: number;
  noAnswer: number;
  failed: number;
  limitReached: number;
  cancelledByCaller: number;
  /** Answered attempts the destination handed back (returnCall). */
  returned: number;
  talkTimeSec: number;
  timeToAnswerSumSec: number;
  timeToAnswerMaxSec: number;
  backedOffSec: number;
  peakSimultaneousCalls: number;
}

export interface AgentFigures {
  offered: number;
  answered: number;
  missed: number;
  talkTimeSec: number;
  wrapUpSec: number;
}

export interface QueueFigures {
  offered: number;
  answeredByAgents: number;
  answeredByExternal: number;
  overflowedToExternal: number;
  abandoned: number;
  answeredByAgentsWithinServiceLevel: number;
  answeredWithinServiceLevel: number;
  serviceLevel: number | null;
  serviceLevelWithExternal: number | null;
  /** Average wait of the answered calls, whole seconds rounded up per call (null: none answered). */
  averageSpeedOfAnswerSec: number | null;
  /** Average talk time plus wrap-up of the answered calls that ended (null: none). */
  averageHandleTimeSec: number | null;
  /** The longest wait of a call whose wait is over (answered, or ended unanswered), in seconds. */
  longestWaitSec: number;
  /** abandoned / calls whose wait is over, 0..1 (null: none). */
  abandonRate: number | null;
}

export interface Breakdown<F> {
  total: F;
  intervals: Array<F & { start: number }>;
}

/** The starts of the 15-minute intervals that overlap [from, to). */
export function intervalStarts(range: Pick<Range, 'from' | 'to'>): number[] {
  const starts: number[] = [];
  for (let s = Math.floor(range.from / INTERVAL_MS) * INTERVAL_MS; s < range.to; s += INTERVAL_MS) starts.push(s);
  return starts;
}

const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));
const within = (t: number, range: Range) => t >= range.from && t < range.to;

/**
 * Counts per interval and for the whole range, adding each record to the interval of `at(record)`. Without
 * `withIntervals`, the range's total alone (no interval is made: the intervals are then empty).
 */
function bucketed<R, F>(records: readonly R[], range: Range, at: (r: R) => number, empty: () => F, add: (f: F, r: R) => void, withIntervals = true): Breakdown<F> {
  const starts = withIntervals ? intervalStarts(range) : [];
  const first = starts[0] ?? range.from;
  // Filled in place rather than spread (`{ ...empty(), start }` costs ten times as much, and 93 days hold 8 928 intervals).
  const intervals = starts.map((start) => {
    const interval = empty() as F & { start: number };
    interval.start = start;
    return interval;
  });
  const total = empty();
  for (const record of records) {
    const t = at(record);
    if (!within(t, range)) continue;
    add(total, record);
    if (withIntervals) add(intervals[Math.floor((t - first) / INTERVAL_MS)]!, record);
  }
  return { total, intervals };
}

/** Milliseconds of [start, end) covered by the union of `windows`, per interval, within the range and before now. */
function coveredSeconds(windows: Array<[number, number]>, range: Range, starts: number[]): number[] {
  const merged: Array<[number, number]> = [];
  for (const [a, b] of [...windows].sort((x, y) => x[0] - y[0])) {
    const last = merged.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  const upTo = Math.min(range.to, range.now);
  // One pass over intervals and windows together (both in order): a window that ended before an interval
  // cannot reach a later one, and none starting after an interval's end reaches into it.
  let first = 0;
  return starts.map((start) => {
    const lo = Math.max(start, range.from);
    const hi = Math.min(start + INTERVAL_MS, upTo);
    while (first < merged.length && merged[first]![1] <= lo) first += 1;
    let ms = 0;
    for (let k = first; k < merged.length && merged[k]![0] < hi; k += 1) ms += Math.max(0, Math.min(merged[k]![1], hi) - Math.max(merged[k]![0], lo));
    return seconds(ms);
  });
}

/** The most attempts open at once in each interval (open: started, not yet ended; still open at `now`). */
function peaks(attempts: readonly AttemptRecord[], range: Range, starts: number[]): number[] {
  const events: Array<[number, number]> = [];
  for (const a of attempts) {
    const end = a.endedAt ?? range.now;
    if (end <= a.startedAt) continue;
    events.push([a.startedAt, 1], [end, -1]);
  }
  // Ends before starts at the same instant: a slot freed and taken again is not two calls at once.
  events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let level = 0;
  let i = 0;
  return starts.map((start) => {
    const lo = Math.max(start, range.from);
    const hi = Math.min(start + INTERVAL_MS, range.to);
    while (i < events.length && events[i]![0] <= lo) level += events[i++]![1];
    let peak = level;
    while (i < events.length && events[i]![0] < hi) {
      level += events[i++]![1];
      peak = Math.max(peak, level);
    }
    return peak;
  });
}

const emptyDestination = (): DestinationFigures => ({
  offered: 0, callsHandled: 0, answered: 0, busy: 0, noAnswer: 0, failed: 0, limitReached: 0, cancelledByCaller: 0, returned: 0,
  talkTimeSec: 0, timeToAnswerSumSec: 0, timeToAnswerMaxSec: 0, backedOffSec: 0, peakSimultaneousCalls: 0,
});

/**
 * One external destination's figures. `attempts` are its attempts that may overlap the range (started
 * before its end); `refusals` its refusals for capacity. Distinct counts (callsHandled, limitReached) are
 * distinct within each interval and within the range, so the total may be less than the intervals' sum.
 */
export function destinationFigures(attempts: readonly AttemptRecord[], refusals: readonly RefusalRecord[], range: Range, withIntervals = true): Breakdown<DestinationFigures> {
  const calls = new Map<DestinationFigures, Set<string>>();
  const distinct = (f: DestinationFigures, callId: string) => {
    let seen = calls.get(f);
    if (seen === undefined) calls.set(f, (seen = new Set()));
    if (seen.has(callId)) return false;
    seen.add(callId);
    return true;
  };
  const out = bucketed(attempts, range, (a) => a.startedAt, emptyDestination, (f, a) => {
    f.offered += 1;
    if (distinct(f, a.callId)) f.callsHandled += 1;
    if (a.answeredAt !== null) {
      f.answered += 1;
      const toAnswer = seconds(a.answeredAt - a.startedAt);
      f.timeToAnswerSumSec += toAnswer;
      f.timeToAnswerMaxSec = Math.max(f.timeToAnswerMaxSec, toAnswer);
      if (a.endedAt !== null) f.talkTimeSec += seconds(a.endedAt - a.answeredAt);
      if (a.returned === true) f.returned += 1;
    } else if (a.outcome === 'BUSY') f.busy += 1;
    else if (a.outcome === 'NO_ANSWER') f.noAnswer += 1;
    else if (a.outcome === 'FAILED' || a.outcome === 'REJECTED') f.failed += 1;
    else if (a.outcome === 'CANCELLED') f.cancelledByCaller += 1;
  }, withIntervals);
  const refused = new Map<DestinationFigures, Set<string>>();
  const refusedOnce = (f: DestinationFigures, callId: string) => {
    let seen = refused.get(f);
    if (seen === undefined) refused.set(f, (seen = new Set()));
    if (seen.has(callId)) return;
    seen.add(callId);
    f.limitReached += 1;
  };
  const starts = intervalStarts(range);
  const first = starts[0] ?? range.from;
  for (const r of refusals) {
    if (!within(r.at, range)) continue;
    refusedOnce(out.total, r.callId);
    if (withIntervals) refusedOnce(out.intervals[Math.floor((r.at - first) / INTERVAL_MS)]!, r.callId);
  }
  // Time backed off and peaks are worked out per interval either way: the totals are their sum and maximum.
  const backedOff = coveredSeconds(
    attempts.filter((a) => a.backoffUntil !== null && a.endedAt !== null).map((a) => [a.endedAt!, a.backoffUntil!] as [number, number]),
    range, starts,
  );
  const peak = peaks(attempts, range, starts);
  for (let i = 0; i < starts.length; i += 1) {
    const interval = out.intervals[i];
    if (interval !== undefined) {
      interval.backedOffSec = backedOff[i]!;
      interval.peakSimultaneousCalls = peak[i]!;
    }
    out.total.backedOffSec += backedOff[i]!;
    out.total.peakSimultaneousCalls = Math.max(out.total.peakSimultaneousCalls, peak[i]!);
  }
  return out;
}

/** One regular agent's figures from its own attempts (never a destination's). */
export function agentFigures(attempts: readonly AttemptRecord[], range: Range, withIntervals = true): Breakdown<AgentFigures> {
  return bucketed(attempts, range, (a) => a.startedAt, () => ({ offered: 0, answered: 0, missed: 0, talkTimeSec: 0, wrapUpSec: 0 }), (f, a) => {
    f.offered += 1;
    if (a.answeredAt !== null) {
      f.answered += 1;
      if (a.endedAt !== null) f.talkTimeSec += seconds(a.endedAt - a.answeredAt);
      f.wrapUpSec += a.wrapUpSec ?? 0;
    } else if (a.outcome !== null && a.outcome !== 'CANCELLED') {
      f.missed += 1;
    }
  }, withIntervals);
}

/** The service level (seconds) of a question that names none; statistics buckets keep their counts within it. */
export const DEFAULT_SERVICE_LEVEL_SEC = 20;

/** Who answered a queue's call, as its wait is counted ('NONE': answered, by nothing the records name). */
export type AnsweredBy = 'AGENT' | 'DESTINATION' | 'NONE';

/**
 * An answered call's wait in whole seconds rounded up: for a whole number of seconds `sl`, the call was
 * answered within the service level `sl` exactly when this is <= sl.
 */
export const answerWaitSec = (c: Pick<QueueCallRecord, 'enqueuedAt' | 'answeredAt'>): number => Math.ceil((c.answeredAt! - c.enqueuedAt) / 1000);

/**
 * What a queue's calls add up to for one service level: the counts, the calls whose wait is over (answered or
 * ended: the service level's denominator), the answered calls with the sum of their waits, and how many were
 * answered within the service level (all, and by agents). Additive: the tally of two sets of calls is the sum
 * of theirs (statistics buckets keep it per 15 minutes).
 */
export interface QueueTally {
  offered: number;
  answeredByAgents: number;
  answeredByExternal: number;
  overflowedToExternal: number;
  abandoned: number;
  settled: number;
  /** The longest wait (seconds, rounded) of the settled calls. */
  longestWaitSec: number;
  /** Talk time plus wrap-up (seconds) of the answered calls that ended, and how many they are. */
  handleTimeSec: number;
  handled: number;
  /** Answered calls, and the sum of their waits (`answerWaitSec`). */
  answered: number;
  waitSumSec: number;
  /** Of the answered calls, those answered within the service level, and of those, by agents. */
  answeredWithin: number;
  agentsWithin: number;
}

export const emptyQueueTally = (): QueueTally => ({
  offered: 0, answeredByAgents: 0, answeredByExternal: 0, overflowedToExternal: 0, abandoned: 0, settled: 0,
  longestWaitSec: 0, handleTimeSec: 0, handled: 0, answered: 0, waitSumSec: 0, answeredWithin: 0, agentsWithin: 0,
});

/** Adds `b` to `a` (in place). */
export function addQueueTally(a: QueueTally, b: QueueTally): QueueTally {
  for (const k of Object.keys(a) as Array<keyof QueueTally>) a[k] = k === 'longestWaitSec' ? Math.max(a[k], b[k]) : a[k] + b[k];
  return a;
}

/**
 * One queue's tallies for a service level of `serviceLevelSec` (whole seconds) per interval and for the
 * range (calls count in the interval they entered the queue).
 */
export function queueTallies(calls: readonly QueueCallRecord[], range: Range, serviceLevelSec: number, withIntervals = true): Breakdown<QueueTally> {
  return bucketed(calls, range, (c) => c.enqueuedAt, emptyQueueTally, (f, c) => {
    f.offered += 1;
    if (c.offeredExternal) f.overflowedToExternal += 1;
    // A call handed back after an answer, whose caller then hung up, was answered: it is not also abandoned.
    if (c.state === 'ABANDONED' && c.answeredAt === null) f.abandoned += 1;
    if (c.answeredBy === 'AGENT') f.answeredByAgents += 1;
    else if (c.answeredBy === 'DESTINATION') f.answeredByExternal += 1;
    if (c.answeredAt !== null) {
      const waitSec = answerWaitSec(c);
      f.answered += 1;
      f.waitSumSec += waitSec;
      if (waitSec <= serviceLevelSec) {
        f.answeredWithin += 1;
        if (c.answeredBy === 'AGENT') f.agentsWithin += 1;
      }
    }
    const waitOver = c.answeredAt ?? c.endedAt;
    if (waitOver !== null) {
      f.settled += 1;
      f.longestWaitSec = Math.max(f.longestWaitSec, seconds(waitOver - c.enqueuedAt));
    }
    if (c.answeredAt !== null && c.endedAt !== null) {
      f.handled += 1;
      f.handleTimeSec += seconds(c.endedAt - c.answeredAt) + (c.wrapUpSec ?? 0);
    }
  }, withIntervals);
}

/** A tally's figures (for the service level it was made for). */
export function queueFiguresOfTally(t: QueueTally): QueueFigures {
  return {
    offered: t.offered, answeredByAgents: t.answeredByAgents, answeredByExternal: t.answeredByExternal,
    overflowedToExternal: t.overflowedToExternal, abandoned: t.abandoned,
    answeredByAgentsWithinServiceLevel: t.agentsWithin, answeredWithinServiceLevel: t.answeredWithin,
    serviceLevel: t.settled === 0 ? null : t.agentsWithin / t.settled,
    serviceLevelWithExternal: t.settled === 0 ? null : t.answeredWithin / t.settled,
    averageSpeedOfAnswerSec: t.answered === 0 ? null : t.waitSumSec / t.answered,
    averageHandleTimeSec: t.handled === 0 ? null : t.handleTimeSec / t.handled,
    longestWaitSec: t.longestWaitSec,
    abandonRate: t.settled === 0 ? null : t.abandoned / t.settled,
  };
}

/** One queue's figures; `serviceLevelSec` (whole seconds) is the answer time that counts as within the service level. */
export function queueFigures(calls: readonly QueueCallRecord[], range: Range, serviceLevelSec: number, withIntervals = true): Breakdown<QueueFigures> {
  const tallies = queueTallies(calls, range, serviceLevelSec, withIntervals);
  return {
    total: queueFiguresOfTally(tallies.total),
    intervals: tallies.intervals.map((t) => Object.assign(queueFiguresOfTally(t), { start: t.start })),
  };
}

/** A page of a range's 15-minute intervals: those starting after `after` (all when null), at most `first` (all when null). */
export interface IntervalPage {
  first: number | null;
  after: number | null;
}

/**
 * The part of a range a page of its intervals covers (each interval clipped to the range, as the whole
 * range's intervals are): null when the page is empty. The whole range when the page is all of it.
 */
export function pageRange(range: Range, page: IntervalPage): Range | null {
  const firstStart = Math.floor(range.from / INTERVAL_MS) * INTERVAL_MS;
  const start = page.after === null ? firstStart : Math.max(firstStart, Math.floor(page.after / INTERVAL_MS) * INTERVAL_MS + INTERVAL_MS);
  const from = Math.max(range.from, start);
  const to = page.first === null ? range.to : Math.min(range.to, start + page.first * INTERVAL_MS);
  return from < to ? { from, to, now: range.now } : null;
}

/** The intervals of a page, from a range's whole list (oldest first). */
export function pageOf<I extends { start: number }>(intervals: readonly I[], page: IntervalPage): I[] {
  const after = page.after === null ? -Infinity : Math.floor(page.after / INTERVAL_MS) * INTERVAL_MS;
  const from = intervals.findIndex((i) => i.start > after);
  if (from < 0) return [];
  return intervals.slice(from, page.first === null ? undefined : from + page.first);
}

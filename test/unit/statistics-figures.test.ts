import { DateTime } from 'luxon';
import { agentFigures, pageOf, pageRange, destinationFigures, INTERVAL_MS, intervalStarts, queueFigures, type AttemptRecord } from '../../src/statistics/figures';

const T0 = Date.parse('2026-11-23T09:00:00Z');
const min = (m: number) => T0 + m * 60_000;
const sec = (m: number, s: number) => min(m) + s * 1000;

function attempt(callId: string, startedAt: number, fields: Partial<AttemptRecord> = {}): AttemptRecord {
  return { callId, startedAt, answeredAt: null, endedAt: null, outcome: null, backoffUntil: null, wrapUpSec: null, ...fields };
}

describe('statistics figures from call and attempt records', () => {
  const range = { from: T0, to: min(60), now: min(60) };

  it('counts a destination\'s morning interval by interval: offers, distinct calls, outcomes, talk time, time to answer, back-off and peak', () => {
    const attempts = [
      // 09:00-09:15: call a answered after 10 s, talks 120 s; call b busy (back-off 60 s); call b again, no answer
      attempt('a', sec(1, 0), { answeredAt: sec(1, 10), endedAt: sec(3, 10), outcome: 'ANSWERED' }),
      attempt('b', sec(2, 0), { endedAt: sec(2, 5), outcome: 'BUSY', backoffUntil: sec(3, 5) }),
      attempt('b', sec(5, 0), { endedAt: sec(5, 30), outcome: 'NO_ANSWER', backoffUntil: sec(5, 50) }),
      // 09:15-09:30: call c cancelled by the caller; call d failed with a back-off running into the next interval
      attempt('c', sec(20, 0), { endedAt: sec(20, 20), outcome: 'CANCELLED' }),
      attempt('d', sec(29, 0), { endedAt: sec(29, 30), outcome: 'FAILED', backoffUntil: sec(31, 30) }),
      // 09:30-09:45: two calls answered at once, one still talking now
      attempt('e', sec(32, 0), { answeredAt: sec(32, 30), endedAt: sec(40, 0), outcome: 'ANSWERED' }),
      attempt('f', sec(33, 0), { answeredAt: sec(33, 5), outcome: 'ANSWERED' }),
      // started the day before the range: counts nothing, but its back-off reaches into the range
      attempt('z', T0 - 120_000, { endedAt: T0 - 60_000, outcome: 'BUSY', backoffUntil: T0 + 30_000 }),
    ];
    const refusals = [{ callId: 'g', at: sec(34, 0) }, { callId: 'g', at: sec(35, 0) }, { callId: 'h', at: sec(50, 0) }];
    const { total, intervals } = destinationFigures(attempts, refusals, range);
    expect(intervals.map((i) => i.start)).toEqual([T0, min(15), min(30), min(45)]);
    expect(intervals[0]).toMatchObject({
      offered: 3, callsHandled: 2, answered: 1, busy: 1, noAnswer: 1, failed: 0, cancelledByCaller: 0, limitReached: 0,
      talkTimeSec: 120, timeToAnswerSumSec: 10, timeToAnswerMaxSec: 10, backedOffSec: 30 + 60 + 20, peakSimultaneousCalls: 2,
    });
    expect(intervals[1]).toMatchObject({ offered: 2, callsHandled: 2, cancelledByCaller: 1, failed: 1, backedOffSec: 30, peakSimultaneousCalls: 1 });
    expect(intervals[2]).toMatchObject({
      offered: 2, answered: 2, talkTimeSec: 450, timeToAnswerSumSec: 35, timeToAnswerMaxSec: 30, limitReached: 1, backedOffSec: 90, peakSimultaneousCalls: 2,
    });
    // f is still talking at the end of the range: open attempts count toward the peak up to now
    expect(intervals[3]).toMatchObject({ offered: 0, limitReached: 1, peakSimultaneousCalls: 1 });
    expect(total).toMatchObject({
      offered: 7, callsHandled: 6, answered: 3, busy: 1, noAnswer: 1, failed: 1, cancelledByCaller: 1, limitReached: 2,
      talkTimeSec: 570, timeToAnswerSumSec: 45, timeToAnswerMaxSec: 30, backedOffSec: 110 + 30 + 90, peakSimultaneousCalls: 2,
    });
  });

  it('does not count a slot freed and taken again at the same instant as two calls at once', () => {
    const attempts = [attempt('a', min(1), { answeredAt: min(1), endedAt: min(5), outcome: 'ANSWERED' }), attempt('b', min(5), { endedAt: min(6), outcome: 'BUSY' })];
    expect(destinationFigures(attempts, [], range).total.peakSimultaneousCalls).toBe(1);
  });

  it('gives an agent its offers, answers, misses, talk and wrap-up, and never counts a caller hanging up as a miss', () => {
    const attempts = [
      attempt('a', min(1), { answeredAt: sec(1, 4), endedAt: sec(4, 4), outcome: 'ANSWERED', wrapUpSec: 30 }),
      attempt('b', min(2), { endedAt: sec(2, 20), outcome: 'NO_ANSWER' }),
      attempt('c', min(3), { endedAt: sec(3, 2), outcome: 'CANCELLED' }),
      attempt('d', min(16), { endedAt: sec(16, 1), outcome: 'REJECTED' }),
    ];
    const { total, intervals } = agentFigures(attempts, range);
    expect(intervals[0]).toMatchObject({ offered: 3, answered: 1, missed: 1, talkTimeSec: 180, wrapUpSec: 30 });
    expect(intervals[1]).toMatchObject({ offered: 1, answered: 0, missed: 1 });
    expect(total).toMatchObject({ offered: 4, answered: 1, missed: 2, talkTimeSec: 180, wrapUpSec: 30 });
  });

  it('splits a queue\'s answers between agents and external destinations, with service level with and without external answers', () => {
    const calls = [
      { callId: 'a', enqueuedAt: min(1), answeredAt: sec(1, 10), endedAt: min(3), state: 'ENDED', answeredBy: 'AGENT' as const, offeredExternal: false, wrapUpSec: 20 },
      { callId: 'b', enqueuedAt: min(2), answeredAt: sec(2, 50), endedAt: min(4), state: 'ENDED', answeredBy: 'AGENT' as const, offeredExternal: false, wrapUpSec: 0 },
      { callId: 'c', enqueuedAt: min(3), answeredAt: sec(3, 15), endedAt: min(6), state: 'ENDED', answeredBy: 'DESTINATION' as const, offeredExternal: true, wrapUpSec: null },
      { callId: 'd', enqueuedAt: min(4), answeredAt: null, endedAt: sec(4, 40), state: 'ABANDONED', answeredBy: null, offeredExternal: true, wrapUpSec: null },
      { callId: 'e', enqueuedAt: min(5), answeredAt: null, endedAt: null, state: 'QUEUED', answeredBy: null, offeredExternal: false, wrapUpSec: null },
    ];
    const { total } = queueFigures(calls, range, 20);
    expect(total).toMatchObject({
      offered: 5, answeredByAgents: 2, answeredByExternal: 1, overflowedToExternal: 2, abandoned: 1,
      answeredByAgentsWithinServiceLevel: 1, answeredWithinServiceLevel: 2,
    });
    // four calls are over waiting (e still waits): 1/4 by agents alone, 2/4 with the external answer
    expect(total.serviceLevel).toBe(0.25);
    expect(total.serviceLevelWithExternal).toBe(0.5);
    expect(queueFigures([], range, 20).total.serviceLevel).toBeNull();
  });

  it('counts the calls a destination answered and handed back, and a handed-back call whose caller then left as answered, not abandoned', () => {
    const attempts = [
      attempt('a', sec(1, 0), { answeredAt: sec(1, 5), endedAt: sec(2, 5), outcome: 'ANSWERED', returned: true }),
      attempt('b', sec(2, 0), { answeredAt: sec(2, 5), endedAt: sec(4, 5), outcome: 'ANSWERED' }),
      attempt('c', sec(20, 0), { answeredAt: sec(20, 2), endedAt: sec(20, 32), outcome: 'ANSWERED', returned: true }),
    ];
    const { total, intervals } = destinationFigures(attempts, [], range);
    expect(intervals[0]).toMatchObject({ answered: 2, returned: 1, talkTimeSec: 60 + 120 });
    expect(intervals[1]).toMatchObject({ answered: 1, returned: 1, talkTimeSec: 30 });
    expect(total).toMatchObject({ offered: 3, answered: 3, returned: 2 });

    const calls = [
      // answered by a destination, handed back, then the caller hung up waiting for a person
      { callId: 'a', enqueuedAt: min(1), answeredAt: sec(1, 5), endedAt: min(5), state: 'ABANDONED', answeredBy: 'DESTINATION' as const, offeredExternal: true, wrapUpSec: null },
      { callId: 'd', enqueuedAt: min(4), answeredAt: null, endedAt: sec(4, 40), state: 'ABANDONED', answeredBy: null, offeredExternal: false, wrapUpSec: null },
    ];
    expect(queueFigures(calls, range, 20).total).toMatchObject({ answeredByExternal: 1, abandoned: 1, abandonRate: 1 / 2 });
  });

  it('gives a queue its average speed of answer, average handle time with wrap-up, longest wait and abandon rate', () => {
    const calls = [
      // answered after 10 s, talked 110 s, 20 s of wrap-up
      { callId: 'a', enqueuedAt: min(1), answeredAt: sec(1, 10), endedAt: min(3), state: 'ENDED', answeredBy: 'AGENT' as const, offeredExternal: false, wrapUpSec: 20 },
      // answered by a destination after 49.2 s (50 s, rounded up), talked 70.8 s (71 s)
      { callId: 'b', enqueuedAt: min(2), answeredAt: min(2) + 49_200, endedAt: min(4), state: 'ENDED', answeredBy: 'DESTINATION' as const, offeredExternal: true, wrapUpSec: null },
      // answered after 5 s and still talking: waited, not handled yet
      { callId: 'c', enqueuedAt: min(3), answeredAt: sec(3, 5), endedAt: null, state: 'CONNECTED', answeredBy: 'AGENT' as const, offeredExternal: false, wrapUpSec: null },
      // hung up after 95 s of waiting: the longest wait
      { callId: 'd', enqueuedAt: min(4), answeredAt: null, endedAt: sec(5, 35), state: 'ABANDONED', answeredBy: null, offeredExternal: false, wrapUpSec: null },
      // still waiting: counts in nothing but offered
      { callId: 'e', enqueuedAt: min(5), answeredAt: null, endedAt: null, state: 'QUEUED', answeredBy: null, offeredExternal: false, wrapUpSec: null },
    ];
    const { total } = queueFigures(calls, range, 20);
    expect(total.averageSpeedOfAnswerSec).toBeCloseTo((10 + 50 + 5) / 3);
    expect(total.averageHandleTimeSec).toBe((110 + 20 + 71) / 2);
    expect(total.longestWaitSec).toBe(95);
    expect(total.abandonRate).toBe(1 / 4);
    expect(queueFigures([], range, 20).total).toMatchObject({ averageSpeedOfAnswerSec: null, averageHandleTimeSec: null, longestWaitSec: 0, abandonRate: null });
  });

  it.each([
    ['Europe/London', '2026-03-29', 92],
    ['Europe/London', '2026-10-25', 100],
    ['America/New_York', '2026-03-08', 92],
    ['America/New_York', '2026-11-01', 100],
    ['Asia/Kolkata', '2026-11-23', 96],
    ['Asia/Kathmandu', '2026-11-23', 96],
  ])('gives a local day in %s on %s its %i quarter hours, starting at local midnight', (zone, day, count) => {
    const start = DateTime.fromISO(day, { zone });
    const range = { from: start.toMillis(), to: start.plus({ days: 1 }).toMillis() };
    const starts = intervalStarts(range);
    expect(starts).toHaveLength(count);
    expect(starts[0]).toBe(range.from);
    expect(starts.every((s) => [0, 15, 30, 45].includes(DateTime.fromMillis(s, { zone }).minute))).toBe(true);
    expect(starts.at(-1)! + INTERVAL_MS).toBe(range.to);
  });

  it('pages a range\'s intervals: the part of the range a page covers, clipped like the whole list, and the page of a list', () => {
    const from = Date.UTC(2026, 10, 2, 9, 5);
    const range = { from, to: Date.UTC(2026, 10, 2, 11, 0), now: Date.UTC(2026, 10, 2, 12, 0) };
    // The first interval starts at 9:00 and is clipped to 9:05; two of them cover 9:05-9:30.
    expect(pageRange(range, { first: 2, after: null })).toEqual({ from, to: Date.UTC(2026, 10, 2, 9, 30), now: range.now });
    // After the interval of 9:30 (any instant in it): from 9:45, three of them, to 10:30.
    expect(pageRange(range, { first: 3, after: Date.UTC(2026, 10, 2, 9, 31) })).toEqual({ from: Date.UTC(2026, 10, 2, 9, 45), to: Date.UTC(2026, 10, 2, 10, 30), now: range.now });
    // A page past the end is clipped to it, and one after the last interval is empty.
    expect(pageRange(range, { first: 100, after: Date.UTC(2026, 10, 2, 10, 30) })).toEqual({ from: Date.UTC(2026, 10, 2, 10, 45), to: range.to, now: range.now });
    expect(pageRange(range, { first: 1, after: Date.UTC(2026, 10, 2, 10, 45) })).toBeNull();
    const intervals = [0, 1, 2, 3, 4].map((k) => ({ start: Date.UTC(2026, 10, 2, 9) + k * INTERVAL_MS }));
    expect(pageOf(intervals, { first: 2, after: intervals[1]!.start })).toEqual(intervals.slice(2, 4));
    expect(pageOf(intervals, { first: null, after: null })).toEqual(intervals);
    expect(pageOf(intervals, { first: 3, after: intervals[4]!.start })).toEqual([]);
  });
});

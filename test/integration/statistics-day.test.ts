import { randomUUID } from 'node:crypto';
import { routingModes, RoutingWorld, eventually, type Instruction } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(90_000);

/*
 * A scripted day through the public API, with the router's clock set to each scripted instant (timers still
 * run in real time, and every ring timeout is longer than any ring in the script, so none fires). The day is
 * Sunday 29 March 2026 in London, when the clocks go forward: the local day is 00:00Z to 23:00Z, 92 quarter
 * hours. Calls dial one service number whose flow sends office hours (09:00-17:00 local) to the Sales queue
 * (agents Ann and Bob, then the partner contact centre) and the rest to the AI virtual agent.
 *
 * Every figure of every interval is checked against the script below; the expected numbers were worked out
 * by hand from the script, never read back from the gateway.
 */

const DESTINATION_FIGURES = 'offered callsHandled answered busy noAnswer failed limitReached cancelledByCaller talkTimeSec timeToAnswerSumSec timeToAnswerMaxSec backedOffSec peakSimultaneousCalls';
const AGENT_FIGURES = 'offered answered missed talkTimeSec wrapUpSec';
const QUEUE_FIGURES = 'offered answeredByAgents answeredByExternal overflowedToExternal abandoned answeredByAgentsWithinServiceLevel answeredWithinServiceLevel serviceLevel serviceLevelWithExternal';

const DAY = { from: '2026-03-29T00:00:00.000Z', to: '2026-03-29T23:00:00.000Z' };

const ZERO_DESTINATION = {
  offered: 0, callsHandled: 0, answered: 0, busy: 0, noAnswer: 0, failed: 0, limitReached: 0, cancelledByCaller: 0,
  talkTimeSec: 0, timeToAnswerSumSec: 0, timeToAnswerMaxSec: 0, backedOffSec: 0, peakSimultaneousCalls: 0,
};
const ZERO_AGENT = { offered: 0, answered: 0, missed: 0, talkTimeSec: 0, wrapUpSec: 0 };
const ZERO_QUEUE = {
  offered: 0, answeredByAgents: 0, answeredByExternal: 0, overflowedToExternal: 0, abandoned: 0,
  answeredByAgentsWithinServiceLevel: 0, answeredWithinServiceLevel: 0, serviceLevel: null as number | null, serviceLevelWithExternal: null as number | null,
};

/** What each figure should be, per interval start; intervals not named hold zeros. */
const EXPECTED = {
  ai: {
    // 00:20 C1 dialled, answered after 8 s, 300 s talk; 00:22 C2 finds it at its limit (flow LimitReached).
    '2026-03-29T00:15:00.000Z': { offered: 1, callsHandled: 1, answered: 1, limitReached: 1, talkTimeSec: 300, timeToAnswerSumSec: 8, timeToAnswerMaxSec: 8, peakSimultaneousCalls: 1 },
    // 17:30 C14 (out of hours) busy after 4 s: backed off 60 s.
    '2026-03-29T17:30:00.000Z': { offered: 1, callsHandled: 1, busy: 1, backedOffSec: 60, peakSimultaneousCalls: 1 },
  },
  partner: {
    // 08:20:10 C4 (Ann missed it) answered after 15 s, 600 s talk, into the next interval.
    '2026-03-29T08:15:00.000Z': { offered: 1, callsHandled: 1, answered: 1, talkTimeSec: 600, timeToAnswerSumSec: 15, timeToAnswerMaxSec: 15, peakSimultaneousCalls: 1 },
    // C4 still talking until 08:30:25; 08:41 C6 busy after 5 s: backed off 08:41:05-08:51:05, 235 s of it here.
    '2026-03-29T08:30:00.000Z': { offered: 1, callsHandled: 1, busy: 1, backedOffSec: 235, peakSimultaneousCalls: 1 },
    // 365 s of back-off; 08:52 C8 ringing when its caller hangs up; 08:53 C9 no answer, 08:53:40 C9 again, answered after 10 s, 120 s talk.
    '2026-03-29T08:45:00.000Z': { offered: 3, callsHandled: 2, answered: 1, noAnswer: 1, cancelledByCaller: 1, talkTimeSec: 120, timeToAnswerSumSec: 10, timeToAnswerMaxSec: 10, backedOffSec: 365, peakSimultaneousCalls: 1 },
    // 09:00 C10 fails (5 s back-off); 09:05 C11 and C12 answered after 10 and 12 s, 180 s each; C13 refused at capacity.
    '2026-03-29T09:00:00.000Z': { offered: 3, callsHandled: 3, answered: 2, failed: 1, limitReached: 1, talkTimeSec: 360, timeToAnswerSumSec: 22, timeToAnswerMaxSec: 12, backedOffSec: 5, peakSimultaneousCalls: 2 },
  },
  ann: {
    // 08:05 C3 answered after 4 s, 240 s talk, 60 s wrap-up.
    '2026-03-29T08:00:00.000Z': { offered: 1, answered: 1, talkTimeSec: 240, wrapUpSec: 60 },
    // 08:20 C4 rings 10 s, not answered.
    '2026-03-29T08:15:00.000Z': { offered: 1, missed: 1 },
  },
  bob: {
    // 08:40 C5 answered after 3 s; the call lasts until 09:10:03 (1 800 s), counted where it started.
    '2026-03-29T08:30:00.000Z': { offered: 1, answered: 1, talkTimeSec: 1800, wrapUpSec: 60 },
  },
  sales: {
    '2026-03-29T08:00:00.000Z': { offered: 1, answeredByAgents: 1, answeredByAgentsWithinServiceLevel: 1, answeredWithinServiceLevel: 1, serviceLevel: 1, serviceLevelWithExternal: 1 },
    // C4 answered by the partner 25 s after it arrived: outside the 20 s service level.
    '2026-03-29T08:15:00.000Z': { offered: 1, answeredByExternal: 1, overflowedToExternal: 1, serviceLevel: 0, serviceLevelWithExternal: 0 },
    // C5 answered by Bob in 3 s; C6 offered to the partner (busy), then abandoned.
    '2026-03-29T08:30:00.000Z': { offered: 2, answeredByAgents: 1, overflowedToExternal: 1, abandoned: 1, answeredByAgentsWithinServiceLevel: 1, answeredWithinServiceLevel: 1, serviceLevel: 0.5, serviceLevelWithExternal: 0.5 },
    // C7 abandoned while the partner was backed off; C8 abandoned while it rang the partner; C9 answered by the partner after 50 s.
    '2026-03-29T08:45:00.000Z': { offered: 3, answeredByExternal: 1, overflowedToExternal: 2, abandoned: 2, serviceLevel: 0, serviceLevelWithExternal: 0 },
    // C10 failed at the partner, abandoned; C11 and C12 answered by it in 10 and 12 s; C13 abandoned, refused for capacity.
    '2026-03-29T09:00:00.000Z': { offered: 4, answeredByExternal: 2, overflowedToExternal: 3, abandoned: 2, answeredWithinServiceLevel: 2, serviceLevel: 0, serviceLevelWithExternal: 0.5 },
  },
};

const TOTALS = {
  ai: { ...ZERO_DESTINATION, offered: 2, callsHandled: 2, answered: 1, busy: 1, limitReached: 1, talkTimeSec: 300, timeToAnswerSumSec: 8, timeToAnswerMaxSec: 8, backedOffSec: 60, peakSimultaneousCalls: 1 },
  partner: {
    ...ZERO_DESTINATION, offered: 8, callsHandled: 7, answered: 4, busy: 1, noAnswer: 1, failed: 1, limitReached: 1, cancelledByCaller: 1,
    talkTimeSec: 1080, timeToAnswerSumSec: 47, timeToAnswerMaxSec: 15, backedOffSec: 605, peakSimultaneousCalls: 2,
  },
  ann: { offered: 2, answered: 1, missed: 1, talkTimeSec: 240, wrapUpSec: 60 },
  bob: { offered: 1, answered: 1, missed: 0, talkTimeSec: 1800, wrapUpSec: 60 },
  sales: {
    offered: 11, answeredByAgents: 2, answeredByExternal: 4, overflowedToExternal: 7, abandoned: 5,
    answeredByAgentsWithinServiceLevel: 2, answeredWithinServiceLevel: 4, serviceLevel: 2 / 11, serviceLevelWithExternal: 4 / 11,
  },
};

/** Each interval of the day as expected: zeros, with the scripted intervals' figures over them. */
function expectedDay<F>(zero: F, named: Record<string, Partial<F>>): Array<F & { start: string }> {
  const out: Array<F & { start: string }> = [];
  for (let t = Date.parse(DAY.from); t < Date.parse(DAY.to); t += 15 * 60_000) {
    const start = new Date(t).toISOString();
    out.push({ start, ...zero, ...named[start] });
  }
  return out;
}

describe.each(routingModes().map((m) => [m.name, m] as const))('a scripted day of calls through the API (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  let now = Date.parse(DAY.from);
  const at = (iso: string) => {
    now = Date.parse(iso);
  };

  beforeAll(async () => {
    t = await mode.start({ routing: { clock: () => now } });
    w = await RoutingWorld.create(t);
  });
  afterAll(async () => {
    await w?.close();
    await t?.close();
  });

  const start = async (serviceNumber: string): Promise<string> => {
    const res = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), serviceNumber } }, w.connector.key);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.startCall.id;
  };
  /** The `n`th instruction of `kind` for the call (1: the first), once it has arrived. */
  const instruction = async (kind: Instruction['kind'], callId: string, n = 1): Promise<Instruction> =>
    (await w.connector.waitFor((i) => i.kind === kind && i.callId === callId, n))[n - 1]!;
  const outcome = async (attemptId: string, result: string) => {
    const res = await w.connector.outcome(attemptId, result);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  const end = async (callId: string, reason: 'COMPLETED' | 'CALLER_HUNG_UP') => {
    const res = await w.connector.endCall(callId, reason);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  /** Waits until the call waits in its queue, its trace holding a skip for `reason` if given. */
  const waiting = (callId: string, reason?: string) =>
    eventually(async () => {
      const call = await w.call(callId);
      return call.state === 'QUEUED' && (reason === undefined || call.trace.some((e: any) => e.skipped.some((s: any) => s.reason === reason)));
    });

  it('gives exactly the scripted figures for each destination, agent and queue, interval by interval across the 23-hour day', async () => {
    // The company: two agents (Bob on a break until 08:40), a partner contact centre taking two calls at once,
    // an AI virtual agent taking one; rings time out after two minutes, longer than any ring of the script.
    const ann = await w.agent('Ann');
    const bob = await w.agent('Bob', 'ON_BREAK');
    const partner = await w.destination({ name: 'Partner', maxSimultaneousCalls: 2, busyBackoffSec: 600, noAnswerBackoffSec: 0, failureBackoffSec: 5, retryIntervalSec: 1, outdialTimeoutSec: 120 });
    const ai = await w.destination({ name: 'AI virtual agent', maxSimultaneousCalls: 1, busyBackoffSec: 60, outdialTimeoutSec: 120 });
    const sales = await w.queue(
      [{ groupId: await w.group([ann, bob]) }, { groupId: await w.group([], [partner]), overflow: { queueLengthAbove: 0 } }],
      { wrapUpSec: 60, agentRingTimeoutSec: 120, agentRetrySec: 3600 },
    );
    const range = await t.ok('mutation($i: TimeRangeInput!) { createTimeRange(input: $i) { id } }', { i: { name: 'Office hours', timeZone: 'Europe/London', rules: [{ startTime: '09:00', endTime: '17:00' }] } }, w.admin);
    const serviceNumber = '+441134960123';
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', {
      i: {
        name: 'Main line', serviceNumbers: [serviceNumber], nodes: [
          { id: 'start', type: 'START', branches: [{ name: 'next', to: 'hours' }] },
          { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [range.createTimeRange.id], branches: [{ name: 'Match1', to: 'sales' }, { name: 'NotMatched', to: 'ai' }] },
          { id: 'sales', type: 'QUEUE', queueId: sales },
          { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ai, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'bye' }] },
          { id: 'bye', type: 'DISCONNECT' },
        ],
      },
    }, w.admin);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.createCallFlow.id }, w.admin);

    // Night, out of hours: the AI virtual agent.
    at('2026-03-29T00:20:00Z');
    const c1 = await start(serviceNumber);
    const c1Dial = await instruction('DIAL_EXTERNAL', c1);
    expect(c1Dial.destinationId).toBe(ai);
    at('2026-03-29T00:20:08Z');
    await outcome(c1Dial.attemptId!, 'ANSWERED');
    at('2026-03-29T00:22:00Z');
    const c2 = await start(serviceNumber);
    expect(await w.call(c2)).toMatchObject({ state: 'FAILED', endReason: 'DISCONNECTED' });
    at('2026-03-29T00:25:08Z');
    await end(c1, 'COMPLETED');

    // Office hours: Ann answers one call and misses the next, which the partner answers.
    at('2026-03-29T08:05:00Z');
    const c3 = await start(serviceNumber);
    const c3Ring = await instruction('RING_AGENT', c3);
    expect(c3Ring.agentId).toBe(ann);
    at('2026-03-29T08:05:04Z');
    await outcome(c3Ring.attemptId!, 'ANSWERED');
    at('2026-03-29T08:09:04Z');
    await end(c3, 'COMPLETED');

    at('2026-03-29T08:20:00Z');
    const c4 = await start(serviceNumber);
    const c4Ring = await instruction('RING_AGENT', c4);
    expect(c4Ring.agentId).toBe(ann);
    at('2026-03-29T08:20:10Z');
    await outcome(c4Ring.attemptId!, 'NO_ANSWER');
    const c4Dial = await instruction('DIAL_EXTERNAL', c4);
    expect(c4Dial.destinationId).toBe(partner);
    at('2026-03-29T08:20:25Z');
    await outcome(c4Dial.attemptId!, 'ANSWERED');
    at('2026-03-29T08:30:25Z');
    await end(c4, 'COMPLETED');

    // Bob back from his break takes a long call; Ann waits an hour after her miss, so the partner takes the rest.
    at('2026-03-29T08:40:00Z');
    await w.setStatus(bob, 'AVAILABLE');
    const c5 = await start(serviceNumber);
    const c5Ring = await instruction('RING_AGENT', c5);
    expect(c5Ring.agentId).toBe(bob);
    at('2026-03-29T08:40:03Z');
    await outcome(c5Ring.attemptId!, 'ANSWERED');

    at('2026-03-29T08:41:00Z');
    const c6 = await start(serviceNumber);
    const c6Dial = await instruction('DIAL_EXTERNAL', c6);
    at('2026-03-29T08:41:05Z');
    await outcome(c6Dial.attemptId!, 'BUSY');
    await waiting(c6, 'DESTINATION_BACKED_OFF');
    at('2026-03-29T08:42:00Z');
    await end(c6, 'CALLER_HUNG_UP');

    at('2026-03-29T08:45:00Z');
    const c7 = await start(serviceNumber);
    await waiting(c7, 'DESTINATION_BACKED_OFF');
    at('2026-03-29T08:45:30Z');
    await end(c7, 'CALLER_HUNG_UP');

    at('2026-03-29T08:52:00Z');
    const c8 = await start(serviceNumber);
    await instruction('DIAL_EXTERNAL', c8);
    at('2026-03-29T08:52:20Z');
    await end(c8, 'CALLER_HUNG_UP');

    at('2026-03-29T08:53:00Z');
    const c9 = await start(serviceNumber);
    const c9First = await instruction('DIAL_EXTERNAL', c9);
    at('2026-03-29T08:53:30Z');
    await outcome(c9First.attemptId!, 'NO_ANSWER');
    await waiting(c9, 'DESTINATION_RETRY_WAIT');
    at('2026-03-29T08:53:40Z');
    const c9Second = await instruction('DIAL_EXTERNAL', c9, 2);
    at('2026-03-29T08:53:50Z');
    await outcome(c9Second.attemptId!, 'ANSWERED');
    at('2026-03-29T08:55:50Z');
    await end(c9, 'COMPLETED');

    at('2026-03-29T09:00:00Z');
    const c10 = await start(serviceNumber);
    const c10Dial = await instruction('DIAL_EXTERNAL', c10);
    at('2026-03-29T09:00:01Z');
    await outcome(c10Dial.attemptId!, 'FAILED');
    await waiting(c10, 'DESTINATION_BACKED_OFF');
    at('2026-03-29T09:00:03Z');
    await end(c10, 'CALLER_HUNG_UP');

    // Two calls fill the partner; the third waits, refused for capacity, and its caller gives up.
    at('2026-03-29T09:05:00Z');
    const c11 = await start(serviceNumber);
    const c11Dial = await instruction('DIAL_EXTERNAL', c11);
    const c12 = await start(serviceNumber);
    const c12Dial = await instruction('DIAL_EXTERNAL', c12);
    const c13 = await start(serviceNumber);
    await waiting(c13, 'DESTINATION_AT_CAPACITY');
    at('2026-03-29T09:05:10Z');
    await outcome(c11Dial.attemptId!, 'ANSWERED');
    at('2026-03-29T09:05:12Z');
    await outcome(c12Dial.attemptId!, 'ANSWERED');
    at('2026-03-29T09:06:00Z');
    await end(c13, 'CALLER_HUNG_UP');
    at('2026-03-29T09:08:10Z');
    await end(c11, 'COMPLETED');
    at('2026-03-29T09:08:12Z');
    await end(c12, 'COMPLETED');
    at('2026-03-29T09:10:03Z');
    await end(c5, 'COMPLETED');

    // Evening, out of hours again: the AI virtual agent is busy.
    at('2026-03-29T17:30:00Z');
    const c14 = await start(serviceNumber);
    const c14Dial = await instruction('DIAL_EXTERNAL', c14);
    expect(c14Dial.destinationId).toBe(ai);
    at('2026-03-29T17:30:04Z');
    await outcome(c14Dial.attemptId!, 'BUSY');
    await eventually(async () => (await w.call(c14)).endReason === 'DISCONNECTED');
    at('2026-03-29T20:00:00Z');

    // Destinations: each interval of the day, and the totals.
    const destination = async (id: string) =>
      (await t.ok(`query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { ${DESTINATION_FIGURES} intervals { start ${DESTINATION_FIGURES} } } }`, { id, ...DAY }, w.admin)).externalDestinationStats;
    for (const [name, id] of [['ai', ai], ['partner', partner]] as const) {
      const { intervals, ...total } = await destination(id);
      expect(intervals).toHaveLength(92);
      expect([name, intervals]).toEqual([name, expectedDay(ZERO_DESTINATION, EXPECTED[name])]);
      expect([name, total]).toEqual([name, TOTALS[name]]);
    }

    // Agents: their own calls only, never a destination's attempt.
    const agent = async (id: string) =>
      (await t.ok(`query($id: ID!, $from: DateTime!, $to: DateTime!) { agentStats(id: $id, from: $from, to: $to) { ${AGENT_FIGURES} intervals { start ${AGENT_FIGURES} } } }`, { id, ...DAY }, w.admin)).agentStats;
    for (const [name, id] of [['ann', ann], ['bob', bob]] as const) {
      const { intervals, ...total } = await agent(id);
      expect([name, intervals]).toEqual([name, expectedDay(ZERO_AGENT, EXPECTED[name])]);
      expect([name, total]).toEqual([name, TOTALS[name]]);
    }

    // The queue: the out-of-hours calls never entered it.
    const { intervals: queueIntervals, ...queueTotal } = (await t.ok(
      `query($id: ID!, $from: DateTime!, $to: DateTime!) { queueStats(id: $id, from: $from, to: $to) { ${QUEUE_FIGURES} intervals { start ${QUEUE_FIGURES} } } }`,
      { id: sales, ...DAY }, w.admin,
    )).queueStats;
    expect(queueIntervals).toEqual(expectedDay(ZERO_QUEUE, EXPECTED.sales));
    expect(queueTotal).toEqual(TOTALS.sales);

    // Today's figures (since local midnight, by the router's clock) are the day's totals.
    const today = await t.ok(
      `query($d: ID!, $a: ID!, $q: ID!) { externalDestination(id: $d) { todayStats { ${DESTINATION_FIGURES} } } agent(id: $a) { todayStats { ${AGENT_FIGURES} } } queue(id: $q) { todayStats { offered abandoned answeredByExternal } } }`,
      { d: partner, a: bob, q: sales }, w.admin,
    );
    expect(today.externalDestination.todayStats).toEqual(TOTALS.partner);
    expect(today.agent.todayStats).toEqual(TOTALS.bob);
    expect(today.queue.todayStats).toEqual({ offered: 11, abandoned: 5, answeredByExternal: 4 });

    // A rebuild from the records prints what the API exports, interval by interval.
    const checked = t.gateway.services.statistics.range(new Date(DAY.from), new Date(DAY.to));
    for (const kind of ['DESTINATIONS', 'AGENTS', 'QUEUES'] as const) {
      const api: string = (await t.ok(`query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: ${kind}, from: $from, to: $to, perInterval: true) }`, DAY, w.admin)).statisticsCsv;
      expect(await t.gateway.services.statistics.companyCsv(w.company.id, kind, checked, true)).toBe(api);
    }
  });

  it('counts a back-off up to the moment a supervisor resumes the destination, not to where it would have ended', async () => {
    const destination = await w.destination({ busyBackoffSec: 600, outdialTimeoutSec: 120 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    at('2026-03-30T10:00:00Z');
    const call = await w.connector.enqueueOk(queue);
    const dial = await instruction('DIAL_EXTERNAL', call.id);
    at('2026-03-30T10:00:05Z');
    await outcome(dial.attemptId!, 'BUSY');
    at('2026-03-30T10:01:05Z');
    await t.ok('mutation($id: ID!) { resumeExternalDestination(id: $id) { id } }', { id: destination }, w.admin);
    await end(call.id, 'CALLER_HUNG_UP');
    at('2026-03-30T11:00:00Z');
    const stats = (await t.ok(
      'query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { busy backedOffSec intervals { start backedOffSec } } }',
      { id: destination, from: '2026-03-30T10:00:00Z', to: '2026-03-30T11:00:00Z' }, w.admin,
    )).externalDestinationStats;
    expect(stats).toEqual({
      busy: 1, backedOffSec: 60,
      intervals: [
        { start: '2026-03-30T10:00:00.000Z', backedOffSec: 60 }, { start: '2026-03-30T10:15:00.000Z', backedOffSec: 0 },
        { start: '2026-03-30T10:30:00.000Z', backedOffSec: 0 }, { start: '2026-03-30T10:45:00.000Z', backedOffSec: 0 },
      ],
    });
  });
});

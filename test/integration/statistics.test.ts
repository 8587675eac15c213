import { randomUUID } from 'node:crypto';
import { createUser } from '../support/fixtures';
import { eventually, routingModes, RoutingWorld, useRoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(40_000);

const DESTINATION_FIGURES = 'offered callsHandled answered busy noAnswer failed limitReached cancelledByCaller talkTimeSec timeToAnswerSumSec timeToAnswerMaxSec backedOffSec peakSimultaneousCalls';
const DESTINATION = `query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { destinationId ${DESTINATION_FIGURES} averageTimeToAnswerSec intervals { start end offered answered } } }`;
const DESTINATION_LIST = `query($from: DateTime!, $to: DateTime!) { externalDestinationStatsList(from: $from, to: $to) { destinationId offered answered busy } }`;
const AGENT = 'query($id: ID!, $from: DateTime!, $to: DateTime!) { agentStats(id: $id, from: $from, to: $to) { agentId offered answered missed talkTimeSec wrapUpSec } }';
const QUEUE = 'query($id: ID!, $from: DateTime!, $to: DateTime!) { queueStats(id: $id, from: $from, to: $to) { offered answeredByAgents answeredByExternal overflowedToExternal abandoned serviceLevel serviceLevelWithExternal } }';

describe.each(routingModes().map((m) => [m.name, m] as const))('statistics through the API (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  const hour = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

  /** One agent and one destination behind it: the agent answers one call, the destination answers one, is busy once, and a caller hangs up on it. */
  async function traffic() {
    const agent = await w.agent('Ann');
    const destination = await w.destination({ maxSimultaneousCalls: 5, busyBackoffSec: 0 });
    // A long wrap-up keeps the agent from the calls that follow its one call.
    const queue = await w.queue([{ groupId: await w.group([agent]) }, { groupId: await w.group([], [destination]), overflow: { queueLengthAbove: 0 } }], { wrapUpSec: 600 });
    const first = await w.connector.enqueueOk(queue);
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === first.id);
    await w.connector.outcome(ring!.attemptId!, 'ANSWERED');
    const calls = [];
    for (let i = 0; i < 3; i += 1) calls.push(await w.connector.enqueueOk(queue));
    const dials = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 3);
    const byCall = new Map(dials.map((d) => [d.callId, d]));
    const answerEvent = randomUUID();
    // The same outcome reported twice, concurrently, counts once.
    await Promise.all([w.connector.outcome(byCall.get(calls[0]!.id)!.attemptId!, 'ANSWERED', answerEvent), w.connector.outcome(byCall.get(calls[0]!.id)!.attemptId!, 'ANSWERED', answerEvent)]);
    await w.connector.outcome(byCall.get(calls[1]!.id)!.attemptId!, 'BUSY');
    await w.connector.endCall(calls[2]!.id, 'CALLER_HUNG_UP');
    await w.connector.endCall(calls[0]!.id, 'COMPLETED');
    await w.connector.endCall(first.id, 'COMPLETED');
    return { agent, destination, queue };
  }

  it('counts destination and agent figures apart, each outcome once, with a list, today\'s figures and CSV agreeing', async () => {
    const { agent, destination, queue } = await traffic();
    const range = hour();
    const d = (await t.ok(DESTINATION, { id: destination, ...range }, w.admin)).externalDestinationStats;
    // busy reroutes the call to the destination again (busyBackoffSec 0): that second offer is still ringing
    expect(d).toMatchObject({ destinationId: destination, answered: 1, busy: 1, cancelledByCaller: 1, noAnswer: 0, failed: 0, callsHandled: 3 });
    expect(d.offered).toBeGreaterThanOrEqual(3);
    expect(d.peakSimultaneousCalls).toBeGreaterThanOrEqual(3);
    expect(d.intervals.reduce((sum: number, i: any) => sum + i.offered, 0)).toBe(d.offered);
    expect(d.averageTimeToAnswerSec).toBe(d.timeToAnswerSumSec / d.answered);
    const a = (await t.ok(AGENT, { id: agent, ...range }, w.admin)).agentStats;
    // The agent's figures hold its one call and none of the destination's attempts.
    expect(a).toMatchObject({ agentId: agent, offered: 1, answered: 1, missed: 0, wrapUpSec: 600 });
    const q = (await t.ok(QUEUE, { id: queue, ...range }, w.admin)).queueStats;
    expect(q).toMatchObject({ offered: 4, answeredByAgents: 1, answeredByExternal: 1, overflowedToExternal: 3, abandoned: 1 });

    const list = (await t.ok(DESTINATION_LIST, range, w.admin)).externalDestinationStatsList;
    expect(list).toEqual([expect.objectContaining({ destinationId: destination, offered: d.offered, answered: 1, busy: 1 })]);
    const today = await t.ok(`query($id: ID!) { externalDestination(id: $id) { todayStats { answered busy cancelledByCaller } } agent(id: "${agent}") { todayStats { offered answered } } }`, { id: destination }, w.admin);
    expect(today.externalDestination.todayStats).toEqual({ answered: 1, busy: 1, cancelledByCaller: 1 });
    expect(today.agent.todayStats).toEqual({ offered: 1, answered: 1 });

    const csv: string = (await t.ok('query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to) }', range, w.admin)).statisticsCsv;
    const [header, row, ...rest] = csv.trim().split('\r\n');
    expect(header!.split(',').slice(0, 7)).toEqual(['id', 'name', 'from', 'to', 'offered', 'callsHandled', 'answered']);
    expect(row!.split(',')[0]).toBe(destination);
    expect(row!.split(',')[6]).toBe('1');
    expect(rest).toEqual([]);
  });

  it('prints the same figures from the rebuild as the API exports, interval by interval, for every kind', async () => {
    await traffic();
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString() };
    const checked = t.gateway.services.statistics.range(new Date(range.from), new Date(range.to));
    for (const kind of ['DESTINATIONS', 'AGENTS', 'QUEUES'] as const) {
      const api: string = (await t.ok(`query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: ${kind}, from: $from, to: $to, perInterval: true) }`, range, w.admin)).statisticsCsv;
      const rebuilt = await t.gateway.services.statistics.companyCsv(w.company.id, kind, checked, true);
      expect(rebuilt).toBe(api);
      expect(api.split('\r\n').length).toBeGreaterThan(4);
    }
  });

  it('shows a SELECTED supervisor only its destinations, answers NOT_FOUND for hidden and other companies\' ids, and FORBIDDEN without the privilege', async () => {
    const shown = await w.destination();
    const hidden = await w.destination();
    const sup = await createUser(t, w.company, {
      username: `sup-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW', statistics: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [shown] },
    });
    const range = hour();
    expect((await t.ok(DESTINATION_LIST, range, sup.token)).externalDestinationStatsList.map((s: any) => s.destinationId)).toEqual([shown]);
    for (const id of [hidden, randomUUID(), 'not-an-id']) {
      const res = await t.gql(DESTINATION, { id, ...range }, sup.token);
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    const other = await RoutingWorld.create(t);
    try {
      const theirs = await other.destination();
      expect((await t.gql(DESTINATION, { id: theirs, ...range }, w.admin)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await other.close();
    }
    const noStats = await createUser(t, w.company, { username: `nostats-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'ALL' } });
    expect((await t.gql(DESTINATION, { id: shown, ...range }, noStats.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('names the bad id: NOT_FOUND on `id` for one resource and on `ids[i]` in a list, and a repeated id is BAD_USER_INPUT', async () => {
    const destination = await w.destination();
    const range = hour();
    expect((await t.gql(DESTINATION, { id: randomUUID(), ...range }, w.admin)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'id' });
    const LIST = 'query($from: DateTime!, $to: DateTime!, $ids: [ID!]) { externalDestinationStatsList(from: $from, to: $to, ids: $ids) { destinationId } }';
    expect((await t.gql(LIST, { ...range, ids: [destination, randomUUID()] }, w.admin)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'ids[1]' });
    expect((await t.gql(LIST, { ...range, ids: [destination, destination] }, w.admin)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids[1]' });
    expect((await t.ok(LIST, { ...range, ids: [destination] }, w.admin)).externalDestinationStatsList).toEqual([{ destinationId: destination }]);
  });

  it('counts a refusal for capacity the same whether one destination is asked for or more than twenty at once', async () => {
    const full = await w.destination({ maxSimultaneousCalls: 1 });
    const queue = await w.queue([{ groupId: await w.group([], [full]) }]);
    const ringing = await w.connector.enqueueOk(queue);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === ringing.id);
    const refused = await w.connector.enqueueOk(queue);
    await eventually(async () => (await w.call(refused.id)).trace.some((e: any) => e.skipped.some((k: any) => k.reason === 'DESTINATION_AT_CAPACITY')));
    const others = await Promise.all(Array.from({ length: 21 }, () => w.destination()));
    const range = hour();
    const one = (await t.ok(DESTINATION, { id: full, ...range }, w.admin)).externalDestinationStats;
    const LIST = 'query($from: DateTime!, $to: DateTime!, $ids: [ID!]) { externalDestinationStatsList(from: $from, to: $to, ids: $ids) { destinationId limitReached } }';
    const many = (await t.ok(LIST, { ...range, ids: [full, ...others] }, w.admin)).externalDestinationStatsList;
    expect(one.limitReached).toBe(1);
    expect(many).toHaveLength(22);
    expect(many.find((s: any) => s.destinationId === full).limitReached).toBe(1);
    expect(many.filter((s: any) => s.destinationId !== full).every((s: any) => s.limitReached === 0)).toBe(true);
  });

  it('pages a range\'s intervals with first and after: the pages put together are the whole list, the totals cover the whole range, and a bad page is BAD_USER_INPUT', async () => {
    const { destination, agent, queue } = await traffic();
    const range = { from: new Date(Date.now() - 2 * 3_600_000 - 7 * 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    for (const [field, id, figures] of [['externalDestinationStats', destination, 'offered answered busy peakSimultaneousCalls'], ['agentStats', agent, 'offered answered'], ['queueStats', queue, 'offered abandoned serviceLevel']] as const) {
      const whole = (await t.ok(`query($id: ID!, $from: DateTime!, $to: DateTime!) { ${field}(id: $id, from: $from, to: $to) { ${figures} intervals { start end ${figures} } } }`, { id, ...range }, w.admin))[field];
      expect(whole.intervals.length).toBeGreaterThan(8);
      const pages: any[] = [];
      let after: string | null = null;
      for (;;) {
        const page: any = (await t.ok(
          `query($id: ID!, $from: DateTime!, $to: DateTime!, $after: DateTime) { ${field}(id: $id, from: $from, to: $to) { ${figures} intervals(first: 4, after: $after) { start end ${figures} } } }`,
          { id, ...range, after }, w.admin,
        ))[field];
        // Every page carries the totals of the whole range.
        expect(Object.fromEntries(figures.split(' ').map((f) => [f, page[f]]))).toEqual(Object.fromEntries(figures.split(' ').map((f) => [f, whole[f]])));
        pages.push(...page.intervals);
        if (page.intervals.length < 4) break;
        after = page.intervals.at(-1).start;
      }
      expect(pages).toEqual(whole.intervals);
    }
    const ask = (page: { first?: number; after?: string }) => t.gql(
      'query($id: ID!, $from: DateTime!, $to: DateTime!, $first: Int, $after: DateTime) { externalDestinationStats(id: $id, from: $from, to: $to) { offered intervals(first: $first, after: $after) { start } } }',
      { id: destination, ...range, ...page }, w.admin,
    );
    expect((await ask({ first: 0 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'intervals.first' });
    expect((await ask({ first: 9000 })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'intervals.first' });
    expect((await ask({ after: 'soon' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // After the last interval: an empty page, the totals still there.
    const beyond = (await ask({ after: range.to })).data.externalDestinationStats;
    expect(beyond.intervals).toEqual([]);
    expect(beyond.offered).toBeGreaterThan(0);
  });

  it('refuses a range that ends before it starts or spans more than 93 days, naming the field', async () => {
    const destination = await w.destination();
    const backwards = await t.gql(DESTINATION, { id: destination, from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }, w.admin);
    expect(backwards.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    const long = await t.gql(DESTINATION, { id: destination, from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, w.admin);
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });
});

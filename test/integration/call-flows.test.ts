import { randomUUID } from 'node:crypto';
import { createUser } from '../support/fixtures';
import { routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { uniqueNumbers } from '../support/numbers';

jest.setTimeout(30_000);

const HOURS = { name: 'Office hours', timeZone: 'Europe/London', rules: [{ daysOfWeek: [1, 2, 3, 4, 5], startTime: '09:00', endTime: '17:00' }] };

describe.each(routingModes().map((m) => [m.name, m] as const))('call flows through the public API (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  // The router's clock, so schedules can be tested at exact instants (timers still run in real time).
  let now = Date.UTC(2026, 5, 15, 12); // Monday 15 June 2026, 13:00 in London (BST)
  beforeAll(async () => {
    t = await mode.start({ routing: { clock: () => now } });
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(t);
  });
  afterEach(async () => {
    await w?.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  const number = uniqueNumbers('+4420794');
  const create = async (mutation: string, input: unknown) => Object.values(await t.ok(mutation, { i: input }, w.admin))[0] as { id: string };
  const timeRange = (input = HOURS) => create('mutation($i: TimeRangeInput!) { createTimeRange(input: $i) { id } }', input);
  const holidays = (dates: string[]) =>
    create('mutation($i: HolidayListInput!) { createHolidayList(input: $i) { id } }', { name: `Holidays ${randomUUID().slice(0, 6)}`, timeZone: 'Europe/London', holidays: dates.map((date) => ({ date, name: 'Bank holiday' })) });
  async function publish(nodes: unknown[], serviceNumber = number()): Promise<string> {
    const flow = await create('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { name: `Flow ${randomUUID().slice(0, 6)}`, serviceNumbers: [serviceNumber], nodes });
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id publishedVersion } }', { id: flow.id }, w.admin);
    return serviceNumber;
  }
  const start = async (serviceNumber: string) => {
    const res = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id state endReason } }', { i: { connectorCallId: randomUUID(), serviceNumber } }, w.connector.key);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.startCall as { id: string; state: string; endReason: string | null };
  };
  const flowSummaries = async (callId: string) => (await w.call(callId)).trace.filter((e: any) => e.step === 'FLOW').map((e: any) => e.summary);

  /** START -> (holiday?) -> hours? in: QUEUE, out: partner destination. */
  async function outOfHoursFlow(opts: { holidayListId?: string } = {}) {
    const partner = await w.destination({ maxSimultaneousCalls: 5 });
    const agent = await w.agent('Day agent');
    const queue = await w.queue([{ groupId: await w.group([agent]) }]);
    const range = await timeRange();
    const nodes = [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: opts.holidayListId ? 'holiday' : 'hours' }] },
      ...(opts.holidayListId ? [{ id: 'holiday', type: 'BRANCH_ON_HOLIDAY', holidayListId: opts.holidayListId, branches: [{ name: 'Holiday', to: 'partner' }, { name: 'NotHoliday', to: 'hours' }] }] : []),
      { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [range.id], branches: [{ name: 'Match1', to: 'queue' }, { name: 'NotMatched', to: 'partner' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue },
      { id: 'partner', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: partner, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ];
    return { serviceNumber: await publish(nodes), partner, agent };
  }

  it('sends a call in hours to the queue and out of hours to the partner destination, at the edges of the range', async () => {
    const { serviceNumber, partner, agent } = await outOfHoursFlow();
    now = Date.parse('2026-06-15T15:59:59Z'); // 16:59:59 BST: open
    const inHours = await start(serviceNumber);
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === inHours.id);
    expect(ring!.agentId).toBe(agent);
    expect(await flowSummaries(inHours.id)).toContainEqual(expect.stringMatching(/took Match1: within Mon-Fri 09:00-17:00 Europe\/London/));

    now = Date.parse('2026-06-15T16:00:00Z'); // 17:00:00 BST: closed
    const closed = await start(serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === closed.id);
    expect(dial!.destinationId).toBe(partner);
    expect(await flowSummaries(closed.id)).toContainEqual(expect.stringMatching(/took NotMatched: outside Mon-Fri 09:00-17:00 Europe\/London/));
  });

  it('opens a 09:00-17:00 range at the right UTC instants on the days the clocks change', async () => {
    const cases = [
      // zone, instant just before opening, opening, just before closing, closing (each hand-computed)
      ['Europe/London', '2026-03-29T07:59:59Z', '2026-03-29T08:00:00Z', '2026-03-29T15:59:59Z', '2026-03-29T16:00:00Z'], // spring forward: BST
      ['Europe/London', '2026-10-25T08:59:59Z', '2026-10-25T09:00:00Z', '2026-10-25T16:59:59Z', '2026-10-25T17:00:00Z'], // fall back: GMT
      ['America/New_York', '2026-03-08T12:59:59Z', '2026-03-08T13:00:00Z', '2026-03-08T20:59:59Z', '2026-03-08T21:00:00Z'], // EDT
      ['America/New_York', '2026-11-01T13:59:59Z', '2026-11-01T14:00:00Z', '2026-11-01T21:59:59Z', '2026-11-01T22:00:00Z'], // EST
    ] as const;
    for (const [timeZone, ...instants] of cases) {
      const range = await timeRange({ name: `Every day ${randomUUID().slice(0, 6)}`, timeZone, rules: [{ startTime: '09:00', endTime: '17:00' }] } as never);
      const closed = await w.destination();
      const open = await w.destination();
      const serviceNumber = await publish([
        { id: 'start', type: 'START', branches: [{ name: 'next', to: 'hours' }] },
        { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [range.id], branches: [{ name: 'Match1', to: 'open' }, { name: 'NotMatched', to: 'closed' }] },
        { id: 'open', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: open, branches: [{ name: 'LimitReached', to: 'bye' }] },
        { id: 'closed', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: closed, branches: [{ name: 'LimitReached', to: 'bye' }] },
        { id: 'bye', type: 'DISCONNECT' },
      ]);
      const expected = [closed, open, open, closed];
      for (const [i, instant] of instants.entries()) {
        now = Date.parse(instant);
        const call = await start(serviceNumber);
        const [dial] = await w.connector.waitFor((x) => x.kind === 'DIAL_EXTERNAL' && x.callId === call.id);
        expect([timeZone, instant, dial!.destinationId]).toEqual([timeZone, instant, expected[i]]);
      }
    }
  });

  it('lets a holiday override a working day', async () => {
    const list = await holidays(['2026-06-15']);
    const { serviceNumber, partner } = await outOfHoursFlow({ holidayListId: list.id });
    now = Date.parse('2026-06-15T10:00:00Z');
    const call = await start(serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect(dial!.destinationId).toBe(partner);
    expect((await flowSummaries(call.id)).join('\n')).toMatch(/took Holiday/);
  });

  /** START -> QUEUE (Full/Timeout/NoAgents -> ai) ; ai LimitReached -> message -> bye. */
  async function overflowFlow(queueSettings: Record<string, unknown>, agentStatus: 'AVAILABLE' | 'ON_BREAK' | 'LOGGED_OUT', destination: Record<string, unknown> = {}) {
    const ai = await w.destination({ maxSimultaneousCalls: 5, ...destination });
    const agent = await w.agent('Agent', agentStatus);
    const queue = await w.queue([{ groupId: await w.group([agent]) }], queueSettings);
    const nodes = [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue, branches: [{ name: 'Full', to: 'ai' }, { name: 'Timeout', to: 'ai' }, { name: 'NoAgents', to: 'ai' }] },
      { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ai, branches: [{ name: 'LimitReached', to: 'sorry' }, { name: 'Busy', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'All our agents are busy; please call again later.', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ];
    return { serviceNumber: await publish(nodes), ai };
  }

  it('takes the queue\'s Full, Timeout and NoAgents branches to an external destination', async () => {
    const full = await overflowFlow({ maxQueueLength: 1 }, 'ON_BREAK');
    const waiting = await start(full.serviceNumber);
    expect(waiting.state).toBe('QUEUED');
    const overflowed = await start(full.serviceNumber);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === overflowed.id && i.destinationId === full.ai);
    expect(await flowSummaries(overflowed.id)).toContainEqual(expect.stringMatching(/took Full/));

    const timeout = await overflowFlow({ maxWaitSec: 1 }, 'ON_BREAK');
    const late = await start(timeout.serviceNumber);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === late.id && i.destinationId === timeout.ai, 1, 6_000);
    expect((await w.call(late.id)).trace.map((e: any) => e.summary).join('\n')).toMatch(/leaves the queue by its Timeout branch[\s\S]*took Timeout/);

    const none = await overflowFlow({}, 'LOGGED_OUT');
    const lonely = await start(none.serviceNumber);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === lonely.id && i.destinationId === none.ai);
    expect(await flowSummaries(lonely.id)).toContainEqual(expect.stringMatching(/took NoAgents/));
  });

  it('takes LimitReached when the destination is full: a message, then disconnect', async () => {
    const { serviceNumber } = await overflowFlow({}, 'LOGGED_OUT', { maxSimultaneousCalls: 1 });
    const first = await start(serviceNumber);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === first.id);
    const second = await start(serviceNumber);
    expect(second).toMatchObject({ state: 'FAILED', endReason: 'DISCONNECTED' });
    await w.connector.waitFor((i) => i.kind === 'PLAY_MESSAGE' && i.callId === second.id && i.message === 'All our agents are busy; please call again later.');
    const [disconnect] = await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === second.id);
    // The code of why, beside the words: the call's end reason.
    expect(disconnect!.endReason).toBe('DISCONNECTED');
    expect(w.connector.of('DIAL_EXTERNAL', second.id)).toHaveLength(0);
    const trace = (await w.call(second.id)).trace.map((e: any) => e.summary).join('\n');
    expect(trace).toMatch(/at capacity 1\/1: LimitReached/);
  });

  it('backs a busy destination off and, while it is out of the pool, takes Busy at once without dialling', async () => {
    now = Date.now(); // back-off is read back through the API against the real clock
    const { serviceNumber, ai } = await overflowFlow({}, 'LOGGED_OUT', { busyBackoffSec: 600 });
    const first = await start(serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === first.id);
    await w.connector.outcome(dial!.attemptId!, 'BUSY');
    await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === first.id);
    expect(await w.destinationLive(ai)).toMatchObject({ state: 'BACKED_OFF' });
    expect((await flowSummaries(first.id)).join('\n')).toMatch(/took Busy/);

    const second = await start(serviceNumber);
    expect(second.state).toBe('FAILED');
    expect(w.connector.of('DIAL_EXTERNAL', second.id)).toHaveLength(0);
    const trace = (await w.call(second.id)).trace.map((e: any) => e.summary).join('\n');
    expect(trace).toMatch(/taken out of the pool \(backed off until \d\d:\d\d:\d\d UTC\): Busy without dialling/);

    // Suspended or disabled: the same.
    await t.ok('mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }', { id: ai, i: { name: `Off ${randomUUID().slice(0, 4)}`, numberMode: 'FULL_NUMBER', number: '+442079460958', enabled: false } }, w.admin);
    const third = await start(serviceNumber);
    expect((await w.call(third.id)).trace.map((e: any) => e.summary).join('\n')).toMatch(/taken out of the pool \(disabled\)/);
  });

  it('keeps a call in progress on the version it started on when a new version is published', async () => {
    now = Date.now();
    const first = await w.destination();
    const second = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Away', 'ON_BREAK')]) }], { maxWaitSec: 1 });
    const nodes = (target: string) => [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue, branches: [{ name: 'Timeout', to: 'ext' }] },
      { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: target, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ];
    const serviceNumber = number();
    const flow = await create('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { name: `Versions ${randomUUID().slice(0, 6)}`, serviceNumbers: [serviceNumber], nodes: nodes(first) });
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.id }, w.admin);
    const early = await start(serviceNumber);
    await t.ok('mutation($id: ID!, $i: CallFlowInput!) { updateCallFlow(id: $id, input: $i) { id } }', { id: flow.id, i: { name: 'Versions v2', serviceNumbers: [serviceNumber], nodes: nodes(second) } }, w.admin);
    const published = await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { publishedVersion } }', { id: flow.id }, w.admin);
    expect(published.publishCallFlow.publishedVersion).toBe(2);
    const late = await start(serviceNumber);
    const [a] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === early.id, 1, 6_000);
    const [b] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === late.id, 1, 6_000);
    expect([a!.destinationId, b!.destinationId]).toEqual([first, second]);
  });

  it('answers the same call for the same connectorCallId and number, and CONFLICT for that id with another number', async () => {
    const { serviceNumber } = await overflowFlow({}, 'AVAILABLE');
    const connectorCallId = randomUUID();
    const once = await t.ok('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId, serviceNumber } }, w.connector.key);
    const again = await t.ok('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId, serviceNumber } }, w.connector.key);
    expect(again.startCall.id).toBe(once.startCall.id);
    const other = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId, serviceNumber: number() } }, w.connector.key);
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.connectorCallId' });
  });

  it('answers NOT_FOUND for a service number with no published flow, and keeps drafts out of use', async () => {
    const res = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), serviceNumber: number() } }, w.connector.key);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.serviceNumber' });
    const draftNumber = number();
    await create('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { name: 'Draft only', serviceNumbers: [draftNumber], nodes: [{ id: 'start', type: 'START', branches: [{ name: 'next', to: 'bye' }] }, { id: 'bye', type: 'DISCONNECT' }] });
    const draft = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), serviceNumber: draftNumber } }, w.connector.key);
    expect(draft.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses an invalid flow with every problem listed, another company\'s references as not found, and publishing without Modify', async () => {
    const other = await RoutingWorld.create(t);
    const foreignDestination = await other.destination();
    const foreignRange = (Object.values(await t.ok('mutation($i: TimeRangeInput!) { createTimeRange(input: $i) { id } }', { i: HOURS }, other.admin))[0] as { id: string }).id;
    await other.close();
    const flow = await create('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', {
      name: 'Broken', serviceNumbers: [number()],
      nodes: [
        { id: 'start', type: 'START', branches: [{ name: 'next', to: 'hours' }] },
        { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [foreignRange], branches: [{ name: 'Match1', to: 'ext' }] },
        { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: foreignDestination, branches: [{ name: 'Busy', to: 'nowhere' }] },
        { id: 'island', type: 'DISCONNECT' },
      ],
    });
    const res = await t.gql('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.id }, w.admin);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const problems: Array<{ nodeId: string | null; message: string }> = res.errors![0]!.extensions!.problems;
    const byNode = (id: string) => problems.filter((p) => p.nodeId === id).map((p) => p.message).join(' | ');
    expect(byNode('hours')).toMatch(/not found/);
    expect(byNode('hours')).toMatch(/NotMatched/);
    expect(byNode('ext')).toMatch(/not found/);
    expect(byNode('ext')).toMatch(/LimitReached/);
    expect(byNode('ext')).toMatch(/nowhere/);
    expect(byNode('island')).toMatch(/unreachable/);
    const read = await t.ok('query($id: ID!) { callFlow(id: $id) { publishedVersion } }', { id: flow.id }, w.admin);
    expect(read.callFlow.publishedVersion).toBeNull();

    const viewer = await createUser(t, w.company, { username: `viewer-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { callFlows: 'VIEW' } });
    const denied = await t.gql('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.id }, viewer.token);
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

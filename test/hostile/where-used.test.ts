import { randomUUID } from 'node:crypto';
import { codeOf } from '../support/fixtures';
import { routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { uniqueNumbers } from '../support/numbers';

jest.setTimeout(60_000);

/**
 * Where-used before delete: a destination, queue, time range or holiday list that a call flow still uses (its
 * draft, its published version, or a version a call in progress runs) cannot be deleted; CONFLICT names the flows.
 */

const HOURS = { timeZone: 'Europe/London', rules: [{ daysOfWeek: [1, 2, 3, 4, 5], startTime: '09:00', endTime: '17:00' }] };

describe.each(routingModes().map((m) => [m.name, m] as const))('where-used before delete (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  beforeAll(async () => {
    t = await mode.start();
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
  interface Flow { id: string; name: string; serviceNumber: string }
  async function createFlow(nodes: unknown[]): Promise<Flow> {
    const serviceNumber = number();
    const name = `Flow ${randomUUID().slice(0, 6)}`;
    const created = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { i: { name, serviceNumbers: [serviceNumber], nodes } }, w.admin);
    return { id: created.createCallFlow.id, name, serviceNumber };
  }
  const publish = (flow: Flow) => t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { publishedVersion } }', { id: flow.id }, w.admin);
  const redraft = (flow: Flow, nodes: unknown[]) =>
    t.ok('mutation($id: ID!, $i: CallFlowInput!) { updateCallFlow(id: $id, input: $i) { version } }', { id: flow.id, i: { name: flow.name, serviceNumbers: [flow.serviceNumber], nodes } }, w.admin);
  const toDestination = (destinationId: string) => [
    { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
    { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: destinationId, branches: [{ name: 'LimitReached', to: 'bye' }] },
    { id: 'bye', type: 'DISCONNECT' },
  ];
  const deleteDestination = (id: string) => t.gql('mutation($id: ID!) { deleteExternalDestination(id: $id) }', { id }, w.admin);
  const startCall = async (serviceNumber: string) => {
    const res = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id state } }', { i: { connectorCallId: randomUUID(), serviceNumber } }, w.connector.key);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.startCall as { id: string; state: string };
  };
  const schedule = async (kind: 'TimeRange' | 'HolidayList') => {
    const input = kind === 'TimeRange'
      ? { name: `Hours ${randomUUID().slice(0, 6)}`, ...HOURS }
      : { name: `Holidays ${randomUUID().slice(0, 6)}`, timeZone: 'Europe/London', holidays: [{ date: '2026-12-25', name: 'Christmas Day' }] };
    const data = await t.ok(`mutation($i: ${kind}Input!) { create${kind}(input: $i) { id } }`, { i: input }, w.admin);
    return (data[`create${kind}`] as { id: string }).id;
  };

  it('refuses deleting a destination that only the published version of a flow routes to, with CONFLICT naming the flow, and the next call on the number still dials it', async () => {
    const used = await w.destination();
    const other = await w.destination();
    const flow = await createFlow(toDestination(used));
    await publish(flow);
    await redraft(flow, toDestination(other)); // the draft moves on; calls still run version 1

    const res = await deleteDestination(used);
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.callFlows).toEqual([{ id: flow.id, name: flow.name }]);
    expect(res.errors![0]!.message).toContain(flow.name);

    const call = await startCall(flow.serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect(dial!.destinationId).toBe(used);
  });

  it('refuses deleting a destination that a flow\'s draft routes to, with CONFLICT naming every such flow', async () => {
    const used = await w.destination();
    const a = await createFlow(toDestination(used));
    const b = await createFlow(toDestination(used));
    const res = await deleteDestination(used);
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.callFlows).toEqual([a, b].sort((x, y) => (x.name < y.name ? -1 : 1)).map((f) => ({ id: f.id, name: f.name })));
    expect(await w.destinationLive(used)).toBeTruthy(); // still there
  });

  it('refuses deleting a queue that a published flow sends calls to, with CONFLICT naming the flow, and calls still reach the queue', async () => {
    const agent = await w.agent('Agent');
    const queue = await w.queue([{ groupId: await w.group([agent]) }]);
    const flow = await createFlow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue },
    ]);
    await publish(flow);
    const res = await t.gql('mutation($id: ID!) { deleteQueue(id: $id) }', { id: queue }, w.admin);
    expect(codeOf(res)).toBe('CONFLICT');
    expect(res.errors![0]!.extensions!.callFlows).toEqual([{ id: flow.id, name: flow.name }]);

    const call = await startCall(flow.serviceNumber);
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(ring!.agentId).toBe(agent);
  });

  it('refuses deleting a time range or a holiday list that a published flow uses, with CONFLICT naming the flow by id and name', async () => {
    const range = await schedule('TimeRange');
    const list = await schedule('HolidayList');
    const flow = await createFlow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'holiday' }] },
      { id: 'holiday', type: 'BRANCH_ON_HOLIDAY', holidayListId: list, branches: [{ name: 'Holiday', to: 'bye' }, { name: 'NotHoliday', to: 'hours' }] },
      { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [range], branches: [{ name: 'Match1', to: 'bye' }, { name: 'NotMatched', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    await publish(flow);
    for (const [mutation, id] of [['deleteTimeRange', range], ['deleteHolidayList', list]] as const) {
      const res = await t.gql(`mutation($id: ID!) { ${mutation}(id: $id) }`, { id }, w.admin);
      expect([mutation, codeOf(res)]).toEqual([mutation, 'CONFLICT']);
      expect(res.errors![0]!.extensions!.callFlows).toEqual([{ id: flow.id, name: flow.name }]);
    }
  });

  it('refuses deleting a destination that a call in progress may still dial on an older version, until that call has ended', async () => {
    const used = await w.destination();
    const other = await w.destination();
    const away = await w.agent('Away', 'ON_BREAK');
    const queue = await w.queue([{ groupId: await w.group([away]) }], { maxWaitSec: 600 });
    const viaQueue = (destinationId: string) => [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue, branches: [{ name: 'Timeout', to: 'ext' }] },
      { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: destinationId, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ];
    const flow = await createFlow(viaQueue(used));
    await publish(flow);
    const waiting = await startCall(flow.serviceNumber); // waits in the queue on version 1
    expect(waiting.state).toBe('QUEUED');
    await redraft(flow, viaQueue(other));
    await publish(flow); // version 2 no longer names `used`

    const refused = await deleteDestination(used);
    expect(codeOf(refused)).toBe('CONFLICT');
    expect(refused.errors![0]!.extensions!.callFlows).toEqual([{ id: flow.id, name: flow.name }]);

    const ended = await w.connector.endCall(waiting.id, 'CALLER_HUNG_UP');
    expect(ended.errors).toBeUndefined();
    const res = await deleteDestination(used);
    expect(res.errors).toBeUndefined();
    expect(res.data.deleteExternalDestination).toBe(used);
  });

  it('lets a time range go once only an old published version that no call runs still names it', async () => {
    const range = await schedule('TimeRange');
    const flow = await createFlow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'hours' }] },
      { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [range], branches: [{ name: 'Match1', to: 'bye' }, { name: 'NotMatched', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    await publish(flow);
    await redraft(flow, [{ id: 'start', type: 'START', branches: [{ name: 'next', to: 'bye' }] }, { id: 'bye', type: 'DISCONNECT' }]);
    await publish(flow);
    const res = await t.gql('mutation($id: ID!) { deleteTimeRange(id: $id) }', { id: range }, w.admin);
    expect(res.errors).toBeUndefined();
    expect(res.data.deleteTimeRange).toBe(range);
  });
});

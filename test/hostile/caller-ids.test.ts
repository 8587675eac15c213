import { randomUUID } from 'node:crypto';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * A telephony connector passes the network's caller id through as it came: whatever it is, the call is taken
 * and routed, the caller id is kept as presented, and its E.164 form is added when it is a telephone number.
 */
const CALL_FIELDS = 'id state endReason connectorCallId callerId callerE164 callerNumber serviceNumber';
const LINE = '+441134960000'; // a UK service number: national caller ids are read as UK numbers

describe.each(routingModes().map((m) => [m.name, m] as const))('caller ids (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  /** A queue with one available agent: a call that is taken rings that agent. */
  async function queueWithAgent(): Promise<{ queue: string; agent: string }> {
    const agent = await w.agent(`Agent ${randomUUID().slice(0, 6)}`);
    return { queue: await w.queue([{ groupId: await w.group([agent]) }]), agent };
  }

  async function enqueue(queueId: string, extra: Record<string, unknown>) {
    return t.gql(`mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { ${CALL_FIELDS} } }`, { i: { connectorCallId: randomUUID(), queueId, ...extra } }, w.connector.key);
  }

  async function startCall(serviceNumber: string, callerNumber: string) {
    return t.gql(`mutation($i: StartCallInput!) { startCall(input: $i) { ${CALL_FIELDS} } }`, { i: { connectorCallId: randomUUID(), serviceNumber, callerNumber } }, w.connector.key);
  }

  /** Publishes START -> QUEUE on `serviceNumber`. */
  async function flowTo(queueId: string, serviceNumber: string): Promise<void> {
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', {
      i: {
        name: `Flow ${randomUUID().slice(0, 6)}`, serviceNumbers: [serviceNumber],
        nodes: [{ id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] }, { id: 'queue', type: 'QUEUE', queueId }],
      },
    }, w.admin);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.createCallFlow.id }, w.admin);
  }

  /** What a supervisor reads of the call afterwards. */
  async function readCall(id: string) {
    return (await t.ok(`query($id: ID!) { call(id: $id) { ${CALL_FIELDS} } }`, { id }, w.admin)).call;
  }

  it.each([
    ['anonymous', null, null],
    ['Unavailable', null, null],
    ['07911123456', LINE, '+447911123456'],
    ['07911123456', null, null],
    ['+44 7911 123456', null, '+447911123456'],
    ['sip:+447911123456@carrier.example;user=phone', null, '+447911123456'],
    ['sip:alice@carrier.example', null, null],
    ['+447700900123', null, '+447700900123'],
  ])('takes and routes an enqueued call whose caller id is %j (service number %s), showing it as presented with its E.164 form %s', async (presented, serviceNumber, e164) => {
    const { queue, agent } = await queueWithAgent();
    const res = await enqueue(queue, { callerNumber: presented, ...(serviceNumber ? { serviceNumber } : {}) });
    expect(res.errors).toBeUndefined();
    const call = res.data.enqueueCall;
    expect(call).toMatchObject({ state: expect.stringMatching(/QUEUED|OFFERING/), callerId: presented, callerE164: e164, callerNumber: e164 });
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(ring!.agentId).toBe(agent);
    expect(await readCall(call.id)).toMatchObject({ callerId: presented, callerE164: e164, callerNumber: e164 });
  });

  it.each([
    ['anonymous', null],
    ['07911123456', '+447911123456'],
    ['sip:bob@carrier.example', null],
  ])('runs the call flow of a call whose caller id is %j, keeping it as presented with its E.164 form %s read in the dialled line\'s country', async (presented, e164) => {
    const { queue, agent } = await queueWithAgent();
    const line = `+4411349${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;
    await flowTo(queue, line);
    const res = await startCall(line, presented);
    expect(res.errors).toBeUndefined();
    const call = res.data.startCall;
    expect(call).toMatchObject({ callerId: presented, callerE164: e164, serviceNumber: line });
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(ring!.agentId).toBe(agent);
    expect(await readCall(call.id)).toMatchObject({ callerId: presented, callerE164: e164 });
    // The number dialled stays strict: it selects the flow and builds destination numbers.
    const strict = await startCall(presented, '+447911123456');
    expect(strict.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.serviceNumber' });
  });

  it('takes a call whose caller id is longer than 200 characters or holds unreadable characters, keeping a visibly marked caller id', async () => {
    const { queue, agent } = await queueWithAgent();
    const long = await enqueue(queue, { callerNumber: `sip:${'a'.repeat(300)}@carrier.example` });
    expect(long.errors).toBeUndefined();
    const kept: string = long.data.enqueueCall.callerId;
    expect([...kept]).toHaveLength(200);
    expect(kept).toBe(`sip:${'a'.repeat(195)}\u2026`);
    // Past the general bound of a string (1 000) too: a caller id up to 4 000 is taken, cut the same way.
    const longer = await enqueue(queue, { callerNumber: `sip:${'b'.repeat(3000)}@carrier.example` });
    expect(longer.errors).toBeUndefined();
    expect(longer.data.enqueueCall.callerId).toBe(`sip:${'b'.repeat(195)}\u2026`);
    const broken = await enqueue(queue, { callerNumber: 'Caller\u0007\u202e\ud800 1' });
    expect(broken.errors).toBeUndefined();
    expect(broken.data.enqueueCall).toMatchObject({ callerId: 'Caller\ufffd\ufffd\ufffd 1', callerE164: null });
    expect(await readCall(broken.data.enqueueCall.id)).toMatchObject({ callerId: 'Caller\ufffd\ufffd\ufffd 1' });
    await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === long.data.enqueueCall.id && i.agentId === agent);
  });

  it('refuses a service number that is not E.164 while taking any caller id, naming input.serviceNumber', async () => {
    const { queue } = await queueWithAgent();
    const res = await enqueue(queue, { callerNumber: 'anonymous', serviceNumber: '07911123456' });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.serviceNumber' });
    expect(res.errors![0]!.extensions!.problems.map((p: { field: string }) => p.field)).toEqual(['input.serviceNumber']);
  });
});

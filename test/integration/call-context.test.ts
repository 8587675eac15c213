import { randomUUID } from 'node:crypto';
import { codeOf } from '../support/fixtures';
import { uniqueNumbers } from '../support/numbers';
import { routingModes, useRoutingWorld, type Instruction, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

type Entry = { key: string; value: string };
const contextOf = (instruction: Instruction | undefined): Entry[] => (instruction as unknown as { context: Entry[] | null }).context ?? [];
const valueOf = (entries: Entry[], key: string) => entries.find((e) => e.key === key)?.value;

describe.each(routingModes().map((m) => [m.name, m] as const))('the context that travels with a call (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  const given: Entry[] = [{ key: 'intent', value: 'billing' }, { key: 'customer.tier', value: 'gold' }, { key: 'bot-summary', value: 'Asked about a refund of £12.50 — wants a person.' }];

  it('hands the call\'s context and what the gateway knows to the destination it dials, and shows the context on the call', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: null });
    const queueId = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.connector.enqueueOk(queueId, { callerNumber: '+447911123456', serviceNumber: '+442071234567', context: given });
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    const handed = contextOf(dial);
    expect(handed.slice(0, 3)).toEqual(given);
    expect(valueOf(handed, 'gateway.callerE164')).toBe('+447911123456');
    expect(valueOf(handed, 'gateway.serviceNumber')).toBe('+442071234567');
    expect(valueOf(handed, 'gateway.attempts')).toBe('1');
    expect(Number(valueOf(handed, 'gateway.waitedSec'))).toBeGreaterThanOrEqual(0);
    const read = await t.ok('query($id: ID!) { call(id: $id) { context { key value } } }', { id: call.id }, w.admin);
    expect(read.call.context).toEqual(given);
    // The same connectorCallId again returns the same call, its context unchanged.
    const again = await t.ok('mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id context { key value } } }', {
      i: { connectorCallId: (await t.ok('query($id: ID!) { call(id: $id) { connectorCallId } }', { id: call.id }, w.admin)).call.connectorCallId, queueId, context: [{ key: 'other', value: 'x' }] },
    }, w.connector.key);
    expect(again.enqueueCall).toEqual({ id: call.id, context: given });
  });

  it('hands it to the agent it rings, with the attempts counted so far', async () => {
    const agent = await w.agent('Ann');
    const queueId = await w.queue([{ groupId: await w.group([agent]) }], { agentRingTimeoutSec: 5 });
    const call = await w.connector.enqueueOk(queueId, { context: [{ key: 'intent', value: 'sales' }] });
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(contextOf(ring)[0]).toEqual({ key: 'intent', value: 'sales' });
    expect(valueOf(contextOf(ring), 'gateway.attempts')).toBe('1');
    expect(valueOf(contextOf(ring), 'gateway.callerId')).toBeUndefined();
  });

  it('lets a call flow add to the context with a SET_CONTEXT node, and hands on the path the call walked', async () => {
    const agent = await w.agent('Ann');
    const queueId = await w.queue([{ groupId: await w.group([agent]) }], { agentRingTimeoutSec: 5 });
    const serviceNumber = uniqueNumbers('+4420795')();
    const nodes = [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'tag' }] },
      { id: 'tag', type: 'SET_CONTEXT', context: [{ key: 'line', value: 'support' }, { key: 'lang', value: 'fr' }], branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId },
    ];
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id nodes { id context { key value } } } }', { i: { name: `Tagging ${randomUUID().slice(0, 6)}`, serviceNumbers: [serviceNumber], nodes } }, w.admin);
    expect(flow.createCallFlow.nodes[1].context).toEqual([{ key: 'line', value: 'support' }, { key: 'lang', value: 'fr' }]);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.createCallFlow.id }, w.admin);
    const started = await t.ok('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', {
      i: { connectorCallId: randomUUID(), serviceNumber, context: [{ key: 'lang', value: 'en' }, { key: 'intent', value: 'reset password' }] },
    }, w.connector.key);
    const callId = started.startCall.id;
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === callId);
    // The flow's value of a key the connector gave replaces it in place; a new key goes last.
    const expected = [{ key: 'lang', value: 'fr' }, { key: 'intent', value: 'reset password' }, { key: 'line', value: 'support' }];
    expect(contextOf(ring).slice(0, 3)).toEqual(expected);
    expect(valueOf(contextOf(ring), 'gateway.flowPath')).toBe('start>tag>queue');
    expect((await t.ok('query($id: ID!) { call(id: $id) { context { key value } } }', { id: callId }, w.admin)).call.context).toEqual(expected);

    const bad = await t.gql('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', {
      i: { name: `Bad ${randomUUID().slice(0, 6)}`, serviceNumbers: [], nodes: [nodes[0], { ...nodes[1], context: [{ key: 'gateway.x', value: 'y' }] }, nodes[2]] },
    }, w.admin);
    expect(bad.errors![0]!.extensions!.field).toBe('input.nodes[1].context[0].key');
  });

  it('refuses a context it cannot carry, naming every problem, and records no call', async () => {
    const queueId = await w.queue([{ groupId: await w.group([], [await w.destination()]) }]);
    const connectorCallId = randomUUID();
    const bad = await t.gql('mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', {
      i: {
        connectorCallId, queueId,
        context: [{ key: '1st', value: 'x' }, { key: 'gateway.callerId', value: 'spoofed' }, { key: 'a', value: 'x' }, { key: 'a', value: 'y' }, { key: 'long', value: 'v'.repeat(501) }],
      },
    }, w.connector.key);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.problems.map((p: { field: string }) => p.field)).toEqual([
      'input.context[0].key', 'input.context[1].key', 'input.context[3].key', 'input.context[4].value',
    ]);
    const many = await t.gql('mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', {
      i: { connectorCallId, queueId, context: Array.from({ length: 33 }, (_, i) => ({ key: `k${i}`, value: 'v' })) },
    }, w.connector.key);
    expect(many.errors![0]!.extensions!.field).toBe('input.context');
    const found = await t.gateway.dataSource.query(`SELECT COUNT(*) AS n FROM "call" WHERE "connectorCallId" = '${connectorCallId}'`);
    expect(Number(found[0].n)).toBe(0);
  });
});

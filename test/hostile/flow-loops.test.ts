import { randomUUID } from 'node:crypto';
import { CallFlowVersion } from '../../src/entities/call-flow.entity';
import { eventually, routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * Flows cannot spin: publishing refuses a loop that passes no WAIT node; a WAIT node pauses the call on a timer;
 * a call's arrivals at one node are capped (3 here, through the router's option, so a test need not sit through
 * 20 rounds; the default of 20 is proven by the core's unit tests), and a version published before the rule
 * ends the call when it comes back to a node without waiting.
 */
const VISIT_CAP = 3;

describe.each(routingModes().map((m) => [m.name, m] as const))('flow loops (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  }, { routing: { maxNodeVisits: VISIT_CAP } });

  const tag = () => randomUUID().slice(0, 8);
  const serviceNumber = () => `+44113496${String(Math.floor(Math.random() * 1000)).padStart(4, '0')}`;

  async function draft(nodes: unknown[]): Promise<{ id: string; number: string }> {
    const number = serviceNumber();
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { i: { name: `Flow ${tag()}`, serviceNumbers: [number], nodes } }, w.admin);
    return { id: flow.createCallFlow.id, number };
  }
  const publish = (id: string) => t.gql('mutation($id: ID!) { publishCallFlow(id: $id) { id publishedVersion } }', { id }, w.admin);
  async function published(nodes: unknown[]): Promise<{ id: string; number: string }> {
    const flow = await draft(nodes);
    const res = await publish(flow.id);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return flow;
  }
  async function startCall(number: string): Promise<string> {
    const res = await t.ok('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), serviceNumber: number } }, w.connector.key);
    return res.startCall.id;
  }
  const trace = async (callId: string): Promise<Array<{ at: string; step: string; summary: string }>> =>
    (await t.ok('query($id: ID!) { call(id: $id) { trace { at step summary } } }', { id: callId }, w.admin)).call.trace;
  const call = async (callId: string) => (await t.ok('query($id: ID!) { call(id: $id) { state endReason } }', { id: callId }, w.admin)).call;

  /** START -> ext; Busy -> an apology -> (a WAIT of `pause` s ->) the same destination again. */
  const retryLoop = (destinationId: string, pause: number | null) => [
    { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
    { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: destinationId, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'sorry' }] },
    { id: 'sorry', type: 'PLAY_MESSAGE', message: 'The line is busy; please hold.', branches: [{ name: 'next', to: pause === null ? 'ext' : 'pause' }] },
    ...(pause === null ? [] : [{ id: 'pause', type: 'WAIT', waitSec: pause, branches: [{ name: 'next', to: 'ext' }] }]),
    { id: 'bye', type: 'DISCONNECT' },
  ];

  it('refuses to publish a Busy → message → same destination loop that passes no WAIT, naming the loop by its nodes', async () => {
    const flow = await draft(retryLoop(await w.destination(), null));
    const res = await publish(flow.id);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ nodeId: 'ext', message: 'loop through ext, sorry with no WAIT node: a call would go round it without pausing' }],
    });
    const after = await t.ok('query($id: ID!) { callFlow(id: $id) { publishedVersion } }', { id: flow.id }, w.admin);
    expect(after.callFlow.publishedVersion).toBeNull();
  });

  it('refuses to publish a NoAgents → message → same queue loop that passes no WAIT', async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent(`Away ${tag()}`, 'LOGGED_OUT')]) }]);
    const flow = await draft([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'sales' }] },
      { id: 'sales', type: 'QUEUE', queueId: queue, branches: [{ name: 'NoAgents', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'Nobody is here yet.', branches: [{ name: 'next', to: 'sales' }] },
    ]);
    const res = await publish(flow.id);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ nodeId: 'sales', message: 'loop through sales, sorry with no WAIT node: a call would go round it without pausing' }],
    });
  });

  it('refuses a WAIT node without seconds or above the cap of 3600 s, each problem with its node', async () => {
    const flow = await draft([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'short' }] },
      { id: 'short', type: 'WAIT', branches: [{ name: 'next', to: 'long' }] },
      { id: 'long', type: 'WAIT', waitSec: 3601, branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    expect((await publish(flow.id)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ nodeId: 'short', message: 'waitSec is required' }, { nodeId: 'long', message: 'waitSec must be a whole number of seconds from 1 to 3600' }],
    });
  });

  it('pauses a call at a WAIT node between rounds of a retry loop: each apology comes at least the wait after the one before', async () => {
    const partner = await w.destination({ busyBackoffSec: 600 });
    const flow = await published(retryLoop(partner, 1));
    const callId = await startCall(flow.number);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === callId);
    await w.connector.outcome(dial!.attemptId!, 'BUSY');
    // The partner is now backed off: each round is Busy at once, an apology, then the pause.
    await w.connector.waitFor((i) => i.kind === 'PLAY_MESSAGE' && i.callId === callId, 2);
    const entries = await eventually(async () => {
      const all = await trace(callId);
      return all.filter((e) => e.summary.startsWith('Play Message node "sorry" stopped here')).length >= 2 ? all : null;
    });
    const apologies = entries.filter((e) => e.summary.startsWith('Play Message node "sorry" stopped here')).map((e) => Date.parse(e.at));
    expect(apologies[1]! - apologies[0]!).toBeGreaterThanOrEqual(1000);
    const summaries = entries.map((e) => e.summary);
    const firstWait = summaries.indexOf('Wait node "pause" stopped here: the call waits 1 s');
    expect(firstWait).toBeGreaterThan(summaries.findIndex((s) => s.startsWith('Play Message node "sorry" stopped here')));
    expect(summaries.indexOf('Wait node "pause" took next: the call waited 1 s')).toBeGreaterThan(firstWait);
    expect(w.connector.of('DIAL_EXTERNAL', callId)).toHaveLength(1);
    await w.connector.endCall(callId, 'CALLER_HUNG_UP');
    expect(await call(callId)).toMatchObject({ state: 'ABANDONED' });
  });

  it(`ends a call at its ${VISIT_CAP + 1}th arrival at one node, with a trace entry saying why, after one apology per round`, async () => {
    const partner = await w.destination({ enabled: false }); // out of the pool: Busy at once, every round
    const flow = await published(retryLoop(partner, 1));
    const callId = await startCall(flow.number);
    await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === callId, 1, 15_000);
    expect(await call(callId)).toMatchObject({ state: 'FAILED', endReason: 'DISCONNECTED' });
    expect(w.connector.of('PLAY_MESSAGE', callId)).toHaveLength(VISIT_CAP);
    expect(w.connector.of('DIAL_EXTERNAL', callId)).toHaveLength(0);
    const summaries = (await trace(callId)).map((e) => e.summary);
    expect(summaries.slice(-2)).toEqual([
      `Route To External Destination node "ext" stopped here: the call has already been at this node ${VISIT_CAP} times, the most a call may: the flow ends it here`,
      `disconnected: the call reached node ext of the call flow more than ${VISIT_CAP} times`,
    ]);
  });

  it('ends a call of a version published before the loop rule when it comes back to a node without a WAIT, after one apology', async () => {
    const partner = await w.destination({ enabled: false });
    const flow = await published(retryLoop(partner, 1));
    // The published version as an older release accepted it: the apology leads straight back to the destination.
    const versions = t.gateway.dataSource.getRepository(CallFlowVersion);
    const version = await versions.findOneByOrFail({ callFlowId: flow.id });
    await versions.update({ id: version.id }, { nodes: retryLoop(partner, null) as unknown as CallFlowVersion['nodes'] });

    const callId = await startCall(flow.number);
    await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === callId);
    expect(w.connector.of('PLAY_MESSAGE', callId)).toHaveLength(1);
    expect(await call(callId)).toMatchObject({ state: 'FAILED', endReason: 'DISCONNECTED' });
    expect((await trace(callId)).at(-1)!.summary).toBe('disconnected: the call came back to node ext without passing a WAIT node');
  });
});

import { randomUUID } from 'node:crypto';
import { CallTraceEntry } from '../../src/entities/call.entity';
import { createUser } from '../support/fixtures';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * Hidden means hidden in words too: whatever a call's trace and attempts say, a reader who may not see a
 * destination (a SELECTED profile without it, no profile, NONE on external destinations) reads "a destination
 * you cannot see", never its id, name or number; node types read as words.
 */
const CALL = `query($id: ID!) { call(id: $id) { id state endReason
  attempts { id state outcome targetKind number startedAt target { __typename ... on ExternalDestination { id name number } ... on HiddenExternalDestination { hidden } ... on Agent { id name } } }
  trace { at step summary considered { kind id } skipped { kind resourceId reason detail } chosen { kind resourceId priority detail } } } }`;

type Reader = 'a SELECTED-profile reader without the destination' | 'a reader with no profile' | 'a reader with NONE on external destinations';
const READERS: Reader[] = ['a SELECTED-profile reader without the destination', 'a reader with no profile', 'a reader with NONE on external destinations'];

describe.each(routingModes().map((m) => [m.name, m] as const))('trace words per reader (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  const tag = () => randomUUID().slice(0, 8);
  /** Leeds drama numbers, far from every destination number below. */
  const serviceNumber = () => `+44113496${String(Math.floor(Math.random() * 1000)).padStart(4, '0')}`;

  /** One token per kind of reader that may read calls (VIEW on queues) but not the hidden destination. */
  async function readers(visibleDestination: string): Promise<Record<Reader, string>> {
    const make = async (username: string, externalDestinations: 'VIEW' | 'NONE', profile: Parameters<typeof createUser>[2]['profile']) =>
      (await createUser(t, w.company, { username: `${username}-${tag()}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW', externalDestinations }, profile })).token;
    return {
      'a SELECTED-profile reader without the destination': await make('selected', 'VIEW', { scope: 'SELECTED', destinationIds: [visibleDestination] }),
      'a reader with no profile': await make('no-profile', 'VIEW', null),
      'a reader with NONE on external destinations': await make('none', 'NONE', { scope: 'ALL' }),
    };
  }

  async function publish(nodes: unknown[]): Promise<string> {
    const number = serviceNumber();
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { i: { name: `Flow ${tag()}`, serviceNumbers: [number], nodes } }, w.admin);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.createCallFlow.id }, w.admin);
    return number;
  }

  async function startCall(number: string): Promise<string> {
    const res = await t.ok('mutation($i: StartCallInput!) { startCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), serviceNumber: number } }, w.connector.key);
    return res.startCall.id;
  }

  const read = async (callId: string, token: string) => (await t.ok(CALL, { id: callId }, token)).call;
  /** Every text of the call as a reader receives it: one string to search. */
  const everything = (call: unknown) => JSON.stringify(call);

  /**
   * A hidden destination (a FULL_NUMBER with a number of its own) behind START -> Route To External Destination;
   * Busy plays an apology and ends the call. One call goes through: dialled, busy, apology, disconnect.
   */
  async function busyFlowCall() {
    const hidden = { name: `Secret AI ${tag()}`, number: `+442079460${100 + Math.floor(Math.random() * 800)}` };
    const hiddenId = await w.destination({ name: hidden.name, number: hidden.number });
    const visible = await w.destination({ name: `Seen ${tag()}` });
    const number = await publish([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
      { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: hiddenId, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'The line is busy.', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const callId = await startCall(number);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === callId);
    await w.connector.outcome(dial!.attemptId!, 'BUSY');
    await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === callId);
    return { callId, hidden: { ...hidden, id: hiddenId }, visible };
  }

  it.each(READERS)('as %s, no text of a flow call\'s trace or attempts names the hidden destination by id, name or number', async (reader) => {
    const { callId, hidden, visible } = await busyFlowCall();
    const token = (await readers(visible))[reader];
    const call = await read(callId, token);
    const text = everything(call);
    for (const secret of [hidden.id, hidden.name, hidden.number, hidden.number.slice(1)]) expect(text).not.toContain(secret);
    expect(call.trace.map((e: { summary: string }) => e.summary)).toContainEqual(expect.stringContaining('the call is offered to a destination you cannot see'));
    expect(call.attempts).toEqual([expect.objectContaining({ targetKind: 'DESTINATION', outcome: 'BUSY', number: null, target: { __typename: 'HiddenExternalDestination', hidden: true } })]);

    // The administrator (profile ALL) reads the same entry with the destination's name: the words were there to hide.
    expect(everything(await read(callId, w.admin))).toContain(`the call is offered to external destination \\"${hidden.name}\\"`);
  });

  it('names node types in words: "Route To External Destination", "Play Message", "Start"', async () => {
    const { callId } = await busyFlowCall();
    const flow = (await read(callId, w.admin)).trace.filter((e: { step: string }) => e.step === 'FLOW').map((e: { summary: string }) => e.summary);
    expect(flow).toEqual([
      'Start node "start" took next: the call enters the flow',
      expect.stringMatching(/^Route To External Destination node "ext" stopped here: the call is offered to external destination "Secret AI /),
      'Route To External Destination node "ext" took Busy: the destination was busy',
      'Play Message node "sorry" stopped here: the caller hears a message',
      'Play Message node "sorry" took next: the message was played',
      'Disconnect node "bye" stopped here: the flow ends the call here',
    ]);
  });

  it('as every reader who may not see the destination, a number that could not be built for it is explained without the destination\'s prefixes', async () => {
    const prefix = `+3319${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`;
    const matchPrefix = '+4471999';
    const hiddenId = await w.destination({ name: `Prefixed ${tag()}`, numberMode: 'PREFIX_REPLACING_MATCHED_PREFIX', number: null, prefix, matchPrefix });
    const visible = await w.destination({ name: `Seen ${tag()}` });
    const number = await publish([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
      { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: hiddenId, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const callId = await startCall(number);
    await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === callId);
    // The administrator reads why: the service number does not start with the destination's matchPrefix.
    expect(everything(await read(callId, w.admin))).toContain(`does not start with ${matchPrefix}`);

    for (const [reader, token] of Object.entries(await readers(visible))) {
      const call = await read(callId, token);
      const text = everything(call);
      for (const secret of [hiddenId, prefix, matchPrefix, matchPrefix.slice(1)]) expect([reader, text.includes(secret)]).toEqual([reader, false]);
      expect([reader, call.trace.find((e: { step: string }) => e.step === 'NUMBER_FAILED')?.summary]).toEqual([
        reader, 'the number to dial for this call could not be built: the attempt failed without dialling; the destination is not backed off',
      ]);
    }
  });

  it('reads trace entries written before their words were kept as facts without the hidden destination\'s id', async () => {
    const { callId, hidden, visible } = await busyFlowCall();
    // Entries as an older release wrote them: finished text only, the destination named by its id.
    const entries = t.gateway.dataSource.getRepository(CallTraceEntry);
    await entries.update({ callId }, { facts: null });
    const offered = (await entries.find({ where: { callId, step: 'FLOW' }, order: { seq: 'ASC' } }))[1]!;
    await entries.update({ id: offered.id }, { summary: `route to_external_destination node "ext" stopped here: the call is offered to external destination ${hidden.id}` });

    expect(everything(await read(callId, w.admin))).toContain(`Route To External Destination node \\"ext\\" stopped here: the call is offered to external destination \\"${hidden.name}\\"`);
    for (const [reader, token] of Object.entries(await readers(visible))) {
      const call = await read(callId, token);
      expect([reader, everything(call).includes(hidden.id)]).toEqual([reader, false]);
      expect([reader, call.trace[2].summary]).toEqual([reader, 'Route To External Destination node "ext" stopped here: the call is offered to a destination you cannot see']);
    }
  });
});

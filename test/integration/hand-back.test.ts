import { randomUUID } from 'node:crypto';
import { codeOf, createUser } from '../support/fixtures';
import { eventually, routingModes, RoutingWorld, useRoutingWorld, type Instruction } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

type Entry = { key: string; value: string };
const valueOf = (instruction: Instruction | undefined, key: string) =>
  ((instruction as unknown as { context: Entry[] | null }).context ?? []).find((e) => e.key === key)?.value;

const RETURN = `mutation($i: ReturnCallInput!) { returnCall(input: $i) { id state returnCount enqueuedAt answeredAt context { key value } } }`;
const CALL = `query($id: ID!) { call(id: $id) { id state returnCount context { key value }
  attempts { state outcome returnReason target { __typename ... on ExternalDestination { id } ... on HiddenExternalDestination { hidden } } }
  trace { step summary chosen { kind resourceId detail } } } }`;

describe.each(routingModes().map((m) => [m.name, m] as const))('an external destination hands a call back (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  /** An AI destination answers a call of a queue whose person is on break. */
  async function answeredByAi() {
    const ai = await w.destination({ maxSimultaneousCalls: 2 });
    const person = await w.agent('Person', 'ON_BREAK');
    const queueId = await w.queue([{ groupId: await w.group([person], [ai]) }]);
    const call = await w.connector.enqueueOk(queueId, { context: [{ key: 'intent', value: 'billing' }] });
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect((await w.connector.outcome(dial!.attemptId!, 'ANSWERED')).errors).toBeUndefined();
    return { ai, person, queueId, call, dial: dial! };
  }

  it('returns the call to a person with its history, its place and the context the destination adds, and counts the return', async () => {
    const { ai, person, call, dial } = await answeredByAi();
    const returned = await t.ok(RETURN, {
      i: { eventId: randomUUID(), attemptId: dial.attemptId, reason: 'caller asked for a person', context: [{ key: 'bot.summary', value: 'Disputes the March invoice.' }] },
    }, w.connector.key);
    expect(returned.returnCall).toMatchObject({ id: call.id, state: 'QUEUED', returnCount: 1 });
    expect(returned.returnCall.context).toEqual([{ key: 'intent', value: 'billing' }, { key: 'bot.summary', value: 'Disputes the March invoice.' }]);
    expect(returned.returnCall.answeredAt).not.toBeNull();

    await w.setStatus(person, 'AVAILABLE');
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(ring!.agentId).toBe(person);
    expect(valueOf(ring, 'bot.summary')).toBe('Disputes the March invoice.');
    expect(valueOf(ring, 'gateway.returnReason')).toBe('caller asked for a person');
    expect(valueOf(ring, 'gateway.returns')).toBe('1');

    const read = (await t.ok(CALL, { id: call.id }, w.admin)).call;
    expect(read.attempts[0]).toEqual({ state: 'RETURNED', outcome: 'ANSWERED', returnReason: 'caller asked for a person', target: { __typename: 'ExternalDestination', id: ai } });
    const entry = read.trace.find((e: { step: string }) => e.step === 'RETURNED');
    expect(entry.summary).toContain('the external destination handed the call back (caller asked for a person)');
    expect(entry.chosen).toEqual({ kind: 'DESTINATION', resourceId: ai, detail: 'handed the call back' });
    // The destination is free again, with no back-off.
    expect(await w.destinationLive(ai)).toMatchObject({ state: 'AVAILABLE', connectingCalls: 0, activeCalls: 0, backedOffUntil: null, consecutiveFailures: 0 });

    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const stats = await eventually(async () => {
      const s = (await t.ok('query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { answered returned } }', { id: ai, ...range }, w.admin)).externalDestinationStats;
      return s.returned === 1 ? s : null;
    });
    expect(stats).toEqual({ answered: 1, returned: 1 });
  });

  it('shows the return to a reader who may not see the destination without naming it, with the context', async () => {
    const { dial, call } = await answeredByAi();
    await t.ok(RETURN, { i: { eventId: randomUUID(), attemptId: dial.attemptId, reason: 'needs a person' } }, w.connector.key);
    const limited = await createUser(t, w.company, {
      username: `calls-${call.id.slice(0, 8)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [] },
    });
    const read = (await t.ok(CALL, { id: call.id }, limited.token)).call;
    expect(read.context).toEqual([{ key: 'intent', value: 'billing' }]);
    expect(read.attempts[0]).toMatchObject({ state: 'RETURNED', returnReason: 'needs a person', target: { __typename: 'HiddenExternalDestination', hidden: true } });
    expect(read.trace.find((e: { step: string }) => e.step === 'RETURNED').chosen).toEqual({ kind: 'DESTINATION', resourceId: null, detail: 'handed the call back' });
  });

  it('refuses bad input by field, another company\'s attempt as if it did not exist, and changes nothing', async () => {
    const { dial, call } = await answeredByAi();
    const bad = await t.gql(RETURN, { i: { eventId: randomUUID(), attemptId: dial.attemptId, reason: ' ', context: [{ key: 'gateway.returns', value: '0' }] } }, w.connector.key);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.field).toBe('input.reason');
    expect(JSON.stringify(bad.errors![0]!.extensions)).toContain('input.reason');
    expect(JSON.stringify(bad.errors![0]!.extensions)).toContain('input.context[0].key');

    const other = await RoutingWorld.create(t);
    try {
      const foreign = await t.gql(RETURN, { i: { eventId: randomUUID(), attemptId: dial.attemptId, reason: 'take it' } }, other.connector.key);
      const unknown = await t.gql(RETURN, { i: { eventId: randomUUID(), attemptId: randomUUID(), reason: 'take it' } }, other.connector.key);
      expect(codeOf(foreign)).toBe('NOT_FOUND');
      expect(foreign.errors![0]!.message).toBe(unknown.errors![0]!.message);
      const queueElsewhere = await other.queue([{ groupId: await other.group([]) }]);
      const wrongQueue = await t.gql(RETURN, { i: { eventId: randomUUID(), attemptId: dial.attemptId, reason: 'take it', queueId: queueElsewhere } }, w.connector.key);
      expect(codeOf(wrongQueue)).toBe('NOT_FOUND');
    } finally {
      await other.close();
    }
    // Users may read calls but not hand them back.
    expect(codeOf(await t.gql(RETURN, { i: { eventId: randomUUID(), attemptId: dial.attemptId, reason: 'take it' } }, w.admin))).toBe('FORBIDDEN');
    expect((await t.ok(CALL, { id: call.id }, w.admin)).call).toMatchObject({ state: 'CONNECTED', returnCount: 0, context: [{ key: 'intent', value: 'billing' }] });
  });

  it('keeps the queue\'s choice for returned calls, agents only unless it says otherwise', async () => {
    const groupId = await w.group([await w.agent('Someone', 'ON_BREAK')]);
    const queueId = await w.queue([{ groupId }]);
    const read = await t.ok('query($id: ID!) { queue(id: $id) { returnedCallsToExternal } }', { id: queueId }, w.admin);
    expect(read.queue.returnedCallsToExternal).toBe(false);
    const changed = await t.ok('mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { returnedCallsToExternal } }', {
      id: queueId, i: { name: `Returns ${queueId.slice(0, 6)}`, groups: [{ groupId }], returnedCallsToExternal: true },
    }, w.admin);
    expect(changed.updateQueue.returnedCallsToExternal).toBe(true);
  });
});

import { MAX_CALL_RETURNS } from '../../../src/engine/call-context';
import { isCoded } from '../../../src/engine/call-records';
import { EngineWorld, type Sent } from './world';

/*
 * Hand-back (issue 19, item 5; decision 036) on the engine in process with a virtual clock: an external
 * destination that answered returns the call to the gateway, which offers it again with its history, its
 * context and its place in the queue.
 */

type Entry = { key: string; value: string };
const contextOf = (sent: Sent): Entry[] => (sent as unknown as { context: Entry[] | null }).context ?? [];
const valueOf = (sent: Sent, key: string) => contextOf(sent).find((e) => e.key === key)?.value;

async function codeOfRejection(work: Promise<unknown>): Promise<string | undefined> {
  try {
    await work;
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code;
  }
  return undefined;
}

describe('calls handed back by external destinations, on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });

  /** A queue whose one group has an agent (on break unless said) and an AI destination; a call the AI answered. */
  async function answeredByAi(settings: { returnedCallsToExternal?: boolean; maxWaitSec?: number } = {}, agentStatus: 'AVAILABLE' | 'ON_BREAK' = 'ON_BREAK') {
    const ai = await w.destination({ maxSimultaneousCalls: 3, retryIntervalSec: 30 });
    const agent = await w.agent('Person', agentStatus);
    const group = await w.group([agent], [ai]);
    const queue = await w.queue([{ groupId: group }], settings);
    const call = await w.enqueue(queue);
    const dial = await w.instructed('DIAL_EXTERNAL', call.id);
    await w.outcome(dial.attemptId!, 'ANSWERED');
    return { ai, agent, group, queue, call, dial };
  }

  it('returns an answered call to its queue with its arrival time, frees the destination\'s slot with no back-off and rings a person with the context', async () => {
    const { ai, agent, call, dial } = await answeredByAi();
    expect(await w.slots(ai)).toEqual({ connecting: 0, active: 1 });
    await w.advance(40_000);

    const returned = await w.returnCall(dial.attemptId!, { reason: 'caller asked for a person', context: [{ key: 'intent', value: 'refund' }] });
    expect(returned.state).toBe('QUEUED');
    expect(returned.returnCount).toBe(1);
    expect(returned.enqueuedAt.getTime()).toBe(call.enqueuedAt.getTime());
    expect(returned.answeredAt).not.toBeNull();
    expect(returned.context).toEqual([{ key: 'intent', value: 'refund' }]);
    const [attempt] = await w.attempts(call.id);
    expect(attempt).toMatchObject({ state: 'RETURNED', outcome: 'ANSWERED', returnReason: 'caller asked for a person', backoffUntil: null });
    expect(attempt!.endedAt!.getTime()).toBe(w.clock.now());
    expect(await w.slots(ai)).toEqual({ connecting: 0, active: 0 });
    expect((await w.health(ai)).backedOffUntil ?? null).toBeNull();

    // Agents only by default: the free destination is passed over while no person is free.
    const waiting = (await w.traceOf(call.id)).filter((e) => e.step === 'WAITING').at(-1)!;
    expect(waiting.skipped).toContainEqual(expect.objectContaining({ resourceId: ai, reason: 'RETURNED_TO_AGENTS' }));
    expect(w.of('DIAL_EXTERNAL', call.id)).toHaveLength(1);

    await w.setStatus(agent, 'AVAILABLE');
    const ring = await w.instructed('RING_AGENT', call.id);
    expect(ring.agentId).toBe(agent);
    expect(valueOf(ring, 'intent')).toBe('refund');
    expect(valueOf(ring, 'gateway.returns')).toBe('1');
    expect(valueOf(ring, 'gateway.returnReason')).toBe('caller asked for a person');
    expect(valueOf(ring, 'gateway.attempts')).toBe('2');
    expect(valueOf(ring, 'gateway.waitedSec')).toBe('40');

    await w.outcome(ring.attemptId!, 'ANSWERED');
    const done = await w.endCall(call.id, 'COMPLETED');
    // The first answer (the destination's) stays the call's answer; the history keeps both attempts.
    expect(done.answeredAt!.getTime()).toBe(returned.answeredAt!.getTime());
    expect((await w.attempts(call.id)).map((a) => a.state)).toEqual(['RETURNED', 'COMPLETED']);
    expect(await w.story(call.id)).toMatch(/RETURNED: the external destination handed the call back \(caller asked for a person\); it waits in queue "Queue [^"]+" again, keeping its place \(arrived \d\d:\d\d:\d\d UTC\), for regular agents only/);
  });

  it('offers a returned call before a call that arrived after it, and lets the later call go to the destination meanwhile', async () => {
    const { ai, agent, queue, call, dial } = await answeredByAi();
    await w.advance(5_000);
    const later = await w.enqueue(queue);
    // The later call takes a second slot of the destination (agents are all on break).
    expect((await w.instructed('DIAL_EXTERNAL', later.id)).destinationId).toBe(ai);
    const third = await w.enqueue(queue);
    const thirdDial = await w.instructed('DIAL_EXTERNAL', third.id);
    await w.outcome(thirdDial.attemptId!, 'BUSY');
    // The third call waits (the destination backed off); the first is returned and waits for a person ahead of it.
    await w.returnCall(dial.attemptId!);
    await w.setStatus(agent, 'AVAILABLE');
    expect((await w.instructed('RING_AGENT', call.id)).agentId).toBe(agent);
    expect(w.of('RING_AGENT', third.id)).toHaveLength(0);
  });

  it('lets a queue send returned calls to external destinations again, but not at once to the one that handed it back', async () => {
    const { ai, agent, group, call, dial } = await answeredByAi({ returnedCallsToExternal: true });
    const other = await w.destination({ maxSimultaneousCalls: 1 });
    await w.services.agentGroups.update(w.actor, group, { name: `Mixed ${group.slice(0, 8)}`, agentIds: [agent], externalDestinationIds: [ai, other] });
    await w.returnCall(dial.attemptId!);
    const again = await w.instructed('DIAL_EXTERNAL', call.id, 2);
    expect(again.destinationId).toBe(other);
    const routed = (await w.traceOf(call.id)).filter((e) => e.step === 'ROUTED').at(-1)!;
    expect(routed.skipped).toContainEqual(expect.objectContaining({ resourceId: ai, reason: 'DESTINATION_RETRY_WAIT' }));
  });

  it(`refuses a return beyond ${MAX_CALL_RETURNS} per call and leaves the call with the destination`, async () => {
    const { ai, call, dial } = await answeredByAi({ returnedCallsToExternal: true });
    let attemptId = dial.attemptId!;
    for (let i = 1; i <= MAX_CALL_RETURNS; i += 1) {
      await w.returnCall(attemptId);
      await w.advance(31_000); // the destination's retry interval for this call
      const next = await w.instructed('DIAL_EXTERNAL', call.id, i + 1);
      expect(next.destinationId).toBe(ai);
      await w.outcome(next.attemptId!, 'ANSWERED');
      attemptId = next.attemptId!;
    }
    let refused: unknown;
    await w.returnCall(attemptId).catch((error: unknown) => (refused = error));
    expect(isCoded(refused, 'CONFLICT')).toBe(true);
    expect((refused as Error).message).toMatch(`handed back ${MAX_CALL_RETURNS} times already`);
    const row = await w.callRow(call.id);
    expect(row).toMatchObject({ state: 'CONNECTED', returnCount: MAX_CALL_RETURNS });
    expect((await w.attempts(call.id)).at(-1)!.state).toBe('CONNECTED');
    expect(await w.slots(ai)).toEqual({ connecting: 0, active: 1 });
  });

  it('applies a return once per event id, refuses the id for another attempt, and refuses what cannot be returned', async () => {
    const { call, dial } = await answeredByAi();
    const first = await w.returnCall(dial.attemptId!, { eventId: 'return-1' });
    const again = await w.returnCall(dial.attemptId!, { eventId: 'return-1' });
    expect(again.id).toBe(first.id);
    expect((await w.callRow(call.id)).returnCount).toBe(1);
    expect((await w.traceOf(call.id)).filter((e) => e.step === 'RETURNED')).toHaveLength(1);

    const other = await answeredByAi();
    expect(await codeOfRejection(w.returnCall(other.dial.attemptId!, { eventId: 'return-1' }))).toBe('CONFLICT');
    // Already returned; unknown; an agent's; a ringing one.
    expect(await codeOfRejection(w.returnCall(dial.attemptId!))).toBe('CONFLICT');
    expect(await codeOfRejection(w.returnCall('9b0d3f4e-0000-4000-8000-000000000000'))).toBe('NOT_FOUND');
    const agentQueue = await w.queue([{ groupId: await w.group([await w.agent('Free')]) }]);
    const agentCall = await w.enqueue(agentQueue);
    const ring = await w.instructed('RING_AGENT', agentCall.id);
    expect(await codeOfRejection(w.returnCall(ring.attemptId!))).toBe('CONFLICT');
    await w.outcome(ring.attemptId!, 'ANSWERED');
    expect(await codeOfRejection(w.returnCall(ring.attemptId!))).toBe('CONFLICT');
    const ringingQueue = await w.queue([{ groupId: await w.group([], [await w.destination()]) }]);
    const ringing = await w.enqueue(ringingQueue);
    const ringingDial = await w.instructed('DIAL_EXTERNAL', ringing.id);
    expect(await codeOfRejection(w.returnCall(ringingDial.attemptId!))).toBe('CONFLICT');
    // Refused returns changed nothing.
    expect((await w.callRow(ringing.id)).state).toBe('OFFERING');
    expect((await w.callRow(other.call.id))).toMatchObject({ state: 'CONNECTED', returnCount: 0 });
  });

  it('runs the queue\'s maximum wait again from the return, not from the arrival', async () => {
    const { call, dial } = await answeredByAi({ maxWaitSec: 60 });
    await w.advance(50_000);
    await w.returnCall(dial.attemptId!);
    await w.advance(30_000); // 80 s after the arrival, 30 s after the return
    expect((await w.callRow(call.id)).state).toBe('QUEUED');
    await w.advance(31_000);
    await w.until(async () => (await w.callRow(call.id)).state === 'FAILED', 'the call leaves the queue 60 s after its return');
    expect((await w.callRow(call.id)).endReason).toBe('MAX_WAIT');
  });

  it('sends a returned call to the queue the connector names, out of its call flow', async () => {
    const ai = await w.destination({ maxSimultaneousCalls: 2 });
    const people = await w.agent('Human');
    const humans = await w.queue([{ groupId: await w.group([people]) }]);
    const serviceNumber = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ai' }] },
      { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ai, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const call = await w.startCall(serviceNumber);
    const dial = await w.instructed('DIAL_EXTERNAL', call.id);
    await w.outcome(dial.attemptId!, 'ANSWERED');
    // A queue that does not exist is refused, and the call stays with the destination.
    expect(await codeOfRejection(w.returnCall(dial.attemptId!, { queueId: '9b0d3f4e-0000-4000-8000-000000000001' }))).toBe('NOT_FOUND');
    expect(await w.callRow(call.id)).toMatchObject({ state: 'CONNECTED', returnCount: 0, flowNodeId: 'ai' });
    const returned = await w.returnCall(dial.attemptId!, { queueId: humans });
    expect(returned).toMatchObject({ queueId: humans, flowVersionId: null, flowNodeId: null, returnCount: 1 });
    expect((await w.instructed('RING_AGENT', call.id)).agentId).toBe(people);
  });

  it('takes a call flow node\'s Returned branch, and Failure when Returned is not wired', async () => {
    const ai = await w.destination({ maxSimultaneousCalls: 2 });
    const people = await w.agent('Flow person');
    const humans = await w.queue([{ groupId: await w.group([people]) }]);
    const wired = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ai' }] },
      { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ai, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Returned', to: 'people' }, { name: 'Failure', to: 'bye' }] },
      { id: 'people', type: 'QUEUE', queueId: humans, branches: [] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const call = await w.startCall(wired);
    const dial = await w.instructed('DIAL_EXTERNAL', call.id);
    await w.outcome(dial.attemptId!, 'ANSWERED');
    await w.returnCall(dial.attemptId!, { context: [{ key: 'summary', value: 'wants a person' }] });
    const ring = await w.instructed('RING_AGENT', call.id);
    expect(valueOf(ring, 'gateway.flowPath')).toBe('start>ai>people');
    expect(valueOf(ring, 'summary')).toBe('wants a person');
    expect((await w.callRow(call.id))).toMatchObject({ queueId: humans, flowNodeId: 'people' });

    const unwired = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ai' }] },
      { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ai, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Failure', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'Nobody can take your call.', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const second = await w.startCall(unwired);
    const secondDial = await w.instructed('DIAL_EXTERNAL', second.id);
    await w.outcome(secondDial.attemptId!, 'ANSWERED');
    await w.returnCall(secondDial.attemptId!);
    expect((await w.instructed('PLAY_MESSAGE', second.id)).message).toBe('Nobody can take your call.');
    expect(await w.story(second.id)).toMatch(/Returned is not wired, so it falls back to Failure/);
  });
});

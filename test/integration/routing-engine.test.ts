import { randomUUID } from 'node:crypto';
import { HeldClock } from '../support/conditions';
import { createUser } from '../support/fixtures';
import { Connector, eventually, routingModes, RoutingWorld, useRoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

describe.each(routingModes().map((m) => [m.name, m] as const))('routing engine through the public API (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  /** The router's clock: real time, held and moved by the tests of back-offs and retry intervals. */
  const clock = new HeldClock();
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  }, { routing: { clock: clock.now } });
  afterEach(() => clock.release());

  const dials = (destinationId: string) => w.connector.instructions.filter((i) => i.kind === 'DIAL_EXTERNAL' && i.destinationId === destinationId);

  /**
   * An instruction issued after everything routed so far (a call rung on an agent of its own queue): the
   * connector session receives instructions in the order they were issued, so once this one is there, any
   * instruction issued before it is too.
   */
  async function instructionAfterAllSoFar(): Promise<void> {
    const queue = await w.queue([{ groupId: await w.group([await w.agent(`Marker ${randomUUID().slice(0, 4)}`)]) }]);
    const marker = await w.connector.enqueueOk(queue);
    await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === marker.id);
  }

  it('gives the call to a free agent of any eligible group and dials no destination', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 5 });
    const agent = await w.agent('Ada');
    const queue = await w.queue([
      { groupId: await w.group([], [destination]) },
      { groupId: await w.group([agent]), overflow: { queueLengthAbove: 0 } },
    ]);
    const call = await w.connector.enqueueOk(queue);
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(ring!.agentId).toBe(agent);
    expect(dials(destination)).toHaveLength(0);
    const view = await w.call(call.id);
    const routed = view.trace.find((e: any) => e.step === 'ROUTED');
    expect(routed.skipped).toContainEqual(expect.objectContaining({ resourceId: destination, reason: 'AGENT_AVAILABLE_FIRST', detail: 'a regular agent is available' }));
  });

  it('dials a destination with two slots for two of three calls and keeps the third waiting, explaining why', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 2 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const calls: Array<{ id: string; state: string }> = [];
    for (let i = 0; i < 3; i += 1) calls.push(await w.connector.enqueueOk(queue));
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 2);
    expect(dials(destination).map((d) => d.callId).sort()).toEqual([calls[0]!.id, calls[1]!.id].sort());
    expect(calls[2]!.state).toBe('QUEUED');
    expect(await w.destinationLive(destination)).toMatchObject({ state: 'AT_CAPACITY', connectingCalls: 2, activeCalls: 0 });
    const waiting = (await w.call(calls[2]!.id)).trace.find((e: any) => e.step === 'WAITING');
    expect(waiting.skipped).toContainEqual(expect.objectContaining({ resourceId: destination, reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 2/2' }));
    expect(waiting.summary).toMatch(/no agent or destination available; the call keeps its place in the queue/);

    // A slot freed by an answered-then-completed call goes to the waiting call.
    const first = dials(destination).find((d) => d.callId === calls[0]!.id)!;
    expect((await w.connector.outcome(first.attemptId!, 'ANSWERED')).errors).toBeUndefined();
    expect(await w.destinationLive(destination)).toMatchObject({ connectingCalls: 1, activeCalls: 1 });
    expect((await w.connector.endCall(calls[0]!.id, 'COMPLETED')).data?.endCall.state).toBe('ENDED');
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === calls[2]!.id);
  });

  it('sends the call beyond a full destination at once to a free agent of the next group', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 2 });
    const agent = await w.agent('Grace');
    // The second group has no condition that holds: only the full destination of group 1 makes it eligible.
    const queue = await w.queue([
      { groupId: await w.group([], [destination]) },
      { groupId: await w.group([agent]), overflow: { oldestWaitAboveSec: 3_600 } },
    ]);
    const a = await w.connector.enqueueOk(queue);
    const b = await w.connector.enqueueOk(queue);
    const c = await w.connector.enqueueOk(queue);
    // The ring of the third call was issued after both dials: once it is there, every dial is.
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === c.id);
    expect(ring!.agentId).toBe(agent);
    expect(dials(destination).map((d) => d.callId).sort()).toEqual([a.id, b.id].sort());
    const routed = (await w.call(c.id)).trace.find((e: any) => e.step === 'ROUTED');
    expect(routed.summary).toMatch(/group 2: every destination of group 1 is full or backed off/);
  });

  it('counts a ringing attempt toward capacity and frees it when the caller hangs up, with no back-off', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 1, busyBackoffSec: 600 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const a = await w.connector.enqueueOk(queue);
    const b = await w.connector.enqueueOk(queue);
    expect(b.state).toBe('QUEUED');
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id);
    expect(dial!.number).toBe('+442079460958');
    expect(dial!.ringTimeoutSec).toBe(30);
    expect(await w.destinationLive(destination)).toMatchObject({ state: 'AT_CAPACITY', connectingCalls: 1 });

    const hungUp = await w.connector.endCall(a.id, 'CALLER_HUNG_UP');
    expect(hungUp.data?.endCall).toMatchObject({ state: 'ABANDONED', endReason: 'CALLER_HUNG_UP' });
    const [cancel] = await w.connector.waitFor((i) => i.kind === 'CANCEL_ATTEMPT' && i.callId === a.id);
    expect(cancel!.attemptId).toBe(dial!.attemptId);
    // The freed slot goes to the waiting call; the destination was not backed off.
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === b.id);
    expect(await w.destinationLive(destination)).toMatchObject({ backedOffUntil: null, consecutiveFailures: 0, connectingCalls: 1 });
    const view = await w.call(a.id);
    expect(view.attempts).toEqual([expect.objectContaining({ state: 'CANCELLED', outcome: null })]);
    expect(view.trace.at(-1).summary).toMatch(/the caller hung up after \d+ s while the call was ringing: the attempt was cancelled, with no back-off/);
  });

  it('backs a busy destination off for its busyBackoffSec, then uses it again', async () => {
    const destination = await w.destination({ busyBackoffSec: 1, retryIntervalSec: 60 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const a = await w.connector.enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id);
    // The router's time stands still from the busy outcome on: the back-off ends when the test says.
    clock.hold();
    const busy = await w.connector.outcome(dial!.attemptId!, 'BUSY');
    expect(busy.data?.reportAttemptOutcome).toMatchObject({ state: 'BUSY', outcome: 'BUSY' });
    const live = await w.destinationLive(destination);
    expect(live).toMatchObject({ state: 'BACKED_OFF', consecutiveFailures: 1, connectingCalls: 0 });

    // Another call arriving during the back-off is not dialled to it, and its trace says until when.
    const b = await w.connector.enqueueOk(queue);
    expect(b.state).toBe('QUEUED');
    expect(dials(destination)).toHaveLength(1);
    const waiting = (await w.call(b.id)).trace.find((e: any) => e.step === 'WAITING');
    expect(waiting.skipped).toContainEqual(expect.objectContaining({ reason: 'DESTINATION_BACKED_OFF', detail: expect.stringMatching(/^backed off until \d\d:\d\d:\d\d UTC$/) }));
    // Once the back-off has passed, the destination is used again (by the new call; the first waits its retry interval).
    clock.advance(1_000);
    const [again] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === b.id, 1, 15_000);
    expect(again!.destinationId).toBe(destination);
    // The first call, ahead of it in the queue, would have been dialled first.
    expect(dials(destination).filter((d) => d.callId === a.id)).toHaveLength(1);
  });

  it('makes the same call wait retryIntervalSec after no answer while another call uses the destination at once', async () => {
    const destination = await w.destination({ noAnswerBackoffSec: 0, retryIntervalSec: 1, maxSimultaneousCalls: 5 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const a = await w.connector.enqueueOk(queue);
    const [first] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id);
    // The router's time stands still from the unanswered offer on: the retry interval ends when the test says.
    clock.hold();
    await w.connector.outcome(first!.attemptId!, 'NO_ANSWER');
    const b = await w.connector.enqueueOk(queue);
    expect(b.state).toBe('OFFERING');
    // The first call, ahead in the queue, would have been dialled before the second.
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === b.id);
    expect(dials(destination).filter((d) => d.callId === a.id)).toHaveLength(1);
    const waiting = (await w.call(a.id)).trace.find((e: any) => e.step === 'WAITING');
    expect(waiting.skipped).toContainEqual(expect.objectContaining({ reason: 'DESTINATION_RETRY_WAIT', detail: expect.stringMatching(/^this call may be offered again in \d s$/) }));
    // A moment before the interval ends, a third call routed through the queue goes ahead of it.
    clock.advance(999);
    const c = await w.connector.enqueueOk(queue);
    expect(c.state).toBe('OFFERING');
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === c.id);
    expect(dials(destination).filter((d) => d.callId === a.id)).toHaveLength(1);
    // Once it has ended, the first call is offered the destination again.
    clock.advance(1);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id, 2, 15_000);
    expect(await w.destinationLive(destination)).toMatchObject({ backedOffUntil: null });
  });

  it('suspends a destination after maxConsecutiveFailures until someone resumes it', async () => {
    const destination = await w.destination({ maxConsecutiveFailures: 2, failureBackoffSec: 1, retryIntervalSec: 1 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const a = await w.connector.enqueueOk(queue);
    const [first] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id);
    // The router's time stands still from the first failure on: back-off and retry interval end when the test says.
    clock.hold();
    await w.connector.outcome(first!.attemptId!, 'FAILED');
    clock.advance(1_000);
    const [, second] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id, 2, 15_000);
    await w.connector.outcome(second!.attemptId!, 'REJECTED');
    expect(await w.destinationLive(destination)).toMatchObject({ state: 'SUSPENDED', consecutiveFailures: 2 });
    // Well past its back-off and retry interval it is still not used: a call routed through the queue then
    // waits, and nothing was dialled before an instruction issued after that.
    clock.advance(5_000);
    const b = await w.connector.enqueueOk(queue);
    expect(b.state).toBe('QUEUED');
    const waiting = (await w.call(b.id)).trace.find((e: any) => e.step === 'WAITING');
    expect(waiting.skipped).toContainEqual(expect.objectContaining({ resourceId: destination, reason: 'DESTINATION_SUSPENDED' }));
    await instructionAfterAllSoFar();
    expect(dials(destination)).toHaveLength(2);
    const view = await w.call(a.id);
    expect(view.trace.map((e: any) => e.summary).join('\n')).toMatch(/suspended after 2 consecutive failures/);

    await t.ok('mutation($id: ID!) { resumeExternalDestination(id: $id) { id } }', { id: destination }, w.admin);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === a.id, 3, 15_000);
    expect(await w.destinationLive(destination)).toMatchObject({ consecutiveFailures: 0 });
  });

  it('applies an outcome sent ten times at once, or twice in a row, exactly once', async () => {
    const destination = await w.destination({ busyBackoffSec: 600 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.connector.enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    const eventId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => w.connector.outcome(dial!.attemptId!, 'BUSY', eventId)));
    for (const res of answers) expect(res).toMatchObject({ data: { reportAttemptOutcome: { id: dial!.attemptId, state: 'BUSY', outcome: 'BUSY' } } });
    const again = await w.connector.outcome(dial!.attemptId!, 'BUSY', eventId);
    expect(again.data?.reportAttemptOutcome.state).toBe('BUSY');
    expect(await w.destinationLive(destination)).toMatchObject({ consecutiveFailures: 1 });
    const view = await w.call(call.id);
    expect(view.trace.filter((e: any) => e.step === 'OUTCOME')).toHaveLength(1);

    // A new event for the ended attempt conflicts; the same event id with other content conflicts too.
    const late = await w.connector.outcome(dial!.attemptId!, 'ANSWERED');
    expect(late.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const reused = await w.connector.outcome(dial!.attemptId!, 'FAILED', eventId);
    expect(reused.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    // endCall: ten at once with one id end the call once.
    const endId = randomUUID();
    const ends = await Promise.all(Array.from({ length: 10 }, () => w.connector.endCall(call.id, 'CALLER_HUNG_UP', endId)));
    for (const res of ends) expect(res.data?.endCall.state).toBe('ABANDONED');
    expect((await w.call(call.id)).trace.filter((e: any) => e.step === 'ENDED')).toHaveLength(1);
    expect((await w.connector.endCall(call.id, 'CALLER_HUNG_UP')).errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('refuses an event id in the form of the gateway\'s own ring timeouts, which would stop the ringing as a timeout does', async () => {
    const destination = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.connector.enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    const posed = await w.connector.outcome(dial!.attemptId!, 'NO_ANSWER', `ring-timeout:${dial!.attemptId}`);
    expect(posed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.eventId' });
    // Nor in the form of its probe timeouts, in any mutation: every event id shares one record.
    const probing = await w.connector.outcome(dial!.attemptId!, 'NO_ANSWER', `probe-timeout:${dial!.attemptId}`);
    expect(probing.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.eventId' });
    const ending = await w.connector.endCall(call.id, 'CALLER_HUNG_UP', `ring-timeout:${call.id}`);
    expect(ending.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.eventId' });
    // Nothing was applied: the attempt still rings, and the connector's own event ends it.
    expect((await w.connector.outcome(dial!.attemptId!, 'NO_ANSWER')).data?.reportAttemptOutcome.state).toBe('NO_ANSWER');
  });

  it('answers NOT_FOUND for unknown attempts and calls and for those of another company', async () => {
    const destination = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.connector.enqueueOk(queue);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    const other = await RoutingWorld.create(t);
    try {
      for (const attemptId of [dial!.attemptId!, randomUUID(), 'not-an-id']) {
        const res = await other.connector.outcome(attemptId, 'ANSWERED');
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.attemptId' });
      }
      expect((await other.connector.endCall(call.id, 'COMPLETED')).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      expect((await other.connector.enqueue(queue)).errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.queueId' });
      const read = await t.gql('query($id: ID!) { call(id: $id) { id } }', { id: call.id }, other.admin);
      expect(read.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await other.close();
    }
    // The attempt of this company is untouched by the other company's reports.
    expect((await w.call(call.id)).attempts[0].state).toBe('RINGING');
  });

  it('refuses telephony operations to users and the instruction stream to anyone but a connector', async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Lin')]) }]);
    const res = await t.gql('mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', { i: { connectorCallId: 'x', queueId: queue } }, w.admin);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    // A caller id is never refused (docs/decisions/013); the service number is.
    const bad = await t.gql('mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', { i: { connectorCallId: '', queueId: queue, callerNumber: 'call me', serviceNumber: 'call me' } }, w.connector.key);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.extensions?.problems.map((p: any) => p.field).sort()).toEqual(['input.connectorCallId', 'input.serviceNumber']);
  });

  it('delivers each instruction to exactly one of the company\'s connector sessions', async () => {
    const second = new Connector(t, w.connector.key);
    await second.connect();
    try {
      const destination = await w.destination({ maxSimultaneousCalls: 50 });
      const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
      const calls = new Set<string>();
      for (let i = 0; i < 10; i += 1) calls.add((await w.connector.enqueueOk(queue)).id);
      const sessions = [w.connector, second];
      const received = () => sessions.flatMap((s) => s.of('DIAL_EXTERNAL')).filter((i) => calls.has(i.callId));
      await eventually(async () => received().length >= 10, 10_000, { what: () => `${received().length} of 10 dials received` });
      // Each session receives instructions in the order they were issued: more calls, until each session
      // has a dial issued after the ten, and any copy of those ten sent to it has arrived before.
      const later = new Set<string>();
      await eventually(async () => {
        const call = await w.connector.enqueueOk(queue);
        later.add(call.id);
        await eventually(async () => sessions.some((s) => s.of('DIAL_EXTERNAL', call.id).length > 0), 10_000, { what: 'the dial of a later call' });
        return sessions.every((s) => s.of('DIAL_EXTERNAL').some((i) => later.has(i.callId)));
      }, 20_000, { what: 'a later dial on each session' });
      const all = received();
      expect(all).toHaveLength(10);
      expect(new Set(all.map((i) => i.instructionId)).size).toBe(10);
    } finally {
      await second.close();
    }
  });

  it('returns the same call for a repeated connectorCallId', async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Kay')]) }]);
    const input = { i: { connectorCallId: `pbx-${randomUUID()}`, queueId: queue } };
    const q = 'mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }';
    const answers = await Promise.all(Array.from({ length: 5 }, () => t.gql(q, input, w.connector.key)));
    const ids = new Set(answers.map((a) => a.data?.enqueueCall.id));
    expect(ids.size).toBe(1);
    await w.connector.waitFor((i) => i.kind === 'RING_AGENT');
    await instructionAfterAllSoFar();
    expect(w.connector.of('RING_AGENT').filter((i) => ids.has(i.callId))).toHaveLength(1);
  });

  it('rings an agent, requeues the call when it is not answered, and connects it on an answer', async () => {
    const ann = await w.agent('Ann');
    const ben = await w.agent('Ben');
    const queue = await w.queue([{ groupId: await w.group([ann, ben]) }], { agentRetrySec: 60, wrapUpSec: 0, agentRingTimeoutSec: 20 });
    const call = await w.connector.enqueueOk(queue);
    const [first] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect(first!.ringTimeoutSec).toBe(20);
    await w.connector.outcome(first!.attemptId!, 'NO_ANSWER');
    const [, second] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id, 2);
    expect(second!.agentId).not.toBe(first!.agentId);
    const answered = await w.connector.outcome(second!.attemptId!, 'ANSWERED');
    expect(answered.data?.reportAttemptOutcome.state).toBe('CONNECTED');
    const agent = await t.ok('query($id: ID!) { agent(id: $id) { live { activity } } }', { id: second!.agentId }, w.admin);
    expect(agent.agent.live.activity).toBe('ON_CALL');
    expect((await w.connector.endCall(call.id, 'COMPLETED')).data?.endCall.state).toBe('ENDED');
    const view = await w.call(call.id);
    expect(view.state).toBe('ENDED');
    expect(view.attempts.map((a: any) => a.state)).toEqual(['NO_ANSWER', 'COMPLETED']);
    expect(view.trace.map((e: any) => e.step)).toEqual(['ENQUEUED', 'ROUTED', 'OUTCOME', 'ROUTED', 'OUTCOME', 'ENDED']);
    expect(view.trace[2].summary).toBe('agent did not take the call (no answer); the agent is offered calls again in 60 s; the call keeps its place in the queue');
  });

  it('refuses a call to a full queue and ends one that waited the queue\'s maximum', async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Off', 'LOGGED_OUT')]) }], { maxQueueLength: 1, maxWaitSec: 1 });
    const first = await w.connector.enqueueOk(queue);
    const refused = await w.connector.enqueueOk(queue);
    expect(refused).toMatchObject({ state: 'FAILED', endReason: 'QUEUE_FULL' });
    const [full] = await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === refused.id);
    const [late] = await w.connector.waitFor((i) => i.kind === 'DISCONNECT' && i.callId === first.id, 1, 15_000);
    // Each DISCONNECT says why as a code: the call's end reason.
    expect([full!.endReason, late!.endReason]).toEqual(['QUEUE_FULL', 'MAX_WAIT']);
    const view = await w.call(first.id);
    expect(view).toMatchObject({ state: 'FAILED', endReason: 'MAX_WAIT' });
    expect(view.trace.at(-1).summary).toBe("waited the queue's maximum of 1 s: the call left the queue");
  });

  it('shows a supervisor who may not see the destination that one was used, never which or its number', async () => {
    const hidden = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([], [hidden]) }]);
    const call = await w.connector.enqueueOk(queue);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    const visible = await w.destination();
    const supervisor = await createUser(t, w.company, {
      username: `sup-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW', externalDestinations: 'VIEW' },
      profile: { scope: 'SELECTED', destinationIds: [visible] },
    });
    const view = await w.call(call.id, supervisor.token);
    expect(view.attempts[0]).toMatchObject({ targetKind: 'DESTINATION', number: null, target: { __typename: 'HiddenExternalDestination', hidden: true } });
    expect(JSON.stringify(view)).not.toContain(hidden);
    expect(JSON.stringify(view)).not.toContain('+442079460958');
    expect(view.trace.find((e: any) => e.step === 'ROUTED').chosen).toMatchObject({ kind: 'DESTINATION', resourceId: null });
    // The administrator (ALL profile) sees which and the number.
    const full = await w.call(call.id);
    expect(full.attempts[0]).toMatchObject({ number: '+442079460958', target: { __typename: 'ExternalDestination', id: hidden } });
  });
});

describe.each(routingModes().map((m) => [m.name, m] as const))('ring timeout (%s)', (_name, mode) => {
  it('counts no outcome by the ring time as NO_ANSWER and tells the connector to stop ringing', async () => {
    const t = await mode.start();
    const w = await RoutingWorld.create(t);
    try {
      const destination = await w.destination({ outdialTimeoutSec: 5, noAnswerBackoffSec: 30 });
      const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
      const call = await w.connector.enqueueOk(queue);
      const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
      const [cancel] = await w.connector.waitFor((i) => i.kind === 'CANCEL_ATTEMPT' && i.callId === call.id, 1, 30_000);
      expect(cancel!.attemptId).toBe(dial!.attemptId);
      const view = await w.call(call.id);
      expect(view.attempts[0]).toMatchObject({ state: 'NO_ANSWER', outcome: 'NO_ANSWER' });
      expect(view.trace.find((e: any) => e.step === 'RING_TIMEOUT').summary).toMatch(/^no outcome within the ring time of 5 s: counted as no answer; no answer: backed off for 30 s/);
      expect(await w.destinationLive(destination)).toMatchObject({ state: 'BACKED_OFF', connectingCalls: 0 });
      // The connector's late report is refused: the attempt already ended.
      expect((await w.connector.outcome(dial!.attemptId!, 'ANSWERED')).errors?.[0]?.extensions?.code).toBe('CONFLICT');
    } finally {
      await w.close();
      await t.close();
    }
  }, 60_000);
});




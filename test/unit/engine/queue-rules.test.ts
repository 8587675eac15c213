import { EngineWorld } from './world';

/*
 * DOMAIN.md §3 rules 1-6 and the queue settings, on the engine in process with a virtual clock. The sweep is
 * off: whatever is routed again is routed by what closing emitted or by a timer the test's clock fires.
 */

describe('queue routing on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });

  const dialsTo = (destinationId: string) => w.of('DIAL_EXTERNAL').filter((i) => i.destinationId === destinationId);

  describe('agents first (rule 1)', () => {
    it('rings a free agent of an eligible group and dials no destination while one is free, then dials when the agent is busy', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 5 });
      const agent = await w.agent('Ada');
      const queue = await w.queue([{ groupId: await w.group([], [d]) }, { groupId: await w.group([agent]), overflow: { queueLengthAbove: 0 } }]);

      const first = await w.enqueue(queue);
      expect((await w.instructed('RING_AGENT', first.id)).agentId).toBe(agent);
      expect(w.of('DIAL_EXTERNAL', first.id)).toHaveLength(0);
      const routed = (await w.traceOf(first.id)).find((e) => e.step === 'ROUTED')!;
      expect(routed.skipped).toContainEqual(expect.objectContaining({ resourceId: d, reason: 'AGENT_AVAILABLE_FIRST' }));

      const second = await w.enqueue(queue);
      expect((await w.instructed('DIAL_EXTERNAL', second.id)).destinationId).toBe(d);
    });
  });

  describe('destination capacity (rules 2 and 3)', () => {
    it('dials a destination for at most maxSimultaneousCalls calls at once and gives the slot a completed call frees to the next call at once', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 2 });
      const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
      const calls: Array<{ id: string }> = [];
      for (let i = 0; i < 3; i += 1) {
        calls.push(await w.enqueue(queue));
        await w.advance(1_000); // in arrival order
      }

      expect(dialsTo(d).map((i) => i.callId).sort()).toEqual([calls[0]!.id, calls[1]!.id].sort());
      expect((await w.callRow(calls[2]!.id)).state).toBe('QUEUED');
      expect(await w.slots(d)).toEqual({ connecting: 2, active: 0 });
      const waiting = (await w.traceOf(calls[2]!.id)).find((e) => e.step === 'WAITING')!;
      expect(waiting.skipped).toContainEqual(expect.objectContaining({ resourceId: d, reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 2/2' }));

      const first = dialsTo(d).find((i) => i.callId === calls[0]!.id)!;
      await w.outcome(first.attemptId!, 'ANSWERED');
      expect(await w.slots(d)).toEqual({ connecting: 1, active: 1 });
      await w.endCall(calls[0]!.id, 'COMPLETED');
      // No sweep runs and the clock stands still: the slot the call freed is offered at once.
      await w.instructed('DIAL_EXTERNAL', calls[2]!.id);
      expect(await w.slots(d)).toEqual({ connecting: 2, active: 0 });
    });

    it('chooses, within one group, the destination with the most spare capacity', async () => {
      const small = await w.destination({ maxSimultaneousCalls: 2 });
      const large = await w.destination({ maxSimultaneousCalls: 4 });
      const queue = await w.queue([{ groupId: await w.group([], [small, large]) }]);
      const call = await w.enqueue(queue);
      expect((await w.instructed('DIAL_EXTERNAL', call.id)).destinationId).toBe(large);
      const routed = (await w.traceOf(call.id)).find((e) => e.step === 'ROUTED')!;
      expect(routed.skipped).toContainEqual(expect.objectContaining({ resourceId: small, reason: 'LESS_SPARE_CAPACITY' }));
    });

    it('sends a call beyond a full destination at once to a free agent of the next group (rule 4)', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 1 });
      const agent = await w.agent('Grace');
      // The second group's own condition does not hold: only the full destination of group 1 makes it eligible.
      const queue = await w.queue([{ groupId: await w.group([], [d]) }, { groupId: await w.group([agent]), overflow: { queueLengthAbove: 1_000 } }]);
      const first = await w.enqueue(queue);
      await w.instructed('DIAL_EXTERNAL', first.id);
      const second = await w.enqueue(queue);
      expect((await w.instructed('RING_AGENT', second.id)).agentId).toBe(agent);
      expect((await w.callRow(second.id)).eligiblePriorities).toEqual([1, 2]);
    });
  });

  describe('back-off versus retry (rule 5)', () => {
    it('backs a busy destination off for its busyBackoffSec and dials it again only when its back-off timer fires', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 5, busyBackoffSec: 30, retryIntervalSec: 5 });
      const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
      const first = await w.enqueue(queue);
      const dial = await w.instructed('DIAL_EXTERNAL', first.id);
      const busyAt = w.clock.now();
      await w.outcome(dial.attemptId!, 'BUSY');
      expect((await w.health(d)).backedOffUntil).toBe(busyAt + 30_000);
      expect((await w.attempts(first.id))[0]!.backoffUntil?.getTime()).toBe(busyAt + 30_000);

      const second = await w.enqueue(queue);
      const waiting = (await w.traceOf(second.id)).find((e) => e.step === 'WAITING')!;
      expect(waiting.skipped).toContainEqual(expect.objectContaining({ resourceId: d, reason: 'DESTINATION_BACKED_OFF' }));

      await w.advance(29_900);
      await w.settle();
      expect(dialsTo(d)).toHaveLength(1);
      await w.advance(100);
      await w.instructed('DIAL_EXTERNAL', first.id, 2);
      await w.instructed('DIAL_EXTERNAL', second.id);
    });

    it('makes only the call that was not answered wait its retryIntervalSec, while another call takes the destination at once', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 1, noAnswerBackoffSec: 0, retryIntervalSec: 20 });
      const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
      const first = await w.enqueue(queue);
      await w.advance(1_000); // the second call arrives later: it is behind the first in the queue
      const second = await w.enqueue(queue);
      const dial = await w.instructed('DIAL_EXTERNAL', first.id);
      await w.outcome(dial.attemptId!, 'NO_ANSWER');

      // The slot is free and the destination is not backed off: the other call gets it now.
      const other = await w.instructed('DIAL_EXTERNAL', second.id);
      expect(await w.health(d)).toMatchObject({ backedOffUntil: null, consecutiveFailures: 1 });
      const waits = (await w.traceOf(first.id)).filter((e) => e.step === 'WAITING');
      expect(waits.at(-1)!.skipped).toContainEqual(expect.objectContaining({ resourceId: d, reason: 'DESTINATION_RETRY_WAIT' }));

      await w.advance(10_000);
      await w.outcome(other.attemptId!, 'ANSWERED');
      await w.endCall(second.id, 'COMPLETED');
      await w.settle();
      expect(w.of('DIAL_EXTERNAL', first.id)).toHaveLength(1);
      await w.advance(10_000);
      await w.instructed('DIAL_EXTERNAL', first.id, 2);
    });

    it('counts consecutive failures, resets them on an answer, and suspends the destination when they reach maxConsecutiveFailures', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 5, failureBackoffSec: 1, retryIntervalSec: 1, maxConsecutiveFailures: 2 });
      const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
      const call = await w.enqueue(queue);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', call.id, 1)).attemptId!, 'FAILED');
      expect((await w.health(d)).consecutiveFailures).toBe(1);
      await w.advance(1_000);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', call.id, 2)).attemptId!, 'ANSWERED');
      expect((await w.health(d)).consecutiveFailures).toBe(0);
      await w.endCall(call.id, 'COMPLETED');

      const next = await w.enqueue(queue);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', next.id, 1)).attemptId!, 'FAILED');
      await w.advance(1_000);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', next.id, 2)).attemptId!, 'FAILED');
      expect((await w.destinationRow(d)).suspendedAt?.getTime()).toBe(w.clock.now());
      await w.advance(60_000);
      await w.settle();
      expect(w.of('DIAL_EXTERNAL', next.id)).toHaveLength(2);
    });
  });

  describe('the caller hanging up (rule 6)', () => {
    it('cancels a ringing outdial, frees its slot for the next call at once, and backs nothing off', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 1, busyBackoffSec: 60, failureBackoffSec: 60 });
      const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
      const first = await w.enqueue(queue);
      await w.advance(1_000);
      const second = await w.enqueue(queue);
      const dial = await w.instructed('DIAL_EXTERNAL', first.id);

      expect((await w.endCall(first.id, 'CALLER_HUNG_UP')).state).toBe('ABANDONED');
      expect(w.of('CANCEL_ATTEMPT', first.id).map((i) => i.attemptId)).toEqual([dial.attemptId]);
      expect((await w.attempts(first.id))[0]).toMatchObject({ state: 'CANCELLED', outcome: 'CANCELLED', backoffUntil: null });
      expect(await w.health(d)).toMatchObject({ backedOffUntil: null, consecutiveFailures: 0 });
      await w.instructed('DIAL_EXTERNAL', second.id);
    });
  });

  describe('overflow to later groups', () => {
    it('opens a group once more calls wait than its queueLengthAbove', async () => {
      const away = await w.agent('Away', 'ON_BREAK');
      const spare = await w.agent('Spare');
      const queue = await w.queue([{ groupId: await w.group([away]) }, { groupId: await w.group([spare]), overflow: { queueLengthAbove: 1 } }]);
      const first = await w.enqueue(queue);
      await w.settle();
      expect(w.of('RING_AGENT', first.id)).toHaveLength(0);
      await w.advance(1_000);
      const second = await w.enqueue(queue);
      // Two calls wait now: group 2 opens, and the first call (first in line) takes its agent.
      expect((await w.instructed('RING_AGENT', first.id)).agentId).toBe(spare);
      expect(w.of('RING_AGENT', second.id)).toHaveLength(0);
    });

    it('opens a group once the oldest call has waited longer than its oldestWaitAboveSec, found by the sweep', async () => {
      const sweeping = await EngineWorld.create({ routing: { sweepMs: 1_000 } });
      try {
        const away = await sweeping.agent('Away', 'ON_BREAK');
        const spare = await sweeping.agent('Spare');
        const queue = await sweeping.queue([{ groupId: await sweeping.group([away]) }, { groupId: await sweeping.group([spare]), overflow: { oldestWaitAboveSec: 30 } }]);
        const call = await sweeping.enqueue(queue);
        await sweeping.advance(30_000);
        await sweeping.settle();
        expect(sweeping.of('RING_AGENT', call.id)).toHaveLength(0);
        await sweeping.advance(1_000);
        expect((await sweeping.instructed('RING_AGENT', call.id)).agentId).toBe(spare);
        expect(await sweeping.story(call.id)).toMatch(/oldest call waiting 31 s, more than 30 s/);
      } finally {
        await sweeping.close();
      }
    });

    it('opens a group when no agent of the earlier groups is logged in, and not while one is on break', async () => {
      const gone = await w.agent('Gone', 'LOGGED_OUT');
      const spare = await w.agent('Spare');
      const unstaffed = await w.queue([{ groupId: await w.group([gone]) }, { groupId: await w.group([spare]), overflow: { noAgentsLoggedIn: true } }]);
      const call = await w.enqueue(unstaffed);
      expect((await w.instructed('RING_AGENT', call.id)).agentId).toBe(spare);

      const resting = await w.agent('Resting', 'ON_BREAK');
      const other = await w.agent('Other');
      const staffed = await w.queue([{ groupId: await w.group([resting]) }, { groupId: await w.group([other]), overflow: { noAgentsLoggedIn: true } }]);
      const waiting = await w.enqueue(staffed);
      await w.settle();
      expect(w.of('RING_AGENT', waiting.id)).toHaveLength(0);
      expect((await w.callRow(waiting.id)).eligiblePriorities).toEqual([1]);
    });
  });

  describe('queue caps', () => {
    it('refuses a call to a full queue as FAILED with QUEUE_FULL and tells the connector to disconnect', async () => {
      const queue = await w.queue([{ groupId: await w.group([await w.agent('Busy', 'ON_BREAK')]) }], { maxQueueLength: 1 });
      await w.enqueue(queue);
      const refused = await w.enqueue(queue);
      expect(refused).toMatchObject({ state: 'FAILED', endReason: 'QUEUE_FULL' });
      expect(w.of('DISCONNECT', refused.id)).toHaveLength(1);
      expect(await w.story(refused.id)).toMatch(/queue full: 1 of 1 calls waiting: the call was refused/);
    });

    it('ends a call at the queue\'s maxWaitSec by its timer, cancelling the ring in progress, and disconnects it', async () => {
      const agent = await w.agent('Slow');
      const queue = await w.queue([{ groupId: await w.group([agent]) }], { maxWaitSec: 20, agentRingTimeoutSec: 30 });
      const call = await w.enqueue(queue);
      const ring = await w.instructed('RING_AGENT', call.id);
      await w.advance(19_900);
      await w.settle();
      expect((await w.callRow(call.id)).state).toBe('OFFERING');
      await w.advance(100);
      await w.instructed('DISCONNECT', call.id);
      expect(await w.callRow(call.id)).toMatchObject({ state: 'FAILED', endReason: 'MAX_WAIT' });
      expect(w.of('CANCEL_ATTEMPT', call.id).map((i) => i.attemptId)).toEqual([ring.attemptId]);
      // A cancelled ring holds the agent back for nothing.
      expect(await w.agentLive(agent)).toMatchObject({ activity: 'IDLE', callId: null, notBefore: null });
    });
  });

  describe('ring timeouts by timer', () => {
    it('counts NO_ANSWER at the agent ring time, cancels the ring, holds the agent for agentRetrySec, then offers the call again', async () => {
      const agent = await w.agent('Sleepy');
      const queue = await w.queue([{ groupId: await w.group([agent]) }], { agentRingTimeoutSec: 15, agentRetrySec: 5 });
      const call = await w.enqueue(queue);
      const ring = await w.instructed('RING_AGENT', call.id);
      await w.advance(14_900);
      await w.settle();
      expect(w.of('CANCEL_ATTEMPT', call.id)).toHaveLength(0);

      await w.advance(100);
      await w.instructed('CANCEL_ATTEMPT', call.id);
      const timedOutAt = w.clock.now();
      expect((await w.attempts(call.id))[0]).toMatchObject({ id: ring.attemptId, state: 'NO_ANSWER', outcome: 'NO_ANSWER' });
      expect(await w.story(call.id)).toMatch(/no outcome within the ring time of 15 s: counted as no answer; the agent is offered calls again in 5 s/);
      expect(await w.agentLive(agent)).toMatchObject({ activity: 'IDLE', notBefore: timedOutAt + 5_000 });

      await w.advance(4_900);
      await w.settle();
      expect(w.of('RING_AGENT', call.id)).toHaveLength(1);
      await w.advance(100);
      await w.instructed('RING_AGENT', call.id, 2);
    });

    it('times a destination out at its own outdialTimeoutSec and backs it off for its noAnswerBackoffSec', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 2, outdialTimeoutSec: 7, noAnswerBackoffSec: 12 });
      const queue = await w.queue([{ groupId: await w.group([], [d]) }], { agentRingTimeoutSec: 60 });
      const call = await w.enqueue(queue);
      const dial = await w.instructed('DIAL_EXTERNAL', call.id);
      expect(dial.ringTimeoutSec).toBe(7);
      await w.advance(6_900);
      await w.settle();
      expect(w.of('CANCEL_ATTEMPT', call.id)).toHaveLength(0);
      await w.advance(100);
      await w.instructed('CANCEL_ATTEMPT', call.id);
      expect(await w.health(d)).toMatchObject({ backedOffUntil: w.clock.now() + 12_000, consecutiveFailures: 1 });
      expect(await w.slots(d)).toEqual({ connecting: 0, active: 0 });
    });
  });
});

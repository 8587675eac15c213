import type { LiveState } from '../../../src/store/live-state';
import { EngineWorld } from './world';

/*
 * Late and duplicate effects (issue 16): the instance that applied an answer is slow to apply its live effects
 * (a slow link to Redis); meanwhile the connector's duplicate of the answer and the end of the call reach
 * another instance. The late effects must not resurrect what the end finished: the agent is not left on a call
 * for good, and no slot is taken again for a call that ended.
 */

/** A gate the slow instance's live writes wait behind until the test opens it. */
class Gate {
  private open: () => void = () => undefined;
  readonly opened = new Promise<void>((resolve) => {
    this.open = resolve;
  });
  waiting = 0;
  release(): void {
    this.open();
  }
}

/** The live state as a slow instance sees it: its answer effects (agent on the call, slot answered) wait for the gate. */
function slowAnswers(gate: Gate): (live: LiveState) => LiveState {
  return (live) => ({
    ...live,
    agents: new Proxy(live.agents, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'compareAndSet') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<typeof target.compareAndSet>) => {
          if (args[3]?.activity === 'ON_CALL') {
            gate.waiting += 1;
            await gate.opened;
          }
          return target.compareAndSet(...args);
        };
      },
    }),
    capacity: new Proxy(live.capacity, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (name !== 'markAnswered') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: Parameters<typeof target.markAnswered>) => {
          gate.waiting += 1;
          await gate.opened;
          return target.markAnswered(...args);
        };
      },
    }),
  });
}

describe('late effects of a slow instance, on a virtual clock', () => {
  let w: EngineWorld;
  beforeEach(async () => {
    w = await EngineWorld.create();
  });
  afterEach(async () => {
    await w?.close();
  });

  it('does not leave an agent on a call that ended while the answer\'s effect was late: the agent goes to wrap-up and takes the next call', async () => {
    const agent = await w.agent('Ada');
    const queue = await w.queue([{ groupId: await w.group([agent]) }], { wrapUpSec: 0 });
    const call = await w.enqueue(queue);
    const ring = await w.instructed('RING_AGENT', call.id);
    const gate = new Gate();
    const slow = w.instance(slowAnswers(gate));

    // The slow instance commits the answer; its live effect waits behind the gate.
    const answered = slow.router.reportOutcome(w.companyId, { eventId: 'answer-1', attemptId: ring.attemptId!, outcome: 'ANSWERED' });
    await w.until(() => gate.waiting > 0, 'the slow instance\'s answer effect to be waiting');
    // The duplicate reaches the other instance (same event: nothing to do), then the call ends there.
    await w.router.reportOutcome(w.companyId, { eventId: 'answer-1', attemptId: ring.attemptId!, outcome: 'ANSWERED' });
    await w.endCall(call.id, 'COMPLETED');
    gate.release();
    await answered;
    await w.settle();

    expect((await w.agentLive(agent)).activity).not.toBe('ON_CALL');
    const next = await w.enqueue(queue);
    await w.advance(1_000);
    await w.instructed('RING_AGENT', next.id);
  });

  it('does not take a slot again for a destination call that ended while the answer\'s effect was late', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 2 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const call = await w.enqueue(queue);
    const dial = await w.instructed('DIAL_EXTERNAL', call.id);
    const gate = new Gate();
    const slow = w.instance(slowAnswers(gate));

    const answered = slow.router.reportOutcome(w.companyId, { eventId: 'answer-2', attemptId: dial.attemptId!, outcome: 'ANSWERED' });
    await w.until(() => gate.waiting > 0, 'the slow instance\'s answer effect to be waiting');
    await w.router.reportOutcome(w.companyId, { eventId: 'answer-2', attemptId: dial.attemptId!, outcome: 'ANSWERED' });
    await w.endCall(call.id, 'COMPLETED');
    expect(await w.slots(destination)).toEqual({ connecting: 0, active: 0 });
    gate.release();
    await answered;
    await w.settle();

    expect(await w.slots(destination)).toEqual({ connecting: 0, active: 0 });
  });
});

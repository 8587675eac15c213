import { EngineWorld } from './world';

/*
 * Weighted shares (issue 19, item 1; decision 034) on the engine in process with a virtual clock: shares are
 * counted over the group's window, a destination backed off gives its calls to the others, and once back it is
 * owed nothing beyond the window: the window's shares converge to the targets within one offer.
 */

describe('weighted shares on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });

  it('keeps each destination within one offer of its target over the window, also after one was backed off for a while', async () => {
    const a = await w.destination({ maxSimultaneousCalls: null, busyBackoffSec: 30 });
    const b = await w.destination({ maxSimultaneousCalls: null, busyBackoffSec: 30 });
    const group = await w.group([], [a, b]);
    await w.services.agentGroups.update(w.actor, group, {
      name: `Partners ${group.slice(0, 6)}`, agentIds: [], externalDestinationIds: [a, b], externalDistribution: 'WEIGHTED_SHARE', shareWindow: 20,
      externalDestinationShares: [{ destinationId: a, percent: 70 }, { destinationId: b, percent: 30 }],
    });
    const queue = await w.queue([{ groupId: group }]);
    const offers: string[] = [];
    /** One call: dialled, then answered and completed; with `busy`, B answers busy if it is dialled (true then). */
    const route = async (busy = false): Promise<boolean> => {
      const call = await w.enqueue(queue);
      let dial = await w.instructed('DIAL_EXTERNAL', call.id);
      offers.push(dial.destinationId!);
      const wasBusy = busy && dial.destinationId === b;
      if (wasBusy) {
        await w.outcome(dial.attemptId!, 'BUSY');
        dial = await w.instructed('DIAL_EXTERNAL', call.id, 2);
        offers.push(dial.destinationId!);
      }
      await w.outcome(dial.attemptId!, 'ANSWERED');
      await w.endCall(call.id, 'COMPLETED');
      await w.advance(100);
      return wasBusy;
    };
    const windowShare = () => {
      const last = offers.slice(-20);
      return { a: last.filter((id) => id === a).length, b: last.filter((id) => id === b).length };
    };

    for (let i = 0; i < 40; i += 1) {
      await route();
      // Every offer counted: within one offer of 70% and 30% of the offers the window holds.
      const n = Math.min(offers.length, 20);
      expect(Math.abs(windowShare().a - 0.7 * n)).toBeLessThanOrEqual(1);
    }
    expect(windowShare()).toEqual({ a: 14, b: 6 });

    // B answers busy the next time it is dialled: backed off for 30 s, its calls go to A meanwhile.
    while (!(await route(true)));
    const during = offers.length;
    for (let i = 0; i < 8; i += 1) await route();
    expect(offers.slice(during)).toEqual(Array(8).fill(a));

    // Back after its back-off: it catches up within the window only, and the window converges again.
    await w.advance(30_000);
    for (let i = 0; i < 40; i += 1) await route();
    expect(windowShare()).toEqual({ a: 14, b: 6 });
    const after = offers.slice(-40);
    for (let end = 20; end <= 40; end += 1) {
      const slice = after.slice(end - 20, end);
      expect(Math.abs(slice.filter((id) => id === a).length - 14)).toBeLessThanOrEqual(1);
    }
  });
});

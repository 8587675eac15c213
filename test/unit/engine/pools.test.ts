import { isCoded } from '../../../src/engine/call-records';
import { EngineWorld } from './world';

/*
 * Capacity pools (issue 19, item 2; decision 038) on the engine in process with a virtual clock: a call to a
 * member needs a slot of the member and one of its pool, taken together; the pool's limit holds over all its
 * members and every instance; refusals for the pool's limit are recorded and counted.
 */

describe('capacity pools on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });

  const pool = (name: string, maxSimultaneousCalls: number, externalDestinationIds: string[]) =>
    w.services.capacityPools.create(w.actor, { name: `${name} ${Math.random().toString(36).slice(2, 8)}`, maxSimultaneousCalls, externalDestinationIds });
  const poolSlots = async (poolId: string) => (await w.live.capacity.poolCounts(w.company, [poolId])).get(poolId)!;

  it('dials the members of a pool up to the pool\'s maximum, though each has slots left, and gives a freed slot to the next call', async () => {
    const a = await w.destination({ maxSimultaneousCalls: 5 });
    const b = await w.destination({ maxSimultaneousCalls: 5 });
    const shared = await pool('AI vendor', 4, [a, b]);
    const queue = await w.queue([{ groupId: await w.group([], [a, b]) }]);
    const calls: Array<{ id: string }> = [];
    for (let i = 0; i < 6; i += 1) {
      calls.push(await w.enqueue(queue));
      await w.advance(1_000);
    }
    const dialled = w.of('DIAL_EXTERNAL').filter((i) => calls.some((c) => c.id === i.callId));
    expect(dialled).toHaveLength(4);
    expect(await poolSlots(shared.id)).toEqual({ connecting: 4, active: 0 });
    const [x, y] = [await w.slots(a), await w.slots(b)];
    expect(x.connecting + y.connecting).toBe(4);
    const waiting = calls[4]!;
    const words = (await w.traceOf(waiting.id)).find((e) => e.step === 'WAITING')!;
    expect(words.skipped).toEqual(expect.arrayContaining([
      expect.objectContaining({ resourceId: a, reason: 'POOL_AT_CAPACITY', detail: 'its capacity pool is at capacity 4/4' }),
      expect.objectContaining({ resourceId: b, reason: 'POOL_AT_CAPACITY' }),
    ]));
    // Each attempt keeps the pool whose slot it holds.
    expect((await w.attempts(calls[0]!.id))[0]!.poolId).toBe(shared.id);

    const first = dialled[0]!;
    await w.outcome(first.attemptId!, 'ANSWERED');
    expect(await poolSlots(shared.id)).toEqual({ connecting: 3, active: 1 });
    await w.endCall(first.callId, 'COMPLETED');
    await w.instructed('DIAL_EXTERNAL', waiting.id);
    expect(await poolSlots(shared.id)).toEqual({ connecting: 4, active: 0 });

    // Refusals for the pool's limit are counted once per call; offers and the peak from the attempts.
    const figures = await w.services.capacityPools.figures(w.company, shared.id, { from: w.clock.now() - 3_600_000, to: w.clock.now() + 1 });
    expect(figures).toEqual({ offered: 5, answered: 1, refused: 2, peakSimultaneousCalls: 4 });
  });

  it('never lets two instances routing at once hold more slots of a pool than its maximum', async () => {
    const second = w.instance();
    second.start();
    const members = [await w.destination({ maxSimultaneousCalls: 10 }), await w.destination({ maxSimultaneousCalls: 10 })];
    const shared = await pool('Shared', 5, members);
    const queues = [await w.queue([{ groupId: await w.group([], members) }]), await w.queue([{ groupId: await w.group([], members) }])];
    const routers = [w.router, second.router];
    // Twenty calls at the same instant, half through each instance, over two queues.
    await Promise.all(Array.from({ length: 20 }, (_, i) => routers[i % 2]!.enqueue(w.company, { connectorCallId: `pool-race-${shared.id}-${i}`, queueId: queues[i % 2]! })));
    await w.settle(400);
    const slots = await poolSlots(shared.id);
    expect(slots.connecting + slots.active).toBe(5);
    expect(w.of('DIAL_EXTERNAL').filter((i) => members.includes(i.destinationId!))).toHaveLength(5);
    await second.stop();
  });

  it('gives back the pool\'s slots of an instance that died with calls ringing, once another times them out', async () => {
    const dying = w.instance();
    dying.start();
    const member = await w.destination({ maxSimultaneousCalls: 5, outdialTimeoutSec: 10, noAnswerBackoffSec: 0 });
    const shared = await pool('Dying', 2, [member]);
    const queue = await w.queue([{ groupId: await w.group([], [member]) }]);
    const calls = [];
    for (let i = 0; i < 2; i += 1) calls.push(await dying.router.enqueue(w.company, { connectorCallId: `dying-${shared.id}-${i}`, queueId: queue }));
    for (const c of calls) await w.instructed('DIAL_EXTERNAL', c.id);
    expect(w.of('DIAL_EXTERNAL').filter((i) => i.instance === dying.index && i.destinationId === member)).toHaveLength(2);
    // The instance dies: its loops stop and it releases nothing.
    await dying.stop();
    const waiting = await w.enqueue(queue);
    expect(w.of('DIAL_EXTERNAL', waiting.id)).toHaveLength(0);
    // The ring timers of its attempts are shared: the surviving instance fires them and frees the pool's slots.
    await w.advance(10_000);
    expect((await w.instructed('DIAL_EXTERNAL', waiting.id)).instance).toBe(0);
    expect((await w.attempts(calls[0]!.id))[0]!.state).toBe('NO_ANSWER');
    expect(await poolSlots(shared.id)).toEqual({ connecting: 1, active: 0 });
  });

  it('takes a flow node\'s LimitReached branch when the pool is full and counts the refusal for the pool', async () => {
    const a = await w.destination({ maxSimultaneousCalls: 5 });
    const b = await w.destination({ maxSimultaneousCalls: 5 });
    const shared = await pool('Flow vendor', 1, [a, b]);
    const busyQueue = await w.queue([{ groupId: await w.group([], [a]) }]);
    await w.instructed('DIAL_EXTERNAL', (await w.enqueue(busyQueue)).id);
    const serviceNumber = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ai' }] },
      { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: b, branches: [{ name: 'LimitReached', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'All our lines are busy.', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const call = await w.startCall(serviceNumber);
    expect((await w.instructed('PLAY_MESSAGE', call.id)).message).toBe('All our lines are busy.');
    expect(await w.story(call.id)).toContain('its capacity pool is at capacity 1/1: LimitReached');
    const figures = await w.services.capacityPools.figures(w.company, shared.id, { from: w.clock.now() - 60_000, to: w.clock.now() + 1 });
    expect(figures.refused).toBe(1);
  });

  it('keeps a destination in one pool at most, and lets a deleted pool\'s members use their own limits again', async () => {
    const a = await w.destination({ maxSimultaneousCalls: 2 });
    const first = await pool('One', 1, [a]);
    let refused: unknown;
    await pool('Two', 1, [a]).catch((e: unknown) => (refused = e));
    expect(isCoded(refused, 'CONFLICT')).toBe(true);
    expect((refused as { extensions: { field: string } }).extensions.field).toBe('input.externalDestinationIds[0]');

    const queue = await w.queue([{ groupId: await w.group([], [a]) }]);
    const calls = [await w.enqueue(queue), await w.enqueue(queue)];
    await w.instructed('DIAL_EXTERNAL', calls[0]!.id);
    expect(w.of('DIAL_EXTERNAL', calls[1]!.id)).toHaveLength(0);
    // Deleting the pool routes the queues of its members at once: the waiting call is dialled.
    await w.services.capacityPools.delete(w.actor, first.id);
    await w.instructed('DIAL_EXTERNAL', calls[1]!.id);
    expect((await w.destinationRow(a)).capacityPoolId).toBeNull();
  });
});

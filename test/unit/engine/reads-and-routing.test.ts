import * as destinationState from '../../../src/routing/destination-state';
import { EngineWorld } from './world';

/*
 * What one event costs the engine: an outcome's effect on its destination is worked out once and the
 * destination's row read once; a dial reads the destination's live state once (again only after a lost
 * claim); an ended attempt routes only the queues that can use what it freed.
 */

describe('what the engine reads and routes per event', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create();
  });
  afterAll(async () => {
    await w?.close();
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  /** Runs `work` and answers the SQL statements the engine's database ran meanwhile (its queries, as text). */
  async function statementsDuring(work: () => Promise<void>): Promise<string[]> {
    const ds = w.dataSource;
    const logger = ds.logger;
    const seen: string[] = [];
    const counting = Object.create(logger) as typeof logger;
    counting.logQuery = (...args: Parameters<typeof logger.logQuery>) => {
      seen.push(args[0]);
      return logger.logQuery(...args);
    };
    Object.defineProperty(ds, 'logger', { value: counting, configurable: true, writable: true });
    try {
      await work();
    } finally {
      Object.defineProperty(ds, 'logger', { value: logger, configurable: true, writable: true });
    }
    return seen;
  }

  /** Dashboards are told nothing meanwhile: their reads of live state are not the engine's. */
  function quietDashboards(): void {
    jest.spyOn(w.services.liveUpdates, 'destinationChanged').mockResolvedValue(undefined);
    jest.spyOn(w.services.liveUpdates, 'queueChanged').mockResolvedValue(undefined);
  }

  it('works out a busy outcome\'s effect on its destination once and reads the destination\'s row once', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 5, busyBackoffSec: 45 });
    const serviceNumber = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
      { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: d, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const call = await w.startCall(serviceNumber);
    const dial = await w.instructed('DIAL_EXTERNAL', call.id);
    quietDashboards();
    const applied = jest.spyOn(destinationState, 'applyOutcome');
    const busyAt = w.clock.now();

    const statements = await statementsDuring(async () => {
      await w.outcome(dial.attemptId!, 'BUSY');
      await w.instructed('DISCONNECT', call.id);
      await w.settle();
    });
    expect(applied).toHaveBeenCalledTimes(1);
    expect(statements.filter((sql) => /from "external_destination"/i.test(sql))).toHaveLength(1);
    // That one effect is what the trace says, what the attempt keeps and what the live state holds.
    expect(await w.story(call.id)).toMatch(/external destination did not take the call \(busy\); busy: backed off for 45 s/);
    expect((await w.attempts(call.id))[0]!.backoffUntil?.getTime()).toBe(busyAt + 45_000);
    expect((await w.health(d)).backedOffUntil).toBe(busyAt + 45_000);
  });

  it('reads a destination\'s live state once to dial it, and counts the slot it took without reading it again', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 2 });
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    quietDashboards();
    const counts = jest.spyOn(w.live.capacity, 'counts');
    const countsMany = jest.spyOn(w.live.capacity, 'countsMany');
    const health = jest.spyOn(w.live.health, 'getMany');

    const first = await w.enqueue(queue);
    await w.instructed('DIAL_EXTERNAL', first.id);
    expect(countsMany.mock.calls.filter(([, ids]) => ids.includes(d))).toHaveLength(1);
    expect(counts.mock.calls.filter(([ref]) => ref.destinationId === d)).toHaveLength(0);
    expect(health.mock.calls.filter(([, ids]) => ids.includes(d))).toHaveLength(1);
    expect(await w.slots(d)).toEqual({ connecting: 1, active: 0 });
  });

  it('reads a destination\'s live state again after losing its last slot to another caller, and only then, and keeps the call waiting at capacity', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 1 });
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    quietDashboards();
    const capacity = w.live.capacity;
    const acquire = capacity.acquire.bind(capacity);
    // Another instance takes the last slot between this instance's read and its claim.
    jest.spyOn(capacity, 'acquire').mockImplementationOnce(async (ref, attemptId, max) => {
      await acquire(ref, 'an-attempt-of-another-instance', max);
      return acquire(ref, attemptId, max);
    });
    const counts = jest.spyOn(capacity, 'counts');
    const countsMany = jest.spyOn(capacity, 'countsMany');

    const call = await w.enqueue(queue);
    expect(w.of('DIAL_EXTERNAL', call.id)).toHaveLength(0);
    expect(countsMany.mock.calls.filter(([, ids]) => ids.includes(d))).toHaveLength(1);
    expect(counts.mock.calls.filter(([ref]) => ref.destinationId === d)).toHaveLength(1);
    const waiting = (await w.traceOf(call.id)).find((e) => e.step === 'WAITING')!;
    expect(waiting.skipped).toContainEqual(expect.objectContaining({ resourceId: d, reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 1/1' }));
    await capacity.release({ companyId: w.company, destinationId: d }, 'an-attempt-of-another-instance');
  });

  it('routes only the queues that can use the destination a hang-up freed, not every queue of the company with calls waiting', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 1 });
    const uses = await w.queue([{ groupId: await w.group([], [d]) }]);
    const alsoUses = await w.queue([{ groupId: await w.group([], [d]) }]);
    const other = await w.queue([{ groupId: await w.group([await w.agent('Away', 'ON_BREAK')]) }]);
    await w.enqueue(other); // waits: its only agent is on break
    const call = await w.enqueue(uses);
    await w.instructed('DIAL_EXTERNAL', call.id);
    const pumped = jest.spyOn(w.router, 'pump');

    await w.endCall(call.id, 'CALLER_HUNG_UP');
    await w.until(() => pumped.mock.calls.length >= 2, 'the queues using the freed destination are routed');
    await w.settle();
    expect(pumped.mock.calls.map(([, queueId]) => queueId).sort()).toEqual([uses, alsoUses].sort());
  });

  it('routes the queues of an agent whose call ended, and the queue a missed call went back to, each once', async () => {
    const agent = await w.agent('Ada');
    const spare = await w.agent('Spare', 'ON_BREAK');
    const first = await w.queue([{ groupId: await w.group([agent]) }], { wrapUpSec: 0 });
    const second = await w.queue([{ groupId: await w.group([agent, spare]) }]);
    const unrelated = await w.queue([{ groupId: await w.group([await w.agent('Away', 'ON_BREAK')]) }]);
    await w.enqueue(unrelated);
    const call = await w.enqueue(first);
    const ring = await w.instructed('RING_AGENT', call.id);
    await w.outcome(ring.attemptId!, 'ANSWERED');
    const pumped = jest.spyOn(w.router, 'pump');

    await w.endCall(call.id, 'COMPLETED');
    await w.until(() => pumped.mock.calls.length >= 2, 'the agent\'s queues are routed');
    await w.settle();
    expect(pumped.mock.calls.map(([, queueId]) => queueId).sort()).toEqual([first, second].sort());

    // A missed ring: the agent is held back (its queues are routed by a timer later), the call's own queue now, once.
    const again = await w.enqueue(second);
    const missed = await w.instructed('RING_AGENT', again.id);
    pumped.mockClear();
    await w.outcome(missed.attemptId!, 'REJECTED');
    await w.until(() => pumped.mock.calls.length >= 1, 'the call\'s queue is routed');
    await w.settle();
    expect(pumped.mock.calls.map(([, queueId]) => queueId)).toEqual([second]);
  });
});

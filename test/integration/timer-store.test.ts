import { ManualScheduler } from '../../src/platform/scheduler';
import { MemoryTimerStore, RedisTimerStore, type ClaimedTimer, type TimerStore } from '../../src/store/timer-store';
import { until } from '../support/conditions';
import { storeAdapters } from '../support/redis';

const LEASE_MS = 500;
/** How far ahead the timers of these tests fall due. */
const DUE_MS = 500;

/** The in-memory store's clock, which the tests move; Redis keeps its own time (TIME), which nothing moves. */
let clock = new ManualScheduler();

const adapters = storeAdapters<TimerStore>(() => new MemoryTimerStore(LEASE_MS, () => clock.now()), (client, prefix) => new RedisTimerStore(client, prefix, LEASE_MS));

describe.each(adapters)('timers ($name)', (adapter) => {
  let store: TimerStore;
  let other: TimerStore;
  let close: () => Promise<void>;
  const manual = adapter.name === 'in-memory';
  /** Now, as the store's clock counts (for Redis the machine's, which measures the time between two calls as well). */
  const now = () => (manual ? clock.now() : Date.now());
  /** Lets `ms` pass: at once on the in-memory store's clock; on Redis real time passes, and what follows waits for it. */
  const pass = async (ms: number) => {
    if (manual) await clock.advance(ms);
  };
  /** Claims on `by` until a claim hands something out; answers what it handed out. */
  const claimSome = (by: TimerStore) =>
    until(async () => {
      const claimed = await by.claimDue(10);
      return claimed.length > 0 ? claimed : null;
    }, { what: 'a due timer handed out' });

  beforeEach(async () => {
    clock = new ManualScheduler(Date.now());
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('hands out a timer only once it is due', async () => {
    const scheduledAt = now();
    await store.schedule('ring:1', DUE_MS, 'payload-1');
    const early: ClaimedTimer[] = await other.claimDue(10);
    // Before its time, nothing (a claim that only came that late, on a busy machine, shows nothing either way).
    if (now() - scheduledAt < DUE_MS) expect(early).toEqual([]);
    await pass(DUE_MS);
    expect(early.length > 0 ? early : await claimSome(other)).toEqual([{ id: 'ring:1', payload: 'payload-1' }]);
  });

  it('gives each of 100 due timers to exactly one of two instances claiming at once', async () => {
    // Due at once: scheduled with no delay.
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.schedule(`t:${i}`, 0, String(i))));
    const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).claimDue(15)));
    const ids = batches.flat().map((t) => t.id);
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
  });

  it('counts the timers that wait: due now and unclaimed, scheduled in all, and claimed in flight', async () => {
    expect(await other.pending()).toEqual({ due: 0, scheduled: 0, inFlight: 0 });
    await store.schedule('later:1', 60_000, 'x');
    await Promise.all(['now:1', 'now:2', 'now:3'].map((id) => store.schedule(id, 0, id)));
    expect(await other.pending()).toEqual({ due: 3, scheduled: 4, inFlight: 0 });
    const claimed = await other.claimDue(2);
    expect(claimed).toHaveLength(2);
    expect(await store.pending()).toEqual({ due: 1, scheduled: 2, inFlight: 2 });
    await other.remove(claimed[0]!.id);
    expect(await store.pending()).toEqual({ due: 1, scheduled: 2, inFlight: 1 });
  });

  it('never fires a timer cancelled before it was due', async () => {
    await store.schedule('backoff:1', DUE_MS, 'x');
    expect(await other.remove('backoff:1')).toBe(true);
    // A timer due no sooner: the claim that hands it out would hand out the cancelled one as well.
    await store.schedule('later', DUE_MS, 'marker');
    await pass(DUE_MS);
    expect(await claimSome(store)).toEqual([{ id: 'later', payload: 'marker' }]);
  });

  it('fires a timer again on another instance when its claimer died without acknowledging it', async () => {
    await store.schedule('ring:2', 0, 'p');
    const claimedAt = now();
    expect(await store.claimDue(10)).toHaveLength(1);
    const meanwhile = await other.claimDue(10);
    // Nobody else gets it while the claimer's lease runs (a claim only that late, on a busy machine, shows nothing).
    if (now() - claimedAt < LEASE_MS) expect(meanwhile).toEqual([]);
    await pass(LEASE_MS);
    expect(meanwhile.length > 0 ? meanwhile : await claimSome(other)).toEqual([{ id: 'ring:2', payload: 'p' }]);
    expect(await other.remove('ring:2')).toBe(true);
    // Acknowledged, it never comes back: not even with a timer due after its lease would have ended.
    await store.schedule('later', LEASE_MS, 'marker');
    await pass(LEASE_MS);
    expect(await claimSome(store)).toEqual([{ id: 'later', payload: 'marker' }]);
  });

  it('moves a timer scheduled again under the same id', async () => {
    await store.schedule('wait:1', 0, 'first');
    await other.schedule('wait:1', 10_000, 'second');
    // As first scheduled it would be due at once.
    expect(await store.claimDue(10)).toEqual([]);
  });
});

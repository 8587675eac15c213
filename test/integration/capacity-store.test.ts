import { ManualScheduler } from '../../src/platform/scheduler';
import { MemoryCapacityStore, RedisCapacityStore, type CapacityStore } from '../../src/store/capacity-store';
import { MemoryDestinationHealthStore, RedisDestinationHealthStore, type DestinationHealthStore } from '../../src/store/destination-health-store';
import { until } from '../support/conditions';
import { storeAdapters } from '../support/redis';

const LEASE_MS = 1_000;
const ref = { companyId: 'company-1', destinationId: 'destination-1' };

/** The in-memory store's clock, which the tests move; Redis keeps its own time (TIME), which nothing moves. */
let clock = new ManualScheduler();

const adapters = storeAdapters<CapacityStore>(() => new MemoryCapacityStore(LEASE_MS, () => clock.now()), (client, prefix) => new RedisCapacityStore(client, prefix, LEASE_MS));

describe.each(adapters)('destination capacity leases ($name)', (adapter) => {
  let store: CapacityStore;
  let other: CapacityStore;
  let close: () => Promise<void>;
  const manual = adapter.name === 'in-memory';
  /** Now, as the store's clock counts (for Redis the machine's, which measures the time between two calls as well). */
  const now = () => (manual ? clock.now() : Date.now());
  /** Lets `ms` pass: at once on the in-memory store's clock; on Redis real time passes, and what follows waits for it. */
  const pass = async (ms: number) => {
    if (manual) await clock.advance(ms);
  };
  beforeEach(async () => {
    clock = new ManualScheduler(Date.now());
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('grants slots up to the maximum, refuses the next, and grants again once one is released', async () => {
    expect(await store.acquire(ref, 'a1', 2)).toBe(true);
    expect(await other.acquire(ref, 'a2', 2)).toBe(true);
    expect(await store.acquire(ref, 'a3', 2)).toBe(false);
    expect(await store.release(ref, 'a1')).toBe(true);
    expect(await other.acquire(ref, 'a3', 2)).toBe(true);
    expect(await store.counts(ref)).toEqual({ connecting: 2, active: 0 });
  });

  it('takes a slot of a destination and of its pool together or neither, the pool\'s limit holding over its members and every store', async () => {
    const a = { ...ref, destinationId: 'pooled-a', poolId: 'pool-1' };
    const b = { ...ref, destinationId: 'pooled-b', poolId: 'pool-1' };
    expect(await store.acquire(a, 'p1', 5, { poolMax: 2 })).toBe(true);
    expect(await other.acquire(b, 'p2', 5, { poolMax: 2 })).toBe(true);
    // Both destinations have slots left; the pool has none: refused, and nothing is taken.
    expect(await store.acquire(b, 'p3', 5, { poolMax: 2 })).toBe(false);
    expect(await store.counts(b)).toEqual({ connecting: 1, active: 0 });
    expect(await store.poolCounts(ref.companyId, ['pool-1'])).toEqual(new Map([['pool-1', { connecting: 2, active: 0 }]]));
    // A full destination refuses without taking the pool's slot.
    expect(await store.release(a, 'p1')).toBe(true);
    expect(await store.acquire({ ...a, destinationId: 'pooled-c' }, 'p4', 0, { poolMax: 2 })).toBe(false);
    expect(await store.poolCounts(ref.companyId, ['pool-1'])).toEqual(new Map([['pool-1', { connecting: 1, active: 0 }]]));
    // Answered, renewed and released with its destination's slot.
    expect(await other.acquire(a, 'p5', 5, { poolMax: 2 })).toBe(true);
    expect(await store.markAnswered(a, 'p5')).toBe(true);
    expect(await store.poolCounts(ref.companyId, ['pool-1'])).toEqual(new Map([['pool-1', { connecting: 1, active: 1 }]]));
    expect((await store.poolHolders(ref.companyId, 'pool-1')).sort()).toEqual(['p2', 'p5']);
    expect(await store.renew(b, 'p2')).toBe(true);
    expect(await other.release(b, 'p2')).toBe(true);
    expect(await store.release(a, 'p5')).toBe(true);
    expect(await store.poolCounts(ref.companyId, ['pool-1'])).toEqual(new Map([['pool-1', { connecting: 0, active: 0 }]]));
  });

  it('keeps one slot for an attempt that asks twice', async () => {
    expect(await store.acquire(ref, 'a1', 1)).toBe(true);
    expect(await other.acquire(ref, 'a1', 1)).toBe(true);
    expect(await store.counts(ref)).toEqual({ connecting: 1, active: 0 });
  });

  it('never refuses when the destination is unlimited', async () => {
    for (let i = 0; i < 50; i += 1) expect(await store.acquire(ref, `a${i}`, null)).toBe(true);
    expect((await store.counts(ref)).connecting).toBe(50);
  });

  it('counts an answered attempt as active, and frees it when it ends', async () => {
    await store.acquire(ref, 'a1', 5);
    await store.acquire(ref, 'a2', 5);
    expect(await other.markAnswered(ref, 'a1')).toBe(true);
    expect(await store.counts(ref)).toEqual({ connecting: 1, active: 1 });
    expect(await store.release(ref, 'a1')).toBe(true);
    expect(await store.release(ref, 'a1')).toBe(false);
    expect(await store.counts(ref)).toEqual({ connecting: 1, active: 0 });
    expect(await store.markAnswered(ref, 'never-held')).toBe(false);
  });

  it('frees the slot of an attempt nobody renews within the lease time', async () => {
    const acquiredAt = now();
    expect(await store.acquire(ref, 'abandoned', 1)).toBe(true);
    const early = await other.acquire(ref, 'next', 1);
    // Refused while the lease runs (an attempt only that late, on a busy machine, shows nothing either way).
    if (now() - acquiredAt < LEASE_MS) expect(early).toBe(false);
    await pass(LEASE_MS);
    if (!early) await until(() => other.acquire(ref, 'next', 1), { what: 'the slot of the abandoned attempt granted to another' });
    expect(await store.renew(ref, 'abandoned')).toBe(false);
  });

  it('keeps the slot of an attempt whose lease is renewed', async () => {
    const acquiredAt = now();
    expect(await store.acquire(ref, 'kept', 1)).toBe(true);
    // Renewed every fifth of a lease, until a lease and a half has passed since the slot was taken.
    await until(async () => {
      await pass(LEASE_MS / 5);
      expect(await store.renew(ref, 'kept')).toBe(true);
      return now() - acquiredAt > LEASE_MS * 1.5;
    }, { everyMs: manual ? 0 : LEASE_MS / 5, what: 'a lease and a half of renewals' });
    expect(await other.acquire(ref, 'next', 1)).toBe(false);
  });

  it('admits exactly the maximum among 1 000 contested acquisitions from two instances and leaks no slot', async () => {
    const max = 7;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? store : other).acquire(ref, `race-${i}`, max).then((ok) => ({ i, ok }))),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(max);
    expect(await store.counts(ref)).toEqual({ connecting: max, active: 0 });
    await Promise.all(results.map((r) => (r.i % 3 === 0 ? store : other).release(ref, `race-${r.i}`)));
    expect(await other.counts(ref)).toEqual({ connecting: 0, active: 0 });
  });

  it('lists the attempts holding a slot now, answered or not, and none released, expired or of another destination', async () => {
    expect(await store.holders(ref)).toEqual([]);
    await store.acquire(ref, 'h1', 5);
    await other.acquire(ref, 'h2', 5);
    await store.acquire({ ...ref, destinationId: 'destination-2' }, 'elsewhere', 5);
    await other.markAnswered(ref, 'h2');
    expect((await other.holders(ref)).sort()).toEqual(['h1', 'h2']);
    await store.release(ref, 'h1');
    expect(await store.holders(ref)).toEqual(['h2']);
    await pass(LEASE_MS);
    await until(async () => (await other.holders(ref)).length === 0, { what: 'the expired lease no longer listed' });
  });
});

/** A destination's slots and its health, as one instance holds them (the in-memory slots read the in-memory health). */
interface SlotsAndHealth {
  capacity: CapacityStore;
  health: DestinationHealthStore;
  close(): Promise<void>;
}

const withHealth = storeAdapters<SlotsAndHealth>(
  () => {
    const health = new MemoryDestinationHealthStore();
    const capacity = new MemoryCapacityStore(LEASE_MS, () => clock.now(), (r) => health.backedOffUntil(r.companyId, r.destinationId));
    return { capacity, health, close: async () => { await capacity.close(); await health.close(); } };
  },
  (client, prefix) => {
    // One connection for both (as one instance's stores would be on one Redis); closing the slots closes it.
    const capacity = new RedisCapacityStore(client, prefix, LEASE_MS);
    const health = new RedisDestinationHealthStore(client, prefix);
    return { capacity, health, close: () => capacity.close() };
  },
);

describe.each(withHealth)('slots of a backed-off destination ($name)', (adapter) => {
  let store: SlotsAndHealth;
  let other: SlotsAndHealth;
  let close: () => Promise<void>;
  beforeEach(async () => {
    clock = new ManualScheduler(Date.now());
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('refuses a new slot while the back-off runs past the decision\'s instant, whichever instance recorded it, and grants it from the back-off\'s end', async () => {
    const decidedAt = 1_000_000;
    await other.health.recordFailure(ref.companyId, ref.destinationId, decidedAt + 60_000);
    expect(await store.capacity.acquire(ref, 'dial-1', 5, { notBackedOffAt: decidedAt })).toBe(false);
    expect(await store.capacity.counts(ref)).toEqual({ connecting: 0, active: 0 });
    expect(await store.capacity.acquire(ref, 'dial-1', 5, { notBackedOffAt: decidedAt + 60_000 })).toBe(true);
  });

  it('keeps the slot of an attempt that already holds one, and takes no account of back-off when not asked to', async () => {
    expect(await store.capacity.acquire(ref, 'held', 5, { notBackedOffAt: 0 })).toBe(true);
    await other.health.recordFailure(ref.companyId, ref.destinationId, 60_000);
    expect(await store.capacity.acquire(ref, 'held', 5, { notBackedOffAt: 0 })).toBe(true);
    expect(await store.capacity.renew(ref, 'held')).toBe(true);
    expect(await store.capacity.acquire(ref, 'unchecked', 5)).toBe(true);
    expect(await store.capacity.counts(ref)).toEqual({ connecting: 2, active: 0 });
  });

  it('never grants the slot freed by a failure that starts a back-off, to any number of dials racing it, when the back-off is recorded before the release', async () => {
    expect(await store.capacity.acquire(ref, 'ringing', 1, { notBackedOffAt: 0 })).toBe(true);
    const racers = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).capacity.acquire(ref, `racer-${i}`, 1, { notBackedOffAt: 0 }));
    // The outcome: back-off recorded, then the slot released (the engine's order).
    await other.health.recordFailure(ref.companyId, ref.destinationId, 60_000);
    await other.capacity.release(ref, 'ringing');
    const late = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).capacity.acquire(ref, `late-${i}`, 1, { notBackedOffAt: 0 })));
    expect(await Promise.all(racers)).toEqual(Array(20).fill(false));
    expect(late).toEqual(Array(20).fill(false));
    expect(await store.capacity.counts(ref)).toEqual({ connecting: 0, active: 0 });
  });
});

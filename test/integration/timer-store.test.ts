import { MemoryTimerStore, RedisTimerStore, type TimerStore } from '../../src/store/timer-store';
import { storeAdapters } from '../support/redis';

const LEASE_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const adapters = storeAdapters<TimerStore>(() => new MemoryTimerStore(LEASE_MS), (client, prefix) => new RedisTimerStore(client, prefix, LEASE_MS));

describe.each(adapters)('timers ($name)', (adapter) => {
  let store: TimerStore;
  let other: TimerStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('hands out a timer only once it is due', async () => {
    await store.schedule('ring:1', 150, 'payload-1');
    expect(await other.claimDue(10)).toEqual([]);
    await sleep(200);
    expect(await other.claimDue(10)).toEqual([{ id: 'ring:1', payload: 'payload-1' }]);
  });

  it('gives each of 100 due timers to exactly one of two instances claiming at once', async () => {
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.schedule(`t:${i}`, 0, String(i))));
    await sleep(5);
    const batches = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).claimDue(15)));
    const ids = batches.flat().map((t) => t.id);
    expect(ids).toHaveLength(100);
    expect(new Set(ids).size).toBe(100);
  });

  it('never fires a timer cancelled before it was due', async () => {
    await store.schedule('backoff:1', 50, 'x');
    expect(await other.remove('backoff:1')).toBe(true);
    await sleep(80);
    expect(await store.claimDue(10)).toEqual([]);
  });

  it('fires a timer again on another instance when its claimer died without acknowledging it', async () => {
    await store.schedule('ring:2', 0, 'p');
    await sleep(5);
    expect(await store.claimDue(10)).toHaveLength(1);
    expect(await other.claimDue(10)).toEqual([]);
    await sleep(LEASE_MS + 100);
    expect(await other.claimDue(10)).toEqual([{ id: 'ring:2', payload: 'p' }]);
    expect(await other.remove('ring:2')).toBe(true);
    await sleep(LEASE_MS + 100);
    expect(await store.claimDue(10)).toEqual([]);
  });

  it('moves a timer scheduled again under the same id', async () => {
    await store.schedule('wait:1', 0, 'first');
    await other.schedule('wait:1', 10_000, 'second');
    await sleep(20);
    expect(await store.claimDue(10)).toEqual([]);
  });
});

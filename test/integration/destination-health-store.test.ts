import { MemoryDestinationHealthStore, RedisDestinationHealthStore, type DestinationHealthStore } from '../../src/store/destination-health-store';
import { storeAdapters } from '../support/redis';

const adapters = storeAdapters<DestinationHealthStore>(() => new MemoryDestinationHealthStore(), (client, prefix) => new RedisDestinationHealthStore(client, prefix));
const C = 'company-1';

describe.each(adapters)('destination health ($name)', (adapter) => {
  let store: DestinationHealthStore;
  let other: DestinationHealthStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  const get = async (st: DestinationHealthStore) => (await st.getMany(C, ['d1'])).get('d1');

  it('knows a destination never changed as healthy', async () => {
    expect(await get(store)).toEqual({ backedOffUntil: null, consecutiveFailures: 0, seq: 0 });
  });

  it('counts failures, never shortens a back-off, resets on an answer and clears on a resume', async () => {
    expect(await store.recordFailure(C, 'd1', 5000)).toEqual({ backedOffUntil: 5000, consecutiveFailures: 1, seq: 1 });
    expect(await other.recordFailure(C, 'd1', 3000)).toEqual({ backedOffUntil: 5000, consecutiveFailures: 2, seq: 2 });
    expect(await other.recordFailure(C, 'd1', null)).toEqual({ backedOffUntil: 5000, consecutiveFailures: 3, seq: 3 });
    expect(await store.recordAnswer(C, 'd1')).toEqual({ backedOffUntil: 5000, consecutiveFailures: 0, seq: 4 });
    expect(await other.reset(C, 'd1')).toEqual({ backedOffUntil: null, consecutiveFailures: 0, seq: 5 });
    expect(await get(store)).toEqual({ backedOffUntil: null, consecutiveFailures: 0, seq: 5 });
  });

  it('counts every one of 200 failures reported at once on two instances', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 ? store : other).recordFailure(C, 'd1', 1000 + i)));
    expect(await get(store)).toEqual({ backedOffUntil: 1199, consecutiveFailures: 200, seq: 200 });
  });

  it('extends a back-off before its failure is counted, never shortening it and leaving failures and seq alone, seen by the other instance', async () => {
    await store.extendBackoff(C, 'd1', 5_000);
    expect(await get(other)).toEqual({ backedOffUntil: 5_000, consecutiveFailures: 0, seq: 0 });
    await other.extendBackoff(C, 'd1', 3_000);
    await store.recordFailure(C, 'd1', 5_000);
    expect(await get(other)).toEqual({ backedOffUntil: 5_000, consecutiveFailures: 1, seq: 1 });
  });
});

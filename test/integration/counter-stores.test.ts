import { randomUUID } from 'node:crypto';
import { MemoryAuthThrottleStore, RedisAuthThrottleStore, type AuthThrottleStore } from '../../src/store/auth-throttle-store';
import { MemoryAuthorityVersionStore, RedisAuthorityVersionStore, type AuthorityVersionStore } from '../../src/store/authority-version-store';
import { MemorySequenceStore, RedisSequenceStore, type SequenceStore } from '../../src/store/sequence-store';
import { storeAdapters } from '../support/redis';

/*
 * The contracts of the live state's counters, on every adapter (in memory, Redis, Redis Cluster): the copies of
 * the authority versions, the live updates' sequences and the throttling of failed sign-ins. On a cluster the
 * companies' keys fall on different masters, and every instance must still see the same counts.
 */

const versions = storeAdapters<AuthorityVersionStore>(() => new MemoryAuthorityVersionStore(), (client, prefix) => new RedisAuthorityVersionStore(client, prefix));

describe.each(versions)('copies of the authority versions ($name)', (adapter) => {
  let store: AuthorityVersionStore;
  let other: AuthorityVersionStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('only ever raises a company\'s copy, whichever instance writes, and leaves out companies without one', async () => {
    await store.raise('company-1', 5);
    await other.raise('company-1', 3);
    await other.raise('company-2', 1);
    expect(await other.get(['company-1', 'company-2', 'company-3'])).toEqual(new Map([['company-1', 5], ['company-2', 1]]));
    await store.raise('company-2', 2);
    expect(await other.get(['company-2'])).toEqual(new Map([['company-2', 2]]));
    expect(await store.get([])).toEqual(new Map());
  });

  it('reads the copies of many companies at once', async () => {
    const companies = Array.from({ length: 20 }, () => randomUUID());
    await Promise.all(companies.map((id, i) => store.raise(id, i)));
    expect(await other.get(companies)).toEqual(new Map(companies.map((id, i) => [id, i])));
  });
});

const sequences = storeAdapters<SequenceStore>(() => new MemorySequenceStore(), (client, prefix) => new RedisSequenceStore(client, prefix));

describe.each(sequences)('sequences of the live updates ($name)', (adapter) => {
  let store: SequenceStore;
  let other: SequenceStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('counts each resource\'s changes from one on any instance, and reads many at once, unknown ones as 0', async () => {
    expect(await store.next('company-1', 'queue', 'queue-1')).toBe(1);
    expect(await other.next('company-1', 'queue', 'queue-1')).toBe(2);
    expect(await other.next('company-1', 'destination', 'queue-1')).toBe(1);
    expect(await store.next('company-2', 'queue', 'queue-1')).toBe(1);
    expect(await other.current('company-1', 'queue', ['queue-1', 'queue-2'])).toEqual(new Map([['queue-1', 2], ['queue-2', 0]]));
    expect(await store.current('company-1', 'queue', [])).toEqual(new Map());
  });

  it('hands out each number once among 100 changes made at once on two instances', async () => {
    const numbers = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? store : other).next('company-1', 'destination', 'destination-1')));
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

const throttles = storeAdapters<AuthThrottleStore>(() => new MemoryAuthThrottleStore(), (client, prefix) => new RedisAuthThrottleStore(client, prefix));

describe.each(throttles)('throttling counters ($name)', (adapter) => {
  let store: AuthThrottleStore;
  let other: AuthThrottleStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('counts the failures of a key on every instance, apart from other keys, and forgets them on a success', async () => {
    expect(await store.count('login:alice', 60)).toBe(1);
    expect(await other.count('login:alice', 60)).toBe(2);
    expect(await other.count('login:bob', 60)).toBe(1);
    await other.reset('login:alice');
    expect(await store.count('login:alice', 60)).toBe(1);
  });

  it('lets exactly one of many instances\' attempts start a block, which every instance sees running until a success', async () => {
    expect(await store.blockedMs('address:10.0.0.1')).toBe(0);
    const started = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).startBlock('address:10.0.0.1', 60)));
    expect(started.filter(Boolean)).toHaveLength(1);
    const left = await other.blockedMs('address:10.0.0.1');
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(60_000);
    await store.reset('address:10.0.0.1');
    expect(await other.blockedMs('address:10.0.0.1')).toBe(0);
  });
});

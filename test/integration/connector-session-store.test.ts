import { MemoryConnectorSessionStore, RedisConnectorSessionStore, type ConnectorSessionStore } from '../../src/store/connector-session-store';
import { storeAdapters } from '../support/redis';

const adapters = storeAdapters<ConnectorSessionStore>(() => new MemoryConnectorSessionStore(), (client, prefix) => new RedisConnectorSessionStore(client, prefix));

describe.each(adapters)('connector sessions ($name)', (adapter) => {
  let store: ConnectorSessionStore;
  let other: ConnectorSessionStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('lists the live sessions of a company, registered by any instance, without taking a turn of the round robin', async () => {
    await store.register('c1', { sessionId: 's2', keyId: 'k1' }, 60_000);
    await other.register('c1', { sessionId: 's1', keyId: 'k2' }, 60_000);
    await other.register('c2', { sessionId: 's3', keyId: 'k3' }, 60_000);
    const first = await store.candidates('c1');
    expect(await other.live('c1')).toEqual([{ sessionId: 's1', keyId: 'k2' }, { sessionId: 's2', keyId: 'k1' }]);
    expect(await store.live('c1')).toEqual(first.sessions);
    expect((await store.candidates('c1')).turn).toBe(first.turn + 1);
  });

  it('leaves out a session that was removed, and answers an empty list for a company without sessions', async () => {
    await store.register('c1', { sessionId: 's1', keyId: 'k1' }, 60_000);
    await store.register('c1', { sessionId: 's2', keyId: 'k1' }, 60_000);
    await other.remove('c1', 's1');
    expect(await store.live('c1')).toEqual([{ sessionId: 's2', keyId: 'k1' }]);
    expect(await store.live('nobody')).toEqual([]);
  });
});

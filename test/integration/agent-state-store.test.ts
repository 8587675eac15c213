import { MemoryAgentStateStore, RedisAgentStateStore, type AgentStateStore } from '../../src/store/agent-state-store';
import { storeAdapters } from '../support/redis';

const adapters = storeAdapters<AgentStateStore>(() => new MemoryAgentStateStore(), (client, prefix) => new RedisAgentStateStore(client, prefix));
const C = 'company-1';

describe.each(adapters)('agent live state ($name)', (adapter) => {
  let store: AgentStateStore;
  let other: AgentStateStore;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ store, other, close } = await adapter.open());
  });
  afterEach(() => close());

  it('knows an agent never seen as logged out and idle', async () => {
    expect(await store.get(C, 'a1')).toEqual({ status: 'LOGGED_OUT', activity: 'IDLE', callId: null, idleSince: 0, wrapUpUntil: null, notBefore: null, seq: 0 });
  });

  it('applies a change whose expectation holds and counts it in seq', async () => {
    const next = await store.compareAndSet(C, 'a1', { status: 'LOGGED_OUT' }, { status: 'AVAILABLE', idleSince: 1000 });
    expect(next).toMatchObject({ status: 'AVAILABLE', idleSince: 1000, seq: 1 });
    expect(await other.get(C, 'a1')).toEqual(next);
  });

  it('refuses a change whose expectation no longer holds, and changes nothing', async () => {
    await store.compareAndSet(C, 'a1', {}, { status: 'AVAILABLE' });
    expect(await other.compareAndSet(C, 'a1', { status: 'ON_BREAK' }, { activity: 'RESERVED' })).toBeNull();
    expect(await other.compareAndSet(C, 'a1', { activity: ['RINGING', 'ON_CALL'] }, { activity: 'IDLE' })).toBeNull();
    expect(await other.compareAndSet(C, 'a1', { callId: 'call-9' }, { activity: 'IDLE' })).toBeNull();
    expect((await store.get(C, 'a1')).seq).toBe(1);
  });

  it('clears a field set to null and keeps the others', async () => {
    await store.compareAndSet(C, 'a1', {}, { status: 'AVAILABLE', activity: 'RESERVED', callId: 'call-1', notBefore: 5 });
    const next = await store.compareAndSet(C, 'a1', { callId: 'call-1' }, { activity: 'IDLE', callId: null, notBefore: null });
    expect(next).toMatchObject({ status: 'AVAILABLE', activity: 'IDLE', callId: null, notBefore: null, seq: 2 });
  });

  it('reads many agents at once, unknown ones as logged out', async () => {
    await store.compareAndSet(C, 'a1', {}, { status: 'ON_BREAK' });
    const many = await other.getMany(C, ['a1', 'a2']);
    expect([many.get('a1')?.status, many.get('a2')?.status]).toEqual(['ON_BREAK', 'LOGGED_OUT']);
  });

  it('reserves an agent for exactly one of 50 calls racing from two instances', async () => {
    await store.compareAndSet(C, 'a1', {}, { status: 'AVAILABLE' });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? store : other).compareAndSet(C, 'a1', { status: 'AVAILABLE', activity: ['IDLE', 'WRAP_UP'], callId: null }, { activity: 'RESERVED', callId: `call-${i}` }),
      ),
    );
    const winners = results.filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect((await store.get(C, 'a1')).callId).toBe(winners[0]!.callId);
  });
});

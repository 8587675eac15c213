import { RedisCapacityStore } from '../../src/store/capacity-store';
import { RedisLiveGeneration } from '../../src/store/live-generation';
import { redisKeys } from '../../src/store/redis-keys';
import { dropPrefix, newRedis, redisSuitesOn, uniquePrefix } from '../support/redis';

/*
 * Decision 022, the fence: an acquisition already past the gate when Redis comes back empty must not take a
 * slot on the empty Redis. The acquisition script checks the company's generation stamp; missing, it waits for
 * the rebuild (played here by the check handler) and tries again against the rebuilt leases.
 */

const suite = redisSuitesOn() ? describe : describe.skip;
const LEASE_MS = 60_000;
const ref = { companyId: 'company-1', destinationId: 'destination-1' };

suite('slot acquisitions fenced by the live state generation', () => {
  let prefix: string;
  let generation: RedisLiveGeneration;
  let capacity: RedisCapacityStore;
  let unfenced: RedisCapacityStore;
  let rebuilds: number;
  /** What the rebuild restores from the system of record: the open attempts' leases. */
  let recorded: string[];

  beforeEach(async () => {
    prefix = uniquePrefix();
    const client = newRedis();
    generation = new RedisLiveGeneration(newRedis(), prefix, [client]);
    capacity = new RedisCapacityStore(client, prefix, LEASE_MS, generation);
    unfenced = new RedisCapacityStore(newRedis(), prefix, LEASE_MS);
    rebuilds = 0;
    recorded = [];
    // Connected and published before the rebuild is played, so the first connection's check finds 'g1'.
    await generation.publish('g1');
    await client.ping();
    // The rebuild, as the engine's LiveRebuild does it: restore the open attempts' leases, publish a new id, open the gate.
    generation.onCheckNeeded(() => {
      void (async () => {
        if ((await generation.read()) === null) {
          rebuilds += 1;
          for (const attemptId of recorded) await unfenced.acquire(ref, attemptId, null);
          await generation.publish(`g${rebuilds + 1}`);
        } else {
          generation.adopt((await generation.read())!);
        }
        generation.release();
      })();
    });
    generation.release();
  });

  afterEach(async () => {
    await dropPrefix(prefix);
    await Promise.all([generation.close(), capacity.close(), unfenced.close()]);
  });

  it('stamps a company on its first fenced acquisition without a rebuild when the generation is current', async () => {
    expect(await capacity.acquire(ref, 'a1', 2, { fenced: true })).toBe(true);
    expect(rebuilds).toBe(0);
    expect(await capacity.acquire(ref, 'a2', 2, { fenced: true })).toBe(true);
    expect(await capacity.acquire(ref, 'a3', 2, { fenced: true })).toBe(false);
    expect(await generation.read()).toBe('g1');
  });

  it('waits for the rebuild when Redis came back empty after the gate was passed, and then counts the restored slots', async () => {
    expect(await capacity.acquire(ref, 'a1', 1, { fenced: true })).toBe(true);
    recorded = ['a1'];
    // Redis emptied while no connection noticed: the gate is still open.
    await dropPrefix(prefix);
    expect(generation.isReady()).toBe(true);
    expect(await capacity.acquire(ref, 'a2', 1, { fenced: true })).toBe(false);
    expect(rebuilds).toBe(1);
    expect(await capacity.holders(ref)).toEqual(['a1']);
    expect(await generation.read()).toBe('g2');
    expect(generation.known()).toBe('g2');
  });

  it('lets an unfenced acquisition (what the fence prevents) take a slot on the emptied Redis', async () => {
    expect(await capacity.acquire(ref, 'a1', 1, { fenced: true })).toBe(true);
    await dropPrefix(prefix);
    expect(await unfenced.acquire(ref, 'a2', 1)).toBe(true);
  });

  it('adopts a generation another instance published, then acquires', async () => {
    expect(await capacity.acquire(ref, 'a1', 3, { fenced: true })).toBe(true);
    const other = newRedis();
    const keys = redisKeys(prefix);
    await other.set(keys.liveGeneration(), 'elsewhere');
    await other.del(keys.generationStamp(ref.companyId));
    other.disconnect();
    expect(await capacity.acquire(ref, 'a2', 3, { fenced: true })).toBe(true);
    expect(generation.known()).toBe('elsewhere');
    expect(await capacity.holders(ref)).toEqual(expect.arrayContaining(['a1', 'a2']));
  });
});

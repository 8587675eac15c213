import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'ioredis';
import { RedisAgentStateStore } from '../../src/store/agent-state-store';
import { RedisAuthThrottleStore } from '../../src/store/auth-throttle-store';
import { RedisAuthorityVersionStore } from '../../src/store/authority-version-store';
import { RedisCapacityStore } from '../../src/store/capacity-store';
import { RedisConnectorSessionStore } from '../../src/store/connector-session-store';
import { RedisDestinationHealthStore } from '../../src/store/destination-health-store';
import { RedisLiveGeneration } from '../../src/store/live-generation';
import type { RedisClient } from '../../src/store/redis-client';
import { RedisSequenceStore } from '../../src/store/sequence-store';
import { RedisTimerStore } from '../../src/store/timer-store';

/*
 * Decision 030: on a Redis Cluster a script, a transaction, a pipeline or a multi-key command may only touch
 * keys of one slot. Every Redis store runs each of its operations here against a client that answers nothing
 * and writes down the keys each command, script and batch was given (ioredis's own command table finds the
 * keys of a plain command); every group must fall in one slot, as a cluster computes slots (CRC16 of the hash
 * tag, or of the whole key). Every Lua script must have been called, so a new one is checked the day it comes.
 */

const LUA_DIR = join(__dirname, '..', '..', 'src', 'store', 'lua');
const SCRIPT_FILES = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
const FILE_OF_SCRIPT = new Map(SCRIPT_FILES.map((f) => [readFileSync(join(LUA_DIR, f), 'utf8'), f]));

/** The cluster slot of a key, as ioredis (and Redis) compute it. */
const slotOf = (key: string) => new Command('exists', [key]).getSlot();

/** The keys given together to one command, script, transaction or pipeline. */
interface Group {
  what: string;
  keys: string[];
}

/** What a command answers here: enough for the stores to read it as "nothing there". */
function replyOf(command: string): unknown {
  switch (command) {
    case 'hgetall':
      return {};
    case 'mget':
    case 'zrangebyscore':
    case 'zrange':
      return [];
    case 'pttl':
      return -2;
    case 'incr':
      return 1;
    case 'set':
      return 'OK';
    case 'time':
      return ['0', '0'];
    default:
      return null;
  }
}

/** A client that records the key groups it is given and answers every command with "nothing there". */
function recordingClient(groups: Group[], scriptsCalled: Set<string>): RedisClient {
  const scripts = new Map<string, { file: string; keys: number }>();
  const keysOf = (name: string, args: unknown[]) => new Command(name, args.flat() as string[]).getKeys().map(String);
  /** A MULTI or a pipeline: its commands' keys are one group, written down when it is executed. */
  const batch = (kind: string) => {
    const queued: Array<{ name: string; keys: string[] }> = [];
    const chain: Record<string, unknown> = new Proxy({}, {
      get: (_, name: string) => {
        if (name === 'exec') {
          return async () => {
            groups.push({ what: `${kind} of ${queued.map((q) => q.name).join(', ')}`, keys: queued.flatMap((q) => q.keys) });
            return queued.map((q) => [null, replyOf(q.name)]);
          };
        }
        return (...args: unknown[]) => {
          queued.push({ name, keys: keysOf(name, args) });
          return chain;
        };
      },
    });
    return chain;
  };
  const client = new Proxy({}, {
    get: (_, name: string | symbol) => {
      if (typeof name === 'symbol') return undefined;
      if (name === 'constructor') return Object;
      if (name === 'status') return 'ready';
      if (name === 'on' || name === 'once') return () => client;
      if (name === 'defineCommand') {
        return (command: string, definition: { numberOfKeys: number; lua: string }) => {
          scripts.set(command, { file: FILE_OF_SCRIPT.get(definition.lua) ?? `(not in src/store/lua) ${command}`, keys: definition.numberOfKeys });
        };
      }
      const script = scripts.get(name);
      if (script !== undefined) {
        return async (...args: unknown[]) => {
          scriptsCalled.add(script.file);
          groups.push({ what: `script ${script.file}`, keys: (args.flat() as unknown[]).slice(0, script.keys).map(String) });
          return [];
        };
      }
      if (name === 'multi' || name === 'pipeline') return () => batch(name);
      return async (...args: unknown[]) => {
        groups.push({ what: name, keys: keysOf(name, args) });
        return replyOf(name);
      };
    },
  });
  return client as unknown as RedisClient;
}

/** Runs every operation of every Redis store on the recording client, for two companies. */
async function exerciseEveryStore(client: RedisClient): Promise<void> {
  const prefix = 'rgw';
  const capacity = new RedisCapacityStore(client, prefix, 60_000);
  const agents = new RedisAgentStateStore(client, prefix);
  const health = new RedisDestinationHealthStore(client, prefix);
  const timers = new RedisTimerStore(client, prefix, 15_000);
  const sequences = new RedisSequenceStore(client, prefix);
  const sessions = new RedisConnectorSessionStore(client, prefix);
  const versions = new RedisAuthorityVersionStore(client, prefix);
  const throttle = new RedisAuthThrottleStore(client, prefix);
  const generation = new RedisLiveGeneration(client, prefix, []);
  for (const companyId of ['2b1f5c9e-0000-4000-8000-000000000001', 'company-2']) {
    const ref = { companyId, destinationId: 'destination-1' };
    await capacity.acquire(ref, 'attempt-1', 3, { notBackedOffAt: 0 });
    await capacity.markAnswered(ref, 'attempt-1');
    await capacity.renew(ref, 'attempt-1');
    await capacity.counts(ref);
    await capacity.countsMany(companyId, ['destination-1', 'destination-2']);
    await capacity.holders(ref);
    await capacity.release(ref, 'attempt-1');
    // With a capacity pool: its keys beside the destination's, in one script when a slot is taken.
    const pooled = { ...ref, poolId: 'pool-1' };
    await capacity.acquire(pooled, 'attempt-2', 3, { notBackedOffAt: 0, poolMax: 2 });
    await capacity.markAnswered(pooled, 'attempt-2');
    await capacity.renew(pooled, 'attempt-2');
    await capacity.poolCounts(companyId, ['pool-1']);
    await capacity.poolHolders(companyId, 'pool-1');
    await capacity.release(pooled, 'attempt-2');
    await agents.get(companyId, 'agent-1');
    await agents.getMany(companyId, ['agent-1', 'agent-2', 'agent-3']);
    await agents.compareAndSet(companyId, 'agent-1', { status: 'AVAILABLE' }, { activity: 'RESERVED', callId: 'call-1' });
    await health.getMany(companyId, ['destination-1', 'destination-2']);
    await health.recordFailure(companyId, 'destination-1', 5_000);
    await health.recordAnswer(companyId, 'destination-1');
    await health.reset(companyId, 'destination-1');
    await health.extendBackoff(companyId, 'destination-1', 5_000);
    await sequences.next(companyId, 'queue', 'queue-1');
    await sequences.current(companyId, 'destination', ['destination-1', 'destination-2']);
    await sessions.register(companyId, { sessionId: 'session-1', keyId: 'key-1', acknowledges: true }, 30_000);
    await sessions.candidates(companyId);
    await sessions.live(companyId);
    await sessions.remove(companyId, 'session-1');
    await versions.raise(companyId, 3);
  }
  await versions.get(['company-1', 'company-2', 'company-3']);
  await timers.schedule('ring:1', 1_000, 'payload');
  await timers.claimDue(10);
  await timers.remove('ring:1');
  await timers.pending();
  await throttle.count('login:digest', 60);
  await throttle.startBlock('login:digest', 1);
  await throttle.blockedMs('login:digest');
  await throttle.reset('login:digest');
  await generation.read();
  await generation.lock('holder', 30_000);
  await generation.publish('g1');
  await generation.unlock('holder');
}

/** The groups whose keys fall in more than one slot, described. */
function crossSlot(groups: readonly Group[]): string[] {
  return groups
    .filter((g) => new Set(g.keys.map(slotOf)).size > 1)
    .map((g) => `${g.what}: ${g.keys.map((k) => `${k} (slot ${slotOf(k)})`).join(', ')}`);
}

describe('Redis keys on a Redis Cluster', () => {
  const groups: Group[] = [];
  const scriptsCalled = new Set<string>();
  beforeAll(() => exerciseEveryStore(recordingClient(groups, scriptsCalled)));

  it('calls every Lua script of src/store/lua, so each one is checked here', () => {
    expect(SCRIPT_FILES.length).toBeGreaterThan(0);
    expect(SCRIPT_FILES.filter((f) => !scriptsCalled.has(f))).toEqual([]);
  });

  it('gives every script, transaction, pipeline and multi-key command keys of one slot', () => {
    const several = groups.filter((g) => g.keys.length > 1);
    // The scripts of several keys, the MULTI of a session's removal, the pipelines of HGETALLs and the MGET.
    expect(several.length).toBeGreaterThan(10);
    expect(several.some((g) => g.what.startsWith('multi'))).toBe(true);
    expect(several.some((g) => g.what.startsWith('pipeline'))).toBe(true);
    expect(several.some((g) => g.what === 'mget')).toBe(true);
    expect(crossSlot(groups)).toEqual([]);
  });

  it('tells keys of two slots apart (the check above can fail)', () => {
    expect(crossSlot([{ what: 'script of untagged keys', keys: ['rgw:co:c1:dest:d1:leases', 'rgw:co:c1:dest:d1:health'] }])).toHaveLength(1);
    expect(crossSlot([{ what: 'script of tagged keys', keys: ['rgw:{co:c1}:dest:d1:leases', 'rgw:{co:c1}:dest:d1:health'] }])).toEqual([]);
  });

  it('spreads companies over the slots (the tag holds the company, not only the deployment)', () => {
    // One company's destination and pool keys share its slot; the two companies' slots differ.
    const leases = groups.filter((g) => g.what === 'script lease-release-2.lua').map((g) => slotOf(g.keys[0]!));
    expect(leases).toHaveLength(6);
    expect(new Set(leases).size).toBe(2);
  });
});

import { MemoryAgentStateStore, RedisAgentStateStore, type AgentStateStore } from './agent-state-store';
import { MemoryCapacityStore, RedisCapacityStore, type CapacityStore } from './capacity-store';
import { MemoryLiveGeneration, RedisLiveGeneration, type LiveGeneration } from './live-generation';
import { MemoryDestinationHealthStore, RedisDestinationHealthStore, type DestinationHealthStore } from './destination-health-store';
import { MemoryAuthorityVersionStore, RedisAuthorityVersionStore, type AuthorityVersionStore } from './authority-version-store';
import { MemoryAuthThrottleStore, RedisAuthThrottleStore, type AuthThrottleStore } from './auth-throttle-store';
import { MemoryConnectorSessionStore, RedisConnectorSessionStore, type ConnectorSessionStore } from './connector-session-store';
import { MemorySequenceStore, RedisSequenceStore, type SequenceStore } from './sequence-store';
import { MemoryTimerStore, RedisTimerStore, type TimerStore } from './timer-store';
import { connectRedis, reportErrors, type RedisTarget } from './redis-client';
import type { Scheduler } from '../platform/scheduler';

/** How long a destination slot survives without renewal (the holder died): DOMAIN.md §3.3's bounded lease. */
export const DESTINATION_LEASE_MS = 60_000;

/** How long a claimed timer stays with its claimer before another instance may fire it (the claimer died). */
export const TIMER_CLAIM_MS = 15_000;

/** All live routing state, behind one facade: in memory (embedded default) or in Redis (cluster mode). */
export interface LiveState {
  readonly mode: 'memory' | 'redis';
  readonly capacity: CapacityStore;
  readonly agents: AgentStateStore;
  readonly health: DestinationHealthStore;
  readonly timers: TimerStore;
  readonly sequences: SequenceStore;
  /** The live connector sessions each instruction is addressed to one of. */
  readonly sessions: ConnectorSessionStore;
  /** Copies of each company's authority version, checked every second. */
  readonly versions: AuthorityVersionStore;
  /** Failed sign-ins and connector keys: counters and blocks (decision 016). */
  readonly throttle: AuthThrottleStore;
  /**
   * Which life of the live state this instance works in, and the gate new acquisitions wait at while it is
   * rebuilt from the system of record after Redis was emptied or replaced (decision 022).
   */
  readonly generation: LiveGeneration;
  /**
   * Resolves once new acquisitions (slot leases, agents' reservations) may go on: at once in memory and while
   * the live state is current; after the rebuild when one is pending or running; refused with a retryable
   * SERVICE_UNAVAILABLE when that takes longer than REBUILD_WAIT_MS.
   */
  ready(): Promise<void>;
  /** Whether its Redis connections are up (always, in memory): the readiness probe asks. */
  connected(): boolean;
  close(): Promise<void>;
}

/**
 * The time the in-memory stores read (Redis reads its own): the scheduler's, on which the loops that renew
 * leases and fire due timers run (a test's manual scheduler moves them together).
 */
export interface LiveStateClocks {
  scheduler?: () => number;
  /** Where the bounded wait for a rebuild of the live state is timed (the system's when left out). */
  after?: Scheduler['after'];
}

/**
 * Opens the live state for a configuration: Redis when `redis` is set (a URL, or the seed nodes of a Redis
 * Cluster: decision 030), else in-process. Redis commands are bounded (one retry, no offline queue growth
 * past reconnects) so a Redis outage surfaces as errors instead of late, repeated writes.
 */
export async function openLiveState(
  redis: RedisTarget | null, prefix = 'rgw', onError: (err: unknown) => void = () => undefined, clocks: LiveStateClocks = {},
): Promise<LiveState> {
  if (redis === null) {
    // In memory, leases and due times are read on the clock of the loops that renew and fire them.
    const health = new MemoryDestinationHealthStore();
    const capacity = new MemoryCapacityStore(DESTINATION_LEASE_MS, clocks.scheduler, (ref) => health.backedOffUntil(ref.companyId, ref.destinationId));
    const agents = new MemoryAgentStateStore();
    const timers = new MemoryTimerStore(TIMER_CLAIM_MS, clocks.scheduler);
    const sequences = new MemorySequenceStore();
    const sessions = new MemoryConnectorSessionStore(clocks.scheduler);
    const versions = new MemoryAuthorityVersionStore();
    const throttle = new MemoryAuthThrottleStore();
    const generation = new MemoryLiveGeneration();
    return {
      mode: 'memory', capacity, agents, health, timers, sequences, sessions, versions, throttle, generation, ready: () => generation.ready(), connected: () => true,
      close: () => closeAll(capacity, agents, health, timers, sequences, sessions, versions, throttle, generation),
    };
  }
  // Named after the store each serves, so an operator can tell the connections apart in CLIENT LIST.
  const connect = (store: string) => connectRedis(redis, { name: `${prefix}-live-${store}`, bounded: true });
  const clients = ['capacity', 'agents', 'health', 'timers', 'sequences', 'sessions', 'versions', 'throttle', 'generation'].map(connect);
  // Reconnects are reported through the gateway's log, not as ioredis's unhandled-error lines.
  for (const c of clients) reportErrors(c, onError);
  await Promise.all(clients.map((c) => c.connect()));
  const agents = new RedisAgentStateStore(clients[1]!, prefix);
  const health = new RedisDestinationHealthStore(clients[2]!, prefix);
  const timers = new RedisTimerStore(clients[3]!, prefix, TIMER_CLAIM_MS);
  const sequences = new RedisSequenceStore(clients[4]!, prefix);
  const sessions = new RedisConnectorSessionStore(clients[5]!, prefix);
  const versions = new RedisAuthorityVersionStore(clients[6]!, prefix);
  const throttle = new RedisAuthThrottleStore(clients[7]!, prefix);
  // Watches every connection from here on (after the first connect): one lost holds new acquisitions until
  // the generation was checked again (decision 022).
  const after = clocks.after;
  const generation = new RedisLiveGeneration(clients[8]!, prefix, clients.slice(0, 8), after === undefined ? undefined : (ms, task) => after(ms, task));
  // New slots are taken in the known generation only (the acquisition script checks the company's stamp).
  const capacity = new RedisCapacityStore(clients[0]!, prefix, DESTINATION_LEASE_MS, generation);
  return {
    mode: 'redis', capacity, agents, health, timers, sequences, sessions, versions, throttle, generation,
    ready: () => generation.ready(),
    connected: () => clients.every((c) => c.status === 'ready'),
    close: () => closeAll(capacity, agents, health, timers, sequences, sessions, versions, throttle, generation),
  };
}

async function closeAll(...stores: Array<{ close(): Promise<void> }>): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

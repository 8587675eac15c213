import type { ExternalDestination } from '../entities/external-destination.entity';
import type { DestinationSnapshot, PoolSnapshot } from '../routing/types';
import type { SlotCounts } from '../store/capacity-store';
import type { DestinationHealth } from '../store/destination-health-store';

/** What the routing core sees of a destination: its configuration with its live slots and health (and its pool's, when it has one). */
export function destinationSnapshot(d: ExternalDestination, counts: SlotCounts, health: DestinationHealth, pool: PoolSnapshot | null = null): DestinationSnapshot {
  return {
    id: d.id, enabled: d.enabled, suspended: d.suspendedAt !== null, maxSimultaneousCalls: d.maxSimultaneousCalls,
    connectingCalls: counts.connecting, activeCalls: counts.active, backedOffUntil: health.backedOffUntil,
    consecutiveFailures: health.consecutiveFailures, retryIntervalSec: d.retryIntervalSec, pool,
  };
}

/** A pool as routing sees it, from its maximum and its slots now. */
export function poolSnapshot(pool: { id: string; maxSimultaneousCalls: number }, counts: SlotCounts): PoolSnapshot {
  return { id: pool.id, max: pool.maxSimultaneousCalls, used: counts.connecting + counts.active };
}

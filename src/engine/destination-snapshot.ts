import type { ExternalDestination } from '../entities/external-destination.entity';
import type { DestinationSnapshot } from '../routing/types';
import type { SlotCounts } from '../store/capacity-store';
import type { DestinationHealth } from '../store/destination-health-store';

/** What the routing core sees of a destination: its configuration with its live slots and health. */
export function destinationSnapshot(d: ExternalDestination, counts: SlotCounts, health: DestinationHealth): DestinationSnapshot {
  return {
    id: d.id, enabled: d.enabled, suspended: d.suspendedAt !== null, maxSimultaneousCalls: d.maxSimultaneousCalls,
    connectingCalls: counts.connecting, activeCalls: counts.active, backedOffUntil: health.backedOffUntil,
    consecutiveFailures: health.consecutiveFailures, retryIntervalSec: d.retryIntervalSec,
  };
}

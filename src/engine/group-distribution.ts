import type { AgentGroup } from '../entities/agent-group.entity';
import { orderedDestinations, type GroupDistribution } from '../routing/distribution';

/**
 * A group's destinations in its order, and its distribution as the routing core takes it, from its row (the
 * recent offers are read per pass: QueuePass). The one reading of the stored columns, for both the queue
 * directory and the loader that reads the system of record.
 */
export function groupDistribution(row: Pick<AgentGroup, 'externalDistribution' | 'destinationOrder' | 'destinationShares' | 'shareWindow'> | undefined, memberIds: readonly string[]): {
  destinationIds: string[];
  distribution: GroupDistribution;
} {
  const destinationIds = orderedDestinations(memberIds.map((id) => ({ id })), row?.destinationOrder ?? []).map((d) => d.id);
  const mode = row?.externalDistribution ?? 'MOST_SPARE';
  return {
    destinationIds,
    distribution: mode === 'WEIGHTED_SHARE' ? { mode, shares: new Map(Object.entries(row?.destinationShares ?? {})), window: row?.shareWindow ?? 100 } : { mode },
  };
}

/** Whether a pass reads the group's recent offers for its distribution. */
export function needsRecentOffers(distribution: GroupDistribution | undefined): boolean {
  return distribution?.mode === 'ROUND_ROBIN' || distribution?.mode === 'WEIGHTED_SHARE';
}

/**
 * Capacity refusals as facts (pure): which destinations a trace entry says were full for the call. Queue
 * routing and flow nodes record such a refusal as a skip of the destination with reason
 * DESTINATION_AT_CAPACITY; the store keeps one record per entry and destination, and a destination's
 * `limitReached` counts the distinct calls of its records (docs/decisions/008-statistics.md).
 */
import type { Millis } from './types';

/** The reason of a skip that is a refusal for capacity. */
export const CAPACITY_REFUSAL_REASON = 'DESTINATION_AT_CAPACITY';

/** The reason of a skip that is a refusal for a capacity pool's limit (decision 038). */
export const POOL_REFUSAL_REASON = 'POOL_AT_CAPACITY';

/** The destinations a trace entry skipped because their capacity pool was full, once each. */
export function poolRefusedDestinationsOf(entry: RefusalSource): string[] {
  const ids = (entry.skipped ?? []).filter((s) => s.kind === 'DESTINATION' && s.reason === POOL_REFUSAL_REASON && typeof s.resourceId === 'string' && s.resourceId !== '').map((s) => s.resourceId);
  return [...new Set(ids)];
}

/** What a trace entry brings: its time and the resources it passed over (as written, or as read back). */
export interface RefusalSource {
  readonly at: Millis | Date;
  readonly skipped?: ReadonlyArray<{ readonly kind: string; readonly resourceId: string; readonly reason: string }> | null;
}

/** A destination found full at a moment. */
export interface CapacityRefusalFact {
  readonly destinationId: string;
  readonly at: Millis;
}

/** The refusals an entry records: each destination it skipped for capacity, once, at the entry's time. */
export function capacityRefusalsOf(entry: RefusalSource): CapacityRefusalFact[] {
  const at = typeof entry.at === 'number' ? entry.at : entry.at.getTime();
  const seen = new Set<string>();
  const out: CapacityRefusalFact[] = [];
  for (const skip of entry.skipped ?? []) {
    if (skip.kind !== 'DESTINATION' || skip.reason !== CAPACITY_REFUSAL_REASON || typeof skip.resourceId !== 'string' || skip.resourceId === '') continue;
    if (seen.has(skip.resourceId)) continue;
    seen.add(skip.resourceId);
    out.push({ destinationId: skip.resourceId, at });
  }
  return out;
}

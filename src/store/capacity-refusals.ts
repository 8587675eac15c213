import type { EntityManager } from 'typeorm';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { capacityRefusalsOf, type RefusalSource } from '../routing/capacity-refusals';
import { touchQuarterHours } from './stat-buckets';

/**
 * Records the capacity refusals a trace entry states (one row per destination it skipped as full), in the
 * transaction `m` that writes the entry: the records statistics count `limitReached` from.
 */
export async function recordCapacityRefusals(m: EntityManager, call: { readonly id: string; readonly companyId: string }, entry: RefusalSource): Promise<void> {
  const refusals = capacityRefusalsOf(entry);
  if (refusals.length === 0) return;
  await m.getRepository(CapacityRefusal).insert(
    refusals.map((r) => ({ companyId: call.companyId, callId: call.id, destinationId: r.destinationId, at: new Date(r.at) })),
  );
  for (const r of refusals) touchQuarterHours(m, call.companyId, r.at);
}

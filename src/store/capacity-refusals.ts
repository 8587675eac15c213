import { In, type EntityManager } from 'typeorm';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { PoolRefusal } from '../entities/pool-refusal.entity';
import { capacityRefusalsOf, poolRefusedDestinationsOf, type RefusalSource } from '../routing/capacity-refusals';
import { touchQuarterHours } from './stat-buckets';

/**
 * Records the capacity refusals a trace entry states (one row per destination it skipped as full), in the
 * transaction `m` that writes the entry: the records statistics count `limitReached` from.
 */
export async function recordCapacityRefusals(m: EntityManager, call: { readonly id: string; readonly companyId: string }, entry: RefusalSource): Promise<void> {
  await recordPoolRefusals(m, call, entry);
  const refusals = capacityRefusalsOf(entry);
  if (refusals.length === 0) return;
  await m.getRepository(CapacityRefusal).insert(
    refusals.map((r) => ({ companyId: call.companyId, callId: call.id, destinationId: r.destinationId, at: new Date(r.at) })),
  );
  for (const r of refusals) touchQuarterHours(m, call.companyId, r.at);
}

/**
 * Records the pools an entry found full (decision 038): one row per pool of the destinations it skipped for
 * their pool's limit (their pool read here, only when there are such skips), counted once per call by the
 * pool's statistics.
 */
async function recordPoolRefusals(m: EntityManager, call: { readonly id: string; readonly companyId: string }, entry: RefusalSource): Promise<void> {
  const ids = poolRefusedDestinationsOf(entry);
  if (ids.length === 0) return;
  const rows = await m.getRepository(ExternalDestination).find({ where: { id: In(ids), companyId: call.companyId }, select: { id: true, capacityPoolId: true } });
  const poolIds = [...new Set(rows.map((r) => r.capacityPoolId).filter((id): id is string => id !== null))];
  if (poolIds.length === 0) return;
  const at = new Date(typeof entry.at === 'number' ? entry.at : entry.at.getTime());
  await m.getRepository(PoolRefusal).insert(poolIds.map((poolId) => ({ companyId: call.companyId, poolId, callId: call.id, at })));
}

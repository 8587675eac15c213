import type { EntityManager } from 'typeorm';
import { CallAttempt } from '../entities/call.entity';
import { ExternalDestination } from '../entities/external-destination.entity';

/**
 * Ends what holds a destination back, in the records: the back-offs still running end `now` (statistics count
 * them up to here) and, when `resume`, its suspension is cleared (live state, not configuration: its version
 * and updatedAt stay as they are). Whoever calls it resets the live health after commit. Answers whether a
 * suspension was cleared (false when another change already cleared it).
 */
export async function endDestinationHold(m: EntityManager, destinationId: string, now: Date, resume: boolean): Promise<boolean> {
  let resumed = false;
  if (resume) {
    const keep = (column: string) => () => m.connection.driver.escape(column);
    const result = await m.createQueryBuilder().update(ExternalDestination)
      .set({ suspendedAt: null, version: keep('version'), updatedAt: keep('updatedAt') } as never)
      .where('id = :id AND "suspendedAt" IS NOT NULL', { id: destinationId })
      .execute();
    resumed = (result.affected ?? 0) > 0;
  }
  await m.createQueryBuilder().update(CallAttempt)
    .set({ backoffUntil: now })
    .where('"destinationId" = :id AND "backoffUntil" > :now AND "endedAt" <= :now', { id: destinationId, now })
    .execute();
  return resumed;
}

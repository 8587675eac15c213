import { IsNull, Not, type DataSource } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';

/*
 * Reads of configuration and waiting calls the engine decides what to route from. Each is one query; a
 * per-queue view maintained from committed changes can answer them later without one.
 */

/** The queues whose groups include any of these agents or destinations: the queues that can use them. */
export async function queuesUsing(dataSource: DataSource, resources: { agentIds?: readonly string[]; destinationIds?: readonly string[] }): Promise<string[]> {
  const agentIds = [...new Set(resources.agentIds ?? [])];
  const destinationIds = [...new Set(resources.destinationIds ?? [])];
  const [byAgent, byDestination]: Array<Array<{ queueId: string }>> = await Promise.all([
    agentIds.length === 0 ? [] : dataSource.createQueryBuilder()
      .select('qg."queueId"', 'queueId').distinct(true).from('queue_group', 'qg')
      .innerJoin('agent_group_agent', 'ga', 'ga."groupId" = qg."groupId"')
      .where('ga."agentId" IN (:...agentIds)', { agentIds }).getRawMany(),
    destinationIds.length === 0 ? [] : dataSource.createQueryBuilder()
      .select('qg."queueId"', 'queueId').distinct(true).from('queue_group', 'qg')
      .innerJoin('agent_group_destination', 'gd', 'gd."groupId" = qg."groupId"')
      .where('gd."destinationId" IN (:...destinationIds)', { destinationIds }).getRawMany(),
  ]);
  return [...new Set([...byAgent, ...byDestination].map((r) => r.queueId))].sort();
}

/** The agents of a queue's groups (an agent in two of its groups once). */
export async function agentsOfQueue(dataSource: DataSource, queueId: string): Promise<string[]> {
  const rows: Array<{ agentId: string }> = await dataSource.createQueryBuilder()
    .select('ga."agentId"', 'agentId').from('agent_group_agent', 'ga').innerJoin('queue_group', 'qg', 'qg."groupId" = ga."groupId"')
    .where('qg."queueId" = :queueId', { queueId }).getRawMany();
  return [...new Set(rows.map((r) => r.agentId))];
}

/** The queues (of one company, or of all) with calls waiting to be offered. */
export async function queuesWithWaitingCalls(dataSource: DataSource, companyId: string | null): Promise<Array<{ companyId: string; queueId: string }>> {
  const qb = dataSource.getRepository(Call).createQueryBuilder('c')
    .select(['c.companyId AS "companyId"', 'c.queueId AS "queueId"']).distinct(true)
    .where('c.state = :state AND c.queueId IS NOT NULL', { state: 'QUEUED' });
  if (companyId !== null) qb.andWhere('c.companyId = :companyId', { companyId });
  return qb.getRawMany();
}

/**
 * The destinations a group's most recent offers went to, newest first, at most `take`: what its distribution
 * counts (an attempt dialled from the group; a number that could not be built was no offer).
 */
export async function recentOffers(dataSource: DataSource, companyId: string, groupId: string, take: number): Promise<string[]> {
  const rows = await dataSource.getRepository(CallAttempt).find({
    where: { companyId, groupId, targetKind: 'DESTINATION', number: Not(IsNull()) },
    order: { startedAt: 'DESC', id: 'DESC' }, take, select: { id: true, destinationId: true },
  });
  return rows.map((r) => r.destinationId!);
}

/** How many of a group's offers went to each destination in [from, to) (the share a group's distribution gave each). */
export async function offersBetween(dataSource: DataSource, companyId: string, groupId: string, from: Date, to: Date): Promise<Map<string, number>> {
  const rows: Array<{ destinationId: string; offers: string | number }> = await dataSource.getRepository(CallAttempt).createQueryBuilder('a')
    .select('a.destinationId', 'destinationId').addSelect('COUNT(*)', 'offers')
    .where('a.companyId = :companyId AND a.groupId = :groupId AND a.startedAt >= :from AND a.startedAt < :to', { companyId, groupId, from, to })
    .andWhere("a.targetKind = 'DESTINATION' AND a.number IS NOT NULL")
    .groupBy('a.destinationId').getRawMany();
  return new Map(rows.map((r) => [r.destinationId, Number(r.offers)]));
}

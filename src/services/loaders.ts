import DataLoader from 'dataloader';
import { In, type DataSource, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { Agent } from '../entities/agent.entity';
import { AgentGroup } from '../entities/agent-group.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import { QueueGroup } from '../entities/queue.entity';
import { Role } from '../entities/role.entity';
import type { AgentLive } from '../store/agent-state-store';
import type { DestinationLive, ExternalDestinationService } from './external-destination.service';
import type { LiveState } from '../store/live-state';
import type { Range } from '../statistics/figures';
import type { Named as NamedFigures, StatisticsService } from './statistics.service';

type Named = ObjectLiteral & { id: string };

/** Batches "rows by id" into one query per tick; missing ids give null. */
function byIdLoader<T extends Named>(ds: DataSource, entity: EntityTarget<T>): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const rows = await ds.getRepository(entity).findBy({ id: In([...ids]) } as never);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * Batches "targets of a many-to-many relation" into two queries per tick (the join rows, then the targets),
 * sorted by `sortKey`.
 */
function joinLoader<T extends Named>(
  ds: DataSource,
  joinTable: string,
  ownerColumn: string,
  targetColumn: string,
  entity: EntityTarget<T>,
  sortKey: keyof T & string,
): DataLoader<string, T[]> {
  return new DataLoader(async (ownerIds) => {
    const links: Array<{ owner: string; target: string }> = await ds
      .createQueryBuilder()
      .select(`j.${ownerColumn}`, 'owner')
      .addSelect(`j.${targetColumn}`, 'target')
      .from(joinTable, 'j')
      .where(`j.${ownerColumn} IN (:...ownerIds)`, { ownerIds: [...ownerIds] })
      .getRawMany();
    const targetIds = [...new Set(links.map((l) => l.target))];
    const targets = targetIds.length === 0 ? [] : await ds.getRepository(entity).findBy({ id: In(targetIds) } as never);
    const byId = new Map(targets.map((t) => [t.id, t]));
    const grouped = new Map<string, T[]>(ownerIds.map((id) => [id, []]));
    for (const link of links) {
      const target = byId.get(link.target);
      if (target) grouped.get(link.owner)?.push(target);
    }
    for (const list of grouped.values()) list.sort((a, b) => String(a[sortKey]).localeCompare(String(b[sortKey])));
    return ownerIds.map((id) => grouped.get(id) ?? []);
  });
}

/** Loaders of one request (never shared between requests or users: they cache what one caller read). */
export function createLoaders(ds: DataSource, live: LiveState, companyId: string | null, destinations: ExternalDestinationService, statistics: StatisticsService) {
  /** Today's figures of many resources of one kind from one read of their records. */
  const today = <F>(figures: (companyId: string, rows: ReadonlyArray<{ id: string; name: string }>, range: Range) => Promise<Array<NamedFigures<F>>>) =>
    new DataLoader<{ id: string; name: string }, { named: NamedFigures<F>; range: Range }, string>(async (rows) => {
      if (companyId === null) return rows.map(() => new Error('no company'));
      const range = await statistics.today(companyId);
      return (await figures(companyId, rows, range)).map((named) => ({ named, range }));
    }, { cacheKeyFn: (r) => r.id });
  return {
    todayDestinationStats: today((c, rows, range) => statistics.destinationFigures(c, rows, range)),
    todayAgentStats: today((c, rows, range) => statistics.agentFigures(c, rows, range)),
    todayQueueStats: today((c, rows, range) => statistics.queueFigures(c, rows, range)),
    destinationLive: new DataLoader<ExternalDestination, DestinationLive, string>(
      (rows) => (companyId === null ? Promise.resolve(rows.map(() => new Error('no company'))) : destinations.liveStates(companyId, rows)),
      { cacheKeyFn: (d) => d.id },
    ),
    agentLive: new DataLoader<string, AgentLive>(async (agentIds) => {
      const map = companyId === null ? new Map<string, AgentLive>() : await live.agents.getMany(companyId, agentIds);
      return agentIds.map((id) => map.get(id)!);
    }),
    agentGroupById: byIdLoader(ds, AgentGroup),
    profileById: byIdLoader(ds, ExternalDestinationsProfile),
    agentsOfGroup: joinLoader(ds, 'agent_group_agent', 'groupId', 'agentId', Agent, 'name'),
    destinationsOfGroup: joinLoader(ds, 'agent_group_destination', 'groupId', 'destinationId', ExternalDestination, 'name'),
    groupsOfDestination: joinLoader(ds, 'agent_group_destination', 'destinationId', 'groupId', AgentGroup, 'name'),
    destinationsOfProfile: joinLoader(ds, 'profile_destination', 'profileId', 'destinationId', ExternalDestination, 'name'),
    rolesOfUser: joinLoader(ds, 'user_login_role', 'userLoginId', 'roleId', Role, 'name'),
    groupsOfQueue: new DataLoader<string, QueueGroup[]>(async (queueIds) => {
      const rows = await ds.getRepository(QueueGroup).find({ where: { queueId: In([...queueIds]) }, order: { priority: 'ASC' } });
      return queueIds.map((id) => rows.filter((r) => r.queueId === id));
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

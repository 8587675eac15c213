import { In, type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { Agent } from '../entities/agent.entity';
import { CapacityPool } from '../entities/capacity-pool.entity';
import { AgentGroup } from '../entities/agent-group.entity';
import { Company } from '../entities/company.entity';
import { ConnectorApiKey } from '../entities/connector-api-key.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import { Queue, QueueGroup } from '../entities/queue.entity';
import { Role } from '../entities/role.entity';
import { UserLogin } from '../entities/user-login.entity';
import { committedRead } from '../store/persistence';
import type { Change, ChangeKind } from '../routing/vocabulary';
import type { GroupRecord, KeyRecord, ModelRows, ProfileRecord, QueueRecord, Slice, UserRecord } from './company-model';

/**
 * Reads the rows of a company's model from the system of record: all of them, or those of some changes.
 * Every read sees committed rows only (`committedRead`): a model never holds half of a change, nor a change
 * that was rolled back.
 */
export class ModelLoader {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Every row of a company, with the authority version read first: the rows are at least that new, so a
   * model never claims a version newer than what it holds (a later check reloads it at worst).
   */
  all(companyId: string): Promise<{ version: number; rows: ModelRows }> {
    return committedRead(this.dataSource, () => this.readAll(companyId));
  }

  private async readAll(companyId: string): Promise<{ version: number; rows: ModelRows }> {
    const m = this.dataSource.manager;
    const company = await m.getRepository(Company).findOneBy({ id: companyId });
    // A company that is gone stays gone: its (empty) model is never older than any version.
    const version = company === null ? Number.MAX_SAFE_INTEGER : company.authorityVersion;
    const [users, roles, profiles, keys, destinations, groups, queues, agents, pools] = await Promise.all([
      this.users(m, companyId, null), this.rows(m, Role, companyId, null), this.profiles(m, companyId, null), this.keys(m, companyId, null),
      this.rows(m, ExternalDestination, companyId, null), this.groups(m, companyId, null), this.queues(m, companyId, null), this.rows(m, Agent, companyId, null),
      this.rows(m, CapacityPool, companyId, null),
    ]);
    return { version, rows: { company: { row: company }, users, roles, profiles, keys, destinations, groups, queues, agents, pools } };
  }

  /** The authority versions the system of record holds for these companies (a company gone is left out). */
  versions(companyIds: readonly string[]): Promise<Map<string, number>> {
    return committedRead(this.dataSource, () => this.readVersions(companyIds));
  }

  private async readVersions(companyIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < companyIds.length; i += 500) {
      const rows = await this.dataSource.getRepository(Company).find({
        select: { id: true, authorityVersion: true },
        where: { id: In(companyIds.slice(i, i + 500)) },
      });
      for (const row of rows) out.set(row.id, row.authorityVersion);
    }
    return out;
  }

  /** The rows the changes name (an id whose row is gone reads as deleted). */
  changed(companyId: string, changes: readonly Change[]): Promise<ModelRows> {
    return committedRead(this.dataSource, () => this.readChanged(companyId, changes));
  }

  private async readChanged(companyId: string, changes: readonly Change[]): Promise<ModelRows> {
    const m = this.dataSource.manager;
    const ids = (kind: ChangeKind) => [...new Set(changes.filter((c) => c.kind === kind).map((c) => c.id))];
    const of = async <T>(kind: ChangeKind, read: (ids: string[]) => Promise<Slice<T>>): Promise<Slice<T> | undefined> => {
      const list = ids(kind);
      return list.length === 0 ? undefined : read(list);
    };
    const [users, roles, profiles, keys, destinations, groups, queues, agents, pools] = await Promise.all([
      of('user', (i) => this.users(m, companyId, i)),
      of('role', (i) => this.rows(m, Role, companyId, i)),
      of('profile', (i) => this.profiles(m, companyId, i)),
      of('connectorKey', (i) => this.keys(m, companyId, i)),
      of('destination', (i) => this.rows(m, ExternalDestination, companyId, i)),
      of('group', (i) => this.groups(m, companyId, i)),
      of('queue', (i) => this.queues(m, companyId, i)),
      of('agent', (i) => this.rows(m, Agent, companyId, i)),
      of('pool', (i) => this.rows(m, CapacityPool, companyId, i)),
    ]);
    const rows: ModelRows = { users, roles, profiles, keys, destinations, groups, queues, agents, pools };
    if (ids('company').length > 0) rows.company = { row: await m.getRepository(Company).findOneBy({ id: companyId }) };
    return rows;
  }

  private async rows<T extends ObjectLiteral & { id: string }>(m: EntityManager, entity: EntityTarget<T>, companyId: string, ids: string[] | null): Promise<Slice<T>> {
    const where = ids === null ? { companyId } : { companyId, id: In(ids) };
    return { ids, rows: await m.getRepository(entity).find({ where: where as never }) };
  }

  private async users(m: EntityManager, companyId: string, ids: string[] | null): Promise<Slice<UserRecord>> {
    const qb = m.getRepository(UserLogin).createQueryBuilder('u')
      .select(['u.id', 'u.companyId', 'u.kind', 'u.active', 'u.tokenVersion', 'u.externalDestinationsProfileId'])
      .where('u.companyId = :companyId', { companyId });
    if (ids !== null) qb.andWhere('u.id IN (:...ids)', { ids });
    const users = await qb.getMany();
    const links = await this.links(m, 'user_login_role', 'userLoginId', 'roleId', 'user_login', companyId, users.map((u) => u.id));
    const rows = users.map((u): UserRecord => ({
      id: u.id, companyId: u.companyId, kind: u.kind, active: u.active, tokenVersion: u.tokenVersion,
      profileId: u.externalDestinationsProfileId, roleIds: links.get(u.id) ?? [],
    }));
    return { ids, rows };
  }

  private async profiles(m: EntityManager, companyId: string, ids: string[] | null): Promise<Slice<ProfileRecord>> {
    const { rows } = await this.rows(m, ExternalDestinationsProfile, companyId, ids);
    const links = await this.links(m, 'profile_destination', 'profileId', 'destinationId', 'external_destinations_profile', companyId, rows.map((p) => p.id));
    return { ids, rows: rows.map((row) => ({ row, destinationIds: new Set(links.get(row.id) ?? []) })) };
  }

  private async keys(m: EntityManager, companyId: string, ids: string[] | null): Promise<Slice<KeyRecord>> {
    const qb = m.getRepository(ConnectorApiKey).createQueryBuilder('k')
      .select(['k.id', 'k.companyId', 'k.secretHash', 'k.revokedAt'])
      .where('k.companyId = :companyId', { companyId });
    if (ids !== null) qb.andWhere('k.id IN (:...ids)', { ids });
    const keys = await qb.getMany();
    return { ids, rows: keys.map((k) => ({ id: k.id, companyId: k.companyId, secretHash: k.secretHash, revoked: k.revokedAt !== null })) };
  }

  private async groups(m: EntityManager, companyId: string, ids: string[] | null): Promise<Slice<GroupRecord>> {
    const { rows } = await this.rows(m, AgentGroup, companyId, ids);
    const groupIds = rows.map((g) => g.id);
    const [agents, destinations] = await Promise.all([
      this.links(m, 'agent_group_agent', 'groupId', 'agentId', 'agent_group', companyId, groupIds),
      this.links(m, 'agent_group_destination', 'groupId', 'destinationId', 'agent_group', companyId, groupIds),
    ]);
    return { ids, rows: rows.map((row) => ({ row, agentIds: agents.get(row.id) ?? [], destinationIds: destinations.get(row.id) ?? [] })) };
  }

  private async queues(m: EntityManager, companyId: string, ids: string[] | null): Promise<Slice<QueueRecord>> {
    const { rows } = await this.rows(m, Queue, companyId, ids);
    const entries = rows.length === 0 ? [] : await m.getRepository(QueueGroup).find({ where: { queueId: In(rows.map((q) => q.id)) }, order: { priority: 'ASC' } });
    const byQueue = new Map<string, QueueGroup[]>();
    for (const e of entries) {
      let list = byQueue.get(e.queueId);
      if (list === undefined) byQueue.set(e.queueId, (list = []));
      list.push(e);
    }
    return { ids, rows: rows.map((row) => ({ row, groups: byQueue.get(row.id) ?? [] })) };
  }

  /**
   * The rows of a join table for some owners (of the company's `ownerTable`), grouped by owner. For a whole
   * company it joins the owner table instead of listing ids.
   */
  private async links(
    m: EntityManager, joinTable: string, ownerColumn: string, targetColumn: string, ownerTable: string, companyId: string, ownerIds: string[],
  ): Promise<Map<string, string[]>> {
    const grouped = new Map<string, string[]>();
    if (ownerIds.length === 0) return grouped;
    const qb = m.createQueryBuilder()
      .select(`j."${ownerColumn}"`, 'owner')
      .addSelect(`j."${targetColumn}"`, 'target')
      .from(joinTable, 'j')
      .innerJoin(ownerTable, 'o', `o.id = j."${ownerColumn}"`)
      .where('o."companyId" = :companyId', { companyId });
    if (ownerIds.length <= 500) qb.andWhere(`j."${ownerColumn}" IN (:...ownerIds)`, { ownerIds });
    const rows: Array<{ owner: string; target: string }> = await qb.getRawMany();
    const wanted = new Set(ownerIds);
    for (const { owner, target } of rows) {
      if (!wanted.has(owner)) continue;
      let list = grouped.get(owner);
      if (list === undefined) grouped.set(owner, (list = []));
      list.push(target);
    }
    return grouped;
  }
}

import { In, type DataSource, type EntityManager } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { CallAttempt } from '../entities/call.entity';
import { CapacityPool, POOL_LIMITS } from '../entities/capacity-pool.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { PoolRefusal } from '../entities/pool-refusal.entity';
import { errors } from '../errors';
import { InputChecker } from '../input-checker';
import type { LiveModels } from '../live/live-models';
import type { ModelChanges } from '../live/model-changes';
import type { Range } from '../statistics/figures';
import type { LiveState } from '../store/live-state';
import {
  assertNameFree, canonicalId, checkExpectedVersion, findAllOwned, findOwned, inTransaction, pageOfRows, updateVersioned, type Page, type PageArgs,
} from '../store/persistence';
import type { AuditTrail } from './audit-trail';
import type { RoutingHooks } from './routing-hooks';

export interface CapacityPoolFields {
  name: string;
  maxSimultaneousCalls: number;
  /** The members the caller can see; members it cannot see are kept as they are. */
  externalDestinationIds: string[];
}

/** A pool's live state: its slots over all its destinations, across every instance. */
export interface PoolLive {
  poolId: string;
  seq: number;
  connectingCalls: number;
  activeCalls: number;
  maxSimultaneousCalls: number;
  /** True in the last update of a pool that was deleted. */
  deleted: boolean;
  at: Date;
}

/** A pool's figures over a range (decision 038), from its records. */
export interface PoolFigures {
  offered: number;
  answered: number;
  refused: number;
  peakSimultaneousCalls: number;
}

/**
 * Capacity pools (decision 038): shared maxima over external destinations, each destination in at most one.
 * Reading needs External destinations VIEW, changing MODIFY; a pool shows only the members the reader may see
 * (the others as hidden references), and a change keeps the members the editor cannot see.
 */
export class CapacityPoolService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly live: LiveState,
    private readonly routing: RoutingHooks,
    private readonly models: LiveModels,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
    private readonly now: () => number,
  ) {}

  /** One page of the company's pools, by name (from memory). */
  async list(actor: UserPrincipal, page: PageArgs): Promise<Page<CapacityPool>> {
    return pageOfRows((await this.models.get(actor.companyId)).poolsByName(), page);
  }

  /** One pool, or NOT_FOUND (also another company's). */
  async get(actor: UserPrincipal, id: string): Promise<CapacityPool> {
    const pool = (await this.models.get(actor.companyId)).pools.get(canonicalId(id));
    if (pool === undefined) throw errors.notFound('Capacity pool');
    return pool;
  }

  /** Its destinations, by name (visibility is the resolver's: hidden ones become hidden references). */
  async members(companyId: string, poolId: string): Promise<ExternalDestination[]> {
    return (await this.models.get(companyId)).destinationsOfPool(poolId);
  }

  async create(actor: UserPrincipal, input: CapacityPoolFields): Promise<CapacityPool> {
    const scope = this.modifier(actor);
    const { name, max } = check(input);
    const created = await inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, CapacityPool, actor.companyId, 'name', name, null, 'input.name');
      const saved = await m.getRepository(CapacityPool).save(m.create(CapacityPool, { companyId: actor.companyId, name, maxSimultaneousCalls: max }));
      const members = await this.join(m, actor, scope, saved.id, input.externalDestinationIds, []);
      changed.add('pool', saved.id);
      changed.add('destination', ...members.map((d) => d.id));
      this.audit.record(m, actor, { kind: 'CAPACITY_POOL', id: saved.id, action: 'CREATED', after: { ...saved, externalDestinations: members } });
      return { pool: saved, touched: members.map((d) => d.id) };
    });
    await this.changed(actor.companyId, created.pool.id, created.touched);
    return created.pool;
  }

  async update(actor: UserPrincipal, id: string, input: CapacityPoolFields, expectedVersion?: number | null): Promise<CapacityPool> {
    const scope = this.modifier(actor);
    const { name, max } = check(input);
    const result = await inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, CapacityPool, actor.companyId, id, { what: 'Capacity pool', lock: 'write' });
      checkExpectedVersion(current.version, expectedVersion);
      await assertNameFree(m, CapacityPool, actor.companyId, 'name', name, current.id, 'input.name');
      const before = await m.getRepository(ExternalDestination).find({ where: { companyId: actor.companyId, capacityPoolId: current.id }, select: { id: true, name: true, companyId: true } });
      const hidden = before.filter((d) => !scope.canSee(d));
      const members = await this.join(m, actor, scope, current.id, input.externalDestinationIds, hidden.map((d) => d.id));
      await updateVersioned(m, CapacityPool, current.id, current.version, { name, maxSimultaneousCalls: max });
      changed.add('pool', current.id);
      changed.add('destination', ...new Set([...before, ...members].map((d) => d.id)));
      this.audit.record(m, actor, {
        kind: 'CAPACITY_POOL', id: current.id, action: 'UPDATED', before: { ...current, externalDestinations: before }, after: { name, maxSimultaneousCalls: max, externalDestinations: [...members, ...hidden] },
      });
      return { pool: await m.getRepository(CapacityPool).findOneByOrFail({ id: current.id }), touched: [...new Set([...before, ...members].map((d) => d.id))] };
    });
    await this.changed(actor.companyId, result.pool.id, result.touched);
    return result.pool;
  }

  /** After a committed change: the pool's state published, and the queues that can use its (former) members routed (a higher maximum, a member freed, the pool gone). */
  private async changed(companyId: string, poolId: string, destinationIds: readonly string[]): Promise<void> {
    await this.routing.poolChanged(companyId, poolId);
    for (const id of destinationIds) await this.routing.destinationChanged(companyId, id);
    if (destinationIds.length > 0) await this.routing.resourcesFreed(companyId, { destinationIds });
  }

  /** Deletes a pool; its destinations keep their own limits only. */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    this.modifier(actor);
    const result = await inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, CapacityPool, actor.companyId, id, { what: 'Capacity pool', lock: 'write' });
      const members = await m.getRepository(ExternalDestination).find({ where: { companyId: actor.companyId, capacityPoolId: current.id }, select: { id: true, name: true, companyId: true } });
      await this.setPool(m, members.map((d) => d.id), null);
      await m.getRepository(CapacityPool).delete({ id: current.id });
      changed.add('pool', current.id);
      changed.add('destination', ...members.map((d) => d.id));
      this.audit.record(m, actor, { kind: 'CAPACITY_POOL', id: current.id, action: 'DELETED', before: { ...current, externalDestinations: members } });
      return { id: current.id, touched: members.map((d) => d.id) };
    });
    // Its last update says deleted; its former members route with their own limits.
    await this.changed(actor.companyId, result.id, result.touched);
    return result.id;
  }

  /** The live states of pools (slots over all their members): one batched read. */
  async liveStates(companyId: string, pools: readonly CapacityPool[]): Promise<PoolLive[]> {
    const ids = pools.map((p) => p.id);
    const [counts, seqs] = await Promise.all([this.live.capacity.poolCounts(companyId, ids), this.live.sequences.current(companyId, 'pool', ids)]);
    const at = new Date(this.now());
    return pools.map((p) => ({
      poolId: p.id, seq: seqs.get(p.id) ?? 0, connectingCalls: counts.get(p.id)!.connecting, activeCalls: counts.get(p.id)!.active, maxSimultaneousCalls: p.maxSimultaneousCalls, deleted: false, at,
    }));
  }

  /**
   * A pool's figures over a range, from its records: offers that took a slot of it (attempts started in the
   * range), of those answered, calls refused for its limit (distinct per call), and the most offers holding a
   * slot of it at once (every attempt overlapping the range counts). Indexed reads by (company, pool, time).
   */
  async figures(companyId: string, poolId: string, range: Pick<Range, 'from' | 'to'>): Promise<PoolFigures> {
    const from = new Date(range.from);
    const to = new Date(range.to);
    const attempts = this.dataSource.getRepository(CallAttempt);
    const [started, overlapping, refusals] = await Promise.all([
      attempts.createQueryBuilder('a').select('COUNT(*)', 'offered').addSelect('SUM(CASE WHEN a.answeredAt IS NOT NULL THEN 1 ELSE 0 END)', 'answered')
        .where('a.companyId = :companyId AND a.poolId = :poolId AND a.startedAt >= :from AND a.startedAt < :to', { companyId, poolId, from, to })
        .getRawOne<{ offered: string | number; answered: string | number | null }>(),
      attempts.createQueryBuilder('a').select(['a.id', 'a.startedAt', 'a.endedAt'])
        .where('a.companyId = :companyId AND a.poolId = :poolId AND a.startedAt < :to', { companyId, poolId, to })
        .andWhere('(a.endedAt IS NULL OR a.endedAt > :from)', { from }).getMany(),
      this.dataSource.getRepository(PoolRefusal).createQueryBuilder('r').select('COUNT(DISTINCT r.callId)', 'n')
        .where('r.companyId = :companyId AND r.poolId = :poolId AND r.at >= :from AND r.at < :to', { companyId, poolId, from, to })
        .getRawOne<{ n: string | number }>(),
    ]);
    const upTo = Math.min(range.to, this.now());
    const events: Array<[number, number]> = [];
    for (const a of overlapping) {
      const start = Math.max(a.startedAt.getTime(), range.from);
      const end = Math.min(a.endedAt?.getTime() ?? upTo, range.to);
      if (end > start) events.push([start, 1], [end, -1]);
    }
    // Ends before starts at the same instant: a slot freed and taken again is not two calls at once.
    events.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let level = 0;
    let peak = 0;
    for (const [, step] of events) peak = Math.max(peak, (level += step));
    return { offered: Number(started?.offered ?? 0), answered: Number(started?.answered ?? 0), refused: Number(refusals?.n ?? 0), peakSimultaneousCalls: peak };
  }

  private modifier(actor: UserPrincipal): DestinationScope {
    const scope = DestinationScope.of(actor);
    if (!scope.canModify) throw errors.forbidden('Changing capacity pools needs the External destinations Modify privilege and a profile');
    return scope;
  }

  /**
   * Makes `ids` (destinations the caller may see and change) and `kept` (members it cannot see) the pool's
   * members: a destination in another pool is refused (CONFLICT naming it), one no longer listed leaves the pool.
   */
  private async join(m: EntityManager, actor: UserPrincipal, scope: DestinationScope, poolId: string, ids: string[], kept: string[]): Promise<ExternalDestination[]> {
    if (ids.length + kept.length > POOL_LIMITS.destinations.max) throw errors.badInput([{ field: 'input.externalDestinationIds', message: `must list at most ${POOL_LIMITS.destinations.max} destinations` }]);
    const members = await findAllOwned(m, ExternalDestination, actor.companyId, ids, 'External destination', 'input.externalDestinationIds', (d) => scope.canSee(d));
    members.forEach((d, i) => {
      if (d.capacityPoolId !== null && d.capacityPoolId !== poolId) {
        throw errors.conflict('A destination belongs to at most one capacity pool: remove it from its pool first', { field: `input.externalDestinationIds[${i}]`, capacityPoolId: d.capacityPoolId });
      }
    });
    const stay = new Set([...members.map((d) => d.id), ...kept]);
    const leaving = await m.getRepository(ExternalDestination).find({ where: { companyId: actor.companyId, capacityPoolId: poolId }, select: { id: true } });
    await this.setPool(m, leaving.map((d) => d.id).filter((id) => !stay.has(id)), null);
    await this.setPool(m, members.map((d) => d.id), poolId);
    return members;
  }

  /** Sets destinations' pool: membership is not their configuration (their version and updatedAt stay). */
  private async setPool(m: EntityManager, ids: string[], poolId: string | null): Promise<void> {
    if (ids.length === 0) return;
    const keep = (column: string) => () => m.connection.driver.escape(column);
    await m.createQueryBuilder().update(ExternalDestination)
      .set({ capacityPoolId: poolId, version: keep('version'), updatedAt: keep('updatedAt') } as never)
      .where({ id: In(ids) }).execute();
  }
}

function check(input: CapacityPoolFields): { name: string; max: number } {
  const c = new InputChecker();
  const name = c.name('name', input.name);
  const max = c.int('maxSimultaneousCalls', input.maxSimultaneousCalls, POOL_LIMITS.maxSimultaneousCalls);
  c.done();
  return { name, max };
}

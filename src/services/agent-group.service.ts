import type { DataSource, EntityManager } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { Agent } from '../entities/agent.entity';
import { AgentGroup } from '../entities/agent-group.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { QueueGroup } from '../entities/queue.entity';
import { errors } from '../errors';
import type { LiveModels } from '../live/live-models';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import {
  assertNameFree, checkExpectedVersion, findAllOwned, findOwned, canonicalId, inTransaction, pageOfRows, updateVersioned, type Page, type PageArgs,
} from '../store/persistence';
import { InputChecker } from '../input-checker';
import { offersBetween, recentOffers } from '../engine/lookups';
import type { Range } from '../statistics/figures';
import { orderedDestinations, type ExternalDistribution } from '../routing/distribution';

export interface AgentGroupFields {
  name: string;
  agentIds: string[];
  /** Destinations the caller can see, in the group's order; members it cannot see are kept as they are (after these). */
  externalDestinationIds: string[];
  /** Left out: unchanged (MOST_SPARE for a new group). */
  externalDistribution?: ExternalDistribution | null;
  /** Targets of the destinations the caller can see (those of hidden members are kept); left out: unchanged. */
  externalDestinationShares?: ReadonlyArray<{ destinationId: string; percent: number }> | null;
  /** Left out: unchanged (100 for a new group). */
  shareWindow?: number | null;
}

/** The group's distribution as stored: its rule, its order, its shares and its window. */
type DistributionColumns = Pick<AgentGroup, 'externalDistribution' | 'destinationOrder' | 'destinationShares' | 'shareWindow'>;

/**
 * The distribution columns of a group whose members are `visible` (in the order given) and `hidden` (kept, in
 * their order before), from the input and what the group had. WEIGHTED_SHARE needs a target for every member,
 * whole percents adding up to 100; the message says what the visible ones must add up to (the hidden members'
 * targets are kept and counted). Problems go to `c`.
 */
function distributionColumns(c: InputChecker, input: AgentGroupFields, visible: readonly string[], hidden: readonly string[], current: DistributionColumns | null): DistributionColumns {
  const externalDistribution = input.externalDistribution ?? current?.externalDistribution ?? 'MOST_SPARE';
  const shareWindow = c.int('shareWindow', input.shareWindow ?? current?.shareWindow ?? 100, { min: 10, max: 10_000 });
  const members = new Set([...visible, ...hidden]);
  const destinationShares: Record<string, number> = {};
  for (const id of hidden) if (current?.destinationShares[id] !== undefined) destinationShares[id] = current.destinationShares[id]!;
  if (input.externalDestinationShares === undefined || input.externalDestinationShares === null) {
    for (const id of visible) if (current?.destinationShares[id] !== undefined) destinationShares[id] = current.destinationShares[id]!;
  } else {
    input.externalDestinationShares.forEach((share, i) => {
      const id = canonicalId(share.destinationId);
      if (!visible.includes(id)) c.fail(`externalDestinationShares[${i}].destinationId`, 'must be one of the group\'s externalDestinationIds');
      else if (destinationShares[id] !== undefined) c.fail(`externalDestinationShares[${i}].destinationId`, 'is given twice');
      else destinationShares[id] = c.int(`externalDestinationShares[${i}].percent`, share.percent, { min: 0, max: 100 });
    });
  }
  if (externalDistribution === 'WEIGHTED_SHARE') {
    const without = visible.filter((id) => destinationShares[id] === undefined);
    const hiddenTotal = hidden.reduce((sum, id) => sum + (destinationShares[id] ?? 0), 0);
    const total = Object.values(destinationShares).reduce((sum, p) => sum + p, 0);
    if (without.length > 0) c.fail('externalDestinationShares', `WEIGHTED_SHARE needs a target for every destination of the group (none for ${without.join(', ')})`);
    else if (total !== 100) {
      c.fail('externalDestinationShares', `the targets must add up to 100 (they add up to ${total})${hidden.length > 0 ? `: the destinations you can see must add up to ${100 - hiddenTotal}` : ''}`);
    }
  }
  return { externalDistribution, shareWindow, destinationShares, destinationOrder: [...visible, ...hidden.filter((id) => members.has(id))] };
}

export class AgentGroupService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly models: LiveModels,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
  ) {}

  /** One page of the company's groups, by name (from memory). */
  async list(actor: UserPrincipal, page: PageArgs): Promise<Page<AgentGroup>> {
    return pageOfRows((await this.models.get(actor.companyId)).groupsByName(), page);
  }

  /** One group, or NOT_FOUND (from memory). */
  async get(actor: UserPrincipal, id: string): Promise<AgentGroup> {
    const group = (await this.models.get(actor.companyId)).groups.get(canonicalId(id));
    if (group === undefined) throw errors.notFound('Agent group');
    return group.row;
  }

  /**
   * The group's offers its distribution counts now: how many the window holds (at most its shareWindow) and
   * how many went to each destination (the live share against the targets).
   */
  async windowOffers(actor: UserPrincipal, group: AgentGroup): Promise<{ total: number; byDestination: Map<string, number> }> {
    const recent = await recentOffers(this.dataSource, actor.companyId, group.id, group.shareWindow);
    const byDestination = new Map<string, number>();
    for (const id of recent) byDestination.set(id, (byDestination.get(id) ?? 0) + 1);
    return { total: recent.length, byDestination };
  }

  /**
   * The group's offers to each destination in `range` (checked as statistics check theirs): the share its
   * distribution gave each. Destinations deleted since count in the total only.
   */
  async offersBetween(actor: UserPrincipal, group: AgentGroup, range: Pick<Range, 'from' | 'to'>): Promise<{ total: number; byDestination: Map<string, number> }> {
    const byDestination = await offersBetween(this.dataSource, actor.companyId, group.id, new Date(range.from), new Date(range.to));
    return { total: [...byDestination.values()].reduce((sum, n) => sum + n, 0), byDestination };
  }

  async create(actor: UserPrincipal, input: AgentGroupFields): Promise<AgentGroup> {
    const name = checkName(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, AgentGroup, actor.companyId, 'name', name, null, 'input.name');
      const { agents, destinations } = await this.members(m, actor, input);
      const c = new InputChecker();
      const distribution = distributionColumns(c, input, inInputOrder(input, destinations), [], null);
      c.done();
      const group = m.create(AgentGroup, { companyId: actor.companyId, name, agents, externalDestinations: destinations, ...distribution });
      const saved = await m.getRepository(AgentGroup).save(group);
      changed.add('group', saved.id);
      this.audit.record(m, actor, { kind: 'AGENT_GROUP', id: saved.id, action: 'CREATED', after: group });
      return saved;
    });
  }

  /**
   * Replaces the name, the agents and the destinations the caller can see. Destinations hidden from the
   * caller stay members: a user cannot remove what it cannot see.
   */
  async update(actor: UserPrincipal, id: string, input: AgentGroupFields, expectedVersion?: number | null): Promise<AgentGroup> {
    const name = checkName(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, AgentGroup, actor.companyId, id, { what: 'Agent group', relations: { externalDestinations: true, agents: true }, lock: 'write' });
      changed.add('group', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      await assertNameFree(m, AgentGroup, actor.companyId, 'name', name, current.id, 'input.name');
      const { agents, destinations } = await this.members(m, actor, input);
      const scope = DestinationScope.of(actor);
      const hidden = current.externalDestinations.filter((d) => !scope.canSee(d));
      const c = new InputChecker();
      const hiddenInOrder = orderedDestinations(hidden, current.destinationOrder);
      const distribution = distributionColumns(c, input, inInputOrder(input, destinations), hiddenInOrder.map((d) => d.id), current);
      c.done();
      await updateVersioned(m, AgentGroup, current.id, current.version, { name, ...distribution });
      const relation = m.createQueryBuilder().relation(AgentGroup, 'agents').of(current.id);
      await relation.addAndRemove(agents.map((a) => a.id), current.agents.map((a) => a.id));
      const destRelation = m.createQueryBuilder().relation(AgentGroup, 'externalDestinations').of(current.id);
      await destRelation.addAndRemove(
        [...destinations, ...hidden].map((d) => d.id),
        current.externalDestinations.map((d) => d.id),
      );
      this.audit.record(m, actor, {
        kind: 'AGENT_GROUP', id: current.id, action: 'UPDATED', before: current, after: { name, agents, externalDestinations: [...destinations, ...hidden], ...distribution },
      });
      return m.getRepository(AgentGroup).findOneByOrFail({ id: current.id });
    });
  }

  /**
   * Deletes a group that no queue uses (CONFLICT names the queues that still do). Like an update, a delete
   * cannot remove destinations the caller cannot see: a group holding any is FORBIDDEN to it.
   */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, AgentGroup, actor.companyId, id, { what: 'Agent group', lock: 'write', relations: { externalDestinations: true, agents: true } });
      changed.add('group', current.id);
      const scope = DestinationScope.of(actor);
      if (current.externalDestinations.some((d) => !scope.canSee(d))) {
        throw errors.forbidden('The group has external destinations you cannot see; someone who can see them must delete it');
      }
      const uses = await m.getRepository(QueueGroup).find({ where: { groupId: current.id }, relations: { queue: true } });
      if (uses.length > 0) {
        const queues = uses.map((u) => ({ id: u.queue.id, name: u.queue.name })).sort((a, b) => a.name.localeCompare(b.name));
        throw errors.conflict(`The group is used by queues: ${queues.map((q) => q.name).join(', ')}`, { queues });
      }
      await m.getRepository(AgentGroup).delete({ id: current.id });
      this.audit.record(m, actor, { kind: 'AGENT_GROUP', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }

  private async members(m: EntityManager, actor: UserPrincipal, input: AgentGroupFields) {
    const scope = DestinationScope.of(actor);
    const agents = await findAllOwned(m, Agent, actor.companyId, input.agentIds, 'Agent', 'input.agentIds');
    const destinations = await findAllOwned(
      m, ExternalDestination, actor.companyId, input.externalDestinationIds, 'External destination', 'input.externalDestinationIds',
      (d) => scope.canSee(d),
    );
    return { agents, destinations };
  }
}

function checkName(input: AgentGroupFields): string {
  const c = new InputChecker();
  const name = c.name('name', input.name);
  c.done();
  return name;
}

/** The ids of `destinations` in the order the input names them (each once). */
function inInputOrder(input: AgentGroupFields, destinations: ReadonlyArray<{ id: string }>): string[] {
  const found = new Set(destinations.map((d) => d.id));
  return [...new Set(input.externalDestinationIds.map(canonicalId))].filter((id) => found.has(id));
}

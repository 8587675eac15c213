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

export interface AgentGroupFields {
  name: string;
  agentIds: string[];
  /** Destinations the caller can see; members it cannot see are kept as they are. */
  externalDestinationIds: string[];
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

  async create(actor: UserPrincipal, input: AgentGroupFields): Promise<AgentGroup> {
    const name = checkName(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, AgentGroup, actor.companyId, 'name', name, null, 'input.name');
      const { agents, destinations } = await this.members(m, actor, input);
      const group = m.create(AgentGroup, { companyId: actor.companyId, name, agents, externalDestinations: destinations });
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
      await updateVersioned(m, AgentGroup, current.id, current.version, { name });
      const relation = m.createQueryBuilder().relation(AgentGroup, 'agents').of(current.id);
      await relation.addAndRemove(agents.map((a) => a.id), current.agents.map((a) => a.id));
      const destRelation = m.createQueryBuilder().relation(AgentGroup, 'externalDestinations').of(current.id);
      await destRelation.addAndRemove(
        [...destinations, ...hidden].map((d) => d.id),
        current.externalDestinations.map((d) => d.id),
      );
      this.audit.record(m, actor, {
        kind: 'AGENT_GROUP', id: current.id, action: 'UPDATED', before: current, after: { name, agents, externalDestinations: [...destinations, ...hidden] },
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


import type { DataSource } from 'typeorm';
import { atLeast, type UserPrincipal } from '../auth/principal';
import { PrivilegeLevel } from '../entities/enums';
import type { AgentStatus } from '../routing/types';
import type { AgentLive } from '../store/agent-state-store';
import type { LiveState } from '../store/live-state';
import type { RoutingHooks } from './routing-hooks';
import { Agent } from '../entities/agent.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import type { LiveModels } from '../live/live-models';
import { systemScheduler, type Scheduler } from '../platform/scheduler';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import { canonicalId, checkExpectedVersion, findOwned, inTransaction, pageOfRows, updateVersioned, type Page, type PageArgs } from '../store/persistence';
import { InputChecker } from '../input-checker';

export interface AgentFields {
  name: string;
  /** The user login this agent signs in as; null for none. */
  userLoginId?: string | null;
}

export class AgentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly live: LiveState,
    private readonly routing: RoutingHooks,
    private readonly models: LiveModels,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
    /** The routing clock: an agent's idle time starts at its instants. */
    private readonly time: Scheduler = systemScheduler,
  ) {}

  /**
   * Sets an agent's status: anyone with Modify on agents, or the agent's own login. Becoming available
   * starts its idle time (for longest-idle-first). A status change never interrupts a call in progress.
   */
  async setStatus(actor: UserPrincipal, agentId: string, status: AgentStatus, now = this.time.now()): Promise<{ agent: Agent; live: AgentLive }> {
    const agent = atLeast(actor.privileges.agents, PrivilegeLevel.MODIFY) ? await this.get(actor, agentId) : await this.ownAgent(actor, agentId);
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const current = await this.live.agents.get(actor.companyId, agent.id);
      if (current.status === status) return { agent, live: current };
      const idle = status === 'AVAILABLE' && current.activity === 'IDLE' ? { idleSince: now } : {};
      const next = await this.live.agents.compareAndSet(actor.companyId, agent.id, { status: current.status, activity: [current.activity] }, { status, ...idle });
      if (next === null) continue;
      this.routing.agentChanged(actor.companyId, agent.id, next);
      if (status === 'AVAILABLE') await this.routing.resourcesFreed(actor.companyId, { agentIds: [agent.id] });
      return { agent, live: next };
    }
    throw errors.conflict('The agent changed state at the same moment; retry');
  }

  /** Without Modify on agents a user may act only on its own agent; any other id is refused alike. */
  private async ownAgent(actor: UserPrincipal, agentId: string): Promise<Agent> {
    const own = (await this.models.get(actor.companyId)).agents.get(canonicalId(agentId));
    if (own === undefined || own.userLoginId !== actor.userId) throw errors.forbidden('Only your own agent, or Modify on agents');
    return own;
  }

  /** One page of the company's agents, by name (from memory). */
  async list(actor: UserPrincipal, page: PageArgs): Promise<Page<Agent>> {
    return pageOfRows((await this.models.get(actor.companyId)).agentsByName(), page);
  }

  /** One agent, or NOT_FOUND (from memory). */
  async get(actor: UserPrincipal, id: string): Promise<Agent> {
    const agent = (await this.models.get(actor.companyId)).agents.get(canonicalId(id));
    if (agent === undefined) throw errors.notFound('Agent');
    return agent;
  }

  async create(actor: UserPrincipal, input: AgentFields): Promise<Agent> {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    c.done();
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const userLoginId = await this.checkLogin(m, actor, input.userLoginId ?? null, null);
      const saved = await m.getRepository(Agent).save(m.create(Agent, { companyId: actor.companyId, name, userLoginId }));
      changed.add('agent', saved.id);
      this.audit.record(m, actor, { kind: 'AGENT', id: saved.id, action: 'CREATED', after: saved });
      return saved;
    });
  }

  async update(actor: UserPrincipal, id: string, input: AgentFields, expectedVersion?: number | null): Promise<Agent> {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    c.done();
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, Agent, actor.companyId, id, { what: 'Agent', lock: 'write' });
      changed.add('agent', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      const userLoginId = input.userLoginId === undefined ? current.userLoginId : await this.checkLogin(m, actor, input.userLoginId, current.id);
      await updateVersioned(m, Agent, current.id, current.version, { name, userLoginId });
      this.audit.record(m, actor, { kind: 'AGENT', id: current.id, action: 'UPDATED', before: current, after: { name, userLoginId } });
      return m.getRepository(Agent).findOneByOrFail({ id: current.id });
    });
  }

  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, Agent, actor.companyId, id, { what: 'Agent', lock: 'write' });
      changed.add('agent', current.id);
      await m.getRepository(Agent).delete({ id: current.id });
      this.audit.record(m, actor, { kind: 'AGENT', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }

  /** The login exists in the company and no other agent uses it. */
  private async checkLogin(m: import('typeorm').EntityManager, actor: UserPrincipal, userLoginId: string | null, agentId: string | null): Promise<string | null> {
    if (userLoginId === null) return null;
    const login = await findOwned(m, UserLogin, actor.companyId, userLoginId, { what: 'User login', field: 'input.userLoginId', lock: 'read' });
    const other = await m.getRepository(Agent).findOneBy({ userLoginId: login.id });
    if (other !== null && other.id !== agentId) {
      throw errors.conflict(`The user login is already linked to agent "${other.name}"`, { field: 'input.userLoginId' });
    }
    return login.id;
  }
}

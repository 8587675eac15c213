import type { DataSource } from 'typeorm';
import type { UserPrincipal } from '../auth/principal';
import { Agent } from '../entities/agent.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import { checkExpectedVersion, findOwned, inTransaction, listOwned, updateVersioned, type Page, type PageArgs } from '../store/persistence';
import { InputChecker } from './input-checker';

export interface AgentFields {
  name: string;
  /** The user login this agent signs in as; null for none. */
  userLoginId?: string | null;
}

export class AgentService {
  constructor(private readonly dataSource: DataSource) {}

  list(actor: UserPrincipal, page: PageArgs): Promise<Page<Agent>> {
    return listOwned(this.dataSource, Agent, actor.companyId, 'name', page);
  }

  get(actor: UserPrincipal, id: string): Promise<Agent> {
    return findOwned(this.dataSource.manager, Agent, actor.companyId, id, { what: 'Agent' });
  }

  async create(actor: UserPrincipal, input: AgentFields): Promise<Agent> {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    c.done();
    return inTransaction(this.dataSource, async (m) => {
      const userLoginId = await this.checkLogin(m, actor, input.userLoginId ?? null, null);
      return m.getRepository(Agent).save(m.create(Agent, { companyId: actor.companyId, name, userLoginId }));
    });
  }

  async update(actor: UserPrincipal, id: string, input: AgentFields, expectedVersion?: number | null): Promise<Agent> {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    c.done();
    return inTransaction(this.dataSource, async (m) => {
      const current = await findOwned(m, Agent, actor.companyId, id, { what: 'Agent', lock: 'write' });
      checkExpectedVersion(current.version, expectedVersion);
      const userLoginId = input.userLoginId === undefined ? current.userLoginId : await this.checkLogin(m, actor, input.userLoginId, current.id);
      await updateVersioned(m, Agent, current.id, current.version, { name, userLoginId });
      return m.getRepository(Agent).findOneByOrFail({ id: current.id });
    });
  }

  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m) => {
      const current = await findOwned(m, Agent, actor.companyId, id, { what: 'Agent', lock: 'write' });
      await m.getRepository(Agent).delete({ id: current.id });
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

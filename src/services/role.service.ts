import type { DataSource } from 'typeorm';
import type { UserPrincipal } from '../auth/principal';
import { PRIVILEGE_AREAS, PrivilegeLevel, type PrivilegeArea } from '../entities/enums';
import { Role } from '../entities/role.entity';
import { errors } from '../errors';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import { assertNameFree, checkExpectedVersion, findOwned, inTransaction, listOwned, updateVersioned, type Page, type PageArgs } from '../store/persistence';
import { InputChecker } from '../input-checker';

export interface RoleFields {
  name: string;
  /** Areas left out are NONE. */
  privileges?: Partial<Record<PrivilegeArea, PrivilegeLevel | null>> | null;
}

function checkRole(input: RoleFields) {
  const c = new InputChecker();
  const name = c.name('name', input.name);
  c.done();
  const privileges = {} as Record<PrivilegeArea, PrivilegeLevel>;
  for (const area of PRIVILEGE_AREAS) privileges[area] = input.privileges?.[area] ?? PrivilegeLevel.NONE;
  return { name, privileges };
}

export class RoleService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
  ) {}

  list(actor: UserPrincipal, page: PageArgs): Promise<Page<Role>> {
    return listOwned(this.dataSource, Role, actor.companyId, 'name', page);
  }

  get(actor: UserPrincipal, id: string): Promise<Role> {
    return findOwned(this.dataSource.manager, Role, actor.companyId, id, { what: 'Role' });
  }

  async create(actor: UserPrincipal, input: RoleFields): Promise<Role> {
    const fields = checkRole(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, Role, actor.companyId, 'name', fields.name, null, 'input.name');
      const saved = await m.getRepository(Role).save(m.create(Role, { companyId: actor.companyId, ...fields }));
      changed.add('role', saved.id);
      this.audit.record(m, actor, { kind: 'ROLE', id: saved.id, action: 'CREATED', after: saved });
      return saved;
    });
  }

  async update(actor: UserPrincipal, id: string, input: RoleFields, expectedVersion?: number | null): Promise<Role> {
    const fields = checkRole(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, Role, actor.companyId, id, { what: 'Role', lock: 'write' });
      changed.add('role', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      await assertNameFree(m, Role, actor.companyId, 'name', fields.name, current.id, 'input.name');
      await updateVersioned(m, Role, current.id, current.version, { name: fields.name, privileges: fields.privileges });
      const privilegesChanged = PRIVILEGE_AREAS.some((area) => current.privileges[area] !== fields.privileges[area]);
      this.audit.record(m, actor, { kind: 'ROLE', id: current.id, action: privilegesChanged ? 'PRIVILEGES_CHANGED' : 'UPDATED', before: current, after: fields });
      return m.getRepository(Role).findOneByOrFail({ id: current.id });
    });
  }

  /** Deletes a role no user login holds; CONFLICT names the logins that still do. */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, Role, actor.companyId, id, { what: 'Role', lock: 'write' });
      changed.add('role', current.id);
      const users: Array<{ id: string; username: string }> = await m.createQueryBuilder()
        .select(['u.id AS id', 'u.username AS username'])
        .from('user_login', 'u')
        .innerJoin('user_login_role', 'ur', 'ur.userLoginId = u.id')
        .where('ur.roleId = :id', { id: current.id })
        .orderBy('u.username')
        .getRawMany();
      if (users.length > 0) {
        throw errors.conflict(`The role is held by user logins: ${users.map((u) => u.username).join(', ')}`, { userLogins: users });
      }
      await m.getRepository(Role).delete({ id: current.id });
      this.audit.record(m, actor, { kind: 'ROLE', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import { hashPassword } from '../auth/password';
import type { UserPrincipal } from '../auth/principal';
import { UserKind } from '../entities/enums';
import { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import { Role } from '../entities/role.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import { Agent } from '../entities/agent.entity';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import {
  assertNameFree, checkExpectedVersion, findAllOwned, findOwned, inTransaction, listOwned, updateVersioned, type Page, type PageArgs,
} from '../store/persistence';
import { InputChecker } from '../input-checker';

export interface CreateUserLoginFields {
  username: string;
  password: string;
  kind: UserKind;
  roleIds?: string[] | null;
  externalDestinationsProfileId?: string | null;
}

/** Absent (undefined) keeps the current value; `externalDestinationsProfileId: null` removes the profile. */
export interface UpdateUserLoginFields {
  password?: string | null;
  kind?: UserKind | null;
  roleIds?: string[] | null;
  externalDestinationsProfileId?: string | null;
  active?: boolean | null;
}

export const PASSWORD_LENGTH = { min: 8, max: 200 } as const;

/** Checks a new password's length (the hash is slow; an enormous input would be a cheap denial of service). */
export function checkPassword(c: InputChecker, field: string, password: string): void {
  const length = [...password].length;
  if (length < PASSWORD_LENGTH.min || length > PASSWORD_LENGTH.max) {
    c.fail(field, `must be ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters`);
  }
}

export class UserLoginService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
  ) {}

  list(actor: UserPrincipal, page: PageArgs): Promise<Page<UserLogin>> {
    return listOwned(this.dataSource, UserLogin, actor.companyId, 'username', page);
  }

  get(actor: UserPrincipal, id: string): Promise<UserLogin> {
    return findOwned(this.dataSource.manager, UserLogin, actor.companyId, id, { what: 'User login' });
  }

  async create(actor: UserPrincipal, input: CreateUserLoginFields): Promise<UserLogin> {
    const c = new InputChecker();
    const username = c.name('username', input.username);
    checkPassword(c, 'password', input.password);
    c.done();
    const passwordHash = await hashPassword(input.password);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, UserLogin, actor.companyId, 'username', username, null, 'input.username');
      const roles = await findAllOwned(m, Role, actor.companyId, input.roleIds ?? [], 'Role', 'input.roleIds');
      const profileId = await this.checkProfile(m, actor, input.externalDestinationsProfileId ?? null);
      const user = m.create(UserLogin, {
        companyId: actor.companyId, username, passwordHash, kind: input.kind, roles, externalDestinationsProfileId: profileId,
      });
      const saved = await m.getRepository(UserLogin).save(user);
      changed.add('user', saved.id);
      this.audit.record(m, actor, { kind: 'USER_LOGIN', id: saved.id, action: 'CREATED', after: saved });
      return saved;
    });
  }

  async update(actor: UserPrincipal, id: string, input: UpdateUserLoginFields, expectedVersion?: number | null): Promise<UserLogin> {
    const c = new InputChecker();
    if (input.password !== null && input.password !== undefined) checkPassword(c, 'password', input.password);
    c.done();
    const passwordHash = input.password ? await hashPassword(input.password) : undefined;
    return inTransaction(this.dataSource, async (m, tx) => {
      // Changes of logins are serialised per company (beginning a change locks it), so two of them cannot
      // remove the last two administrators.
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, UserLogin, actor.companyId, id, { what: 'User login', relations: { roles: true }, lock: 'write' });
      changed.add('user', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      const patch: Partial<UserLogin> = {};
      if (input.kind) patch.kind = input.kind;
      if (input.active !== null && input.active !== undefined) patch.active = input.active;
      if (input.externalDestinationsProfileId !== undefined) {
        patch.externalDestinationsProfileId = await this.checkProfile(m, actor, input.externalDestinationsProfileId);
      }
      // A new password or a deactivation ends every token issued before it.
      if (passwordHash !== undefined || patch.active === false) {
        patch.tokenVersion = current.tokenVersion + 1;
        if (passwordHash !== undefined) patch.passwordHash = passwordHash;
      }
      const roles = input.roleIds ? await findAllOwned(m, Role, actor.companyId, input.roleIds, 'Role', 'input.roleIds') : null;
      await updateVersioned(m, UserLogin, current.id, current.version, patch);
      if (roles !== null) {
        await m.createQueryBuilder().relation(UserLogin, 'roles').of(current.id)
          .addAndRemove(roles.map((r) => r.id), current.roles.map((r) => r.id));
      }
      await this.keepAnAdministrator(m, actor.companyId);
      // A (de)activation and a new password are security events of their own; anything else is an update.
      const after = { ...current, ...patch, roles: roles ?? current.roles };
      const activation = after.active === current.active ? null : after.active ? 'REACTIVATED' : 'DEACTIVATED';
      this.audit.record(m, actor, { kind: 'USER_LOGIN', id: current.id, action: activation ?? 'UPDATED', before: current, after });
      if (passwordHash !== undefined) this.audit.record(m, actor, { kind: 'USER_LOGIN', id: current.id, action: 'PASSWORD_CHANGED' });
      return m.getRepository(UserLogin).findOneByOrFail({ id: current.id });
    });
  }

  /**
   * Deletes a login: its tokens and sockets stop working at once, and an agent it signed in as keeps working
   * without a login. The company keeps one active administrator (else CONFLICT).
   */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, UserLogin, actor.companyId, id, { what: 'User login', relations: { roles: true }, lock: 'write' });
      changed.add('user', current.id);
      const agents = await m.getRepository(Agent).find({ where: { companyId: actor.companyId, userLoginId: current.id }, select: { id: true } });
      changed.add('agent', ...agents.map((a) => a.id));
      await m.getRepository(Agent).update({ userLoginId: current.id }, { userLoginId: null });
      await m.getRepository(UserLogin).delete({ id: current.id });
      await this.keepAnAdministrator(m, actor.companyId);
      this.audit.record(m, actor, { kind: 'USER_LOGIN', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }

  /** Assigns (or with null removes) a login's External Destinations profile. */
  assignProfile(actor: UserPrincipal, userLoginId: string, profileId: string | null): Promise<UserLogin> {
    return this.update(actor, userLoginId, { externalDestinationsProfileId: profileId });
  }

  private async checkProfile(m: EntityManager, actor: UserPrincipal, profileId: string | null): Promise<string | null> {
    if (profileId === null) return null;
    const profile = await findOwned(m, ExternalDestinationsProfile, actor.companyId, profileId, { what: 'External destinations profile', field: 'input.externalDestinationsProfileId', lock: 'read' });
    return profile.id;
  }

  /** A company always keeps one active administrator, or nobody could manage its logins any more. */
  private async keepAnAdministrator(m: EntityManager, companyId: string): Promise<void> {
    const admins = await m.getRepository(UserLogin).countBy({ companyId, kind: UserKind.COMPANY_ADMIN, active: true });
    if (admins === 0) throw errors.conflict('The company must keep at least one active company administrator');
  }
}

import type { DataSource } from 'typeorm';
import { hashPassword } from '../auth/password';
import { Company } from '../entities/company.entity';
import { PRIVILEGE_AREAS, PrivilegeLevel, ProfileScope, UserKind, type PrivilegeArea } from '../entities/enums';
import { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import { Role } from '../entities/role.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import { inTransaction } from '../store/persistence';
import { InputChecker } from '../input-checker';
import type { PlatformPrincipal } from '../auth/principal';
import { checkPassword } from './user-login.service';
import type { AuditTrail } from './audit-trail';

export interface CreateCompanyFields {
  name: string;
  slug: string;
  timeZone: string;
  adminUsername: string;
  adminPassword: string;
}

/** Whether this is an IANA time zone name the runtime knows (offsets such as +01:00 are not zones). */
export function isTimeZone(zone: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const ADMIN_ROLE_NAME = 'Administrator';
export const ALL_DESTINATIONS_PROFILE_NAME = 'All external destinations';

/** Provisioning of tenants, by the platform operator (or the seed). */
export class CompanyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
  ) {}

  /**
   * Creates a company with its first administrator, who holds an "Administrator" role (MODIFY everywhere)
   * and the "All external destinations" profile, so the company can be set up at once. `by`: the platform
   * operator (null: the gateway itself, as the demo seed), recorded in the new company's audit log.
   */
  async create(input: CreateCompanyFields, by: PlatformPrincipal | null = null): Promise<Company> {
    const c = new InputChecker();
    const name = c.name('name', input.name);
    const slug = input.slug.trim().toLowerCase();
    if (!/^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$/.test(slug)) c.fail('slug', 'must be 1-50 lowercase letters, digits or dashes, not starting or ending with a dash');
    if (!isTimeZone(input.timeZone)) c.fail('timeZone', 'must be an IANA time zone such as Europe/London');
    const adminUsername = c.name('adminUsername', input.adminUsername);
    checkPassword(c, 'adminPassword', input.adminPassword);
    c.done();
    const passwordHash = await hashPassword(input.adminPassword);
    return inTransaction(this.dataSource, async (m) => {
      if (await m.getRepository(Company).existsBy({ slug })) throw errors.conflict(`The slug "${slug}" is taken`, { field: 'input.slug' });
      const company = await m.getRepository(Company).save(m.create(Company, { name, slug, timeZone: input.timeZone }));
      const privileges = Object.fromEntries(PRIVILEGE_AREAS.map((a) => [a, PrivilegeLevel.MODIFY])) as Record<PrivilegeArea, PrivilegeLevel>;
      const role = await m.getRepository(Role).save(m.create(Role, { companyId: company.id, name: ADMIN_ROLE_NAME, privileges }));
      const profile = await m.getRepository(ExternalDestinationsProfile).save(
        m.create(ExternalDestinationsProfile, { companyId: company.id, name: ALL_DESTINATIONS_PROFILE_NAME, scope: ProfileScope.ALL, destinations: [] }),
      );
      const admin = await m.getRepository(UserLogin).save(
        m.create(UserLogin, {
          companyId: company.id, username: adminUsername, passwordHash, kind: UserKind.COMPANY_ADMIN, roles: [role], externalDestinationsProfileId: profile.id,
        }),
      );
      const provisioner = { companyId: company.id, platform: by };
      this.audit.record(m, provisioner, { kind: 'COMPANY', id: company.id, action: 'CREATED', after: company });
      this.audit.record(m, provisioner, { kind: 'ROLE', id: role.id, action: 'CREATED', after: role });
      this.audit.record(m, provisioner, { kind: 'EXTERNAL_DESTINATIONS_PROFILE', id: profile.id, action: 'CREATED', after: profile });
      this.audit.record(m, provisioner, { kind: 'USER_LOGIN', id: admin.id, action: 'CREATED', after: admin });
      return company;
    });
  }

  get(companyId: string): Promise<Company> {
    return this.dataSource.getRepository(Company).findOneByOrFail({ id: companyId });
  }
}

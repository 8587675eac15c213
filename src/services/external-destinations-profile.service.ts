import type { DataSource, EntityManager } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { ProfileScope } from '../entities/enums';
import { ExternalDestination } from '../entities/external-destination.entity';
import { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import { UserLogin } from '../entities/user-login.entity';
import { errors } from '../errors';
import type { ModelChanges } from '../live/model-changes';
import type { AuditTrail } from './audit-trail';
import {
  assertNameFree, checkExpectedVersion, findAllOwned, findOwned, inTransaction, listOwned, updateVersioned, type Page, type PageArgs,
} from '../store/persistence';
import { InputChecker } from '../input-checker';

export interface ProfileFields {
  name: string;
  scope: ProfileScope;
  /** For SELECTED: the destinations the profile shows. Must be empty for ALL. */
  destinationIds?: string[] | null;
}

function checkProfile(input: ProfileFields): { name: string; destinationIds: string[] } {
  const c = new InputChecker();
  const name = c.name('name', input.name);
  const destinationIds = input.destinationIds ?? [];
  if (input.scope === ProfileScope.ALL && destinationIds.length > 0) c.fail('destinationIds', 'must be empty when scope is ALL');
  c.done();
  return { name, destinationIds };
}

/** External Destinations profiles: created and assigned by company administrators only. */
export class ExternalDestinationsProfileService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ModelChanges,
    private readonly audit: AuditTrail,
  ) {}

  list(actor: UserPrincipal, page: PageArgs): Promise<Page<ExternalDestinationsProfile>> {
    return listOwned(this.dataSource, ExternalDestinationsProfile, actor.companyId, 'name', page);
  }

  get(actor: UserPrincipal, id: string): Promise<ExternalDestinationsProfile> {
    return findOwned(this.dataSource.manager, ExternalDestinationsProfile, actor.companyId, id, { what: 'External destinations profile' });
  }

  async create(actor: UserPrincipal, input: ProfileFields): Promise<ExternalDestinationsProfile> {
    const { name, destinationIds } = checkProfile(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      await assertNameFree(m, ExternalDestinationsProfile, actor.companyId, 'name', name, null, 'input.name');
      const destinations = await this.visibleDestinations(m, actor, destinationIds);
      const profile = m.create(ExternalDestinationsProfile, { companyId: actor.companyId, name, scope: input.scope, destinations });
      const saved = await m.getRepository(ExternalDestinationsProfile).save(profile);
      changed.add('profile', saved.id);
      this.audit.record(m, actor, { kind: 'EXTERNAL_DESTINATIONS_PROFILE', id: saved.id, action: 'CREATED', after: profile });
      return saved;
    });
  }

  /**
   * Replaces the name, the scope and the members the administrator can see. Members it cannot see stay (an
   * administrator cannot remove what it cannot see, as in groups), unless the profile becomes ALL, which shows
   * every destination, so clearing its list takes nothing from its users.
   */
  async update(actor: UserPrincipal, id: string, input: ProfileFields, expectedVersion?: number | null): Promise<ExternalDestinationsProfile> {
    const { name, destinationIds } = checkProfile(input);
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, ExternalDestinationsProfile, actor.companyId, id, { what: 'External destinations profile', relations: { destinations: true }, lock: 'write' });
      changed.add('profile', current.id);
      checkExpectedVersion(current.version, expectedVersion);
      await assertNameFree(m, ExternalDestinationsProfile, actor.companyId, 'name', name, current.id, 'input.name');
      const destinations = await this.visibleDestinations(m, actor, destinationIds);
      const scope = DestinationScope.of(actor);
      const hidden = input.scope === ProfileScope.ALL ? [] : current.destinations.filter((d) => !scope.canSee(d));
      await updateVersioned(m, ExternalDestinationsProfile, current.id, current.version, { name, scope: input.scope });
      await m.createQueryBuilder().relation(ExternalDestinationsProfile, 'destinations').of(current.id)
        .addAndRemove([...destinations, ...hidden].map((d) => d.id), current.destinations.map((d) => d.id));
      this.audit.record(m, actor, {
        kind: 'EXTERNAL_DESTINATIONS_PROFILE', id: current.id, action: 'UPDATED', before: current, after: { name, scope: input.scope, destinations: [...destinations, ...hidden] },
      });
      return m.getRepository(ExternalDestinationsProfile).findOneByOrFail({ id: current.id });
    });
  }

  /** Destinations by id that the administrator can see: NOT_FOUND for another's, a missing one and a hidden one alike. */
  private visibleDestinations(m: EntityManager, actor: UserPrincipal, ids: string[]): Promise<ExternalDestination[]> {
    const scope = DestinationScope.of(actor);
    return findAllOwned(m, ExternalDestination, actor.companyId, ids, 'External destination', 'input.destinationIds', (d) => scope.canSee(d));
  }

  /** Deletes a profile no login holds; CONFLICT names the logins that still do. */
  async delete(actor: UserPrincipal, id: string): Promise<string> {
    return inTransaction(this.dataSource, async (m, tx) => {
      const changed = await this.changes.begin(m, tx, actor.companyId);
      const current = await findOwned(m, ExternalDestinationsProfile, actor.companyId, id, { what: 'External destinations profile', relations: { destinations: true }, lock: 'write' });
      changed.add('profile', current.id);
      const users = await m.getRepository(UserLogin).find({ where: { externalDestinationsProfileId: current.id }, order: { username: 'ASC' } });
      if (users.length > 0) {
        throw errors.conflict(`The profile is assigned to user logins: ${users.map((u) => u.username).join(', ')}`, {
          userLogins: users.map((u) => ({ id: u.id, username: u.username })),
        });
      }
      await m.getRepository(ExternalDestinationsProfile).delete({ id: current.id });
      this.audit.record(m, actor, { kind: 'EXTERNAL_DESTINATIONS_PROFILE', id: current.id, action: 'DELETED', before: current });
      return current.id;
    });
  }
}

import { PrivilegeLevel, ProfileScope, UserKind } from '../entities/enums';
import { atLeast, type UserPrincipal } from './principal';

/** Scopes by principal object: a principal is immutable, and requests and live events ask for its scope often. */
const scopes = new WeakMap<UserPrincipal, DestinationScope>();

/**
 * THE visibility scope of external destinations (DOMAIN.md §1). Every read path (lists, lookups by id,
 * group members, queue references) and every change asks this one object.
 */
export class DestinationScope {
  private constructor(
    private readonly companyId: string,
    private readonly mode: 'none' | 'all' | 'selected',
    private readonly ids: ReadonlySet<string>,
    /** May the user create, change and delete the destinations it sees? */
    readonly canModify: boolean,
    /** The SELECTED profile a destination created by this user joins, if any. */
    readonly joinsProfileId: string | null,
  ) {}

  /** The scope of a user: no privilege or no profile sees nothing; ALL sees all; SELECTED sees the listed. */
  static of(user: UserPrincipal): DestinationScope {
    let scope = scopes.get(user);
    if (scope === undefined) {
      scope = DestinationScope.build(user);
      scopes.set(user, scope);
    }
    return scope;
  }

  private static build(user: UserPrincipal): DestinationScope {
    const level = user.privileges.externalDestinations;
    if (level === PrivilegeLevel.NONE || user.profile === null) return new DestinationScope(user.companyId, 'none', new Set(), false, null);
    const canModify =
      atLeast(level, PrivilegeLevel.MODIFY) && (user.userKind === UserKind.COMPANY_ADMIN || user.userKind === UserKind.SUPERVISOR);
    if (user.profile.scope === ProfileScope.ALL) return new DestinationScope(user.companyId, 'all', new Set(), canModify, null);
    return new DestinationScope(user.companyId, 'selected', user.profile.destinationIds, canModify, user.profile.id);
  }

  /** Whether a destination is visible: of the user's company, and allowed by its privilege and profile. */
  canSee(destination: { id: string; companyId: string }): boolean {
    if (destination.companyId !== this.companyId) return false;
    return this.mode === 'all' || (this.mode === 'selected' && this.ids.has(destination.id));
  }

  /** Whether the user may change or delete this destination. */
  canChange(destination: { id: string; companyId: string }): boolean {
    return this.canModify && this.canSee(destination);
  }

  /**
   * The visible destinations among a company's, in the order lists page them: every one (ALL), those the
   * profile selects, or none.
   */
  visibleIn<T>(company: { destinationsByName(): readonly T[]; destinationsOf(ids: ReadonlySet<string>): readonly T[] }): readonly T[] {
    if (this.mode === 'all') return company.destinationsByName();
    if (this.mode === 'none' || this.ids.size === 0) return [];
    return company.destinationsOf(this.ids);
  }
}

import type { SelectQueryBuilder, ObjectLiteral } from 'typeorm';
import { PrivilegeLevel, ProfileScope, UserKind } from '../entities/enums';
import { atLeast, type UserPrincipal } from './principal';

/**
 * THE visibility scope of external destinations (DOMAIN.md §1). Every read path (lists, lookups by id,
 * group members, queue references) and every change asks this one object.
 */
export class DestinationScope {
  private constructor(
    private readonly mode: 'none' | 'all' | 'selected',
    private readonly ids: ReadonlySet<string>,
    /** May the user create, change and delete the destinations it sees? */
    readonly canModify: boolean,
    /** The SELECTED profile a destination created by this user joins, if any. */
    readonly joinsProfileId: string | null,
  ) {}

  /** The scope of a user: no privilege or no profile sees nothing; ALL sees all; SELECTED sees the listed. */
  static of(user: UserPrincipal): DestinationScope {
    const level = user.privileges.externalDestinations;
    if (level === PrivilegeLevel.NONE || user.profile === null) return new DestinationScope('none', new Set(), false, null);
    const canModify =
      atLeast(level, PrivilegeLevel.MODIFY) && (user.userKind === UserKind.COMPANY_ADMIN || user.userKind === UserKind.SUPERVISOR);
    if (user.profile.scope === ProfileScope.ALL) return new DestinationScope('all', new Set(), canModify, null);
    return new DestinationScope('selected', user.profile.destinationIds, canModify, user.profile.id);
  }

  /** Whether the destination with this id (already known to be of the user's company) is visible. */
  canSee(destinationId: string): boolean {
    return this.mode === 'all' || (this.mode === 'selected' && this.ids.has(destinationId));
  }

  /** Whether the user may change or delete this destination. */
  canChange(destinationId: string): boolean {
    return this.canModify && this.canSee(destinationId);
  }

  /** Narrows a query over destinations (aliased `alias`) to the visible ones. */
  restrict<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, alias: string): SelectQueryBuilder<T> {
    if (this.mode === 'all') return qb;
    if (this.mode === 'none' || this.ids.size === 0) return qb.andWhere('1 = 0');
    return qb.andWhere(`${alias}.id IN (:...visibleDestinationIds)`, { visibleDestinationIds: [...this.ids] });
  }
}

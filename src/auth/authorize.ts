import { errors } from '../errors';
import { PRIVILEGE_AREAS, PrivilegeLevel, UserKind, type PrivilegeArea } from '../entities/enums';
import { atLeast, type Principal, type UserPrincipal } from './principal';

/**
 * What an operation needs, in `@Authorized(...)`: the platform operator, a connector key, any user, a
 * company administrator, or a privilege level in an area (`queues:VIEW`). Several mean "any of these".
 */
export type Requirement = 'PLATFORM' | 'CONNECTOR' | 'USER' | 'ADMIN' | `${PrivilegeArea}:${'VIEW' | 'MODIFY'}`;

function holds(principal: Principal, requirement: Requirement): boolean {
  switch (requirement) {
    case 'PLATFORM':
      return principal.kind === 'platform';
    case 'CONNECTOR':
      return principal.kind === 'connector';
    case 'USER':
      return principal.kind === 'user';
    case 'ADMIN':
      return principal.kind === 'user' && principal.userKind === UserKind.COMPANY_ADMIN;
    default: {
      if (principal.kind !== 'user') return false;
      const [area, level] = requirement.split(':') as [PrivilegeArea, 'VIEW' | 'MODIFY'];
      if (!PRIVILEGE_AREAS.includes(area)) return false;
      return atLeast(principal.privileges[area], PrivilegeLevel[level]);
    }
  }
}

/**
 * THE authorisation check of every operation: throws UNAUTHENTICATED without a principal, FORBIDDEN when
 * none of the requirements holds. Cheap and synchronous (it also runs per subscription event).
 */
export function authorize(principal: Principal | null, requirements: readonly Requirement[]): void {
  if (principal === null) throw errors.unauthenticated();
  if (requirements.length === 0 || requirements.some((r) => holds(principal, r))) return;
  throw errors.forbidden();
}

/** The calling user, for operations that already required one. */
export function userOf(principal: Principal | null): UserPrincipal {
  if (principal?.kind !== 'user') throw errors.forbidden();
  return principal;
}

import { PRIVILEGE_AREAS, PrivilegeLevel, ProfileScope, UserKind, type PrivilegeArea } from '../entities/enums';

/** Who is calling. The company of every request comes from here, never from an argument. */
export type Principal = PlatformPrincipal | ConnectorPrincipal | UserPrincipal;

export interface PlatformPrincipal {
  readonly kind: 'platform';
}

export interface ConnectorPrincipal {
  readonly kind: 'connector';
  readonly companyId: string;
  readonly keyId: string;
}

export interface UserPrincipal {
  readonly kind: 'user';
  readonly companyId: string;
  readonly userId: string;
  readonly userKind: UserKind;
  /** Effective level per area (highest among roles, capped for agents); see effectivePrivileges. */
  readonly privileges: Readonly<Record<PrivilegeArea, PrivilegeLevel>>;
  /** The assigned External Destinations profile, or null (which sees no destination). */
  readonly profile: { readonly id: string; readonly scope: ProfileScope; readonly destinationIds: ReadonlySet<string> } | null;
  /** Token expiry (seconds since the epoch), for long-lived connections. */
  readonly tokenExp: number;
  /** The login's token version the token carries: a long-lived connection re-reads the user with it. */
  readonly tokenVersion: number;
}

const RANK: Record<PrivilegeLevel, number> = { NONE: 0, VIEW: 1, MODIFY: 2 };

/** True when `have` grants at least `need`. */
export function atLeast(have: PrivilegeLevel, need: PrivilegeLevel): boolean {
  return RANK[have] >= RANK[need];
}

/**
 * A user's effective level per area: the highest among its roles. Agent logins never change configuration,
 * so their level is capped at VIEW whatever their roles say.
 */
export function effectivePrivileges(
  userKind: UserKind,
  roles: ReadonlyArray<{ privileges: Readonly<Record<PrivilegeArea, PrivilegeLevel>> }>,
): Record<PrivilegeArea, PrivilegeLevel> {
  const result = {} as Record<PrivilegeArea, PrivilegeLevel>;
  for (const area of PRIVILEGE_AREAS) {
    let level = PrivilegeLevel.NONE;
    for (const role of roles) if (RANK[role.privileges[area]] > RANK[level]) level = role.privileges[area];
    if (userKind === UserKind.AGENT && level === PrivilegeLevel.MODIFY) level = PrivilegeLevel.VIEW;
    result[area] = level;
  }
  return result;
}

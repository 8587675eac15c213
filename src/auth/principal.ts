import { PRIVILEGE_AREAS, PrivilegeLevel, ProfileScope, UserKind, type PrivilegeArea } from '../entities/enums';

/** Who is calling. The company of every request comes from here, never from an argument. */
export type Principal = PlatformPrincipal | ConnectorPrincipal | UserPrincipal;

export interface PlatformPrincipal {
  readonly kind: 'platform';
  /** The request it acts in (see RequestInfo). */
  readonly request?: RequestInfo;
}

/**
 * The request a principal acts in: its id (the answer's `x-request-id`) and the client's address. The GraphQL
 * edge sets it on the copy of the principal it hands to services (`actor`), so that the audit log records which
 * request made a change; principals held in memory and those of work outside a request (the seed) have none.
 */
export interface RequestInfo {
  readonly id: string;
  readonly clientAddress: string | null;
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
  /** The request it acts in (see RequestInfo). */
  readonly request?: RequestInfo;
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

/** One key per principal (a user, a connector key, the platform operator): what per-principal caps count under. */
export function principalKey(principal: Principal): string {
  switch (principal.kind) {
    case 'user':
      return `user:${principal.userId}`;
    case 'connector':
      return `connector:${principal.keyId}`;
    case 'platform':
      return 'platform';
  }
}

/** The company a principal acts in; null for the platform operator. */
export function companyOfPrincipal(principal: Principal): string | null {
  return principal.kind === 'platform' ? null : principal.companyId;
}

/** When a principal's credential expires (milliseconds since the epoch): a user token's expiry; null for keys. */
export function expiryOfPrincipal(principal: Principal): number | null {
  return principal.kind === 'user' ? principal.tokenExp * 1000 : null;
}

/** Whether two principals grant exactly the same (then what was allowed to one needs no new check for the other). */
export function samePrincipal(a: Principal, b: Principal): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  if (a.kind === 'connector' && b.kind === 'connector') return a.keyId === b.keyId && a.companyId === b.companyId;
  if (a.kind !== 'user' || b.kind !== 'user') return a.kind === b.kind;
  if (a.userId !== b.userId || a.userKind !== b.userKind || a.tokenVersion !== b.tokenVersion || a.tokenExp !== b.tokenExp) return false;
  for (const area of Object.keys(a.privileges) as Array<keyof typeof a.privileges>) if (a.privileges[area] !== b.privileges[area]) return false;
  const p = a.profile;
  const q = b.profile;
  if (p === null || q === null) return p === q;
  if (p.id !== q.id || p.scope !== q.scope || p.destinationIds.size !== q.destinationIds.size) return false;
  for (const id of p.destinationIds) if (!q.destinationIds.has(id)) return false;
  return true;
}

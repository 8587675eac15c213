import { authorize, type Requirement } from '../../src/auth/authorize';
import { DestinationScope } from '../../src/auth/destination-scope';
import { effectivePrivileges, type Principal, type UserPrincipal } from '../../src/auth/principal';
import { PRIVILEGE_AREAS, PrivilegeLevel, ProfileScope, UserKind, type PrivilegeArea } from '../../src/entities/enums';

const none = () => Object.fromEntries(PRIVILEGE_AREAS.map((a) => [a, PrivilegeLevel.NONE])) as Record<PrivilegeArea, PrivilegeLevel>;
const role = (p: Partial<Record<PrivilegeArea, PrivilegeLevel>>) => ({ privileges: { ...none(), ...p } });

function user(kind: UserKind, ed: PrivilegeLevel, profile: UserPrincipal['profile']): UserPrincipal {
  return {
    kind: 'user', companyId: 'c', userId: 'u', userKind: kind, privileges: { ...none(), externalDestinations: ed }, profile, tokenExp: 0, tokenVersion: 0,
  };
}
const ALL = { id: 'p', scope: ProfileScope.ALL, destinationIds: new Set<string>() };
const SELECTED = { id: 'p', scope: ProfileScope.SELECTED, destinationIds: new Set(['d1']) };

describe('effectivePrivileges', () => {
  it('takes the highest level among the roles, area by area', () => {
    const p = effectivePrivileges(UserKind.SUPERVISOR, [role({ queues: PrivilegeLevel.VIEW, agents: PrivilegeLevel.MODIFY }), role({ queues: PrivilegeLevel.MODIFY })]);
    expect([p.queues, p.agents, p.statistics]).toEqual(['MODIFY', 'MODIFY', 'NONE']);
  });

  it('is NONE everywhere without roles', () => {
    expect(Object.values(effectivePrivileges(UserKind.COMPANY_ADMIN, [])).every((l) => l === 'NONE')).toBe(true);
  });

  it('never gives an agent login more than VIEW', () => {
    const p = effectivePrivileges(UserKind.AGENT, [role({ externalDestinations: PrivilegeLevel.MODIFY, queues: PrivilegeLevel.VIEW })]);
    expect([p.externalDestinations, p.queues]).toEqual(['VIEW', 'VIEW']);
  });
});

describe('DestinationScope', () => {
  it.each([
    ['NONE with an ALL profile', user(UserKind.SUPERVISOR, PrivilegeLevel.NONE, ALL), [false, false], false],
    ['VIEW without a profile', user(UserKind.SUPERVISOR, PrivilegeLevel.VIEW, null), [false, false], false],
    ['MODIFY without a profile', user(UserKind.SUPERVISOR, PrivilegeLevel.MODIFY, null), [false, false], false],
    ['VIEW with ALL', user(UserKind.SUPERVISOR, PrivilegeLevel.VIEW, ALL), [true, true], false],
    ['MODIFY with ALL (supervisor)', user(UserKind.SUPERVISOR, PrivilegeLevel.MODIFY, ALL), [true, true], true],
    ['MODIFY with ALL (administrator)', user(UserKind.COMPANY_ADMIN, PrivilegeLevel.MODIFY, ALL), [true, true], true],
    ['MODIFY with SELECTED', user(UserKind.SUPERVISOR, PrivilegeLevel.MODIFY, SELECTED), [true, false], true],
    ['MODIFY with ALL (agent kind)', user(UserKind.AGENT, PrivilegeLevel.MODIFY, ALL), [true, true], false],
  ] as const)('%s sees d1/d2 as %j and may modify: %s', (_name, principal, [d1, d2], modify) => {
    const scope = DestinationScope.of(principal);
    expect([scope.canSee({ id: 'd1', companyId: 'c' }), scope.canSee({ id: 'd2', companyId: 'c' })]).toEqual([d1, d2]);
    expect(scope.canModify).toBe(modify);
    expect(scope.canChange({ id: 'd2', companyId: 'c' })).toBe(modify && d2);
  });

  it('never sees a destination of another company, even with an ALL profile', () => {
    const scope = DestinationScope.of(user(UserKind.COMPANY_ADMIN, PrivilegeLevel.MODIFY, ALL));
    expect(scope.canSee({ id: 'd1', companyId: 'other' })).toBe(false);
    expect(scope.canChange({ id: 'd1', companyId: 'other' })).toBe(false);
  });

  it('makes a destination created under a SELECTED profile join that profile', () => {
    expect(DestinationScope.of(user(UserKind.SUPERVISOR, PrivilegeLevel.MODIFY, SELECTED)).joinsProfileId).toBe('p');
    expect(DestinationScope.of(user(UserKind.SUPERVISOR, PrivilegeLevel.MODIFY, ALL)).joinsProfileId).toBeNull();
  });
});

describe('authorize', () => {
  const platform: Principal = { kind: 'platform' };
  const connector: Principal = { kind: 'connector', companyId: 'c', keyId: 'k' };
  const viewer = user(UserKind.SUPERVISOR, PrivilegeLevel.VIEW, ALL);
  const admin = user(UserKind.COMPANY_ADMIN, PrivilegeLevel.NONE, null);
  const code = (p: Principal | null, r: Requirement[]) => {
    try {
      authorize(p, r);
      return 'OK';
    } catch (e) {
      return (e as { extensions: { code: string } }).extensions.code;
    }
  };

  it('asks for authentication when nobody is signed in', () => {
    expect(code(null, ['USER'])).toBe('UNAUTHENTICATED');
  });

  it('lets the platform operator do nothing but what needs the platform', () => {
    expect([code(platform, ['PLATFORM']), code(platform, ['USER']), code(platform, ['ADMIN'])]).toEqual(['OK', 'FORBIDDEN', 'FORBIDDEN']);
  });

  it('keeps connector keys out of user operations', () => {
    expect([code(connector, ['CONNECTOR']), code(connector, ['externalDestinations:VIEW'])]).toEqual(['OK', 'FORBIDDEN']);
  });

  it('compares privilege levels per area', () => {
    expect([code(viewer, ['externalDestinations:VIEW']), code(viewer, ['externalDestinations:MODIFY']), code(viewer, ['queues:VIEW'])]).toEqual([
      'OK', 'FORBIDDEN', 'FORBIDDEN',
    ]);
  });

  it('accepts any one of several requirements', () => {
    expect([code(admin, ['ADMIN', 'users:VIEW']), code(viewer, ['ADMIN', 'users:VIEW'])]).toEqual(['OK', 'FORBIDDEN']);
  });
});

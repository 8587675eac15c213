import { sha256Hex } from '../../src/auth/secrets';
import { Agent } from '../../src/entities/agent.entity';
import { AgentGroup } from '../../src/entities/agent-group.entity';
import { Company } from '../../src/entities/company.entity';
import { PRIVILEGE_AREAS, PrivilegeLevel, ProfileScope, UserKind, type PrivilegeArea } from '../../src/entities/enums';
import { ExternalDestination } from '../../src/entities/external-destination.entity';
import { ExternalDestinationsProfile } from '../../src/entities/external-destinations-profile.entity';
import { Role } from '../../src/entities/role.entity';
import { byNameThenId, CompanyModel, type ModelRows, type UserRecord } from '../../src/live/company-model';
import { compareCodePoints } from '../../src/platform/code-point-order';
import { pageOfRows, type Page } from '../../src/store/persistence';

const C = 'company-1';
const levels = (p: Partial<Record<PrivilegeArea, PrivilegeLevel>>) =>
  ({ ...Object.fromEntries(PRIVILEGE_AREAS.map((a) => [a, PrivilegeLevel.NONE])), ...p }) as Role['privileges'];

const company = () => Object.assign(new Company(), { id: C, name: 'Acme', slug: 'acme', timeZone: 'UTC', authorityVersion: 1 });
const role = (id: string, p: Partial<Record<PrivilegeArea, PrivilegeLevel>>) => Object.assign(new Role(), { id, companyId: C, name: id, privileges: levels(p) });
const destination = (id: string, name = id) => Object.assign(new ExternalDestination(), { id, companyId: C, name });
const profile = (id: string, scope: ProfileScope, ids: string[] = []) => ({
  row: Object.assign(new ExternalDestinationsProfile(), { id, companyId: C, name: id, scope }), destinationIds: new Set(ids),
});
const user = (id: string, over: Partial<UserRecord> = {}): UserRecord => ({
  id, companyId: C, kind: UserKind.SUPERVISOR, active: true, tokenVersion: 0, profileId: null, roleIds: [], ...over,
});
const agent = (id: string, userLoginId: string | null = null) => Object.assign(new Agent(), { id, companyId: C, name: id, userLoginId });
const group = (id: string, agentIds: string[], destinationIds: string[]) => ({ row: Object.assign(new AgentGroup(), { id, companyId: C, name: id }), agentIds, destinationIds });

/** A company read whole: two roles, a SELECTED and an ALL profile, users, a key, destinations, an agent group. */
function world(): CompanyModel {
  const model = new CompanyModel(C, 1);
  const rows: ModelRows = {
    company: { row: company() },
    roles: { ids: null, rows: [role('viewer', { externalDestinations: PrivilegeLevel.VIEW, queues: PrivilegeLevel.VIEW }), role('editor', { externalDestinations: PrivilegeLevel.MODIFY })] },
    profiles: { ids: null, rows: [profile('partners', ProfileScope.SELECTED, ['d1', 'd2']), profile('everything', ProfileScope.ALL)] },
    users: {
      ids: null,
      rows: [
        user('sup', { roleIds: ['viewer', 'editor'], profileId: 'partners', tokenVersion: 3 }),
        user('agent', { kind: UserKind.AGENT, roleIds: ['editor'], profileId: 'everything' }),
        user('gone', { active: false, roleIds: ['viewer'] }),
      ],
    },
    keys: { ids: null, rows: [{ id: 'k1', companyId: C, secretHash: sha256Hex('secret'), revoked: false }, { id: 'k2', companyId: C, secretHash: sha256Hex('other'), revoked: true }] },
    destinations: { ids: null, rows: [destination('d1', 'Beta'), destination('d2', 'alpha'), destination('d3', 'Alpha')] },
    agents: { ids: null, rows: [agent('a1', 'sup'), agent('a2')] },
    groups: { ids: null, rows: [group('g1', ['a1', 'a2'], ['d1', 'd3'])] },
  };
  model.apply(rows, 1);
  return model;
}

describe('CompanyModel principals', () => {
  it('gives a user the highest level of its roles and its profile, for the token version it carries', () => {
    const p = world().userPrincipal('sup', 3, 1_000)!;
    expect(p).toMatchObject({ kind: 'user', companyId: C, userId: 'sup', tokenVersion: 3, tokenExp: 1_000 });
    expect([p.privileges.externalDestinations, p.privileges.queues, p.privileges.agents]).toEqual(['MODIFY', 'VIEW', 'NONE']);
    expect(p.profile).toMatchObject({ id: 'partners', scope: 'SELECTED' });
    expect([...p.profile!.destinationIds].sort()).toEqual(['d1', 'd2']);
  });

  it('refuses a token of an older version, an inactive login, an unknown login and every login of a company that is gone', () => {
    const model = world();
    expect(model.userPrincipal('sup', 2, 1_000)).toBeNull();
    expect(model.userPrincipal('gone', 0, 1_000)).toBeNull();
    expect(model.userPrincipal('nobody', 0, 1_000)).toBeNull();
    model.apply({ company: { row: null } }, 2);
    expect(model.userPrincipal('sup', 3, 1_000)).toBeNull();
  });

  it('caps an agent login at VIEW whatever its roles grant', () => {
    expect(world().userPrincipal('agent', 0, 1)!.privileges.externalDestinations).toBe('VIEW');
  });

  it('hands out the same principal object for the same token, and a new one once anything changed', () => {
    const model = world();
    const first = model.userPrincipal('sup', 3, 1_000);
    expect(model.userPrincipal('sup', 3, 1_000)).toBe(first);
    expect(model.userPrincipal('sup', 3, 2_000)).not.toBe(first);
    model.apply({ roles: { ids: ['viewer'], rows: [role('viewer', {})] } }, 2);
    const after = model.userPrincipal('sup', 3, 1_000)!;
    expect(after).not.toBe(first);
    expect([after.privileges.externalDestinations, after.privileges.queues]).toEqual(['MODIFY', 'NONE']);
  });

  it('accepts a connector key only with its secret and while it is not revoked', () => {
    const model = world();
    expect(model.connectorPrincipal('k1', sha256Hex('secret'))).toEqual({ kind: 'connector', companyId: C, keyId: 'k1' });
    expect(model.connectorPrincipal('k1', sha256Hex('guess'))).toBeNull();
    expect(model.connectorPrincipal('k2', sha256Hex('other'))).toBeNull();
    expect([model.keyValid('k1'), model.keyValid('k2'), model.keyValid('k3')]).toEqual([true, false, false]);
    model.apply({ keys: { ids: ['k1'], rows: [{ id: 'k1', companyId: C, secretHash: sha256Hex('secret'), revoked: true }] } }, 2);
    expect(model.connectorPrincipal('k1', sha256Hex('secret'))).toBeNull();
  });
});

describe('CompanyModel changes', () => {
  it('drops a deleted destination from the groups and profiles that listed it, as the database cascades do', () => {
    const model = world();
    model.apply({ destinations: { ids: ['d1'], rows: [] } }, 2);
    expect(model.destinations.has('d1')).toBe(false);
    expect(model.groups.get('g1')!.destinationIds).toEqual(['d3']);
    expect([...model.profiles.get('partners')!.destinationIds]).toEqual(['d2']);
    expect([...model.userPrincipal('sup', 3, 1)!.profile!.destinationIds]).toEqual(['d2']);
  });

  it('drops a deleted agent from its groups, and unlinks the agent of a deleted login', () => {
    const model = world();
    model.apply({ agents: { ids: ['a2'], rows: [] }, users: { ids: ['sup'], rows: [] } }, 2);
    expect(model.groups.get('g1')!.agentIds).toEqual(['a1']);
    expect(model.agents.get('a1')!.userLoginId).toBeNull();
    expect(model.agents.get('a1')).toBeInstanceOf(Agent);
    expect(model.userPrincipal('sup', 3, 1)).toBeNull();
  });

  it('replaces every row of a kind read whole, deleting those no longer there', () => {
    const model = world();
    model.apply({ destinations: { ids: null, rows: [destination('d9', 'Zeta')] } }, 5);
    expect([...model.destinations.keys()]).toEqual(['d9']);
    expect(model.groups.get('g1')!.destinationIds).toEqual([]);
    expect(model.version).toBe(5);
  });

  it('never moves its version back', () => {
    const model = world();
    model.apply({}, 7);
    model.apply({}, 4);
    expect(model.version).toBe(7);
  });
});

describe('CompanyModel reads', () => {
  it('lists destinations by name then id in code-point order, and a set of them the same way', () => {
    const model = world();
    expect(model.destinationsByName().map((d) => d.name)).toEqual(['Alpha', 'Beta', 'alpha']);
    expect(model.destinationsOf(new Set(['d1', 'd2', 'missing'])).map((d) => d.id)).toEqual(['d1', 'd2']);
  });

  it('answers memberships both ways', () => {
    const model = world();
    expect(model.agentsOfGroup('g1').map((a) => a.id)).toEqual(['a1', 'a2']);
    expect(model.destinationsOfGroup('g1').map((d) => d.id).sort()).toEqual(['d1', 'd3']);
    expect(model.groupsOfDestination('d3').map((g) => g.id)).toEqual(['g1']);
    expect(model.groupsOfDestination('d2')).toEqual([]);
    expect(model.rolesOfUser('sup').map((r) => r.id)).toEqual(['editor', 'viewer']);
    expect(model.destinationsOfProfile('partners').map((d) => d.id).sort()).toEqual(['d1', 'd2']);
  });
});

describe('code-point order and pages from memory', () => {
  it('orders strings by code point, the order of their UTF-8 bytes', () => {
    const words = ['b', 'B', 'a', 'é', 'z', '\u{1F600}', '\uFFFD', 'aa', ''];
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...words].sort(compareCodePoints)).toEqual(byBytes);
  });

  it('walks every row once, in order, page by page with the cursors it hands out', () => {
    // Cursors carry ids, which are UUIDs.
    const rows = Array.from({ length: 23 }, (_, i) => ({ id: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`, name: ['x', 'y', 'X'][i % 3]! })).sort(byNameThenId);
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages += 1) {
      const page: Page<{ id: string; name: string }> = pageOfRows(rows, { first: 5, after });
      expect(page.totalCount).toBe(23);
      seen.push(...page.nodes.map((r) => r.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it('refuses a page size out of range and a cursor it did not hand out, as the database lists do', () => {
    expect(() => pageOfRows([], { first: 0 })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    expect(() => pageOfRows([], { first: 501 })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    expect(() => pageOfRows([], { after: 'not-a-cursor' })).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
  });
});

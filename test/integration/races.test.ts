import { dialects } from '../support/dialects';
import { ADMIN_PASSWORD, codeOf, createDestination, createUser, login, provisionCompany, USER_PASSWORD, type Company } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

describe.each(dialects())('concurrent changes on %s', (dialect) => {
  let t: TestGateway;
  let company: Company;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
    company = await provisionCompany(t, 'races');
  });
  afterAll(() => t.close());

  it('never lets two administrators deactivating each other at once leave the company without one', async () => {
    const own = await provisionCompany(t, `races-admins-${dialect}`);
    const second = await createUser(t, own, { username: 'second-admin', kind: 'COMPANY_ADMIN' });
    const firstId = (await t.ok(`{ me { id } }`, {}, own.adminToken)).me.id;
    const update = (id: string, active: boolean, token: string) =>
      t.gql(`mutation($id: ID!, $a: Boolean!) { updateUserLogin(id: $id, input: { active: $a }) { id } }`, { id, a: active }, token);
    for (let round = 0; round < 8; round += 1) {
      const tokens = [await login(t, own.slug, 'admin', ADMIN_PASSWORD), await login(t, own.slug, 'second-admin', USER_PASSWORD)] as const;
      const results = await Promise.all([update(second.id, false, tokens[0]), update(firstId, false, tokens[1])]);
      // One wins; the other is refused, as the last administrator (CONFLICT) or because its own login was
      // deactivated first (UNAUTHENTICATED).
      expect(results.filter((r) => codeOf(r) === undefined)).toHaveLength(1);
      const survivor = results[0]!.errors ? tokens[1] : tokens[0];
      const logins = await t.ok(`{ userLogins { nodes { id kind active } } }`, {}, survivor);
      expect(logins.userLogins.nodes.filter((u: any) => u.kind === 'COMPANY_ADMIN' && u.active)).toHaveLength(1);
      const inactive = logins.userLogins.nodes.find((u: any) => u.kind === 'COMPANY_ADMIN' && !u.active);
      await t.ok(`mutation($id: ID!) { updateUserLogin(id: $id, input: { active: true }) { id } }`, { id: inactive.id }, survivor);
    }
  });

  it('resolves a delete racing an addition to a group as one or the other, never both and never an internal error', async () => {
    const token = (await provisionCompany(t, `races-del-${dialect}`)).adminToken;
    const group = await t.ok(`mutation { createAgentGroup(input: { name: "G", agentIds: [], externalDestinationIds: [] }) { id } }`, {}, token);
    for (let round = 0; round < 15; round += 1) {
      const d = await createDestination(t, token, { name: `Racer ${round}` });
      const [del, add] = await Promise.all([
        t.gql(`mutation($id: ID!) { deleteExternalDestination(id: $id) }`, { id: d.id }, token),
        t.gql(
          `mutation($g: ID!, $d: ID!) { updateAgentGroup(id: $g, input: { name: "G", agentIds: [], externalDestinationIds: [$d] }) { externalDestinations { destination { id } } } }`,
          { g: group.createAgentGroup.id, d: d.id },
          token,
        ),
      ]);
      const codes = [codeOf(del), codeOf(add)];
      expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
      const members = await t.ok(`query($g: ID!) { agentGroup(id: $g) { externalDestinations { destination { id } } } }`, { g: group.createAgentGroup.id }, token);
      const inGroup = members.agentGroup.externalDestinations.some((m: any) => m.destination.id === d.id);
      if (codeOf(del) === undefined) {
        expect(inGroup).toBe(false);
        expect(['NOT_FOUND', 'CONFLICT']).toContain(codeOf(add));
      } else {
        expect(codeOf(del)).toBe('CONFLICT');
        expect(inGroup).toBe(true);
      }
      await t.ok(`mutation($g: ID!) { updateAgentGroup(id: $g, input: { name: "G", agentIds: [], externalDestinationIds: [] }) { id } }`, { g: group.createAgentGroup.id }, token);
    }
  });

  it('applies ten simultaneous updates sent without expectedVersion, one after another', async () => {
    const d = await createDestination(t, company.adminToken, { name: 'Busy one' });
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.gql(`mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { version } }`,
          { id: d.id, i: { name: 'Busy one', numberMode: 'FULL_NUMBER', description: `update ${i}` } }, company.adminToken),
      ),
    );
    expect(results.map(codeOf).filter(Boolean)).toEqual([]);
    const after = await t.ok(`query($id: ID!) { externalDestination(id: $id) { version } }`, { id: d.id }, company.adminToken);
    expect(after.externalDestination.version).toBe(d.version + 10);
  });
});

describe.each(dialects())('answers that must not leak on %s', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
  });
  afterAll(() => t.close());

  it('resolves a login answer as the user who signed in, whatever credential the request carried', async () => {
    const a = await provisionCompany(t, 'leak-a');
    const b = await provisionCompany(t, 'leak-b');
    const secret = await createDestination(t, b.adminToken, { name: 'B secret', number: '+442079460958' });
    await createUser(t, b, { username: 'bagent', kind: 'AGENT', privileges: { queues: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [secret.id] } });
    const query = `mutation { login(companySlug: "leak-b", username: "bagent", password: "user-password-123") {
      user { username externalDestinationsProfile { destinations { hidden destination { name number } } } } } }`;
    for (const token of [a.adminToken, undefined]) {
      const res = await t.gql(query, {}, token);
      expect(res.data?.login?.user?.externalDestinationsProfile?.destinations).toEqual([{ hidden: true, destination: null }]);
      expect(JSON.stringify(res)).not.toContain('+44');
    }
  });

  it('shows a destination\'s groups only to users who may view agent groups or queues', async () => {
    const c = await provisionCompany(t, 'leak-groups');
    const d = await createDestination(t, c.adminToken, { name: 'Grouped' });
    await t.ok(`mutation($d: ID!) { createAgentGroup(input: { name: "Secret team", agentIds: [], externalDestinationIds: [$d] }) { id } }`, { d: d.id }, c.adminToken);
    const viewer = await createUser(t, c, { username: 'dest-only', kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'ALL' } });
    const res = await t.gql(`{ externalDestinations { nodes { name groups { name } } } }`, {}, viewer.token);
    expect(res.data.externalDestinations.nodes).toEqual([{ name: 'Grouped', groups: null }]);
    expect(codeOf(res)).toBe('FORBIDDEN');
    const admin = await t.ok(`{ externalDestinations { nodes { groups { name } } } }`, {}, c.adminToken);
    expect(admin.externalDestinations.nodes[0].groups).toEqual([{ name: 'Secret team' }]);
  });

  it('refuses to let a user delete a group holding destinations it cannot see', async () => {
    const c = await provisionCompany(t, 'leak-delete');
    const hidden = await createDestination(t, c.adminToken, { name: 'Hidden member' });
    const group = await t.ok(`mutation($d: ID!) { createAgentGroup(input: { name: "Mixed", agentIds: [], externalDestinationIds: [$d] }) { id } }`, { d: hidden.id }, c.adminToken);
    const editor = await createUser(t, c, { username: 'editor', kind: 'SUPERVISOR', privileges: { agentGroups: 'MODIFY' }, profile: { scope: 'SELECTED', destinationIds: [] } });
    const res = await t.gql(`mutation($id: ID!) { deleteAgentGroup(id: $id) }`, { id: group.createAgentGroup.id }, editor.token);
    expect(codeOf(res)).toBe('FORBIDDEN');
    const still = await t.ok(`query($id: ID!) { agentGroup(id: $id) { externalDestinations { destination { id } } } }`, { id: group.createAgentGroup.id }, c.adminToken);
    expect(still.agentGroup.externalDestinations).toEqual([{ destination: { id: hidden.id } }]);
  });
});

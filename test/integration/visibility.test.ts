import { dialects } from '../support/dialects';
import { codeOf, createDestination, createUser, destinationInput, provisionCompany, type Company, type Kind, type Level } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

/**
 * The visibility and modify table of DOMAIN.md §1, row by row, on every read path: the list, lookups by id,
 * a group's members, and a queue's groups' members.
 */
interface Row {
  who: string;
  kind: Kind;
  level: Level;
  profile: 'none' | 'ALL' | 'SELECTED';
  /** Which of D1..D3 the row sees (SELECTED profiles list D1 only). */
  sees: Array<'D1' | 'D2' | 'D3'>;
  /** Whether the list itself is refused (no privilege at all). */
  listForbidden: boolean;
  mayModify: boolean;
}

const ALL = ['D1', 'D2', 'D3'] as const;
const TABLE: Row[] = [
  { who: 'a supervisor with NONE and an ALL profile', kind: 'SUPERVISOR', level: 'NONE', profile: 'ALL', sees: [], listForbidden: true, mayModify: false },
  { who: 'a supervisor with VIEW and no profile', kind: 'SUPERVISOR', level: 'VIEW', profile: 'none', sees: [], listForbidden: false, mayModify: false },
  { who: 'a supervisor with MODIFY and no profile', kind: 'SUPERVISOR', level: 'MODIFY', profile: 'none', sees: [], listForbidden: false, mayModify: false },
  { who: 'a supervisor with VIEW and an ALL profile', kind: 'SUPERVISOR', level: 'VIEW', profile: 'ALL', sees: [...ALL], listForbidden: false, mayModify: false },
  { who: 'a supervisor with MODIFY and an ALL profile', kind: 'SUPERVISOR', level: 'MODIFY', profile: 'ALL', sees: [...ALL], listForbidden: false, mayModify: true },
  { who: 'an administrator with MODIFY and an ALL profile', kind: 'COMPANY_ADMIN', level: 'MODIFY', profile: 'ALL', sees: [...ALL], listForbidden: false, mayModify: true },
  { who: 'a supervisor with VIEW and a SELECTED profile', kind: 'SUPERVISOR', level: 'VIEW', profile: 'SELECTED', sees: ['D1'], listForbidden: false, mayModify: false },
  { who: 'a supervisor with MODIFY and a SELECTED profile', kind: 'SUPERVISOR', level: 'MODIFY', profile: 'SELECTED', sees: ['D1'], listForbidden: false, mayModify: true },
  { who: 'an agent with MODIFY and an ALL profile', kind: 'AGENT', level: 'MODIFY', profile: 'ALL', sees: [...ALL], listForbidden: false, mayModify: false },
  { who: 'an agent with MODIFY and a SELECTED profile', kind: 'AGENT', level: 'MODIFY', profile: 'SELECTED', sees: ['D1'], listForbidden: false, mayModify: false },
];

const GROUP_MEMBERS = `query($id: ID!) { agentGroup(id: $id) { name agents { name } externalDestinations { hidden destination { id name number } } } }`;
const QUEUE_MEMBERS = `query($id: ID!) { queue(id: $id) { groups { priority group { externalDestinations { hidden destination { id number } } } } } }`;
const UPDATE = `mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id description } }`;
const DELETE = `mutation($id: ID!) { deleteExternalDestination(id: $id) }`;
const CREATE = `mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`;

describe.each(dialects())('external destination visibility on %s', (dialect) => {
  let t: TestGateway;
  let company: Company;
  const ids: Record<'D1' | 'D2' | 'D3', string> = { D1: '', D2: '', D3: '' };
  const names: Record<string, string> = {};
  let groupId: string;
  let queueId: string;

  beforeAll(async () => {
    t = await startTestGateway(dialect);
    company = await provisionCompany(t, 'vis');
    for (const key of ALL) {
      const d = await createDestination(t, company.adminToken, { name: `Visibility ${key}`, number: '+442079460958' });
      ids[key] = d.id;
      names[d.id] = key;
    }
    const agent = await t.ok(`mutation { createAgent(input: { name: "Agent Smith" }) { id } }`, {}, company.adminToken);
    const group = await t.ok(
      `mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`,
      { i: { name: 'Mixed', agentIds: [agent.createAgent.id], externalDestinationIds: [ids.D1, ids.D2] } },
      company.adminToken,
    );
    groupId = group.createAgentGroup.id;
    const queue = await t.ok(`mutation($i: QueueInput!) { createQueue(input: $i) { id } }`, { i: { name: 'Q', groups: [{ groupId }] } }, company.adminToken);
    queueId = queue.createQueue.id;
  });
  afterAll(() => t.close());

  describe.each(TABLE)('$who', (row) => {
    let token: string;
    beforeAll(async () => {
      const user = await createUser(t, company, {
        username: `${row.kind}-${row.level}-${row.profile}`.toLowerCase(),
        kind: row.kind,
        privileges: { externalDestinations: row.level, queues: 'VIEW', agentGroups: 'VIEW' },
        profile: row.profile === 'none' ? null : row.profile === 'ALL' ? { scope: 'ALL' } : { scope: 'SELECTED', destinationIds: [ids.D1] },
      });
      token = user.token;
    });

    it('lists exactly the destinations the table grants', async () => {
      const res = await t.gql(`{ externalDestinations { totalCount nodes { id } } }`, {}, token);
      if (row.listForbidden) {
        expect(codeOf(res)).toBe('FORBIDDEN');
        return;
      }
      const seen = res.data.externalDestinations.nodes.map((n: { id: string }) => names[n.id]).filter(Boolean);
      expect(seen.sort()).toEqual([...row.sees].sort());
    });

    it('finds by id exactly the destinations the table grants, and answers as for a missing one otherwise', async () => {
      for (const key of ALL) {
        const res = await t.gql(`query($id: ID!) { externalDestination(id: $id) { id number } }`, { id: ids[key] }, token);
        if (row.sees.includes(key)) expect(res.data.externalDestination).toEqual({ id: ids[key], number: '+442079460958' });
        else expect(codeOf(res)).toBe(row.listForbidden ? 'FORBIDDEN' : 'NOT_FOUND');
      }
    });

    it('shows a group\'s hidden members as references without details', async () => {
      const res = await t.ok(GROUP_MEMBERS, { id: groupId }, token);
      const members = res.agentGroup.externalDestinations;
      expect(members).toHaveLength(2);
      const visible = members.filter((m: any) => !m.hidden).map((m: any) => names[m.destination.id]);
      expect(visible.sort()).toEqual(row.sees.filter((k) => k !== 'D3').sort());
      for (const m of members.filter((x: any) => x.hidden)) expect(m.destination).toBeNull();
      expect(res.agentGroup.agents).toEqual([{ name: 'Agent Smith' }]);
    });

    it('applies the same visibility through a queue\'s groups', async () => {
      const res = await t.ok(QUEUE_MEMBERS, { id: queueId }, token);
      const members = res.queue.groups[0].group.externalDestinations;
      expect(members.filter((m: any) => !m.hidden)).toHaveLength(row.sees.filter((k) => k !== 'D3').length);
      const json = JSON.stringify(res);
      if (row.sees.length === 0) expect(json).not.toContain('+44');
    });

    it(row.mayModify ? 'may create, change and delete the destinations it sees' : 'may not create, change or delete any destination', async () => {
      const before = await t.ok(`{ externalDestinations { nodes { id version description } } }`, {}, company.adminToken);
      const created = await t.gql(CREATE, { i: destinationInput() }, token);
      if (!row.mayModify) {
        // Below an effective MODIFY (agents never have one) every id is refused alike; with MODIFY but no
        // profile, a destination it cannot see answers as a missing one.
        const effectiveModify = row.level === 'MODIFY' && row.kind !== 'AGENT';
        expect(codeOf(created)).toBe('FORBIDDEN');
        for (const key of ALL) {
          const expected = effectiveModify && !row.sees.includes(key) ? 'NOT_FOUND' : 'FORBIDDEN';
          const upd = await t.gql(UPDATE, { id: ids[key], i: { name: `Visibility ${key}`, numberMode: 'FULL_NUMBER', description: 'changed' } }, token);
          expect(codeOf(upd)).toBe(expected);
          const del = await t.gql(DELETE, { id: ids[key] }, token);
          expect(codeOf(del)).toBe(expected);
        }
        const after = await t.ok(`{ externalDestinations { nodes { id version description } } }`, {}, company.adminToken);
        expect(after).toEqual(before);
        return;
      }
      const newId = created.data.createExternalDestination.id;
      // What it creates stays visible to it (a SELECTED profile gains it).
      const mine = await t.ok(`query($id: ID!) { externalDestination(id: $id) { id } }`, { id: newId }, token);
      expect(mine.externalDestination.id).toBe(newId);
      for (const key of ALL) {
        const upd = await t.gql(UPDATE, { id: ids[key], i: { name: `Visibility ${key}`, numberMode: 'FULL_NUMBER', description: `by ${row.who}` } }, token);
        if (row.sees.includes(key)) expect(upd.data.updateExternalDestination.description).toBe(`by ${row.who}`);
        else expect(codeOf(upd)).toBe('NOT_FOUND');
      }
      const hiddenDelete = row.sees.includes('D3') ? null : await t.gql(DELETE, { id: ids.D3 }, token);
      if (hiddenDelete) expect(codeOf(hiddenDelete)).toBe('NOT_FOUND');
      const del = await t.ok(DELETE, { id: newId }, token);
      expect(del.deleteExternalDestination).toBe(newId);
    });
  });

  it('lets a supervisor with queue VIEW and no destination privilege see queues and groups but never a destination\'s number', async () => {
    const user = await createUser(t, company, { username: 'queue-watcher', kind: 'SUPERVISOR', privileges: { queues: 'VIEW' }, profile: { scope: 'ALL' } });
    const res = await t.ok(
      `query($id: ID!) { queue(id: $id) { name groups { group { name agents { name } externalDestinations { hidden destination { name number prefix maxSimultaneousCalls } } } } } }`,
      { id: queueId },
      user.token,
    );
    expect(res.queue.name).toBe('Q');
    expect(res.queue.groups[0].group.name).toBe('Mixed');
    expect(res.queue.groups[0].group.externalDestinations).toEqual([{ hidden: true, destination: null }, { hidden: true, destination: null }]);
    expect(JSON.stringify(res)).not.toMatch(/\+44|Visibility/);
  });

  it('keeps destinations hidden from an editor in a group when that editor updates the group', async () => {
    const editor = await createUser(t, company, {
      username: 'group-editor', kind: 'SUPERVISOR', privileges: { agentGroups: 'MODIFY', externalDestinations: 'VIEW' },
      profile: { scope: 'SELECTED', destinationIds: [ids.D1] },
    });
    const res = await t.gql(
      `mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { externalDestinations { hidden } } }`,
      { id: groupId, i: { name: 'Mixed', agentIds: [], externalDestinationIds: [] } },
      editor.token,
    );
    expect(res.data.updateAgentGroup.externalDestinations).toEqual([{ hidden: true }]);
    const asAdmin = await t.ok(GROUP_MEMBERS, { id: groupId }, company.adminToken);
    expect(asAdmin.agentGroup.externalDestinations.map((m: any) => names[m.destination.id])).toEqual(['D2']);
    // An editor cannot add a destination it cannot see: it answers as for a missing one.
    const hiddenAdd = await t.gql(
      `mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id } }`,
      { id: groupId, i: { name: 'Mixed', agentIds: [], externalDestinationIds: [ids.D3] } },
      editor.token,
    );
    expect(codeOf(hiddenAdd)).toBe('NOT_FOUND');
    expect(hiddenAdd.errors?.[0]?.extensions?.field).toBe('input.externalDestinationIds[0]');
  });

  it('applies a profile change to the user\'s very next request', async () => {
    const user = await createUser(t, company, {
      username: 'profile-switch', kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [ids.D1] },
    });
    const before = await t.ok(`{ externalDestinations { totalCount } }`, {}, user.token);
    await t.ok(
      `mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id } }`,
      { id: user.profileId, i: { name: 'profile-switch profile', scope: 'SELECTED', destinationIds: [ids.D1, ids.D2] } },
      company.adminToken,
    );
    const after = await t.ok(`{ externalDestinations { totalCount } }`, {}, user.token);
    expect([before.externalDestinations.totalCount, after.externalDestinations.totalCount]).toEqual([1, 2]);
  });
});

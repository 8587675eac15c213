import { randomUUID } from 'node:crypto';
import { dialects } from '../support/dialects';
import { createDestination, provisionCompany, USER_PASSWORD, type Company } from '../support/fixtures';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/test-gateway';

/**
 * DOMAIN.md §1: "An id of another company's object behaves exactly like an id that does not exist (same error,
 * same timing class, no side effect)." Company A's administrator (MODIFY everywhere, profile ALL) uses the ids of
 * company B's objects everywhere an id is accepted, and must get the answer a random or a malformed id gets.
 */

const MALFORMED_ID = 'not-an-id';

/** Every list of a company, read in separate operations (one big one would exceed the cost limit). */
const SNAPSHOT_QUERIES: Record<string, string> = {
  externalDestinations: `{ externalDestinations { totalCount nodes {
    id version name description enabled numberMode number prefix lastDigits matchPrefix maxSimultaneousCalls
    outdialTimeoutSec busyBackoffSec noAnswerBackoffSec failureBackoffSec retryIntervalSec maxConsecutiveFailures
    createdAt updatedAt groups { id name version }
  } } }`,
  agents: `{ agents { totalCount nodes { id version name userLoginId createdAt updatedAt } } }`,
  agentGroups: `{ agentGroups { totalCount nodes {
    id version name createdAt updatedAt agents { id name version } externalDestinations { hidden destination { id name version } }
  } } }`,
  queues: `{ queues { totalCount nodes {
    id version name agentRingTimeoutSec agentRetrySec wrapUpSec maxQueueLength maxWaitSec createdAt updatedAt
    groups { priority group { id name version } overflow { queueLengthAbove oldestWaitAboveSec noAgentsLoggedIn } }
  } } }`,
  roles: `{ roles { totalCount nodes {
    id version name createdAt updatedAt
    privileges { externalDestinations queues agentGroups agents callFlows schedules statistics users }
  } } }`,
  userLogins: `{ userLogins { totalCount nodes {
    id version username kind active createdAt updatedAt roles { id version } externalDestinationsProfile { id version }
  } } }`,
  externalDestinationsProfiles: `{ externalDestinationsProfiles { totalCount nodes {
    id version name scope createdAt updatedAt destinations { hidden destination { id version } }
  } } }`,
  connectorApiKeys: `{ connectorApiKeys { totalCount nodes { id name createdAt revokedAt } } }`,
};

type Snapshot = Record<string, { totalCount: number; nodes: Array<{ id: string } & Record<string, unknown>> }>;

async function snapshot(t: TestGateway, token: string): Promise<Snapshot> {
  const result: Snapshot = {};
  for (const [list, query] of Object.entries(SNAPSHOT_QUERIES)) {
    const data = await t.ok(query, {}, token);
    result[list] = data[list];
  }
  return result;
}

/** Everything in an answer a client could tell two answers apart by (headers aside). */
function answer(res: GraphQLResponse): { status: number; data: unknown; errors: unknown } {
  return { status: res.status, data: res.data ?? null, errors: res.errors };
}

interface IdCase {
  /** The operation and where the id goes, as a phrase. */
  title: string;
  query: string;
  /** The variables with `id` in the position under test. */
  variables: (id: string) => Record<string, unknown>;
  /** Company B's id for that position (read once the fixtures exist). */
  foreignId: () => string;
}

describe.each(dialects())('two companies on %s', (dialect) => {
  let t: TestGateway;
  let a: Company;
  let b: Company;
  /** Company B's objects, one of every kind. */
  const B = { role: '', user: '', profile: '', key: '', destination: '', agent: '', group: '', queue: '' };
  /** Company A's own objects, used as the valid parts of inputs. */
  const A = { role: '', user: '', profile: '', key: '', destination: '', agent: '', group: '', queue: '' };
  let bBefore: Snapshot;
  let aBefore: Snapshot;

  async function populate(company: Company, ids: typeof B, tag: string): Promise<void> {
    const token = company.adminToken;
    const role = await t.ok(`mutation($i: RoleInput!) { createRole(input: $i) { id } }`, {
      i: { name: `${tag} role`, privileges: { agents: 'VIEW', queues: 'MODIFY' } },
    }, token);
    ids.role = role.createRole.id;
    ids.destination = (await createDestination(t, token, { name: `${tag} partner`, description: `${tag} overflow partner` })).id;
    const profile = await t.ok(
      `mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }`,
      { i: { name: `${tag} profile`, scope: 'SELECTED', destinationIds: [ids.destination] } },
      token,
    );
    ids.profile = profile.createExternalDestinationsProfile.id;
    const user = await t.ok(`mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }`, {
      i: { username: `${tag}-supervisor`, password: USER_PASSWORD, kind: 'SUPERVISOR', roleIds: [ids.role], externalDestinationsProfileId: ids.profile },
    }, token);
    ids.user = user.createUserLogin.id;
    const key = await t.ok(`mutation($n: String!) { createConnectorApiKey(name: $n) { key { id } } }`, { n: `${tag} connector` }, token);
    ids.key = key.createConnectorApiKey.key.id;
    const agent = await t.ok(`mutation($i: AgentInput!) { createAgent(input: $i) { id } }`, { i: { name: `${tag} agent`, userLoginId: ids.user } }, token);
    ids.agent = agent.createAgent.id;
    const group = await t.ok(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`, {
      i: { name: `${tag} group`, agentIds: [ids.agent], externalDestinationIds: [ids.destination] },
    }, token);
    ids.group = group.createAgentGroup.id;
    const queue = await t.ok(`mutation($i: QueueInput!) { createQueue(input: $i) { id } }`, {
      i: { name: `${tag} queue`, groups: [{ groupId: ids.group }] },
    }, token);
    ids.queue = queue.createQueue.id;
  }

  beforeAll(async () => {
    t = await startTestGateway(dialect);
    a = await provisionCompany(t, 'company-a');
    b = await provisionCompany(t, 'company-b');
    await populate(b, B, 'B');
    await populate(a, A, 'A');
    bBefore = await snapshot(t, b.adminToken);
    aBefore = await snapshot(t, a.adminToken);
  });
  afterAll(() => t.close());

  const destinationInput = { name: 'A renamed', numberMode: 'FULL_NUMBER', number: '+442079460958' };

  const cases: IdCase[] = [
    // External destinations
    { title: 'externalDestination(id)', query: `query($id: ID!) { externalDestination(id: $id) { id name number } }`, variables: (id) => ({ id }), foreignId: () => B.destination },
    {
      title: 'updateExternalDestination(id)',
      query: `mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: destinationInput }),
      foreignId: () => B.destination,
    },
    { title: 'deleteExternalDestination(id)', query: `mutation($id: ID!) { deleteExternalDestination(id: $id) }`, variables: (id) => ({ id }), foreignId: () => B.destination },
    // Agents
    { title: 'agent(id)', query: `query($id: ID!) { agent(id: $id) { id name } }`, variables: (id) => ({ id }), foreignId: () => B.agent },
    {
      title: 'updateAgent(id)',
      query: `mutation($id: ID!, $i: AgentInput!) { updateAgent(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: { name: 'Renamed agent' } }),
      foreignId: () => B.agent,
    },
    { title: 'deleteAgent(id)', query: `mutation($id: ID!) { deleteAgent(id: $id) }`, variables: (id) => ({ id }), foreignId: () => B.agent },
    {
      title: 'createAgent(input.userLoginId)',
      query: `mutation($i: AgentInput!) { createAgent(input: $i) { id } }`,
      variables: (id) => ({ i: { name: 'A agent with a foreign login', userLoginId: id } }),
      foreignId: () => B.user,
    },
    {
      title: 'updateAgent(input.userLoginId)',
      query: `mutation($id: ID!, $i: AgentInput!) { updateAgent(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.agent, i: { name: 'A agent', userLoginId: id } }),
      foreignId: () => B.user,
    },
    // Agent groups
    { title: 'agentGroup(id)', query: `query($id: ID!) { agentGroup(id: $id) { id name } }`, variables: (id) => ({ id }), foreignId: () => B.group },
    {
      title: 'updateAgentGroup(id)',
      query: `mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: { name: 'Renamed group', agentIds: [], externalDestinationIds: [] } }),
      foreignId: () => B.group,
    },
    { title: 'deleteAgentGroup(id)', query: `mutation($id: ID!) { deleteAgentGroup(id: $id) }`, variables: (id) => ({ id }), foreignId: () => B.group },
    {
      title: 'createAgentGroup(input.agentIds)',
      query: `mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`,
      variables: (id) => ({ i: { name: 'A group with a foreign agent', agentIds: [A.agent, id], externalDestinationIds: [A.destination] } }),
      foreignId: () => B.agent,
    },
    {
      title: 'createAgentGroup(input.externalDestinationIds)',
      query: `mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`,
      variables: (id) => ({ i: { name: 'A group with a foreign destination', agentIds: [A.agent], externalDestinationIds: [A.destination, id] } }),
      foreignId: () => B.destination,
    },
    {
      title: 'updateAgentGroup(input.agentIds)',
      query: `mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.group, i: { name: 'A group', agentIds: [id], externalDestinationIds: [A.destination] } }),
      foreignId: () => B.agent,
    },
    {
      title: 'updateAgentGroup(input.externalDestinationIds)',
      query: `mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.group, i: { name: 'A group', agentIds: [A.agent], externalDestinationIds: [id] } }),
      foreignId: () => B.destination,
    },
    // Queues
    { title: 'queue(id)', query: `query($id: ID!) { queue(id: $id) { id name } }`, variables: (id) => ({ id }), foreignId: () => B.queue },
    {
      title: 'updateQueue(id)',
      query: `mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: { name: 'Renamed queue', groups: [{ groupId: A.group }] } }),
      foreignId: () => B.queue,
    },
    { title: 'deleteQueue(id)', query: `mutation($id: ID!) { deleteQueue(id: $id) }`, variables: (id) => ({ id }), foreignId: () => B.queue },
    {
      title: 'createQueue(input.groups[].groupId)',
      query: `mutation($i: QueueInput!) { createQueue(input: $i) { id } }`,
      variables: (id) => ({ i: { name: 'A queue with a foreign group', groups: [{ groupId: id }] } }),
      foreignId: () => B.group,
    },
    {
      title: 'updateQueue(input.groups[].groupId)',
      query: `mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.queue, i: { name: 'A queue', groups: [{ groupId: A.group }, { groupId: id, overflow: { queueLengthAbove: 3 } }] } }),
      foreignId: () => B.group,
    },
    // Roles
    { title: 'role(id)', query: `query($id: ID!) { role(id: $id) { id name } }`, variables: (id) => ({ id }), foreignId: () => B.role },
    {
      title: 'updateRole(id)',
      query: `mutation($id: ID!, $i: RoleInput!) { updateRole(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: { name: 'Renamed role', privileges: { agents: 'MODIFY' } } }),
      foreignId: () => B.role,
    },
    { title: 'deleteRole(id)', query: `mutation($id: ID!) { deleteRole(id: $id) }`, variables: (id) => ({ id }), foreignId: () => B.role },
    // User logins
    { title: 'userLogin(id)', query: `query($id: ID!) { userLogin(id: $id) { id username } }`, variables: (id) => ({ id }), foreignId: () => B.user },
    {
      title: 'updateUserLogin(id)',
      query: `mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: { active: false } }),
      foreignId: () => B.user,
    },
    {
      title: 'createUserLogin(input.roleIds)',
      query: `mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }`,
      variables: (id) => ({ i: { username: 'a-foreign-role', password: USER_PASSWORD, kind: 'SUPERVISOR', roleIds: [A.role, id] } }),
      foreignId: () => B.role,
    },
    {
      title: 'createUserLogin(input.externalDestinationsProfileId)',
      query: `mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }`,
      variables: (id) => ({ i: { username: 'a-foreign-profile', password: USER_PASSWORD, kind: 'SUPERVISOR', externalDestinationsProfileId: id } }),
      foreignId: () => B.profile,
    },
    {
      title: 'updateUserLogin(input.roleIds)',
      query: `mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.user, i: { roleIds: [id] } }),
      foreignId: () => B.role,
    },
    {
      title: 'updateUserLogin(input.externalDestinationsProfileId)',
      query: `mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.user, i: { externalDestinationsProfileId: id } }),
      foreignId: () => B.profile,
    },
    {
      title: 'assignExternalDestinationsProfile(userLoginId)',
      query: `mutation($u: ID!, $p: ID) { assignExternalDestinationsProfile(userLoginId: $u, profileId: $p) { id version } }`,
      variables: (id) => ({ u: id, p: A.profile }),
      foreignId: () => B.user,
    },
    {
      title: 'assignExternalDestinationsProfile(profileId)',
      query: `mutation($u: ID!, $p: ID) { assignExternalDestinationsProfile(userLoginId: $u, profileId: $p) { id version } }`,
      variables: (id) => ({ u: A.user, p: id }),
      foreignId: () => B.profile,
    },
    // External Destinations profiles
    {
      title: 'externalDestinationsProfile(id)',
      query: `query($id: ID!) { externalDestinationsProfile(id: $id) { id name } }`,
      variables: (id) => ({ id }),
      foreignId: () => B.profile,
    },
    {
      title: 'updateExternalDestinationsProfile(id)',
      query: `mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id, i: { name: 'Renamed profile', scope: 'ALL', destinationIds: [] } }),
      foreignId: () => B.profile,
    },
    {
      title: 'deleteExternalDestinationsProfile(id)',
      query: `mutation($id: ID!) { deleteExternalDestinationsProfile(id: $id) }`,
      variables: (id) => ({ id }),
      foreignId: () => B.profile,
    },
    {
      title: 'createExternalDestinationsProfile(input.destinationIds)',
      query: `mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }`,
      variables: (id) => ({ i: { name: 'A profile with a foreign destination', scope: 'SELECTED', destinationIds: [A.destination, id] } }),
      foreignId: () => B.destination,
    },
    {
      title: 'updateExternalDestinationsProfile(input.destinationIds)',
      query: `mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id version } }`,
      variables: (id) => ({ id: A.profile, i: { name: 'A profile', scope: 'SELECTED', destinationIds: [id] } }),
      foreignId: () => B.destination,
    },
    // Connector API keys
    {
      title: 'revokeConnectorApiKey(id)',
      query: `mutation($id: ID!) { revokeConnectorApiKey(id: $id) { id revokedAt } }`,
      variables: (id) => ({ id }),
      foreignId: () => B.key,
    },
  ];

  it.each(cases)('$title answers with another company\'s id exactly as with a random id and a malformed id: NOT_FOUND', async ({ query, variables, foreignId }) => {
    const foreign = answer(await t.gql(query, variables(foreignId()), a.adminToken));
    const random = answer(await t.gql(query, variables(randomUUID()), a.adminToken));
    const malformed = answer(await t.gql(query, variables(MALFORMED_ID), a.adminToken));

    expect(foreign.errors).toHaveLength(1);
    const [error] = foreign.errors as Array<{ message: string; extensions: Record<string, unknown> }>;
    expect(error!.extensions.code).toBe('NOT_FOUND');
    expect(error!.message).toMatch(/not found/i);
    // Same code, message, field, path, data and HTTP status, whatever the id was.
    expect(random).toEqual(foreign);
    expect(malformed).toEqual(foreign);
  });

  it('lets company B\'s administrator read every object of B exactly as before (same versions), after all those attempts', async () => {
    expect(await snapshot(t, b.adminToken)).toEqual(bBefore);
    // The snapshot is meaningful: it holds one of every object B was populated with.
    const ids = (list: string) => bBefore[list]!.nodes.map((n) => n.id);
    expect(ids('externalDestinations')).toContain(B.destination);
    expect(ids('agents')).toContain(B.agent);
    expect(ids('agentGroups')).toContain(B.group);
    expect(ids('queues')).toContain(B.queue);
    expect(ids('roles')).toContain(B.role);
    expect(ids('userLogins')).toContain(B.user);
    expect(ids('externalDestinationsProfiles')).toContain(B.profile);
    expect(ids('connectorApiKeys')).toContain(B.key);
  });

  it('leaves company A unchanged too: no failed attempt wrote anything, not even a partial object', async () => {
    expect(await snapshot(t, a.adminToken)).toEqual(aBefore);
  });

  it('never lists one of company B\'s objects in company A\'s lists (and A\'s lists do hold A\'s own)', async () => {
    const aNow = await snapshot(t, a.adminToken);
    const bIds = new Set(Object.values(bBefore).flatMap((list) => list.nodes.map((n) => n.id)));
    const bNames = new Set(Object.values(bBefore).flatMap((list) => list.nodes.map((n) => String(n.name ?? n.username))));
    for (const [list, page] of Object.entries(aNow)) {
      expect(page.nodes.length).toBeGreaterThan(0);
      expect(page.totalCount).toBe(page.nodes.length);
      for (const node of page.nodes) {
        expect({ list, id: node.id, foreign: bIds.has(node.id) }).toEqual({ list, id: node.id, foreign: false });
      }
      // Nothing of B leaks through nested references either.
      const text = JSON.stringify(page);
      for (const id of bIds) expect(text.includes(id) ? `${list} mentions ${id}` : null).toBeNull();
      for (const name of bNames) {
        if (name.startsWith('B ') || name.startsWith('B-')) expect(text.includes(`"${name}"`) ? `${list} mentions "${name}"` : null).toBeNull();
      }
    }
    expect(aNow.externalDestinations!.nodes.map((n) => n.id)).toContain(A.destination);
    // A filtered, paged list of destinations keeps to A's company as well.
    const filtered = await t.ok(`{ externalDestinations(first: 1, filter: { nameContains: "partner" }) { totalCount nodes { id } } }`, {}, a.adminToken);
    expect(filtered.externalDestinations).toEqual({ totalCount: 1, nodes: [{ id: A.destination }] });
  });
});

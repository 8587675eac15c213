import { randomUUID } from 'node:crypto';
import { USER_PASSWORD } from '../support/fixtures';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import { PLATFORM_KEY, type GraphQLResponse, type TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * Names are text a person can read: no control, format or surrogate characters, and two objects of one kind in
 * one company never carry names a person would read as the same (letter case, Unicode variants).
 */

interface Kind {
  /** The name's input path in a refusal. */
  field: string;
  create(w: RoutingWorld, name: string): { query: string; variables: Record<string, unknown>; token?: string };
}

const DESTINATION = 'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id name } }';
const UPDATE_DESTINATION = 'mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id name } }';
const destination = (name: string, extra: Record<string, unknown> = {}) => ({ i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958', ...extra } });
const RULES = [{ daysOfWeek: [1, 2, 3, 4, 5], startTime: '09:00', endTime: '17:00' }];

/** Every kind whose names are unique in a company. */
const UNIQUE_KINDS: Record<string, Kind> = {
  'external destination': { field: 'input.name', create: (_w, name) => ({ query: DESTINATION, variables: destination(name) }) },
  'agent group': {
    field: 'input.name',
    create: (_w, name) => ({ query: 'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', variables: { i: { name, agentIds: [], externalDestinationIds: [] } } }),
  },
  role: { field: 'input.name', create: (_w, name) => ({ query: 'mutation($i: RoleInput!) { createRole(input: $i) { id } }', variables: { i: { name } } }) },
  'external destinations profile': {
    field: 'input.name',
    create: (_w, name) => ({
      query: 'mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }',
      variables: { i: { name, scope: 'ALL', destinationIds: [] } },
    }),
  },
  'time range': {
    field: 'input.name',
    create: (_w, name) => ({ query: 'mutation($i: TimeRangeInput!) { createTimeRange(input: $i) { id } }', variables: { i: { name, timeZone: 'Europe/London', rules: RULES } } }),
  },
  'holiday list': {
    field: 'input.name',
    create: (_w, name) => ({
      query: 'mutation($i: HolidayListInput!) { createHolidayList(input: $i) { id } }',
      variables: { i: { name, timeZone: 'Europe/London', holidays: [{ date: '2026-12-25', name: 'Christmas Day' }] } },
    }),
  },
  'call flow': {
    field: 'input.name',
    create: (_w, name) => ({ query: 'mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', variables: { i: { name, serviceNumbers: [], nodes: [] } } }),
  },
  'user login': {
    field: 'input.username',
    create: (_w, name) => ({
      query: 'mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }',
      variables: { i: { username: name, password: USER_PASSWORD, kind: 'AGENT' } },
    }),
  },
};

/** Kinds whose names need not be unique, and names inside other objects: the characters are refused all the same. */
const OTHER_NAMES: Record<string, Kind> = {
  agent: { field: 'input.name', create: (_w, name) => ({ query: 'mutation($i: AgentInput!) { createAgent(input: $i) { id } }', variables: { i: { name } } }) },
  'connector API key': { field: 'name', create: (_w, name) => ({ query: 'mutation($n: String!) { createConnectorApiKey(name: $n) { apiKey } }', variables: { n: name } }) },
  holiday: {
    field: 'input.holidays[0].name',
    create: (_w, name) => ({
      query: 'mutation($i: HolidayListInput!) { createHolidayList(input: $i) { id } }',
      variables: { i: { name: `Holidays ${randomUUID().slice(0, 6)}`, timeZone: 'Europe/London', holidays: [{ date: '2026-12-25', name }] } },
    }),
  },
  company: {
    field: 'input.name',
    create: (_w, name) => ({
      query: 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }',
      variables: { i: { name, slug: `co-${randomUUID().slice(0, 8)}`, timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: USER_PASSWORD } },
      token: PLATFORM_KEY,
    }),
  },
  'company administrator': {
    field: 'input.adminUsername',
    create: (_w, name) => ({
      query: 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }',
      variables: { i: { name: 'A company', slug: `co-${randomUUID().slice(0, 8)}`, timeZone: 'Europe/London', adminUsername: name, adminPassword: USER_PASSWORD } },
      token: PLATFORM_KEY,
    }),
  },
};

describe.each(routingModes().map((m) => [m.name, m] as const))('names a person can read (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  function create(kind: Kind, name: string): Promise<GraphQLResponse> {
    const { query, variables, token } = kind.create(w, name);
    return t.gql(query, variables, token ?? w.admin);
  }

  function expectRefused(res: GraphQLResponse, code: string, field: string): void {
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions).toMatchObject({ code, field });
  }

  async function destinationNames(): Promise<string[]> {
    const data = await t.ok('{ externalDestinations(first: 500) { nodes { name } } }', {}, w.admin);
    return data.externalDestinations.nodes.map((n: { name: string }) => n.name);
  }

  it('refuses destination names holding lone surrogates, which used to be stored as the same U+FFFD name while each answer echoed its own', async () => {
    for (const name of ['Sales \ud800', 'Sales \udbff', 'Sales \udc00', 'Sales \udfff']) {
      expectRefused(await t.gql(DESTINATION, destination(name), w.admin), 'BAD_USER_INPUT', 'input.name');
    }
    expect(await destinationNames()).toEqual([]);
  });

  it('refuses a zero-width space, so "A-D1" and "A-D1\\u200b" cannot live side by side', async () => {
    await t.ok(DESTINATION, destination('A-D1'), w.admin);
    const res = await t.gql(DESTINATION, destination('A-D1\u200b'), w.admin);
    expectRefused(res, 'BAD_USER_INPUT', 'input.name');
    expect(res.errors![0]!.extensions!.problems[0].message).toMatch(/U\+200B at position 5/);
    expect(await destinationNames()).toEqual(['A-D1']);
  });

  it('refuses a username with a zero-width space, so "admin" and "admin\\u200b" cannot live side by side', async () => {
    expectRefused(await create(UNIQUE_KINDS['user login']!, 'admin\u200b'), 'BAD_USER_INPUT', 'input.username');
    const users = await t.ok('{ userLogins { nodes { username } } }', {}, w.admin);
    expect(users.userLogins.nodes.map((u: { username: string }) => u.username)).toEqual(['admin']);
  });

  it('refuses bidirectional overrides and isolates, soft hyphens, joiners and byte-order marks in names', async () => {
    for (const name of ['\u202eevil.exe', 'Sales\u2066 Line\u2069', 'Sal\u00ades', 'Sales\u200d Line', 'Sales\ufeffLine', 'Sales\u200e Line']) {
      expectRefused(await t.gql(DESTINATION, destination(name), w.admin), 'BAD_USER_INPUT', 'input.name');
    }
    expect(await destinationNames()).toEqual([]);
  });

  it('refuses C1 controls, line and paragraph separators, unassigned code points and noncharacters in names', async () => {
    for (const name of ['Sales\u0085Line', 'Sales\u009b Line', 'Sales\u2028Line', 'Sales\u2029Line', 'Sales \u0378', 'Sales \ufffe']) {
      expectRefused(await t.gql(DESTINATION, destination(name), w.admin), 'BAD_USER_INPUT', 'input.name');
    }
    expect(await destinationNames()).toEqual([]);
  });

  it.each(Object.keys({ ...UNIQUE_KINDS, ...OTHER_NAMES }))('refuses a format character in the name of a %s as BAD_USER_INPUT naming its field', async (kindName) => {
    const kind = (UNIQUE_KINDS[kindName] ?? OTHER_NAMES[kindName])!;
    expectRefused(await create(kind, 'Na\u200bme'), 'BAD_USER_INPUT', kind.field);
    expectRefused(await create(kind, '\u202eemaN'), 'BAD_USER_INPUT', kind.field);
  });

  it.each(Object.keys(UNIQUE_KINDS))('refuses a second %s whose name differs only in letter case as CONFLICT on its name field', async (kindName) => {
    const kind = UNIQUE_KINDS[kindName]!;
    const first = kindName === 'user login' ? 'admin' : 'Sales Line'; // the company's administrator is "admin"
    if (kindName !== 'user login') expect((await create(kind, first)).errors).toBeUndefined();
    expectRefused(await create(kind, first.toUpperCase()), 'CONFLICT', kind.field);
    expectRefused(await create(kind, first[0]!.toUpperCase() + first.slice(1)), 'CONFLICT', kind.field);
  });

  it('refuses destination names that read the same after compatibility normalisation and case folding as CONFLICT on input.name', async () => {
    for (const [stored, lookAlike] of [['finance', '\ufb01nance'], ['A-D1', '\uff21-\uff24\uff11'], ['Straße', 'STRASSE'], ['Night line', 'Night\u00a0LINE'], ['Two words', 'two  words']]) {
      await t.ok(DESTINATION, destination(stored!), w.admin);
      const res = await t.gql(DESTINATION, destination(lookAlike!), w.admin);
      expectRefused(res, 'CONFLICT', 'input.name');
    }
    expect((await destinationNames()).sort()).toEqual(['A-D1', 'Night line', 'Straße', 'Two words', 'finance']);
  });

  it('refuses renaming a destination onto another one\'s name in other letters, while renaming one to its own name in other letters succeeds', async () => {
    const sales = (await t.ok(DESTINATION, destination('Sales'), w.admin)).createExternalDestination;
    const support = (await t.ok(DESTINATION, destination('Support'), w.admin)).createExternalDestination;
    expectRefused(await t.gql(UPDATE_DESTINATION, { id: support.id, ...destination('SALES') }, w.admin), 'CONFLICT', 'input.name');
    const renamed = await t.ok(UPDATE_DESTINATION, { id: sales.id, ...destination('SALES') }, w.admin);
    expect(renamed.updateExternalDestination.name).toBe('SALES');
    expect((await destinationNames()).sort()).toEqual(['SALES', 'Support']);
  });

  it('refuses a description holding a lone surrogate, which could not be stored as given, naming input.description', async () => {
    expectRefused(await t.gql(DESTINATION, destination('Sales', { description: 'Overflow \ud83d line' }), w.admin), 'BAD_USER_INPUT', 'input.description');
    // Line breaks, tabs and joined emoji stay allowed in free text.
    const ok = await t.ok('mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { description } }', destination('Sales', { description: 'Line 1\n\tLine 2 \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67' }), w.admin);
    expect(ok.createExternalDestination.description).toBe('Line 1\n\tLine 2 \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67');
  });

  it.each(['external destination', 'time range', 'call flow'])('lets exactly one of racing creates of a %s named alike in other letters win; the others answer CONFLICT', async (kindName) => {
    const kind = UNIQUE_KINDS[kindName]!;
    const names = ['Race', 'RACE', 'race', 'rACE', 'RaCe', 'rAcE'];
    const answers = await Promise.all(names.map((name) => create(kind, name)));
    expect(answers.filter((a) => a.errors === undefined)).toHaveLength(1);
    for (const a of answers.filter((a) => a.errors !== undefined)) expect(a.errors![0]!.extensions!.code).toBe('CONFLICT');
  });
});

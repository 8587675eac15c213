import { dialects } from '../support/dialects';
import { createDestination, destinationInput, provisionCompany, type Company } from '../support/fixtures';
import { startTestGateway, type GraphQLResponse, type TestGateway } from '../support/test-gateway';

/**
 * Bad inputs are refused before anything is written (API.md: BAD_USER_INPUT with `extensions.field`, the input
 * path; CONFLICT for a duplicate name, a stale `expectedVersion` or an object in use), and no answer carries
 * internals (no stack trace, no SQL).
 */

const DESTINATION_FIELDS = `id version name description enabled numberMode number prefix lastDigits matchPrefix maxSimultaneousCalls
  outdialTimeoutSec busyBackoffSec noAnswerBackoffSec failureBackoffSec retryIntervalSec maxConsecutiveFailures updatedAt`;
const CREATE_DESTINATION = `mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { ${DESTINATION_FIELDS} } }`;
const UPDATE_DESTINATION = `mutation($id: ID!, $i: ExternalDestinationInput!, $v: Int) {
  updateExternalDestination(id: $id, input: $i, expectedVersion: $v) { ${DESTINATION_FIELDS} } }`;
const CREATE_QUEUE = `mutation($i: QueueInput!) { createQueue(input: $i) { id version name } }`;
const UPDATE_QUEUE = `mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { id version name } }`;

type GqlError = { message: string; extensions?: Record<string, any> };

/** Asserts that an answer carries no internals: no stack trace, no SQL, no driver error. */
function expectNoInternals(res: GraphQLResponse): void {
  for (const error of res.errors ?? []) {
    expect(error.extensions?.stacktrace).toBeUndefined();
    expect(error.extensions?.exception).toBeUndefined();
    expect(JSON.stringify(error)).not.toMatch(/SELECT|INSERT|UPDATE "|DELETE FROM|QueryFailedError|SQLITE_|duplicate key|violates|at .*\.(ts|js):\d+/);
  }
}

/** Asserts a refusal with one error of `code`, naming `field`; returns the error. */
function expectRefused(res: GraphQLResponse, code: 'BAD_USER_INPUT' | 'CONFLICT', field?: string): GqlError {
  expectNoInternals(res);
  expect(res.errors).toHaveLength(1);
  const error = res.errors![0]!;
  expect({ code: error.extensions?.code, field: error.extensions?.field }).toEqual({ code, field });
  expect(res.data ?? null).toBeNull();
  return error;
}

const name101 = 'x'.repeat(101);
const name100 = 'y'.repeat(100);

interface DestinationCase {
  title: string;
  input: Record<string, unknown>;
  field: string;
  /** The same input is also refused when it updates an existing FULL_NUMBER destination. */
  onUpdate: boolean;
}

const badDestinations: DestinationCase[] = [
  { title: 'a number too short for its country ("+4420")', input: { number: '+4420' }, field: 'input.number', onUpdate: true },
  { title: 'a number with an extension ("+44 20 7946 0958 ext 12")', input: { number: '+44 20 7946 0958 ext 12' }, field: 'input.number', onUpdate: true },
  { title: 'a number inside other text ("call +442079460958 now")', input: { number: 'call +442079460958 now' }, field: 'input.number', onUpdate: true },
  { title: 'a number with letters ("+44 20 ABC 0958")', input: { number: '+44 20 ABC 0958' }, field: 'input.number', onUpdate: true },
  { title: 'a number with a 00 prefix instead of + ("0044 20 7946 0958")', input: { number: '0044 20 7946 0958' }, field: 'input.number', onUpdate: true },
  { title: 'maxSimultaneousCalls 0', input: { maxSimultaneousCalls: 0 }, field: 'input.maxSimultaneousCalls', onUpdate: true },
  { title: 'maxSimultaneousCalls -1', input: { maxSimultaneousCalls: -1 }, field: 'input.maxSimultaneousCalls', onUpdate: true },
  { title: 'maxSimultaneousCalls 10001', input: { maxSimultaneousCalls: 10001 }, field: 'input.maxSimultaneousCalls', onUpdate: true },
  { title: 'outdialTimeoutSec 4', input: { outdialTimeoutSec: 4 }, field: 'input.outdialTimeoutSec', onUpdate: true },
  { title: 'outdialTimeoutSec 301', input: { outdialTimeoutSec: 301 }, field: 'input.outdialTimeoutSec', onUpdate: true },
  { title: 'busyBackoffSec -1', input: { busyBackoffSec: -1 }, field: 'input.busyBackoffSec', onUpdate: true },
  { title: 'failureBackoffSec 0', input: { failureBackoffSec: 0 }, field: 'input.failureBackoffSec', onUpdate: true },
  { title: 'retryIntervalSec 0', input: { retryIntervalSec: 0 }, field: 'input.retryIntervalSec', onUpdate: true },
  { title: 'maxConsecutiveFailures 1001', input: { maxConsecutiveFailures: 1001 }, field: 'input.maxConsecutiveFailures', onUpdate: true },
  { title: 'an empty name', input: { name: '' }, field: 'input.name', onUpdate: true },
  { title: 'a name of spaces only', input: { name: '   ' }, field: 'input.name', onUpdate: true },
  { title: 'a 101-character name', input: { name: name101 }, field: 'input.name', onUpdate: true },
  { title: 'a 251-character description', input: { description: 'd'.repeat(251) }, field: 'input.description', onUpdate: true },
  { title: 'FULL_NUMBER without a number', input: { numberMode: 'FULL_NUMBER', number: null }, field: 'input.number', onUpdate: false },
  {
    title: 'PREFIX_PLUS_LAST_DIGITS without a prefix',
    input: { numberMode: 'PREFIX_PLUS_LAST_DIGITS', number: null, lastDigits: 4 },
    field: 'input.prefix',
    onUpdate: true,
  },
  {
    title: 'PREFIX_PLUS_LAST_DIGITS without lastDigits',
    input: { numberMode: 'PREFIX_PLUS_LAST_DIGITS', number: null, prefix: '+4420794' },
    field: 'input.lastDigits',
    onUpdate: true,
  },
  {
    title: 'PREFIX_REPLACING_MATCHED_PREFIX without matchPrefix',
    input: { numberMode: 'PREFIX_REPLACING_MATCHED_PREFIX', number: null, prefix: '+44207' },
    field: 'input.matchPrefix',
    onUpdate: true,
  },
  {
    title: 'a number given with the PREFIX_PLUS_LAST_DIGITS mode',
    input: { numberMode: 'PREFIX_PLUS_LAST_DIGITS', number: '+442079460958', prefix: '+4420794', lastDigits: 4 },
    field: 'input.number',
    onUpdate: true,
  },
  {
    title: 'a number given with the PREFIX_REPLACING_MATCHED_PREFIX mode',
    input: { numberMode: 'PREFIX_REPLACING_MATCHED_PREFIX', number: '+442079460958', prefix: '+44207', matchPrefix: '0800' },
    field: 'input.number',
    onUpdate: true,
  },
  {
    title: 'a prefix given with the FULL_NUMBER mode',
    input: { numberMode: 'FULL_NUMBER', number: '+442079460958', prefix: '+44' },
    field: 'input.prefix',
    onUpdate: true,
  },
];

describe.each(dialects())('input validation on %s', (dialect) => {
  let t: TestGateway;
  let company: Company;
  let token: string;
  /** A FULL_NUMBER destination the update cases try to change. */
  let target: { id: string; name: string; version: number };
  /** Six agent groups for the queue cases, and a queue to update. */
  const groups: string[] = [];
  let queue: { id: string; version: number; name: string };

  const gql = (query: string, variables: Record<string, unknown> = {}) => t.gql(query, variables, token);

  async function destinations(): Promise<{ totalCount: number; nodes: unknown[] }> {
    const data = await t.ok(`{ externalDestinations { totalCount nodes { ${DESTINATION_FIELDS} } } }`, {}, token);
    return data.externalDestinations;
  }

  async function queues(): Promise<{ totalCount: number; nodes: unknown[] }> {
    const data = await t.ok(`{ queues { totalCount nodes { id version name agentRingTimeoutSec
      groups { priority group { id } overflow { queueLengthAbove oldestWaitAboveSec noAgentsLoggedIn } } } } }`, {}, token);
    return data.queues;
  }

  beforeAll(async () => {
    t = await startTestGateway(dialect);
    company = await provisionCompany(t, 'validation');
    token = company.adminToken;
    target = await createDestination(t, token, { name: 'Target', maxSimultaneousCalls: 5, description: 'kept as is' });
    for (let i = 1; i <= 6; i += 1) {
      const g = await t.ok(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`, {
        i: { name: `Group ${i}`, agentIds: [], externalDestinationIds: [] },
      }, token);
      groups.push(g.createAgentGroup.id);
    }
    const q = await t.ok(CREATE_QUEUE, { i: { name: 'Existing queue', groups: [{ groupId: groups[0] }] } }, token);
    queue = q.createQueue;
  });
  afterAll(() => t.close());

  describe('external destinations', () => {
    it.each(badDestinations)('createExternalDestination refuses $title as BAD_USER_INPUT on $field and writes nothing', async ({ input, field }) => {
      const before = await destinations();
      const res = await gql(CREATE_DESTINATION, { i: destinationInput(input) });
      const error = expectRefused(res, 'BAD_USER_INPUT', field);
      expect(error.extensions!.problems).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(await destinations()).toEqual(before);
    });

    it.each(badDestinations.filter((c) => c.onUpdate))(
      'updateExternalDestination refuses $title as BAD_USER_INPUT on $field and leaves the destination and its version unchanged',
      async ({ input, field }) => {
        const before = await destinations();
        const res = await gql(UPDATE_DESTINATION, { id: target.id, i: { name: 'Target', numberMode: 'FULL_NUMBER', ...input } });
        expectRefused(res, 'BAD_USER_INPUT', field);
        expect(await destinations()).toEqual(before);
      },
    );

    it('names the field of a number too large for a GraphQL Int, and writes nothing', async () => {
      const before = await destinations();
      const res = await gql(CREATE_DESTINATION, { i: destinationInput({ name: 'Huge', maxSimultaneousCalls: 2147483648 }) });
      expectNoInternals(res);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'i.maxSimultaneousCalls' });
      expect(await destinations()).toEqual(before);
    });

    it('stores a valid international number written with spaces in its E.164 form', async () => {
      const res = await gql(CREATE_DESTINATION, { i: destinationInput({ name: 'Spaced', number: '+44 20 7946 0958' }) });
      expectNoInternals(res);
      expect(res.errors).toBeUndefined();
      expect(res.data.createExternalDestination.number).toBe('+442079460958');
      const read = await t.ok(`query($id: ID!) { externalDestination(id: $id) { number } }`, { id: res.data.createExternalDestination.id }, token);
      expect(read.externalDestination.number).toBe('+442079460958');
    });

    it('accepts a null maxSimultaneousCalls as unlimited, on create and on update', async () => {
      const created = await t.ok(CREATE_DESTINATION, { i: destinationInput({ name: 'Unlimited', maxSimultaneousCalls: null }) }, token);
      expect(created.createExternalDestination.maxSimultaneousCalls).toBeNull();
      const limited = await t.ok(CREATE_DESTINATION, { i: destinationInput({ name: 'Limited then unlimited', maxSimultaneousCalls: 3 }) }, token);
      expect(limited.createExternalDestination.maxSimultaneousCalls).toBe(3);
      const updated = await t.ok(UPDATE_DESTINATION, {
        id: limited.createExternalDestination.id,
        i: { name: 'Limited then unlimited', numberMode: 'FULL_NUMBER', maxSimultaneousCalls: null },
      }, token);
      expect(updated.updateExternalDestination.maxSimultaneousCalls).toBeNull();
      expect(updated.updateExternalDestination.version).toBe(limited.createExternalDestination.version + 1);
    });

    it('accepts every limit at its boundary: a 100-character name, a 250-character description and the extreme timeouts', async () => {
      const input = {
        name: name100,
        numberMode: 'FULL_NUMBER',
        number: '+442079460958',
        description: 'e'.repeat(250),
        maxSimultaneousCalls: 10000,
        outdialTimeoutSec: 300,
        busyBackoffSec: 0,
        noAnswerBackoffSec: 86400,
        failureBackoffSec: 1,
        retryIntervalSec: 1,
        maxConsecutiveFailures: 1000,
      };
      const created = await t.ok(CREATE_DESTINATION, { i: input }, token);
      expect(created.createExternalDestination).toMatchObject(input);
      const lower = await t.ok(CREATE_DESTINATION, {
        i: destinationInput({ name: 'Lower bounds', maxSimultaneousCalls: 1, outdialTimeoutSec: 5, busyBackoffSec: 86400, failureBackoffSec: 86400, retryIntervalSec: 86400, maxConsecutiveFailures: 0 }),
      }, token);
      expect(lower.createExternalDestination).toMatchObject({ maxSimultaneousCalls: 1, outdialTimeoutSec: 5, maxConsecutiveFailures: 0 });
    });

    it('lists every problem of an input with several problems in extensions.problems, the first as extensions.field', async () => {
      const before = await destinations();
      const res = await gql(CREATE_DESTINATION, {
        i: { name: '', numberMode: 'FULL_NUMBER', number: '+4420', maxSimultaneousCalls: 0, outdialTimeoutSec: 4, description: 'd'.repeat(251) },
      });
      const error = expectRefused(res, 'BAD_USER_INPUT', 'input.name');
      const fields = (error.extensions!.problems as Array<{ field: string; message: string }>).map((p) => p.field);
      expect([...fields].sort()).toEqual(['input.description', 'input.maxSimultaneousCalls', 'input.name', 'input.number', 'input.outdialTimeoutSec'].sort());
      for (const problem of error.extensions!.problems) expect(problem.message).toEqual(expect.any(String));
      expect(await destinations()).toEqual(before);
    });

    it('lists both missing number fields of a PREFIX_PLUS_LAST_DIGITS destination without prefix and lastDigits', async () => {
      const res = await gql(CREATE_DESTINATION, { i: { name: 'Prefixless', numberMode: 'PREFIX_PLUS_LAST_DIGITS' } });
      const error = expectRefused(res, 'BAD_USER_INPUT', 'input.prefix');
      expect(error.extensions!.problems.map((p: { field: string }) => p.field).sort()).toEqual(['input.lastDigits', 'input.prefix']);
    });

    it('refuses a second name equal to the first after NFC normalisation as CONFLICT on input.name, on create and on rename', async () => {
      const first = await t.ok(CREATE_DESTINATION, { i: destinationInput({ name: 'Caf\u00e9' }) }, token);
      expect(first.createExternalDestination.name).toBe('Caf\u00e9');
      const before = await destinations();
      expectRefused(await gql(CREATE_DESTINATION, { i: destinationInput({ name: 'Cafe\u0301' }) }), 'CONFLICT', 'input.name');
      expectRefused(
        await gql(UPDATE_DESTINATION, { id: target.id, i: { name: 'Cafe\u0301', numberMode: 'FULL_NUMBER' } }),
        'CONFLICT',
        'input.name',
      );
      expect(await destinations()).toEqual(before);
    });

    it('refuses a stale expectedVersion on updateExternalDestination as CONFLICT and changes nothing, while the current version succeeds', async () => {
      const current = await t.ok(`query($id: ID!) { externalDestination(id: $id) { version maxSimultaneousCalls } }`, { id: target.id }, token);
      const version: number = current.externalDestination.version;
      const before = await destinations();
      const res = await gql(UPDATE_DESTINATION, { id: target.id, v: version - 1, i: { name: 'Target', numberMode: 'FULL_NUMBER', maxSimultaneousCalls: 9 } });
      const error = expectRefused(res, 'CONFLICT', 'expectedVersion');
      expect(error.message).not.toMatch(/Target/);
      const ahead = await gql(UPDATE_DESTINATION, { id: target.id, v: version + 1, i: { name: 'Target', numberMode: 'FULL_NUMBER', maxSimultaneousCalls: 9 } });
      expectRefused(ahead, 'CONFLICT', 'expectedVersion');
      expect(await destinations()).toEqual(before);
      const ok = await t.ok(UPDATE_DESTINATION, { id: target.id, v: version, i: { name: 'Target', numberMode: 'FULL_NUMBER', maxSimultaneousCalls: 9 } }, token);
      expect(ok.updateExternalDestination).toMatchObject({ version: version + 1, maxSimultaneousCalls: 9, description: 'kept as is' });
    });

    it('refuses to delete a destination an agent group uses with CONFLICT naming the group, and keeps it', async () => {
      const used = await createDestination(t, token, { name: 'In use' });
      await t.ok(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`, {
        i: { name: 'Night shift partners', agentIds: [], externalDestinationIds: [used.id] },
      }, token);
      const res = await gql(`mutation($id: ID!) { deleteExternalDestination(id: $id) }`, { id: used.id });
      const error = expectRefused(res, 'CONFLICT');
      expect(error.message).toContain('Night shift partners');
      const still = await t.ok(`query($id: ID!) { externalDestination(id: $id) { id version groups { name } } }`, { id: used.id }, token);
      expect(still.externalDestination).toEqual({ id: used.id, version: used.version, groups: [{ name: 'Night shift partners' }] });
    });
  });

  describe('queues', () => {
    const overflow = { queueLengthAbove: 2 };
    const queueCases: Array<{ title: string; groups: () => unknown[]; field: string }> = [
      { title: 'no group at all', groups: () => [], field: 'input.groups' },
      {
        title: 'six groups',
        groups: () => groups.map((groupId, i) => (i === 0 ? { groupId } : { groupId, overflow })),
        field: 'input.groups',
      },
      {
        title: 'an overflow condition on the first group',
        groups: () => [{ groupId: groups[0], overflow }],
        field: 'input.groups[0].overflow',
      },
      {
        title: 'a second group without an overflow condition',
        groups: () => [{ groupId: groups[0] }, { groupId: groups[1] }],
        field: 'input.groups[1].overflow',
      },
      {
        title: 'a second group with an empty overflow condition',
        groups: () => [{ groupId: groups[0] }, { groupId: groups[1], overflow: { noAgentsLoggedIn: false } }],
        field: 'input.groups[1].overflow',
      },
      {
        title: 'the same group twice',
        groups: () => [{ groupId: groups[0] }, { groupId: groups[0], overflow }],
        field: 'input.groups[1].groupId',
      },
    ];

    it.each(queueCases)('createQueue refuses $title as BAD_USER_INPUT on $field and writes nothing', async ({ groups: list, field }) => {
      const before = await queues();
      expectRefused(await gql(CREATE_QUEUE, { i: { name: 'Refused queue', groups: list() } }), 'BAD_USER_INPUT', field);
      expect(await queues()).toEqual(before);
    });

    it.each(queueCases)('updateQueue refuses $title as BAD_USER_INPUT on $field and leaves the queue and its version unchanged', async ({ groups: list, field }) => {
      const before = await queues();
      expectRefused(await gql(UPDATE_QUEUE, { id: queue.id, i: { name: 'Existing queue', groups: list() } }), 'BAD_USER_INPUT', field);
      expect(await queues()).toEqual(before);
    });

    it('refuses out-of-range queue settings and overflow thresholds, naming each field, and writes nothing', async () => {
      const before = await queues();
      const res = await gql(CREATE_QUEUE, {
        i: {
          name: 'Out of range',
          agentRingTimeoutSec: 4,
          agentRetrySec: 3601,
          wrapUpSec: -1,
          maxQueueLength: 100001,
          maxWaitSec: 86401,
          groups: [{ groupId: groups[0] }, { groupId: groups[1], overflow: { queueLengthAbove: -1, oldestWaitAboveSec: 86401 } }],
        },
      });
      const error = expectRefused(res, 'BAD_USER_INPUT', 'input.agentRingTimeoutSec');
      expect(error.extensions!.problems.map((p: { field: string }) => p.field).sort()).toEqual([
        'input.agentRetrySec',
        'input.agentRingTimeoutSec',
        'input.groups[1].overflow.oldestWaitAboveSec',
        'input.groups[1].overflow.queueLengthAbove',
        'input.maxQueueLength',
        'input.maxWaitSec',
        'input.wrapUpSec',
      ]);
      expect(await queues()).toEqual(before);
    });

    it('accepts five groups, the first without and the others with an overflow condition', async () => {
      const list = groups.slice(0, 5).map((groupId, i) => (i === 0 ? { groupId } : { groupId, overflow: { oldestWaitAboveSec: 30 * i } }));
      const created = await t.ok(`mutation($i: QueueInput!) { createQueue(input: $i) { groups { priority group { id } overflow { oldestWaitAboveSec } } } }`, {
        i: { name: 'Five groups', groups: list },
      }, token);
      expect(created.createQueue.groups).toEqual(groups.slice(0, 5).map((id, i) => ({
        priority: i + 1,
        group: { id },
        overflow: i === 0 ? null : { oldestWaitAboveSec: 30 * i },
      })));
    });

    it('refuses a queue name that is empty or 101 characters long, and a name already used', async () => {
      const before = await queues();
      expectRefused(await gql(CREATE_QUEUE, { i: { name: '', groups: [{ groupId: groups[0] }] } }), 'BAD_USER_INPUT', 'input.name');
      expectRefused(await gql(CREATE_QUEUE, { i: { name: name101, groups: [{ groupId: groups[0] }] } }), 'BAD_USER_INPUT', 'input.name');
      expectRefused(await gql(CREATE_QUEUE, { i: { name: 'Existing queue', groups: [{ groupId: groups[0] }] } }), 'CONFLICT', 'input.name');
      expect(await queues()).toEqual(before);
    });
  });

  describe('lists', () => {
    const lists = ['externalDestinations', 'agents', 'agentGroups', 'queues', 'roles', 'userLogins', 'externalDestinationsProfiles', 'connectorApiKeys'];
    const page = (list: string) => `query($first: Int, $after: String) { ${list}(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } }`;
    const garbageCursors = [
      'garbage',
      'not a cursor at all!',
      Buffer.from('{"name":"x"}').toString('base64url'),
      Buffer.from('["Group 1","not-a-uuid"]').toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
    ];

    it.each(lists)('%s refuses first: 0 and first: 501 as BAD_USER_INPUT on "first"', async (list) => {
      expectRefused(await gql(page(list), { first: 0 }), 'BAD_USER_INPUT', 'first');
      expectRefused(await gql(page(list), { first: 501 }), 'BAD_USER_INPUT', 'first');
      expectRefused(await gql(page(list), { first: -1 }), 'BAD_USER_INPUT', 'first');
      const ok = await gql(page(list), { first: 500 });
      expect(ok.errors).toBeUndefined();
      expect(ok.data[list].totalCount).toBeGreaterThanOrEqual(0);
    });

    it.each(lists)('%s refuses a garbage after cursor as BAD_USER_INPUT on "after"', async (list) => {
      for (const after of garbageCursors) expectRefused(await gql(page(list), { first: 1, after }), 'BAD_USER_INPUT', 'after');
    });

    it('pages through agent groups with the cursors it hands out, without repeats or gaps', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let total = 0;
      for (let i = 0; i < 20; i += 1) {
        const res: GraphQLResponse = await gql(page('agentGroups'), { first: 2, after });
        expect(res.errors).toBeUndefined();
        const conn = res.data.agentGroups;
        total = conn.totalCount;
        seen.push(...conn.nodes.map((n: { id: string }) => n.id));
        if (!conn.pageInfo.hasNextPage) break;
        after = conn.pageInfo.endCursor;
      }
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(seen).toEqual(expect.arrayContaining(groups));
    });
  });

  describe('internals', () => {
    it('never answers with a stack trace or SQL text, even for inputs the database itself would choke on', async () => {
      const before = await destinations();
      const probes: Array<[string, Record<string, unknown>]> = [
        [CREATE_DESTINATION, { i: destinationInput({ name: 'Nul\u0000name' }) }],
        [CREATE_DESTINATION, { i: destinationInput({ name: "Robert'); DROP TABLE external_destination;--", number: '+44 20 7946 0958; DROP' }) }],
        [CREATE_DESTINATION, { i: destinationInput({ name: 'x'.repeat(5000) }) }],
        [CREATE_DESTINATION, { i: destinationInput({ number: '+' + '9'.repeat(40) }) }],
        [CREATE_DESTINATION, { i: destinationInput({ numberMode: 'PREFIX_PLUS_LAST_DIGITS', number: null, prefix: '+' + '4'.repeat(30), lastDigits: 99 }) }],
        [`query($id: ID!) { externalDestination(id: $id) { id } }`, { id: "' OR 1=1 --" }],
        [`query($id: ID!) { externalDestination(id: $id) { id } }`, { id: '00000000-0000-0000-0000-00000000000g' }],
        [`query($after: String) { externalDestinations(first: 1, after: $after) { totalCount } }`, { after: Buffer.from(`["' OR 1=1 --","00000000-0000-4000-8000-000000000000"]`).toString('base64url') }],
        [`query($f: ExternalDestinationFilter) { externalDestinations(filter: $f) { totalCount } }`, { f: { nameContains: "%' OR '1'='1" } }],
        [`mutation($id: ID!) { deleteExternalDestination(id: $id) }`, { id: '' }],
      ];
      for (const [query, variables] of probes) {
        const res = await gql(query, variables);
        expectNoInternals(res);
        for (const error of res.errors ?? []) {
          expect(error.message).not.toMatch(/SELECT|INSERT|QueryFailedError/);
        }
      }
      // The tricky filter finds nothing rather than everything.
      const filtered = await t.ok(`query($f: ExternalDestinationFilter) { externalDestinations(filter: $f) { totalCount } }`, { f: { nameContains: "%' OR '1'='1" } }, token);
      expect(filtered.externalDestinations.totalCount).toBe(0);
      expect(await destinations()).toEqual(before);
    });

    it('refuses a description containing a NUL character as BAD_USER_INPUT on input.description, as PostgreSQL cannot store it', async () => {
      // The only answer that is the same on every supported database (and not an INTERNAL_SERVER_ERROR) is a refusal.
      const before = await destinations();
      expectRefused(await gql(CREATE_DESTINATION, { i: destinationInput({ name: 'Nul description', description: 'before\u0000after' }) }), 'BAD_USER_INPUT', 'input.description');
      expectRefused(
        await gql(UPDATE_DESTINATION, { id: target.id, i: { name: 'Target', numberMode: 'FULL_NUMBER', description: 'before\u0000after' } }),
        'BAD_USER_INPUT',
        'input.description',
      );
      expect(await destinations()).toEqual(before);
    });

    it('refuses a forged after cursor whose sort key holds a NUL character as BAD_USER_INPUT on "after"', async () => {
      // No list ever hands out such a cursor: names and usernames refuse control characters.
      const forged = Buffer.from(JSON.stringify(['\u0000', '00000000-0000-4000-8000-000000000000'])).toString('base64url');
      expectRefused(await gql(`query($a: String) { externalDestinations(first: 1, after: $a) { totalCount } }`, { a: forged }), 'BAD_USER_INPUT', 'after');
      expectRefused(await gql(`query($a: String) { agentGroups(first: 1, after: $a) { totalCount } }`, { a: forged }), 'BAD_USER_INPUT', 'after');
    });

    it('answers a nameContains filter holding a NUL character with an empty page or BAD_USER_INPUT, never an internal error', async () => {
      const res = await gql(`query($f: ExternalDestinationFilter) { externalDestinations(filter: $f) { totalCount } }`, { f: { nameContains: 'Target\u0000' } });
      expectNoInternals(res);
      if (res.errors) {
        expect(res.errors).toHaveLength(1);
        expect(res.errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.nameContains' });
      } else {
        expect(res.data.externalDestinations.totalCount).toBe(0);
      }
    });

    it('refuses a name with a control character as BAD_USER_INPUT on input.name', async () => {
      expectRefused(await gql(CREATE_DESTINATION, { i: destinationInput({ name: 'Nul\u0000name' }) }), 'BAD_USER_INPUT', 'input.name');
      expectRefused(await gql(CREATE_DESTINATION, { i: destinationInput({ name: 'Tab\tname' }) }), 'BAD_USER_INPUT', 'input.name');
    });
  });
});

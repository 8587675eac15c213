import { createHash } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery } from 'graphql';
import pino from 'pino';
import { boundsOfSchema } from '../../src/input-bounds';
import { provisionCompany, type Company } from '../support/fixtures';
import { RawSocket } from '../support/raw-socket';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * A client's mistake is answered with a coded client error, never INTERNAL_SERVER_ERROR (decision 016): every
 * string an operation carries has a length limit and every number a range, checked before anything runs.
 */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('coded client errors, never internal ones', () => {
  let t: TestGateway;
  let company: Company;
  const logs: Array<Record<string, any>> = [];
  /** Lines logged at error level or above (an internal error logs its stack). */
  const internal = () => logs.filter((l) => l.level >= 50);

  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    t = await startTestGateway('sqlite', {}, { logger });
    company = await provisionCompany(t, 'coded');
  });
  afterAll(async () => {
    await RawSocket.closeAll();
    await t?.close();
  });
  beforeEach(() => {
    logs.length = 0;
  });

  /** POSTs a raw body (for the persisted-query extension, which the test client does not send). */
  const post = async (body: unknown, token?: string) => {
    const res = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, any> }> } };
  };

  it('answers a persisted-query hash that does not match its query with the coded PERSISTED_QUERY_NOT_SUPPORTED, logging no internal error', async () => {
    const query = '{ __typename }';
    const mismatched = await post({ query, extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ somethingElse }') } } });
    expect(mismatched.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    expect(mismatched.status).toBeLessThan(500);
    const hashOnly = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } });
    expect(hashOnly.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const badVersion = await post({ query, extensions: { persistedQuery: { version: 2, sha256Hash: sha256(query) } } });
    expect(badVersion.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    for (const answer of [mismatched, hashOnly, badVersion]) expect(JSON.stringify(answer.body)).not.toMatch(/INTERNAL_SERVER_ERROR|stacktrace/);
    expect(internal()).toEqual([]);
  });

  it('refuses a 90 000-character nameContains with HTTP 400 BAD_USER_INPUT on filter.nameContains, logging no internal error', async () => {
    const res = await post({
      query: 'query($f: ExternalDestinationFilter) { externalDestinations(filter: $f) { totalCount } }',
      variables: { f: { nameContains: 'a'.repeat(90_000) } },
    }, company.adminToken);
    expect(res.status).toBe(400);
    expect(res.body.errors).toHaveLength(1);
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.nameContains' });
    expect(res.body.errors![0]!.message).toMatch(/at most 400 characters/);
    expect(internal()).toEqual([]);
  });

  it('refuses an over-long string wherever it is (a variable, a literal, a list element, an input field) with BAD_USER_INPUT naming its path', async () => {
    const login = await t.gql('mutation($u: String!) { login(companySlug: "coded", username: $u, password: "x") { token } }', { u: 'u'.repeat(90_000) });
    expect(login.status).toBe(400);
    expect(login.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'username' });

    const literal = await t.gql(`{ externalDestination(id: "${'9'.repeat(5_000)}") { id } }`, {}, company.adminToken);
    expect(literal.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });

    const element = await t.gql(
      'query($ids: [ID!]) { agentStatsList(from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z", ids: $ids) { agentId } }',
      { ids: ['00000000-0000-4000-8000-000000000000', 'x'.repeat(101)] }, company.adminToken,
    );
    expect(element.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids[1]' });

    const nested = await t.gql(
      'mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }',
      { i: { username: 'someone', password: 'p'.repeat(5_000), kind: 'AGENT' } }, company.adminToken,
    );
    expect(nested.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.password' });
    expect(internal()).toEqual([]);
  });

  it('refuses numbers outside their range: serviceLevelSec -1 or 3601 on every statistics query, a negative expectedVersion', async () => {
    const range = { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' };
    const queries = [
      'query($from: DateTime!, $to: DateTime!, $s: Int!) { queueStatsList(from: $from, to: $to, serviceLevelSec: $s) { queueId } }',
      'query($from: DateTime!, $to: DateTime!, $s: Int!) { statisticsCsv(kind: QUEUES, from: $from, to: $to, serviceLevelSec: $s) }',
    ];
    for (const query of queries) {
      for (const s of [-1, 3601]) {
        const res = await t.gql(query, { ...range, s }, company.adminToken);
        expect(res.status).toBe(400);
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'serviceLevelSec' });
      }
      for (const s of [0, 3600]) expect((await t.gql(query, { ...range, s }, company.adminToken)).errors).toBeUndefined();
    }
    const literal = await t.gql(`{ queueStats(id: "00000000-0000-4000-8000-000000000000", from: "${range.from}", to: "${range.to}", serviceLevelSec: -1) { queueId } }`, {}, company.adminToken);
    expect(literal.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'serviceLevelSec' });
    const version = await t.gql('mutation { updateRole(id: "00000000-0000-4000-8000-000000000000", expectedVersion: -1, input: { name: "r" }) { id } }', {}, company.adminToken);
    expect(version.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expectedVersion' });
  });

  it('holds subscriptions over WebSocket to the same bounds', async () => {
    const socket = await RawSocket.accepted(t, company.adminToken);
    socket.subscribe('1', 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId } }', { ids: ['x'.repeat(5_000)] });
    const error = await socket.waitFor((m) => m.id === '1' && m.type === 'error');
    expect(error.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids[0]' });
  });

  it('gives every string argument and input field of the schema a length limit, and every number a range (or the range its service checks)', async () => {
    const introspection = await t.ok(getIntrospectionQuery());
    const bounds = boundsOfSchema(buildClientSchema(introspection));
    expect(bounds.length).toBeGreaterThan(100);
    const unbounded = bounds.filter(({ type, bound }) =>
      type === 'String' || type === 'ID' ? !(bound.maxLength! > 0)
        : type === 'Int' || type === 'Float' ? bound.service === undefined && !(bound.min !== undefined && bound.max !== undefined)
          : false);
    expect(unbounded).toEqual([]);
  });
});

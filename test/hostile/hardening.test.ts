import { provisionCompany, type Company } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

/** One raw HTTP exchange with the gateway: status, headers, the body as text and (when it is JSON) parsed. */
interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function raw(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POSTs a body as application/json, as it is (a string is sent verbatim, anything else is stringified). */
function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return raw(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The error codes of a GraphQL answer. */
function codesOf(res: RawResponse): string[] {
  return (res.json?.errors ?? []).map((e: any) => e?.extensions?.code);
}

/** Fails when an answer leaks a stack trace or a Node/Express internal file path. */
function expectNoStackTrace(res: RawResponse): void {
  expect(res.text).not.toMatch(/stacktrace/i);
  expect(res.text).not.toMatch(/\bat [\w.<>]+ \(/);
  expect(res.text).not.toMatch(/node_modules|\.ts:\d+|\.js:\d+/);
  for (const error of res.json?.errors ?? []) expect(error.extensions?.stacktrace).toBeUndefined();
}

/** A query 11 levels deep (the default limit is 10). */
const TOO_DEEP = `{ queues { nodes { groups { group { externalDestinations { destination { groups {
  externalDestinations { destination { groups { name } } } } } } } } } } }`;

describe('a gateway hardened against abusive requests', () => {
  let t: TestGateway;
  let healthz: string;
  let readyz: string;
  let company: Company;

  beforeAll(async () => {
    t = await startTestGateway('sqlite');
    const base = new URL(t.url);
    healthz = new URL('/healthz', base).toString();
    readyz = new URL('/readyz', base).toString();
    company = await provisionCompany(t, 'hardening');
  });
  afterAll(() => t.close());

  it('answers /healthz and /readyz with 200', async () => {
    const health = await raw(healthz);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    const ready = await raw(readyz);
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ status: 'ready' });
  });

  it('refuses a query nested deeper than the depth limit with 400 QUERY_TOO_COMPLEX', async () => {
    const res = await postJson(t.url, { query: TOO_DEEP }, { authorization: `Bearer ${company.adminToken}` });
    expect(res.status).toBe(400);
    expect(codesOf(res)).toContain('QUERY_TOO_COMPLEX');
    expect(res.json.data).toBeUndefined();
    expectNoStackTrace(res);
  });

  it('counts depth through fragments, so a fragment cannot hide nesting', async () => {
    const query = `
      query { queues { nodes { groups { group { ...G } } } } }
      fragment G on AgentGroup { externalDestinations { destination { groups { externalDestinations { destination { groups { name } } } } } } }`;
    const res = await postJson(t.url, { query }, { authorization: `Bearer ${company.adminToken}` });
    expect(res.status).toBe(400);
    expect(codesOf(res)).toContain('QUERY_TOO_COMPLEX');
  });

  it('accepts an ordinary nested query well under the depth limit', async () => {
    const query = `{ queues { nodes { groups { group { externalDestinations { destination { name } } } } } } }`;
    const res = await postJson(t.url, { query }, { authorization: `Bearer ${company.adminToken}` });
    expect(res.json.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ queues: { nodes: [] } });
  });

  it('refuses a query with 100 aliases of a real field with 400 QUERY_TOO_COMPLEX', async () => {
    const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: queues { totalCount }`).join(' ');
    const res = await postJson(t.url, { query: `{ ${aliases} }` }, { authorization: `Bearer ${company.adminToken}` });
    expect(res.status).toBe(400);
    expect(codesOf(res)).toContain('QUERY_TOO_COMPLEX');
    expect(res.json.errors.some((e: any) => /alias/i.test(e.message))).toBe(true);
    expect(res.json.data).toBeUndefined();
    expectNoStackTrace(res);
  });

  it('refuses a query with 100 aliases of __typename with 400 QUERY_TOO_COMPLEX, as the alias limit counts every alias', async () => {
    const aliases = Array.from({ length: 100 }, (_, i) => `a${i}: __typename`).join(' ');
    const res = await postJson(t.url, { query: `{ ${aliases} }` });
    expect(res.status).toBe(400);
    expect(codesOf(res)).toContain('QUERY_TOO_COMPLEX');
    expect(res.json.data).toBeUndefined();
    expectNoStackTrace(res);
  });

  it('accepts a query with a few aliases', async () => {
    const res = await postJson(t.url, { query: '{ a: queues { totalCount } b: agents { totalCount } }' }, { authorization: `Bearer ${company.adminToken}` });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: { a: { totalCount: 0 }, b: { totalCount: 0 } } });
  });

  it('accepts a full page of 500 destinations with every scalar field within the cost limit', async () => {
    const fields = 'id name number prefix lastDigits matchPrefix maxSimultaneousCalls outdialTimeoutSec busyBackoffSec noAnswerBackoffSec failureBackoffSec retryIntervalSec maxConsecutiveFailures enabled description';
    const res = await postJson(t.url, { query: `{ externalDestinations(first: 500) { totalCount nodes { ${fields} } } }` }, { authorization: `Bearer ${company.adminToken}` });
    expect(res.json.errors).toBeUndefined();
    expect(res.status).toBe(200);
  });

  it('counts a page size passed as a variable in the cost, so a variable cannot hide an expensive query', async () => {
    const query = `query($n: Int) { queues(first: $n) { nodes { groups { group { agents { name } externalDestinations { destination { name } } } } } } }`;
    const big = await postJson(t.url, { query, variables: { n: 500 } }, { authorization: `Bearer ${company.adminToken}` });
    expect(big.status).toBe(400);
    expect(codesOf(big)).toEqual(['QUERY_TOO_COMPLEX']);
    const small = await postJson(t.url, { query, variables: { n: 10 } }, { authorization: `Bearer ${company.adminToken}` });
    expect(small.status).toBe(200);
  });

  it('refuses a document of 5000 tokens that fits the body limit with 400', async () => {
    const query = `{ ${Array.from({ length: 5000 }, () => '__typename').join(' ')} }`;
    const body = JSON.stringify({ query });
    expect(Buffer.byteLength(body)).toBeLessThan(100_000);
    const res = await postJson(t.url, body);
    expect(res.status).toBe(400);
    expect(res.json?.errors?.length).toBeGreaterThan(0);
    expect(res.json.errors[0].message).toMatch(/token/i);
    expect(res.json.data).toBeUndefined();
    expectNoStackTrace(res);
  });

  it('refuses a body over the 100 kB limit with 413 and a coded JSON error without a stack trace', async () => {
    const query = `{ __typename }`;
    const body = JSON.stringify({ query, variables: { padding: 'x'.repeat(150_000) } });
    const res = await postJson(t.url, body);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    expectNoStackTrace(res);
  });

  it('refuses a batched JSON array body with a 4xx answer and runs none of it', async () => {
    const res = await postJson(t.url, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain('"__typename":"Query"');
    expectNoStackTrace(res);
  });

  it('refuses a text/plain POST (a CSRF "simple request") with a 4xx answer', async () => {
    const res = await raw(t.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain('"__typename":"Query"');
    expectNoStackTrace(res);
  });

  it('refuses a GET query without a preflight header with a 4xx answer', async () => {
    const res = await raw(`${t.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toContain('"__typename":"Query"');
    expectNoStackTrace(res);
  });

  it('refuses malformed JSON with a 400 coded JSON error and no stack trace', async () => {
    const res = await postJson(t.url, '{"query": "{ __typename }"');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json).toEqual({ errors: [{ message: expect.any(String), extensions: { code: 'BAD_REQUEST' } }] });
    expectNoStackTrace(res);
  });

  it('gives every GraphQL answer an x-request-id header', async () => {
    const ok = await postJson(t.url, { query: '{ __typename }' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    const other = await postJson(t.url, { query: '{ __typename }' });
    expect(other.headers.get('x-request-id')).not.toBe(ok.headers.get('x-request-id'));
    const malformed = await postJson(t.url, '{');
    expect(malformed.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });

  it('echoes a valid x-request-id given by the caller', async () => {
    const res = await postJson(t.url, { query: '{ __typename }' }, { 'x-request-id': 'trace-abc.123_XYZ' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('trace-abc.123_XYZ');
  });

  it('replaces an x-request-id that is not a safe token instead of echoing it', async () => {
    const given = 'evil id with spaces <script>';
    const res = await postJson(t.url, { query: '{ __typename }' }, { 'x-request-id': given });
    const id = res.headers.get('x-request-id');
    expect(id).not.toBe(given);
    expect(id).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });

  it('allows introspection under the test configuration', async () => {
    const res = await postJson(t.url, { query: '{ __schema { types { name } } }' });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
    const names = res.json.data.__schema.types.map((type: { name: string }) => type.name);
    expect(names).toEqual(expect.arrayContaining(['Query', 'Mutation', 'ExternalDestination', 'UserLogin']));
  });

  it('suggests field names for a misspelled field while introspection is on', async () => {
    const res = await postJson(t.url, { query: '{ mee { username } }' });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].message).toMatch(/did you mean "me"/i);
  });

  it('still serves health checks and authenticated queries after all the abusive requests', async () => {
    // Run a burst of the refused requests again, concurrently, then check the gateway is unharmed.
    await Promise.all([
      postJson(t.url, { query: TOO_DEEP }),
      postJson(t.url, '{"query":'),
      postJson(t.url, JSON.stringify({ query: '{ __typename }', variables: { p: 'y'.repeat(200_000) } })),
      postJson(t.url, [{ query: '{ __typename }' }]),
    ]);
    const health = await raw(healthz);
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    const ready = await raw(readyz);
    expect(ready.status).toBe(200);
    const me = await postJson(t.url, { query: '{ me { username kind } }' }, { authorization: `Bearer ${company.adminToken}` });
    expect(me.status).toBe(200);
    expect(me.json).toEqual({ data: { me: { username: 'admin', kind: 'COMPANY_ADMIN' } } });
  });
});

describe('a gateway with introspection turned off', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', { GRAPHQL_INTROSPECTION: 'false' });
  });
  afterAll(() => t.close());

  it('refuses a __schema query with 400', async () => {
    const res = await postJson(t.url, { query: '{ __schema { types { name } } }' });
    expect(res.status).toBe(400);
    expect(res.json.data).toBeUndefined();
    expect(res.json.errors.length).toBeGreaterThan(0);
    expect(res.text).not.toContain('"Query"');
  });

  it('refuses a __type query with 400', async () => {
    const res = await postJson(t.url, { query: '{ __type(name: "ExternalDestination") { fields { name } } }' });
    expect(res.status).toBe(400);
    expect(res.text).not.toContain('maxSimultaneousCalls');
  });

  it('does not suggest field names for a misspelled field', async () => {
    const res = await postJson(t.url, { query: '{ mee { username } }' });
    expect(res.status).toBe(400);
    expect(codesOf(res)).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(res.text).not.toMatch(/did you mean/i);
    expect(res.text).not.toContain('"me"');
  });

  it('does not suggest argument or type names either', async () => {
    const res = await postJson(t.url, { query: '{ externalDestinations(frist: 1) { totalCount } }' });
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/did you mean/i);
    expect(res.text).not.toContain('first');
  });

  it('still runs ordinary queries', async () => {
    const res = await postJson(t.url, { query: '{ __typename }' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: { __typename: 'Query' } });
  });
});

import pino from 'pino';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/gateway';
import { databaseUnavailableError, isDatabaseUnavailable } from '../../src/store/persistence';
import { until } from '../support/conditions';
import { createDestination, provisionCompany, type Company } from '../support/fixtures';
import { createScratchDatabase, TEST_DATABASE_URL } from '../support/postgres';
import { TcpProxy } from '../support/tcp-proxy';
import { clientFor, JWT_SECRET, PLATFORM_KEY, type GraphQLResponse, type TestGateway } from '../support/test-gateway';

/*
 * PostgreSQL restarting, seen from the gateway: a proxy in front of the shared server is cut (every connection
 * destroyed, new ones refused) and restored, so the server itself keeps running for the other suites.
 */

const DESTINATIONS = `{ externalDestinations { totalCount nodes { id name } } }`;
const CREATE = `mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`;
/** A read the gateway answers from the database, not from what it holds in memory. */
const KEYS = `{ connectorApiKeys { totalCount } }`;

/** Starts a gateway over a scratch database reached through `proxy`; its log records (warn and above) go to `logs`. */
async function startBehindProxy(proxy: TcpProxy, logs: Array<Record<string, unknown>>): Promise<TestGateway> {
  const scratch = await createScratchDatabase();
  const url = new URL(scratch.url);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: url.toString(),
    PLATFORM_API_KEY: PLATFORM_KEY,
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
  });
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  try {
    const gateway = await createGateway(config, { logger });
    return clientFor(gateway, url.toString(), async () => {
      await gateway.close();
      await scratch.drop();
    });
  } catch (error) {
    await scratch.drop();
    throw error;
  }
}

/** The answer is the coded, retryable refusal of an unreachable database, and shows nothing of the driver. */
function expectUnavailable(res: GraphQLResponse): void {
  expect(res.status).toBe(503);
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(res.errors).toHaveLength(1);
  const [error] = res.errors!;
  expect(error.extensions).toEqual(expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSec: expect.any(Number) }));
  const shown = JSON.stringify(res.errors);
  expect(shown).not.toMatch(/ECONN|Connection terminated|stack|SELECT|INSERT|postgres|127\.0\.0\.1/i);
}

const readyz = async (t: TestGateway) => {
  const res = await fetch(new URL('/readyz', t.url));
  return { status: res.status, body: (await res.json()) as { status: string } };
};

(process.env.POSTGRES_SUITES === 'on' ? describe : describe.skip)('PostgreSQL unreachable (restarting)', () => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => void rejections.push(reason);
  const logs: Array<Record<string, unknown>> = [];
  let proxy: TcpProxy;
  let t: TestGateway;
  let company: Company;

  beforeAll(async () => {
    process.on('unhandledRejection', onRejection);
    const target = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start(target.hostname, Number(target.port || 5432));
    t = await startBehindProxy(proxy, logs);
    company = await provisionCompany(t, 'outage');
  });

  afterAll(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.close();
    process.off('unhandledRejection', onRejection);
  });

  it('answers SERVICE_UNAVAILABLE (503, retryable) while cut, recovers by itself, and loses nothing acknowledged', async () => {
    const before = await createDestination(t, company.adminToken, { name: 'Acknowledged before the cut' });
    expect((await readyz(t)).status).toBe(200);

    proxy.cut();
    try {
      const started = Date.now();
      expectUnavailable(await t.gql(CREATE, { i: { name: 'During the cut', numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5 } }, company.adminToken));
      expectUnavailable(await t.gql(KEYS, {}, company.adminToken));
      // Failing fast: a refused connection is answered at once, well within the connection timeout.
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(await readyz(t)).toEqual({ status: 503, body: { status: 'database unreachable' } });
      // The loops that read the database on their own (routing sweeps, authority version checks) meet the
      // outage, log it and go on: the sweep fails again on its next round rather than stopping.
      await until(() => logs.some((l) => l.msg === 'authority version check failed') && logs.filter((l) => l.msg === 'routing loop failed').length >= 2, {
        timeoutMs: 20_000,
        what: () => `a failed version check and repeated failed sweeps logged; logged: ${JSON.stringify([...new Set(logs.map((l) => l.msg))])}`,
      });
    } finally {
      proxy.restore();
    }

    // Served again without a restart: the pool opens new connections once the server answers.
    await until(async () => (await readyz(t)).status === 200, { timeoutMs: 20_000, what: '/readyz ready again' });
    const created = await until(async () => {
      const res = await t.gql(CREATE, { i: { name: 'After the cut', numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5 } }, company.adminToken);
      return res.errors === undefined ? res : null;
    }, { timeoutMs: 20_000, what: 'a mutation served after the restore' });
    expect(created.status).toBe(200);
    expect((await t.gql(KEYS, {}, company.adminToken)).errors).toBeUndefined();

    const names = (await t.ok(DESTINATIONS, {}, company.adminToken)).externalDestinations.nodes.map((n: { name: string }) => n.name);
    expect(names).toEqual(expect.arrayContaining(['Acknowledged before the cut', 'After the cut']));
    expect(names).not.toContain('During the cut');
    expect(names).toContain(before.name);

    // Nothing failed unseen, and no internal error reached the logs as a crash.
    expect(rejections).toEqual([]);
    expect(logs.filter((l) => l.msg === 'internal error in a GraphQL operation')).toEqual([]);
  });
});

describe('what counts as the database being unreachable', () => {
  const failure = (fields: Record<string, unknown>) => Object.assign(new Error(String(fields.message ?? 'failed')), fields);

  it.each([
    ['a refused connection', failure({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' })],
    ['a reset connection', failure({ code: 'ECONNRESET', message: 'read ECONNRESET' })],
    ['a connection the server closed', failure({ message: 'Connection terminated unexpectedly' })],
    ['no connection in time', failure({ message: 'timeout exceeded when trying to connect' })],
    ['an administrator shutdown', failure({ code: '57P01' })],
    ['a crash shutdown', failure({ code: '57P02' })],
    ['a server starting up', failure({ code: '57P03' })],
    ['a connection exception', failure({ code: '08006' })],
    ['one wrapped by the query runner', Object.assign(new Error('query failed'), { driverError: failure({ code: '57P01' }) })],
  ])('%s is', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', failure({ code: '23505' })],
    ['a syntax error', failure({ code: '42601' })],
    ['a statement timeout', failure({ code: '57014' })],
    ['a plain error', new Error('something else')],
    ['not an error', 'ECONNREFUSED'],
  ])('%s is not', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('is answered as a retryable SERVICE_UNAVAILABLE, and other errors are left as they are', () => {
    const answer = databaseUnavailableError(failure({ code: '57P03' }));
    expect(answer?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryable: true, retryAfterSec: expect.any(Number) });
    expect(databaseUnavailableError(failure({ code: '23505' }))).toBeUndefined();
  });
});

import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import autocannon from 'autocannon';
import { buildSchema, execute, GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { loadConfig, type Config } from '../src/config';
import { createGateway, type Gateway, type GatewayOverrides } from '../src/gateway';
import { createLogger } from '../src/logger';
import { createScratchDatabase, postgresReachable, TEST_DATABASE_URL } from '../test/support/postgres';
import { ChildChannel } from './support/child-channel';
import type { Scheduler } from '../src/platform/scheduler';

/**
 * Read throughput: one dashboard read (`externalDestinations(first: 50)` with each destination's live state)
 * by a SUPERVISOR whose SELECTED profile lists 50 of the company's 60 destinations, against the gateway on
 * the embedded default and on PostgreSQL, beside a bare Apollo Server 5 (`startStandaloneServer`) and bare
 * graphql-js on node:http serving the same SDL and the same 50 destinations from memory, in the same run:
 * requests per second, latency, and the server process's CPU time per request. Then the same read when the
 * company has 5 000 destinations (still 50 visible), and the SQL statements an authenticated `{ __typename }`
 * costs (with a user token and with a connector API key).
 *
 * The gateways run in this process, each bare server in a child process of its own (so it shares no
 * optimised code with the gateways), and the load generator (autocannon, keep-alive connections, fixed
 * concurrency) in another child process; a target's CPU time is that of the process serving it, read over
 * its measured run (PostgreSQL's own processes are not counted). The four servers stay up together and take
 * turns, so a busy spell of a shared machine weighs on all of them alike; only the one
 * under load has work (an idle gateway's timers run a few statements a second). Every response is checked
 * (HTTP 200, no errors, the expected total and the expected 50 ids); one that fails stops the bench. The
 * aims are printed beside the figures, not asserted.
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
/** Keep-alive connections of the load generator, each with one request in flight. */
const CONNECTIONS = 16;
const WARMUP_SEC = 2;
const MEASURE_SEC = 5;
/** The company of the main case, and the one of the scale case; the supervisor sees VISIBLE of either. */
const DESTINATIONS = 60;
const LARGE_DESTINATIONS = 5_000;
const VISIBLE = 50;
/** Destinations created at once through the API while provisioning. */
const CREATE_IN_FLIGHT = 8;
/** Turns of each target of section 1 (a b c d, then d c b a, ...). */
const MAIN_ROUNDS = 3;
/** A first, unmeasured run of every target, so none is measured while the code it shares is still cold. */
const FIRST_WARMUP_SEC = 5;
/** The scale case alternates the two companies (60, 5 000, 5 000, 60, ...) this many times each. */
const SCALE_ROUNDS = 4;
/** Authenticated `{ __typename }` requests counted per credential, after SQL_WARMUP uncounted ones. */
const SQL_REQUESTS = 500;
const SQL_WARMUP = 50;

const READ =
  '{ externalDestinations(first: 50) { totalCount nodes { id name number maxSimultaneousCalls outdialTimeoutSec enabled live { state connectingCalls activeCalls backedOffUntil consecutiveFailures } } } }';
const TYPENAME = '{ __typename }';

/** What the bare servers serve: the types and fields READ touches, as the gateway's schema.graphql spells them. */
const BARE_SDL = `
  scalar DateTime
  enum DestinationState { AT_CAPACITY AVAILABLE BACKED_OFF DISABLED SUSPENDED }
  type ExternalDestinationLive {
    state: DestinationState!
    connectingCalls: Int!
    activeCalls: Int!
    backedOffUntil: DateTime
    consecutiveFailures: Int!
  }
  type ExternalDestination {
    id: ID!
    name: String!
    number: String
    maxSimultaneousCalls: Int
    outdialTimeoutSec: Int!
    enabled: Boolean!
    live: ExternalDestinationLive!
  }
  type ExternalDestinationConnection { totalCount: Int! nodes: [ExternalDestination!]! }
  type Query { externalDestinations(first: Int, after: String): ExternalDestinationConnection! }
`;

// ------------------------------------------------------------------ messages between the two processes

interface Expect {
  /** The ids the 50 nodes must have (any order). */
  ids: string[];
  totalCount: number;
}
interface Load {
  cmd: 'run';
  url: string;
  headers: Record<string, string>;
  body: string;
  seconds: number;
  expect: Expect;
}
type FromLoad =
  | {
      kind: 'ran';
      responses: number;
      seconds: number;
      /** Latency of every response, in ms, sorted: only p50 and p99 travel. */
      p50: number;
      p99: number;
      /** The load generator's own CPU time over the run, in ms. */
      cpuMs: number;
      bytes: number;
      /** Responses or connections that failed, and the first bad body. */
      non2xx: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      firstBad: string | null;
    }
  | { kind: 'failed'; message: string };

// ------------------------------------------------------------------ the load generator (child process)

/**
 * Checks a response body: no errors, the expected total and exactly the expected ids, each with a live
 * state. The body of a read does not change between requests (the query asks for no timestamp), so a body
 * equal to the last good one passes without parsing: every response is checked, and cheaply.
 */
function bodyChecker(expect: Expect) {
  const want = [...expect.ids].sort().join(',');
  let good: string | null = null;
  let firstBad: string | null = null;
  return {
    verify(body: string): boolean {
      if (body === good) return true;
      let ok = false;
      try {
        const parsed = JSON.parse(body) as { errors?: unknown; data?: { externalDestinations?: { totalCount?: number; nodes?: Array<{ id?: string; live?: { state?: unknown } }> } } };
        const list = parsed.data?.externalDestinations;
        ok =
          parsed.errors === undefined &&
          list?.totalCount === expect.totalCount &&
          Array.isArray(list.nodes) &&
          list.nodes.length === expect.ids.length &&
          list.nodes.every((n) => typeof n.live?.state === 'string') &&
          list.nodes.map((n) => n.id).sort().join(',') === want;
      } catch {
        ok = false;
      }
      if (ok) good = body;
      else firstBad ??= body.slice(0, 600);
      return ok;
    },
    firstBad: () => firstBad,
  };
}

function runLoadGenerator(): void {
  const send = (m: FromLoad) => process.send!(m);
  process.on('message', (raw) => {
    const m = raw as Load;
    void (async () => {
      try {
        const checker = bodyChecker(m.expect);
        const latencies: number[] = [];
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const result = await new Promise<autocannon.Result>((resolve, reject) => {
          const instance = autocannon(
            { url: m.url, method: 'POST', headers: m.headers, body: m.body, connections: CONNECTIONS, pipelining: 1, duration: m.seconds, verifyBody: (body) => checker.verify(String(body)) },
            (err: unknown, res) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
          );
          // autocannon's own histogram keeps whole milliseconds; every response's time, unrounded:
          instance.on('response', (_client, _status, _bytes, ms) => void latencies.push(ms));
        });
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        latencies.sort((a, b) => a - b);
        const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
        send({
          kind: 'ran', responses: latencies.length, seconds, p50: at(50), p99: at(99), cpuMs: (cpu.user + cpu.system) / 1000,
          bytes: result.throughput.total / Math.max(1, result.requests.total),
          non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts, mismatches: result.mismatches, firstBad: checker.firstBad(),
        });
      } catch (error) {
        send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------ the bench (this process)

/** The load generator child: one run at a time. */
class LoadGenerator {
  private readonly channel: ChildChannel<Load, Extract<FromLoad, { kind: 'ran' }>>;

  constructor(child: ChildProcess) {
    this.channel = new ChildChannel(child, 'the load generator');
  }

  /** A run of `load.seconds` (no other timeout: a run that hangs stops the bench at the child's exit). */
  run(load: Omit<Load, 'cmd'>): Promise<Extract<FromLoad, { kind: 'ran' }>> {
    return this.channel.ask({ cmd: 'run', ...load }, 'ran', (load.seconds + 60) * 1000);
  }

  close(): Promise<void> {
    return this.channel.close();
  }
}

/** A server under load: where to send the read, as whom, and what every answer must hold. */
interface Target {
  url: string;
  headers: Record<string, string>;
  expect: Expect;
  /** The CPU time used so far by the process that serves this target. */
  cpu(): Promise<NodeJS.CpuUsage>;
}

interface Measured {
  responses: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The serving process's CPU time (user + system) per response, in ms. */
  cpuPerRequestMs: number;
  /** The serving process's CPU time over the run's wall time (1 = one core busy). */
  serverCpu: number;
  loadCpu: number;
  bytes: number;
}

/**
 * Warms the target up, then measures it: the serving process's CPU time is read right before the measured
 * run is sent to the load generator and right after its answer arrives (it does nothing else meanwhile).
 */
async function measure(load: LoadGenerator, target: Target, label: string): Promise<Measured> {
  const run = loadOf(target);
  const checked = (r: Extract<FromLoad, { kind: 'ran' }>, phase: string) => {
    const failures = r.non2xx + r.errors + r.timeouts + r.mismatches;
    if (failures > 0 || r.responses === 0) {
      throw new Error(
        `${label} (${phase}): ${r.responses} responses, ${r.non2xx} not 2xx, ${r.errors} connection errors, ${r.timeouts} timeouts, ` +
          `${r.mismatches} bodies without the expected 50 nodes; first bad body: ${r.firstBad ?? '(none)'}`,
      );
    }
    return r;
  };
  checked(await load.run({ ...run, seconds: WARMUP_SEC }), 'warm-up');
  const cpu0 = await target.cpu();
  const t0 = performance.now();
  const r = checked(await load.run({ ...run, seconds: MEASURE_SEC }), 'measured run');
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = await target.cpu();
  const cpuMs = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
  return {
    responses: r.responses, perSecond: r.responses / r.seconds, p50: r.p50, p99: r.p99,
    cpuPerRequestMs: cpuMs / r.responses, serverCpu: cpuMs / 1000 / wall, loadCpu: r.cpuMs / 1000 / r.seconds, bytes: r.bytes,
  };
}

/** The load generator's run of READ against a target, without its duration. */
function loadOf(target: Target): Omit<Load, 'cmd' | 'seconds'> {
  return { url: target.url, headers: { 'content-type': 'application/json', ...target.headers }, body: JSON.stringify({ query: READ }), expect: target.expect };
}

/** Adds the turns of one target together: CPU per request over all of them, the rest averaged. */
function combine(runs: Measured[]): Measured {
  const responses = runs.reduce((s, r) => s + r.responses, 0);
  const weighted = (f: (r: Measured) => number) => runs.reduce((s, r) => s + f(r) * r.responses, 0) / responses;
  const mean = (f: (r: Measured) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  return {
    responses, perSecond: mean((r) => r.perSecond), p50: mean((r) => r.p50), p99: mean((r) => r.p99),
    cpuPerRequestMs: weighted((r) => r.cpuPerRequestMs), serverCpu: mean((r) => r.serverCpu), loadCpu: mean((r) => r.loadCpu), bytes: mean((r) => r.bytes),
  };
}

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`${query.slice(0, 60)}...: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** The raw body of READ as someone (what the bare servers must answer byte for byte). */
async function readBody(url: string, token: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: READ }) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`the read answered HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

// ------------------------------------------------------------------ provisioning through the public API

interface Tenant {
  companyId: string;
  admin: string;
  /** A SUPERVISOR with externalDestinations VIEW and a SELECTED profile of VISIBLE destinations. */
  supervisor: string;
  visibleIds: string[];
  /** Seconds taken to create the destinations. */
  createSeconds: number;
}

/**
 * A company with `destinations` destinations (created by its administrator, CREATE_IN_FLIGHT at once) and a
 * supervisor whose SELECTED profile lists VISIBLE of them, spread evenly over the name order.
 */
async function provisionCompany(url: string, slug: string, destinations: number): Promise<Tenant> {
  const companyId = (
    await gql(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: `Bench ${slug}`, slug, timeZone: 'UTC', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
    }, PLATFORM_KEY)
  ).createCompany.id as string;
  const login = async (username: string, password: string) =>
    (await gql(url, 'mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }', { s: slug, u: username, p: password })).login.token as string;
  const admin = await login('admin', 'bench-admin-password');

  const ids = new Array<string>(destinations);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CREATE_IN_FLIGHT, destinations) }, async () => {
      while (next < destinations) {
        const i = next++;
        ids[i] = (
          await gql(url, 'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', {
            i: {
              name: `Partner ${String(i).padStart(5, '0')}`, numberMode: 'FULL_NUMBER', number: `+442079460${String(i % 1000).padStart(3, '0')}`,
              maxSimultaneousCalls: 1 + (i % 20), outdialTimeoutSec: 20 + (i % 10),
            },
          }, admin)
        ).createExternalDestination.id as string;
      }
    }),
  );
  const createSeconds = (performance.now() - t0) / 1000;

  const visibleIds = Array.from({ length: VISIBLE }, (_, i) => ids[Math.floor((i * destinations) / VISIBLE)]!);
  const role = (await gql(url, 'mutation($i: RoleInput!) { createRole(input: $i) { id } }', { i: { name: 'Wallboard', privileges: { externalDestinations: 'VIEW' } } }, admin)).createRole.id;
  const profile = (
    await gql(url, 'mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }', {
      i: { name: 'Partners', scope: 'SELECTED', destinationIds: visibleIds },
    }, admin)
  ).createExternalDestinationsProfile.id;
  await gql(url, 'mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }', {
    i: { username: 'wallboard', password: 'bench-user-password', kind: 'SUPERVISOR', roleIds: [role], externalDestinationsProfileId: profile },
  }, admin);
  return { companyId, admin, supervisor: await login('wallboard', 'bench-user-password'), visibleIds, createSeconds };
}

/** The read as the supervisor, against a gateway running in this process. */
const supervisorTarget = (gateway: Gateway, tenant: Tenant): Target => ({
  url: gateway.url,
  headers: { authorization: `Bearer ${tenant.supervisor}` },
  expect: { ids: tenant.visibleIds, totalCount: VISIBLE },
  cpu: async () => process.cpuUsage(),
});

// ------------------------------------------------------------------ SQL statements per request

/** A scheduler that never fires: the gateway's authority version check stays out of the count. */
const stillScheduler: Scheduler = { now: () => Date.now(), after: () => () => undefined, every: () => () => undefined };
/**
 * The router's sweep (every second), overdue-attempt check (every 5 s) and lease renewal (every 20 s) read
 * the database too; for the count they are pushed out of reach (setInterval's ceiling is 2^31 - 1 ms, and
 * the overdue check runs at 5x the sweep's period).
 */
const QUIET_MS = 400_000_000;
const quiet: GatewayOverrides = { scheduler: stillScheduler, routing: { sweepMs: QUIET_MS, renewMs: QUIET_MS } };

/**
 * Counts the statements the gateway's data source runs: TypeORM's better-sqlite3 and postgres query runners
 * call `dataSource.logger.logQuery(...)` for every statement (before the driver runs it), whatever the
 * logging option. The wrapper keeps the first few distinct statements to show what ran; `stop` removes it.
 */
function countStatements(gateway: Gateway) {
  const logger = gateway.dataSource.logger;
  const unwrapped = logger.logQuery;
  const original = unwrapped.bind(logger);
  let count = 0;
  const seen = new Set<string>();
  logger.logQuery = (query, parameters, queryRunner) => {
    count += 1;
    if (seen.size < 5) seen.add(query.replace(/\s+/g, ' ').slice(0, 140));
    return original(query, parameters, queryRunner);
  };
  return {
    reset: () => {
      count = 0;
      seen.clear();
    },
    get count() {
      return count;
    },
    statements: () => [...seen],
    stop: () => {
      logger.logQuery = unwrapped;
    },
  };
}

interface SqlCounts {
  /** Statements over the counted requests, per request, and examples. */
  user: { perRequest: number; examples: string[] };
  connector: { perRequest: number; examples: string[] };
  read: { perRequest: number; examples: string[] };
  /** Statements while the quiet gateway stood idle for a second (the control: must be 0). */
  idle: number;
}

/** Sends `n` requests one after another; each must answer `check`. */
async function sendMany(url: string, query: string, token: string, n: number, check: (data: any) => boolean): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    const data = await gql(url, query, {}, token);
    if (!check(data)) throw new Error(`unexpected answer to ${query}: ${JSON.stringify(data).slice(0, 300)}`);
  }
}

async function countSql(gateway: Gateway, tenant: Tenant, connectorKey: string): Promise<SqlCounts> {
  const counter = countStatements(gateway);
  const url = gateway.url;
  const isQuery = (d: any) => d?.__typename === 'Query';
  const isRead = (d: any) => d?.externalDestinations?.nodes?.length === VISIBLE;
  // Warm-up: the first requests read the company (and the connector key's company) into memory.
  await sendMany(url, TYPENAME, tenant.supervisor, SQL_WARMUP, isQuery);
  await sendMany(url, TYPENAME, connectorKey, SQL_WARMUP, isQuery);
  await sendMany(url, READ, tenant.supervisor, SQL_WARMUP, isRead);
  counter.reset();
  await new Promise((r) => setTimeout(r, 1_000));
  const idle = counter.count;
  const counted = async (token: string, query: string, check: (d: any) => boolean) => {
    counter.reset();
    await sendMany(url, query, token, SQL_REQUESTS, check);
    return { perRequest: counter.count / SQL_REQUESTS, examples: counter.statements() };
  };
  const counts = {
    user: await counted(tenant.supervisor, TYPENAME, isQuery),
    connector: await counted(connectorKey, TYPENAME, isQuery),
    read: await counted(tenant.supervisor, READ, isRead),
    idle,
  };
  counter.stop();
  return counts;
}

/** Statements per second an idle gateway with its default timers runs (version checks, router sweeps). */
async function backgroundRate(gateway: Gateway, seconds: number): Promise<number> {
  const counter = countStatements(gateway);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counter.stop();
  return counter.count / seconds;
}

// ------------------------------------------------------------------ the bare servers (each in a process of its own)

type Bare = 'apollo' | 'graphql-js';
type ToBare = { cmd: 'start'; nodes: unknown[] } | { cmd: 'cpu' } | { cmd: 'stop' };
type FromBare = { kind: 'started'; url: string } | { kind: 'cpu'; usage: NodeJS.CpuUsage } | { kind: 'stopped' } | { kind: 'failed'; message: string };

/**
 * A bare server in a child process: it has the machine's V8 to itself (no code shared with the gateways,
 * whose optimised and deoptimised graphql-js paths would otherwise weigh on it) and its CPU time is its own.
 */
function runBareServer(kind: Bare): void {
  let server: { close: () => Promise<void> } | null = null;
  const send = (m: FromBare) => process.send!(m);
  process.on('message', (raw) => {
    const m = raw as ToBare;
    void (async () => {
      try {
        if (m.cmd === 'start') {
          const started = await (kind === 'apollo' ? startBareApollo : startBareGraphqlJs)(bareSchema(m.nodes));
          server = started;
          send({ kind: 'started', url: started.url });
        } else if (m.cmd === 'cpu') {
          send({ kind: 'cpu', usage: process.cpuUsage() });
        } else {
          await server?.close();
          send({ kind: 'stopped' });
        }
      } catch (error) {
        send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

/** Starts a bare server in a child process serving `nodes`; asks it for its CPU time; stops it. */
async function startBareChild(kind: Bare, nodes: unknown[]): Promise<{ url: string; cpu: () => Promise<NodeJS.CpuUsage>; close: () => Promise<void> }> {
  const channel = new ChildChannel<ToBare, Exclude<FromBare, { kind: 'failed' }>>(
    fork(__filename, ['--bare', kind], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), `the bare ${kind} server`,
  );
  const { url } = await channel.ask({ cmd: 'start', nodes }, 'started', 30_000);
  return {
    url,
    cpu: async () => (await channel.ask({ cmd: 'cpu' }, 'cpu', 10_000)).usage,
    close: async () => {
      await channel.ask({ cmd: 'stop' }, 'stopped', 10_000).catch(() => undefined);
      await channel.close();
    },
  };
}

/** The bare servers' schema: BARE_SDL with one plain resolver over the given destinations. */
function bareSchema(nodes: readonly unknown[]): GraphQLSchema {
  const schema = buildSchema(BARE_SDL);
  const field = schema.getQueryType()!.getFields().externalDestinations!;
  field.resolve = (_root, args: { first?: number | null }) => ({ totalCount: nodes.length, nodes: nodes.slice(0, args.first ?? 50) });
  return schema;
}

async function startBareApollo(schema: GraphQLSchema): Promise<{ url: string; close: () => Promise<void> }> {
  const server = new ApolloServer({ schema });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, close: () => server.stop() };
}

/** graphql-js on node:http: parse, validate and execute every request, no cache, no framework. */
async function startBareGraphqlJs(schema: GraphQLSchema): Promise<{ url: string; close: () => Promise<void> }> {
  const answer = async (text: string): Promise<{ status: number; body: string }> => {
    let request: { query?: unknown; variables?: Record<string, unknown>; operationName?: string };
    let document: DocumentNode;
    try {
      request = JSON.parse(text) as typeof request;
      document = parse(String(request.query));
    } catch (error) {
      return { status: 400, body: JSON.stringify({ errors: [{ message: error instanceof GraphQLError ? error.message : 'Malformed request' }] }) };
    }
    const errors = validate(schema, document);
    if (errors.length > 0) return { status: 400, body: JSON.stringify({ errors }) };
    const result = await execute({ schema, document, variableValues: request.variables, operationName: request.operationName });
    return { status: 200, body: JSON.stringify(result) };
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void answer(Buffer.concat(chunks).toString('utf8')).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ------------------------------------------------------------------ PostgreSQL scratch database

// ------------------------------------------------------------------ the run

const gatewayConfig = (databaseUrl: string): Config =>
  loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: databaseUrl, PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET,
    LOG_LEVEL: 'silent', SEED_DEMO: 'false',
  });

/** A gateway with default timers on one database, its company of DESTINATIONS, and what it answered. */
interface Provisioned {
  config: Config;
  gateway: Gateway;
  tenant: Tenant;
  connectorKey: string;
  /** The read's body as the supervisor got it (the bare servers serve the same nodes). */
  body: string;
  /** Statements per second of the idle gateway with its default timers. */
  background: number;
}

async function provisionGateway(databaseUrl: string): Promise<Provisioned> {
  const config = gatewayConfig(databaseUrl);
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  try {
    const tenant = await provisionCompany(gateway.url, 'reads', DESTINATIONS);
    const connectorKey = (await gql(gateway.url, 'mutation { createConnectorApiKey(name: "bench") { apiKey } }', {}, tenant.admin)).createConnectorApiKey.apiKey as string;
    return { config, gateway, tenant, connectorKey, body: await readBody(gateway.url, tenant.supervisor), background: 0 };
  } catch (error) {
    await gateway.close();
    throw error;
  }
}

/** Counts SQL on a quiet gateway opened on a provisioned gateway's database (which must be closed by now). */
async function countSqlOn(p: Provisioned): Promise<SqlCounts> {
  const gateway = await createGateway(p.config, { logger: createLogger('silent'), ...quiet });
  try {
    return await countSql(gateway, p.tenant, p.connectorKey);
  } finally {
    await gateway.close();
  }
}

/** A server of section 1: where the read goes, and how to stop it. */
interface Contender {
  label: string;
  target: Target;
  close: () => Promise<void>;
  runs: Measured[];
}

export async function runReadsBench(): Promise<void> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const started = performance.now();
  /** Everything to undo, last first; each step runs at most once, also after a failure. */
  const cleanup: Array<() => Promise<unknown>> = [];
  const undo = (step: () => Promise<unknown>): (() => Promise<void>) => {
    let done: Promise<unknown> | null = null;
    const once = async () => void (await (done ??= step()));
    cleanup.push(once);
    return once;
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
    undo(async () => rmSync(dir, { recursive: true, force: true }));
    const load = new LoadGenerator(fork(__filename, ['--load'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    undo(() => load.close());

    // a. The embedded default; b. PostgreSQL in a scratch database, when a server answers.
    const embedded = await provisionGateway(`sqlite:${join(dir, 'bench.sqlite')}`);
    const closeEmbedded = undo(() => embedded.gateway.close());
    let postgres: Provisioned | null = null;
    let closePostgres: () => Promise<void> = async () => undefined;
    if (await postgresReachable()) {
      const scratch = await createScratchDatabase();
      undo(() => scratch.drop());
      postgres = await provisionGateway(scratch.url);
      const gateway = postgres.gateway;
      closePostgres = undo(() => gateway.close());
    }
    for (const p of [embedded, postgres]) if (p) p.background = await backgroundRate(p.gateway, 2);

    // c, d. The bare servers, serving the nodes the embedded gateway answered (the same bytes on the wire).
    const nodes = (JSON.parse(embedded.body) as { data: { externalDestinations: { nodes: Array<{ id: string }> } } }).data.externalDestinations.nodes;
    const bare = async (label: string, kind: Bare): Promise<Contender> => {
      const server = await startBareChild(kind, nodes);
      const close = undo(server.close);
      const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: READ }) });
      const text = await res.text();
      // Apollo ends its bodies with a newline, plain graphql-js does not: the rest must be the same bytes.
      if (text.trimEnd() !== embedded.body.trimEnd()) throw new Error(`${label} does not answer the gateway's bytes:\n  ${text.slice(0, 300)}\n  ${embedded.body.slice(0, 300)}`);
      return { label, target: { url: server.url, headers: {}, expect: { ids: nodes.map((n) => n.id), totalCount: VISIBLE }, cpu: server.cpu }, close, runs: [] };
    };
    const gatewayContender = (label: string, p: Provisioned, close: () => Promise<void>): Contender => ({ label, target: supervisorTarget(p.gateway, p.tenant), close, runs: [] });
    const contenders = {
      embedded: gatewayContender('gateway, embedded', embedded, closeEmbedded),
      postgres: postgres ? gatewayContender('gateway, PostgreSQL', postgres, closePostgres) : null,
      apollo: await bare('bare Apollo Server 5', 'apollo'),
      graphqlJs: await bare('bare graphql-js', 'graphql-js'),
    };
    // Every target stays up and they take turns (a b c d, then d c b a, ...), so a busy spell of the machine
    // weighs on all of them alike; an idle gateway's timers cost this process a few statements a second.
    const order = [contenders.embedded, contenders.postgres, contenders.apollo, contenders.graphqlJs].filter((c): c is Contender => c !== null);
    // The first target measured would otherwise run while V8 still optimises what every gateway shares.
    for (const c of order) await load.run({ ...loadOf(c.target), seconds: FIRST_WARMUP_SEC });
    for (let round = 0; round < MAIN_ROUNDS; round += 1) {
      for (const c of round % 2 === 0 ? order : [...order].reverse()) c.runs.push(await measure(load, c.target, c.label));
    }
    await contenders.apollo.close();
    await contenders.graphqlJs.close();
    await closePostgres();
    const [a, b, c, d] = [contenders.embedded, contenders.postgres, contenders.apollo, contenders.graphqlJs].map((x) => (x ? combine(x.runs) : null));

    // Scale: a second company of LARGE_DESTINATIONS in the embedded gateway, alternating with the first.
    const large = await provisionCompany(embedded.gateway.url, 'reads-large', LARGE_DESTINATIONS);
    const smallRuns: Measured[] = [];
    const largeRuns: Measured[] = [];
    for (let round = 0; round < SCALE_ROUNDS; round += 1) {
      for (const tenant of round % 2 === 0 ? [embedded.tenant, large] : [large, embedded.tenant]) {
        const small = tenant === embedded.tenant;
        (small ? smallRuns : largeRuns).push(await measure(load, supervisorTarget(embedded.gateway, tenant), `scale, ${small ? DESTINATIONS : LARGE_DESTINATIONS} destinations`));
      }
    }
    await closeEmbedded();
    const scale = { small: combine(smallRuns), large: combine(largeRuns) };

    // SQL per request, on quiet gateways reopened on the same databases.
    const sqlEmbedded = await countSqlOn(embedded);
    const sqlPostgres = postgres ? await countSqlOn(postgres) : null;

    // ---------------------------------------------------------------- the report
    const x = (r: number) => `${r.toFixed(2)}x`;
    const msf = (v: number) => `${v.toFixed(2)} ms`;
    const cpuf = (v: number) => `${v.toFixed(3)} ms`;
    const pct = (v: number) => `${Math.round(v * 100)}%`;
    const thousands = (v: number) => Math.round(v).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
    const mark = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const header = `  ${''.padEnd(34)} ${'req/s'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'CPU/req'.padStart(10)} ${'server CPU'.padStart(11)} ${'load CPU'.padStart(9)} ${'bytes'.padStart(7)}`;
    const row = (name: string, m: Measured) =>
      `  ${name.padEnd(34)} ${thousands(m.perSecond).padStart(8)} ${msf(m.p50).padStart(9)} ${msf(m.p99).padStart(9)} ${cpuf(m.cpuPerRequestMs).padStart(10)} ${pct(m.serverCpu).padStart(11)} ${pct(m.loadCpu).padStart(9)} ${thousands(m.bytes).padStart(7)}`;

    out(`Reads: ${READ}`);
    out(`  by a SUPERVISOR (externalDestinations VIEW, a SELECTED profile of ${VISIBLE} of the company's ${DESTINATIONS} destinations); ${cpus().length} cores;`);
    out(`  the gateways in this process, each bare server in a process of its own, the load generator (autocannon, ${CONNECTIONS} keep-alive connections,`);
    out(`  one request each in flight) in another; CPU = the serving process's;`);
    out(`  after ${FIRST_WARMUP_SEC} s of load on each, per target ${MAIN_ROUNDS} turns of ${WARMUP_SEC} s warm-up + ${MEASURE_SEC} s measured (a b c d, d c b a, ...); CPU/req = the serving process's user+system CPU time over`);
    out(`  the measured runs / responses; p50, p99: mean of the turns; server, load CPU = share of one core; bytes = per response with headers;`);
    out(`  every response checked: HTTP 200, no errors, totalCount ${VISIBLE} and the ${VISIBLE} expected ids (the bare servers answer the embedded gateway's bytes);`);
    out(`  NODE_ENV of this process: ${process.env.NODE_ENV ?? '(unset)'} (graphql-js runs its development-mode type checks unless it is production; the same for all four)`);
    out(header);
    out(row('a. gateway, embedded (SQLite file)', a!));
    out(b ? row('b. gateway, PostgreSQL', b) : `  ${'b. gateway, PostgreSQL'.padEnd(34)} skipped: no PostgreSQL answered at ${TEST_DATABASE_URL}`);
    out(row('c. bare Apollo Server 5 (SDL)', c!));
    out(row('d. bare graphql-js on node:http', d!));
    out(`  ${''.padEnd(34)} ${'vs bare Apollo: req/s'.padStart(22)} ${'CPU/req'.padStart(8)}   ${'vs bare graphql-js: req/s'.padStart(26)} ${'CPU/req'.padStart(8)}`);
    const ratios = (name: string, m: Measured) =>
      out(
        `  ${name.padEnd(34)} ${x(m.perSecond / c!.perSecond).padStart(22)} ${x(m.cpuPerRequestMs / c!.cpuPerRequestMs).padStart(8)}   ` +
          `${x(m.perSecond / d!.perSecond).padStart(26)} ${x(m.cpuPerRequestMs / d!.cpuPerRequestMs).padStart(8)}`,
      );
    ratios('a. gateway, embedded', a!);
    if (b) ratios('b. gateway, PostgreSQL', b);
    ratios('c. bare Apollo Server 5', c!);

    const scaleRatio = scale.large.cpuPerRequestMs / scale.small.cpuPerRequestMs;
    out();
    out(`Scale: the same read by a SELECTED-profile supervisor (${VISIBLE} visible), embedded gateway, a company of ${DESTINATIONS} vs ${thousands(LARGE_DESTINATIONS)} destinations`);
    out(`  (both companies in one gateway, ${SCALE_ROUNDS} turns each, alternating; the ${thousands(LARGE_DESTINATIONS)} destinations created through the API, ${CREATE_IN_FLIGHT} in flight,`);
    out(`  in ${large.createSeconds.toFixed(1)} s = ${thousands(LARGE_DESTINATIONS / large.createSeconds)}/s)`);
    out(header);
    out(row(`${DESTINATIONS} destinations`, scale.small));
    out(row(`${thousands(LARGE_DESTINATIONS)} destinations`, scale.large));
    out(`  ${thousands(LARGE_DESTINATIONS)} / ${DESTINATIONS}: CPU/req ${x(scaleRatio)}, req/s ${x(scale.large.perSecond / scale.small.perSecond)}, p99 ${x(scale.large.p99 / scale.small.p99)}`);

    out();
    out(`SQL statements per request (the data source logger's logQuery, which TypeORM calls for every statement), ${SQL_REQUESTS} requests one after`);
    out(`  another per row after ${SQL_WARMUP} uncounted ones, on a gateway reopened on the same database with its version check and router sweeps quiet`);
    const cols = [
      { name: 'embedded', sql: sqlEmbedded, background: embedded.background },
      ...(postgres && sqlPostgres ? [{ name: 'PostgreSQL', sql: sqlPostgres, background: postgres.background }] : []),
    ];
    out(`  ${''.padEnd(46)}${cols.map((col) => col.name.padStart(12)).join('')}`);
    const sqlRow = (name: string, f: (col: (typeof cols)[number]) => number, digits = 3) => out(`  ${name.padEnd(46)}${cols.map((col) => f(col).toFixed(digits).padStart(12)).join('')}`);
    sqlRow('{ __typename }, user token', (col) => col.sql.user.perRequest);
    sqlRow('{ __typename }, connector API key', (col) => col.sql.connector.perRequest);
    sqlRow(`the read above (${VISIBLE} destinations), user token`, (col) => col.sql.read.perRequest);
    sqlRow('control: statements in 1 s idle (quiet)', (col) => col.sql.idle, 0);
    sqlRow('idle gateway, default timers: statements/s', (col) => col.background, 1);
    for (const col of cols) {
      for (const [what, counted] of [['user token', col.sql.user], ['connector key', col.sql.connector], ['read', col.sql.read]] as const) {
        if (counted.examples.length > 0) out(`  ${col.name}, ${what}: ${counted.examples.join(' | ')}`);
      }
    }

    const typenameSql = Math.max(...cols.flatMap((col) => [col.sql.user.perRequest, col.sql.connector.perRequest]));
    const vsApollo = a!.perSecond / c!.perSecond;
    out();
    out('Aims (printed, not asserted)');
    const aim = (what: string, figure: string, ok: boolean) => out(`  ${what.padEnd(72)} ${figure.padStart(6)}  ${mark(ok)}`);
    aim('gateway on the embedded default >= 1.0x bare Apollo req/s:', x(vsApollo), vsApollo >= 1);
    aim(`${thousands(LARGE_DESTINATIONS)} vs ${DESTINATIONS} destinations, CPU per request <= 1.2x:`, x(scaleRatio), scaleRatio <= 1.2);
    aim('0 SQL statements per authenticated { __typename } (worst of all rows):', typenameSql.toFixed(3), typenameSql === 0);
    out(`  (whole bench: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    for (const step of cleanup.reverse()) {
      await step().catch((error: unknown) => process.stderr.write(`cleanup: ${error instanceof Error ? error.message : String(error)}\n`));
    }
  }
}

if (require.main === module) {
  if (process.argv.includes('--load')) {
    runLoadGenerator();
  } else if (process.argv.includes('--bare')) {
    runBareServer(process.argv[process.argv.indexOf('--bare') + 1] as Bare);
  } else {
    runReadsBench().catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}

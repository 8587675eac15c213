import 'reflect-metadata';
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, MessageType } from 'graphql-ws';
import WebSocket, { WebSocketServer } from 'ws';
import { loadConfig } from '../src/config';
import { ChildChannel } from './support/child-channel';
import { createGateway, type Gateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { signUserToken } from '../src/auth/tokens';
import { UserKind } from '../src/entities/enums';
import { UserLogin } from '../src/entities/user-login.entity';

/**
 * Live updates fan-out: one destination update delivered to 1 000 and 10 000 `externalDestinationUpdates`
 * subscribers of one gateway instance (embedded default), beside a bare `ws` broadcast of the same payload
 * to the same number of sockets in the same run: delivery latency (receive time at each client minus the
 * time of the trigger), deliveries per second, and memory per idle subscriber.
 *
 * The gateway (or the bare server) runs in this process and the clients in a child process: 10 000
 * connections need 10 000 descriptors at each end, and with both ends in one process 10 000 subscribers do
 * not fit in a common 20 000 descriptor limit. It also leaves this process's memory to the server side.
 * Both processes stamp times with the monotonic clock, which is the same for every process of a machine
 * (checked at start). Both modes use the same clients: `ws` sockets that parse each message as JSON, the
 * gateway's speaking graphql-transport-ws (connection_init with the user token, then one subscribe).
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
/** Subscribers of the distinct-users case: the same number over USERS users, then each its own user. */
const DISTINCT = Number.parseInt(process.env.REALTIME_BENCH_DISTINCT ?? '1000', 10);
/** Subscriber counts to measure; REALTIME_BENCH_SIZES=1000 measures one (when profiling, say). */
const SIZES = (process.env.REALTIME_BENCH_SIZES ?? '1000,10000').split(',').map((s) => Number.parseInt(s, 10));
const WARMUP = 3;
const UPDATES = 20;
/** Subscribers are spread over this many supervisors (each under the per-principal socket cap). */
const USERS = 10;
/** Connections opened at once while connecting. */
const CONNECT_BATCH = 200;
/** Pause between one update's last delivery and the next update. */
const GAP_MS = 50;
/** Descriptors besides the sockets (database, stdio, IPC, listening socket...). */
const SPARE_FDS = 100;
const SUBSCRIPTION =
  'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures at } }';

/** Milliseconds on the machine's monotonic clock (comparable between processes). */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------ messages between the two processes

type Mode = 'bare' | 'graphql';
type ToClients =
  | { cmd: 'clock' }
  | { cmd: 'open'; mode: Mode; url: string; n: number; tokens: string[]; variables: Record<string, unknown> }
  | { cmd: 'arm'; seq: number }
  | { cmd: 'close' };
type FromClients =
  | { kind: 'clock'; at: number }
  | { kind: 'opened'; n: number }
  | { kind: 'armed' }
  | { kind: 'received'; times: number[]; sample: string }
  | { kind: 'closed' }
  | { kind: 'failed'; message: string };

// ------------------------------------------------------------------ the clients (child process)

function runClients(): void {
  let sockets: WebSocket[] = [];
  let closing = false;
  let times = new Float64Array(0);
  let got = new Uint8Array(0);
  let count = 0;
  let armed: number | null = null;
  let sample = '';
  const send = (m: FromClients) => process.send!(m);
  const fail = (message: string) => {
    if (!closing) send({ kind: 'failed', message });
  };

  /** Every message of every socket: the first one of the armed sequence number (or later) counts. */
  const onMessage = (i: number, data: WebSocket.RawData) => {
    const at = nowMs();
    const text = String(data);
    const msg = JSON.parse(text) as { type?: string; payload?: { data?: { externalDestinationUpdates?: { seq: number } }; errors?: unknown } };
    if (msg.type === MessageType.ConnectionAck) return;
    if (msg.type !== MessageType.Next || msg.payload?.errors !== undefined) return fail(`socket ${i}: ${text.slice(0, 300)}`);
    const seq = msg.payload?.data?.externalDestinationUpdates?.seq;
    if (typeof seq !== 'number') return fail(`socket ${i}: no seq in ${text.slice(0, 300)}`);
    if (armed === null || got[i] === 1 || seq < armed) return;
    got[i] = 1;
    times[i] = at;
    sample = text;
    count += 1;
    if (count === sockets.length) {
      armed = null;
      send({ kind: 'received', times: Array.from(times), sample });
    }
  };

  const openOne = (m: Extract<ToClients, { cmd: 'open' }>, i: number): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const socket = m.mode === 'graphql' ? new WebSocket(m.url, GRAPHQL_TRANSPORT_WS_PROTOCOL) : new WebSocket(m.url);
      let ready = false;
      socket.once('error', (err) => {
        if (!ready) reject(err);
      });
      socket.once('close', (code, reason) => {
        if (!ready) reject(new Error(`socket ${i} closed ${code} ${String(reason)} before it was ready`));
        else fail(`socket ${i} closed ${code} ${String(reason)}`);
      });
      const start = () => {
        ready = true;
        socket.on('message', (data) => onMessage(i, data));
        resolve(socket);
      };
      if (m.mode === 'bare') {
        socket.once('open', start);
        return;
      }
      socket.once('open', () => {
        socket.send(JSON.stringify({ type: MessageType.ConnectionInit, payload: { authorization: `Bearer ${m.tokens[i % m.tokens.length]}` } }));
      });
      socket.once('message', (data) => {
        const msg = JSON.parse(String(data)) as { type?: string };
        if (msg.type !== MessageType.ConnectionAck) return reject(new Error(`socket ${i}: expected connection_ack, got ${String(data).slice(0, 200)}`));
        socket.send(JSON.stringify({ id: '1', type: MessageType.Subscribe, payload: { query: SUBSCRIPTION, variables: m.variables } }));
        start();
      });
    });

  process.on('message', (raw) => {
    const m = raw as ToClients;
    void (async () => {
      try {
        switch (m.cmd) {
          case 'clock':
            return send({ kind: 'clock', at: nowMs() });
          case 'open': {
            closing = false;
            sockets = new Array<WebSocket>(m.n);
            times = new Float64Array(m.n);
            got = new Uint8Array(m.n);
            for (let from = 0; from < m.n; from += CONNECT_BATCH) {
              const batch = [];
              for (let i = from; i < Math.min(m.n, from + CONNECT_BATCH); i += 1) batch.push(openOne(m, i).then((s) => (sockets[i] = s)));
              await Promise.all(batch);
            }
            return send({ kind: 'opened', n: m.n });
          }
          case 'arm':
            got.fill(0);
            count = 0;
            armed = m.seq;
            return send({ kind: 'armed' });
          case 'close': {
            closing = true;
            armed = null;
            await Promise.all(
              sockets.map(
                (s) =>
                  new Promise<void>((resolve) => {
                    if (s === undefined || s.readyState === WebSocket.CLOSED) return resolve();
                    const drop = setTimeout(() => s.terminate(), 10_000);
                    s.once('close', () => {
                      clearTimeout(drop);
                      resolve();
                    });
                    s.close(1000);
                  }),
              ),
            );
            sockets = [];
            return send({ kind: 'closed' });
          }
        }
      } catch (error) {
        send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------ the bench (this process)

/** The client process: its messages one at a time (a wait that timed out leaves the next one to the next wait). */
type Clients = ChildChannel<ToClients, Exclude<FromClients, { kind: 'failed' }>>;

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const ms = (x: number) => `${x.toFixed(2)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const thousands = (x: number) => Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');

interface Memory {
  /** V8 heap in use plus memory outside it (socket buffers and the like), in bytes. */
  heap: number;
  rss: number;
}

async function settledMemory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 4; i += 1) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed + m.external, rss: m.rss };
}

/** The soft limit on open descriptors, when a shell can tell it (null: unknown). */
function descriptorLimit(): number | null {
  try {
    const out = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return out === 'unlimited' ? Infinity : Number.parseInt(out, 10);
  } catch {
    return null;
  }
}

interface Phase {
  /** Every delivery's latency of the measured updates, sorted. */
  latencies: Float64Array;
  /** Deliveries over the summed time from each trigger to its last delivery. */
  perSecond: number;
  /** The slowest update: trigger to its last delivery. */
  slowestMs: number;
  /** Growth per connected, idle subscriber (or socket), after a full gc. */
  heapPerSocket: number;
  rssPerSocket: number;
  /** CPU time of this process (the server side) per measured update, in ms. */
  cpuPerUpdateMs: number;
}

/**
 * Connects `n` clients, warms up (repeating the trigger until every client received one, so every
 * subscription is live), measures memory, then `UPDATES` updates one after another.
 */
async function phase(clients: Clients, open: Extract<ToClients, { cmd: 'open' }>, trigger: () => Promise<number>, nextSeq: () => Promise<number>): Promise<Phase> {
  const before = await settledMemory();
  await clients.ask(open, 'opened', 300_000);
  await clients.ask({ cmd: 'arm', seq: await nextSeq() }, 'armed', 10_000);
  let warm: FromClients | null = null;
  for (let tries = 0; warm === null; tries += 1) {
    if (tries === 10) throw new Error('some subscribers received no update after 10 triggers');
    await trigger();
    warm = await clients.next(5_000);
  }
  for (let i = 1; i < WARMUP; i += 1) {
    await clients.ask({ cmd: 'arm', seq: await nextSeq() }, 'armed', 10_000);
    await trigger();
    if ((await clients.next(120_000)) === null) throw new Error('a warm-up update was not delivered to every subscriber within 120 s');
  }
  await new Promise((r) => setTimeout(r, 500));
  const after = await settledMemory();

  const latencies = new Float64Array(open.n * UPDATES);
  let spanSum = 0;
  let slowestMs = 0;
  const cpuBefore = process.cpuUsage();
  for (let u = 0; u < UPDATES; u += 1) {
    await clients.ask({ cmd: 'arm', seq: await nextSeq() }, 'armed', 10_000);
    const t0 = await trigger();
    const got = await clients.next(120_000);
    if (got?.kind !== 'received') throw new Error(`update ${u + 1} was not delivered to every subscriber within 120 s`);
    let last = 0;
    for (let i = 0; i < got.times.length; i += 1) {
      const latency = got.times[i]! - t0;
      latencies[u * open.n + i] = latency;
      if (latency > last) last = latency;
    }
    spanSum += last;
    slowestMs = Math.max(slowestMs, last);
    await new Promise((r) => setTimeout(r, GAP_MS));
  }
  const cpu = process.cpuUsage(cpuBefore);
  await clients.ask({ cmd: 'close' }, 'closed', 60_000);
  latencies.sort();
  return {
    latencies,
    perSecond: (open.n * UPDATES) / (spanSum / 1000),
    slowestMs,
    heapPerSocket: (after.heap - before.heap) / open.n,
    rssPerSocket: (after.rss - before.rss) / open.n,
    cpuPerUpdateMs: (cpu.user + cpu.system) / 1000 / UPDATES,
  };
}

async function barePhase(clients: Clients, n: number, template: string): Promise<Phase> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { port } = wss.address() as { port: number };
  const message = JSON.parse(template) as { payload: { data: { externalDestinationUpdates: { seq: number; at: string } } } };
  let seq = 0;
  try {
    return await phase(
      clients,
      { cmd: 'open', mode: 'bare', url: `ws://127.0.0.1:${port}`, n, tokens: [], variables: {} },
      async () => {
        const t0 = nowMs();
        seq += 1;
        message.payload.data.externalDestinationUpdates.seq = seq;
        message.payload.data.externalDestinationUpdates.at = new Date().toISOString();
        const payload = JSON.stringify(message);
        for (const c of wss.clients) c.send(payload);
        return t0;
      },
      async () => seq + 1,
    );
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise((r) => wss.close(r));
  }
}

interface World {
  gateway: Gateway;
  companyId: string;
  destinationId: string;
  tokens: string[];
}

async function gatewayPhase(clients: Clients, n: number, world: World, tokens = world.tokens): Promise<Phase> {
  const { gateway, companyId, destinationId } = world;
  return phase(
    clients,
    { cmd: 'open', mode: 'graphql', url: gateway.url.replace(/^http/, 'ws'), n, tokens, variables: { ids: [destinationId] } },
    async () => {
      const t0 = nowMs();
      await gateway.services.liveUpdates.destinationChanged(companyId, destinationId);
      return t0;
    },
    async () => ((await gateway.live.sequences.current(companyId, 'destination', [destinationId])).get(destinationId) ?? 0) + 1,
  );
}

/**
 * `count` more supervisors of the bench company, each its own user with the same role and profile, and a
 * token for each. They are written straight to the database with one password hash (hashing 1 000
 * passwords through the API takes minutes) and announced as a committed change, as the API would, so every
 * part of the gateway knows them; their tokens are signed with the gateway's secret, as `login` would.
 */
async function distinctUsers(world: World, count: number): Promise<string[]> {
  const { gateway, companyId } = world;
  const ds = gateway.dataSource;
  const wallboard = await ds.getRepository(UserLogin).findOneOrFail({ where: { companyId, username: 'wallboard0' }, relations: { roles: true } });
  const users = await ds.getRepository(UserLogin).save(
    Array.from({ length: count }, (_, i) => ds.getRepository(UserLogin).create({
      companyId, username: `distinct${i}`, passwordHash: wallboard.passwordHash, kind: UserKind.SUPERVISOR, roles: wallboard.roles,
      externalDestinationsProfileId: wallboard.externalDestinationsProfileId,
    })),
    { chunk: 200 },
  );
  await gateway.services.changes.committed(companyId, 'user', ...users.map((u) => u.id));
  return users.map((u) => signUserToken(JWT_SECRET, { sub: u.id, cid: companyId, tv: u.tokenVersion }, 86_400).token);
}

/** A company with one destination and USERS supervisors allowed to see it (VIEW, a profile selecting it). */
async function provision(gateway: Gateway): Promise<World> {
  const url = gateway.url;
  const companyId = (
    await gql(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: 'Bench', slug: 'bench', timeZone: 'UTC', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
    }, PLATFORM_KEY)
  ).createCompany.id as string;
  const login = async (username: string, password: string) =>
    (await gql(url, 'mutation($u: String!, $p: String!) { login(companySlug: "bench", username: $u, password: $p) { token } }', { u: username, p: password })).login.token as string;
  const admin = await login('admin', 'bench-admin-password');
  const destinationId = (
    await gql(url, 'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', {
      i: { name: 'Overflow partner', numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 10 },
    }, admin)
  ).createExternalDestination.id as string;
  const role = (await gql(url, 'mutation($i: RoleInput!) { createRole(input: $i) { id } }', { i: { name: 'Wallboard', privileges: { externalDestinations: 'VIEW' } } }, admin)).createRole.id;
  const profile = (
    await gql(url, 'mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }', {
      i: { name: 'Partners', scope: 'SELECTED', destinationIds: [destinationId] },
    }, admin)
  ).createExternalDestinationsProfile.id;
  const tokens: string[] = [];
  for (let u = 0; u < USERS; u += 1) {
    await gql(url, 'mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }', {
      i: { username: `wallboard${u}`, password: 'bench-user-password', kind: 'SUPERVISOR', roleIds: [role], externalDestinationsProfileId: profile },
    }, admin);
    tokens.push(await login(`wallboard${u}`, 'bench-user-password'));
  }
  return { gateway, companyId, destinationId, tokens };
}

export async function runRealtimeBench(): Promise<void> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('run with node --expose-gc (npm run bench:realtime)');
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const limit = descriptorLimit();
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}`,
    PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false',
    JWT_TTL_SEC: '86400', WS_MAX_SOCKETS_PER_PRINCIPAL: '10000',
  });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const clients: Clients = new ChildChannel(fork(__filename, ['--clients'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), 'the client process');
  try {
    // The two processes' clocks: the child's reading must fall between the parent's readings around it.
    const sent = nowMs();
    const { at } = await clients.ask({ cmd: 'clock' }, 'clock', 10_000);
    const back = nowMs();
    if (!(sent <= at && at <= back)) throw new Error(`the monotonic clock differs between processes (${sent} <= ${at} <= ${back} fails)`);

    const world = await provision(gateway);
    // One real delivery gives the bare broadcast its payload (same JSON, same size).
    await clients.ask({ cmd: 'open', mode: 'graphql', url: gateway.url.replace(/^http/, 'ws'), n: 1, tokens: world.tokens, variables: { ids: [world.destinationId] } }, 'opened', 10_000);
    await clients.ask({ cmd: 'arm', seq: 1 }, 'armed', 10_000);
    let probe: FromClients | null = null;
    for (let tries = 0; probe === null && tries < 10; tries += 1) {
      await gateway.services.liveUpdates.destinationChanged(world.companyId, world.destinationId);
      probe = await clients.next(2_000);
    }
    if (probe?.kind !== 'received') throw new Error('the probe subscriber received no update');
    const template = probe.sample;
    await clients.ask({ cmd: 'close' }, 'closed', 10_000);

    out(`Live updates fan-out: one externalDestinationUpdates event to N subscribers of one gateway instance (embedded default)`);
    out(`  ${cpus().length} cores; the gateway (or bare server) in this process, the clients in one child process on the same machine`);
    out(`  (${USERS} supervisors with a profile selecting the destination); latency = receive time at each client - trigger time;`);
    out(`  payload ${template.length} bytes; ${WARMUP} warm-up then ${UPDATES} updates per size, one after another; descriptor limit ${limit ?? 'unknown'} per process`);
    for (const n of SIZES) {
      out();
      if (limit !== null && limit < n + SPARE_FDS) {
        out(`${thousands(n)} subscribers: skipped, each process needs about ${thousands(n + SPARE_FDS)} descriptors and ulimit -n is ${limit} (raise it to run this size)`);
        continue;
      }
      const bare = await barePhase(clients, n, template);
      const gw = await gatewayPhase(clients, n, world);
      const row = (name: string, p: Phase) =>
        `  ${name.padEnd(22)} ${ms(percentile(p.latencies, 50)).padStart(11)} ${ms(percentile(p.latencies, 99)).padStart(11)} ${ms(p.slowestMs).padStart(11)} ${`${thousands(p.perSecond)}/s`.padStart(14)} ${kb(p.heapPerSocket).padStart(11)} ${kb(p.rssPerSocket).padStart(11)}`;
      out(`${thousands(n)} subscribers (${thousands(n * UPDATES)} deliveries measured per mode)`);
      out(`  ${''.padEnd(22)} ${'p50'.padStart(11)} ${'p99'.padStart(11)} ${'slowest'.padStart(11)} ${'deliveries'.padStart(14)} ${'heap/sub'.padStart(11)} ${'RSS/sub'.padStart(11)}`);
      out(row('bare ws broadcast', bare));
      out(row('gateway subscription', gw));
      out(
        `  gateway / bare: p50 ${(percentile(gw.latencies, 50) / percentile(bare.latencies, 50)).toFixed(1)}x, p99 ${(percentile(gw.latencies, 99) / percentile(bare.latencies, 99)).toFixed(1)}x, ` +
          `deliveries/s ${(gw.perSecond / bare.perSecond).toFixed(2)}x; memory the gateway adds per idle subscriber over a bare socket: ` +
          `heap ${kb(gw.heapPerSocket - bare.heapPerSocket)}, RSS ${kb(gw.rssPerSocket - bare.rssPerSocket)}`,
      );
    }
    // The cost of authorising each event per subscriber must not grow with the number of distinct users.
    if (DISTINCT > 0 && (limit === null || limit >= DISTINCT + SPARE_FDS)) {
      const few = await gatewayPhase(clients, DISTINCT, world);
      const many = await gatewayPhase(clients, DISTINCT, world, await distinctUsers(world, DISTINCT));
      const cpuRow = (name: string, p: Phase) =>
        `  ${name.padEnd(34)} ${`${p.cpuPerUpdateMs.toFixed(2)} ms`.padStart(12)} ${ms(percentile(p.latencies, 50)).padStart(11)} ${ms(percentile(p.latencies, 99)).padStart(11)}`;
      const ratio = many.cpuPerUpdateMs / few.cpuPerUpdateMs;
      out();
      out(`One update to ${thousands(DISTINCT)} subscribers: spread over ${USERS} users, then each subscriber its own user (server CPU per update)`);
      out(`  ${''.padEnd(34)} ${'CPU/update'.padStart(12)} ${'p50'.padStart(11)} ${'p99'.padStart(11)}`);
      out(cpuRow(`${USERS} distinct users`, few));
      out(cpuRow(`${thousands(DISTINCT)} distinct users`, many));
      out(`  ${thousands(DISTINCT)} users / ${USERS} users: CPU per update ${ratio.toFixed(2)}x (aim <= 2x: ${ratio <= 2 ? 'met' : 'MISSED'})`);
    }
    out();
    out(`  (slowest: one update's trigger to its last delivery; memory: growth of this process after a full gc with N idle subscribers connected, per subscriber;`);
    out(`   heap = V8 heap used + memory outside it; the bare row is a ws server's socket alone)`);
  } finally {
    await clients.close();
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv.includes('--clients')) {
    runClients();
  } else {
    runRealtimeBench().catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}

import { randomUUID } from 'node:crypto';
import type { GatewayOverrides } from '../../src/gateway';
import { ManualScheduler } from '../../src/platform/scheduler';
import type { EventBus } from '../../src/realtime/event-bus';
import { dialects } from '../support/dialects';
import { createDestination, createUser, provisionCompany, USER_PASSWORD } from '../support/fixtures';
import { RawSocket } from '../support/raw-socket';
import { clusterAvailable, eventually, fast, RoutingWorld, startCluster } from '../support/telephony';
import { inTransaction } from '../../src/store/persistence';
import { newRedis } from '../support/redis';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

/**
 * Authority follows every change at once, on every instance: sockets whose principal lost its authority
 * are closed with 4403 within 2 s; sockets whose privileges or profile changed keep running, but every
 * subscription is authorised again (a stream of what is no longer visible ends with an error) and so is
 * every new one; instructions reach only live sessions of valid keys, spread over them. Each case runs on
 * the embedded default (one instance) and on two instances over PostgreSQL and Redis, where the change is
 * made on one instance and the socket is held on the other.
 */

const INSTRUCTIONS = 'subscription { telephonyInstructions { instructionId kind callId attemptId } }';
const DESTINATIONS = 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId seq state } }';
/** The bound of the issue: a socket that lost its authority is closed within this time of the change. */
const CLOSE_BOUND_MS = 2_000;

interface Topology {
  name: string;
  /** `writer` takes the changes; `reader` holds the sockets (the same instance on the embedded default). */
  start(overrides?: (index: number) => GatewayOverrides): Promise<{ writer: TestGateway; reader: TestGateway; close(): Promise<void>; redisPrefix?: string }>;
}

const topologies: Topology[] = [
  {
    name: 'embedded default',
    start: async (overrides) => {
      const t = await startTestGateway('sqlite', {}, fast(overrides?.(0)));
      return { writer: t, reader: t, close: () => t.close() };
    },
  },
];
if (clusterAvailable()) {
  topologies.push({
    name: 'two instances over PostgreSQL and Redis',
    start: async (overrides) => {
      const { nodes, close, prefix } = await startCluster(2, overrides);
      return { writer: nodes[0]!, reader: nodes[1]!, close, redisPrefix: prefix };
    },
  });
}

/** Checks `check` until it holds (10 s at most), every `everyMs`. */
const until = (what: string, check: () => Promise<boolean>, everyMs = 25) => eventually(check, 10_000, { what, everyMs });

/**
 * A bus whose committed changes of authority stop reaching this instance's listeners while `dropping.on`
 * (a lost message), as if pub/sub had dropped them.
 */
function dropChanges(dropping: { on: boolean }) {
  return (bus: EventBus): EventBus => ({
    ...bus,
    listenModelChanges: (handler) => bus.listenModelChanges((event) => (dropping.on ? undefined : handler(event))),
  });
}

/** Waits until the socket closed, and says with what code and how long after `since`. */
async function closedAfter(socket: RawSocket, since: number): Promise<{ code: number; afterMs: number }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('socket still open after 10 s')), 10_000);
  });
  try {
    const { code } = await Promise.race([socket.closed, late]);
    return { code, afterMs: socket.closedAt! - since };
  } finally {
    clearTimeout(timer);
  }
}

/** The events (`next` messages with data) a subscription received after an instant. */
const nextsAfter = (socket: RawSocket, id: string, since: number) =>
  socket.messages.filter((m) => m.type === 'next' && m.id === id && m.payload.data && m.receivedAt > since);

describe.each(topologies.map((t) => [t.name, t] as const))('authority as live state (%s)', (_name, topology) => {
  let writer: TestGateway;
  let reader: TestGateway;
  let close: () => Promise<void>;
  let w: RoutingWorld;

  beforeAll(async () => {
    ({ writer, reader, close } = await topology.start());
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(writer);
  });
  afterEach(async () => {
    await RawSocket.closeAll();
    await w?.close();
  });
  afterAll(async () => {
    await close?.();
  });

  /** A supervisor who may see `visible` (SELECTED profile) and queues and agents, signed in. */
  async function supervisor(visible: string[]) {
    const username = `sup-${randomUUID().slice(0, 8)}`;
    const user = await createUser(writer, w.company, {
      username,
      kind: 'SUPERVISOR',
      privileges: { externalDestinations: 'VIEW', queues: 'VIEW', agents: 'VIEW' },
      profile: { scope: 'SELECTED', destinationIds: visible },
    });
    return { ...user, username };
  }

  /** An event on the destination, seen by an administrator's witness socket held on the reader. */
  async function witnessedChange(destination: string): Promise<void> {
    const witness = await RawSocket.accepted(reader, w.admin);
    const id = `witness-${randomUUID().slice(0, 6)}`;
    witness.subscribe(id, DESTINATIONS, { ids: [destination] });
    // The witness's subscription is live once it received one: keep changing until it does.
    await until('the witness subscription to receive a change', async () => {
      await writer.ok('mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }', {
        id: destination, i: { name: `Renamed ${randomUUID().slice(0, 8)}`, numberMode: 'FULL_NUMBER' },
      }, w.admin);
      return witness.nexts(id).length > 0;
    }, 200);
  }

  describe('connector keys', () => {
    it('closes the socket of a revoked key with 4403 within 2 s, refuses it afterwards, and sends every later instruction to the valid sessions only', async () => {
      const destination = await w.destination({ maxSimultaneousCalls: 100 });
      const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
      const second = await writer.ok('mutation { createConnectorApiKey(name: "second") { apiKey key { id } } }', {}, w.admin);
      const { apiKey, key } = second.createConnectorApiKey;
      const revoked = await RawSocket.accepted(reader, apiKey);
      revoked.subscribe('i', INSTRUCTIONS);
      // Both sessions take instructions while the key is valid: neither gets them all.
      await until('both sessions to have received a dial', async () => {
        await w.connector.enqueueOk(queue);
        return revoked.nexts('i').length > 0 && w.connector.of('DIAL_EXTERNAL').length > 0;
      }, 200);

      const before = w.connector.of('DIAL_EXTERNAL').length;
      await writer.ok('mutation($id: ID!) { revokeConnectorApiKey(id: $id) { revokedAt } }', { id: key.id }, w.admin);
      const revokedAt = Date.now();
      const closed = await closedAfter(revoked, revokedAt);
      expect(closed.code).toBe(4403);
      expect(closed.afterMs).toBeLessThan(CLOSE_BOUND_MS);

      // Every call after the revocation is dialled through the valid session.
      for (let i = 0; i < 6; i += 1) await w.connector.enqueueOk(queue);
      await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', before + 6);
      expect(nextsAfter(revoked, 'i', revokedAt)).toEqual([]);
      expect((await reader.gql('{ __typename }', {}, apiKey)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await (await RawSocket.connect(reader, apiKey)).outcome()).toEqual({ code: 4403, reason: 'Forbidden' });
    });

    it('spreads the instructions over the company\'s sessions, so a session that subscribed first does not take them all', async () => {
      const destination = await w.destination({ maxSimultaneousCalls: 100 });
      const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
      const second = await writer.ok('mutation { createConnectorApiKey(name: "second") { apiKey } }', {}, w.admin);
      const other = await RawSocket.accepted(reader, second.createConnectorApiKey.apiKey);
      other.subscribe('i', INSTRUCTIONS);
      // The second session is live once it received one instruction; from then on, 20 calls are shared.
      const base = w.connector.of('DIAL_EXTERNAL').length;
      let probes = 0;
      await until('the second session to receive a dial', async () => {
        await w.connector.enqueueOk(queue);
        probes += 1;
        return other.nexts('i').length > 0;
      }, 200);
      // Every probe's dial has arrived somewhere before the 20 are counted.
      await until('every probe call\'s dial to arrive', async () => w.connector.of('DIAL_EXTERNAL').length - base + other.nexts('i').length >= probes);
      const [mine, theirs] = [w.connector.of('DIAL_EXTERNAL').length, other.nexts('i').length];
      for (let i = 0; i < 20; i += 1) await w.connector.enqueueOk(queue);
      await until('all 20 dials to arrive', async () => w.connector.of('DIAL_EXTERNAL').length - mine + other.nexts('i').length - theirs >= 20);
      const shares = [w.connector.of('DIAL_EXTERNAL').length - mine, other.nexts('i').length - theirs];
      expect(shares[0]! + shares[1]!).toBe(20);
      expect(Math.min(...shares)).toBeGreaterThanOrEqual(8);
    });
  });

  describe('users who lose their authority', () => {
    it.each([
      ['deactivated', (id: string) => ({ id, i: { active: false } })],
      ['given a new password', (id: string) => ({ id, i: { password: 'a-brand-new-password' } })],
    ])('closes every socket of a user %s with 4403 within 2 s, and refuses its token afterwards', async (_what, change) => {
      const d = await w.destination();
      const user = await supervisor([d]);
      const sockets = [await RawSocket.accepted(reader, user.token), await RawSocket.accepted(reader, user.token)];
      sockets[0]!.subscribe('d', DESTINATIONS, { ids: [d] });
      await writer.ok('mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id } }', change(user.id), w.admin);
      const changedAt = Date.now();
      for (const socket of sockets) {
        const closed = await closedAfter(socket, changedAt);
        expect(closed.code).toBe(4403);
        expect(closed.afterMs).toBeLessThan(CLOSE_BOUND_MS);
      }
      expect((await reader.gql('{ me { id } }', {}, user.token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(await (await RawSocket.connect(reader, user.token)).outcome()).toEqual({ code: 4403, reason: 'Forbidden' });
    });

    it('closes the sockets of a deleted user with 4403 within 2 s', async () => {
      const user = await supervisor([]);
      const socket = await RawSocket.accepted(reader, user.token);
      await writer.ok('mutation($id: ID!) { deleteUserLogin(id: $id) }', { id: user.id }, w.admin);
      const closed = await closedAfter(socket, Date.now());
      expect(closed.code).toBe(4403);
      expect(closed.afterMs).toBeLessThan(CLOSE_BOUND_MS);
      expect((await writer.gql('mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }', {
        s: w.company.slug, u: user.username, p: USER_PASSWORD,
      })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('users whose privileges or profile change', () => {
    it('ends the running streams of a user whose roles were removed with FORBIDDEN, refuses new ones, and keeps the socket', async () => {
      const d = await w.destination();
      const user = await supervisor([d]);
      const socket = await RawSocket.accepted(reader, user.token);
      socket.subscribe('one', DESTINATIONS, { ids: [d] });
      socket.subscribe('all', DESTINATIONS);
      await witnessedChange(d);
      await until('both streams to deliver before the change', async () => socket.nexts('one').length > 0 && socket.nexts('all').length > 0);

      await writer.ok('mutation($id: ID!) { updateUserLogin(id: $id, input: { roleIds: [] }) { id } }', { id: user.id }, w.admin);
      const changedAt = Date.now();
      await until('both streams to end with an error', async () => socket.errorsOf('one').length > 0 && socket.errorsOf('all').length > 0);
      expect([socket.errorsOf('one')[0].extensions.code, socket.errorsOf('all')[0].extensions.code]).toEqual(['FORBIDDEN', 'FORBIDDEN']);
      const endedAfter = Math.max(...socket.messages.filter((m) => m.type === 'complete').map((m) => m.receivedAt)) - changedAt;
      expect(endedAfter).toBeLessThan(CLOSE_BOUND_MS);

      socket.subscribe('again', DESTINATIONS, { ids: [d] });
      await until('the new subscription to be refused', async () => socket.errorsOf('again').length > 0);
      expect(socket.errorsOf('again')[0].extensions.code).toBe('FORBIDDEN');
      await witnessedChange(d);
      expect([...nextsAfter(socket, 'one', changedAt), ...nextsAfter(socket, 'all', changedAt), ...nextsAfter(socket, 'again', 0)]).toEqual([]);
      expect(socket.isOpen).toBe(true);
    });

    it('ends the stream of a destination taken out of the user\'s profile with NOT_FOUND, answers a new subscription to it NOT_FOUND, and keeps streaming what stays visible', async () => {
      const [kept, dropped] = [await w.destination(), await w.destination()];
      const user = await supervisor([kept, dropped]);
      const socket = await RawSocket.accepted(reader, user.token);
      socket.subscribe('dropped', DESTINATIONS, { ids: [dropped] });
      socket.subscribe('all', DESTINATIONS);
      await witnessedChange(dropped);
      await until('the streams to deliver before the change', async () => socket.nexts('dropped').length > 0 && socket.nexts('all').length > 0);

      await writer.ok('mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id } }', {
        id: user.profileId, i: { name: `narrowed ${randomUUID().slice(0, 6)}`, scope: 'SELECTED', destinationIds: [kept] },
      }, w.admin);
      const changedAt = Date.now();
      await until('the stream of the dropped destination to end', async () => socket.errorsOf('dropped').length > 0);
      expect(socket.errorsOf('dropped')[0].extensions.code).toBe('NOT_FOUND');

      socket.subscribe('again', DESTINATIONS, { ids: [dropped] });
      await until('the new subscription to be refused', async () => socket.errorsOf('again').length > 0);
      expect(socket.errorsOf('again')[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
      expect((await reader.gql('query($id: ID!) { externalDestination(id: $id) { id } }', { id: dropped }, user.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

      // The stream of all it may see goes on with the destination it kept, and never again shows the other.
      await witnessedChange(dropped);
      await witnessedChange(kept);
      await until('the kept destination to stream after the change', async () => nextsAfter(socket, 'all', changedAt).some((m) => m.payload.data.externalDestinationUpdates.destinationId === kept));
      expect(nextsAfter(socket, 'all', changedAt).filter((m) => m.payload.data.externalDestinationUpdates.destinationId === dropped)).toEqual([]);
      expect(socket.isOpen).toBe(true);
    });

    it('ends the streams of every holder of a role whose privilege was taken away', async () => {
      const d = await w.destination();
      const user = await supervisor([d]);
      const roles = await writer.ok('query($id: ID!) { userLogin(id: $id) { roles { id name } } }', { id: user.id }, w.admin);
      const role = roles.userLogin.roles[0];
      const socket = await RawSocket.accepted(reader, user.token);
      socket.subscribe('all', DESTINATIONS);
      await witnessedChange(d);
      await until('the stream to deliver before the change', async () => socket.nexts('all').length > 0);
      await writer.ok('mutation($id: ID!, $i: RoleInput!) { updateRole(id: $id, input: $i) { id } }', { id: role.id, i: { name: role.name, privileges: { queues: 'VIEW' } } }, w.admin);
      await until('the stream to end', async () => socket.errorsOf('all').length > 0);
      expect(socket.errorsOf('all')[0].extensions.code).toBe('FORBIDDEN');
    });
  });
});

/**
 * A change whose message never reaches an instance (the bus dropped it) is healed by the version check:
 * the instance keeps what it held until its next check (every second, moved here by hand), and no longer.
 */
describe.each(topologies.map((t) => [t.name, t] as const))('a missed change of authority (%s)', (_name, topology) => {
  let writer: TestGateway;
  let reader: TestGateway;
  let close: () => Promise<void>;
  let redisPrefix: string | undefined;
  let w: RoutingWorld;
  const clock = new ManualScheduler(Date.now());
  const dropping = { on: false };

  beforeAll(async () => {
    // The reader (the only instance on the embedded default) checks versions only when the test says so,
    // and stops hearing committed changes while `dropping.on`.
    const readerIndex = topology.name === 'embedded default' ? 0 : 1;
    ({ writer, reader, close, redisPrefix } = await topology.start((i) => (i === readerIndex ? { bus: dropChanges(dropping), scheduler: clock } : {})));
  });
  beforeEach(async () => {
    dropping.on = false;
    w = await RoutingWorld.create(writer);
  });
  afterEach(async () => {
    dropping.on = false;
    await RawSocket.closeAll();
    await w?.close();
  });
  afterAll(async () => {
    await close?.();
  });

  it('is healed at the next version check: the revoked key\'s socket is closed with 4403 and the key refused', async () => {
    const second = await writer.ok('mutation { createConnectorApiKey(name: "second") { apiKey key { id } } }', {}, w.admin);
    const { apiKey, key } = second.createConnectorApiKey;
    const socket = await RawSocket.accepted(reader, apiKey);
    dropping.on = true;
    await writer.ok('mutation($id: ID!) { revokeConnectorApiKey(id: $id) { revokedAt } }', { id: key.id }, w.admin);
    // The change did not reach the reader: until its next check it still takes the key, and no longer.
    expect((await reader.gql('{ __typename }', {}, apiKey)).errors).toBeUndefined();
    expect(socket.isOpen).toBe(true);

    await clock.advance(1_000);
    expect((await closedAfter(socket, Date.now())).code).toBe(4403);
    expect((await reader.gql('{ __typename }', {}, apiKey)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  // Only instances over Redis have a bus connection to lose.
  if (topology.name !== 'embedded default') it('is healed at once when the event bus reconnects (what it missed while away is checked), without waiting for the clock', async () => {
    const second = await writer.ok('mutation { createConnectorApiKey(name: "second") { apiKey key { id } } }', {}, w.admin);
    const { apiKey, key } = second.createConnectorApiKey;
    const socket = await RawSocket.accepted(reader, apiKey);
    dropping.on = true;
    await writer.ok('mutation($id: ID!) { revokeConnectorApiKey(id: $id) { revokedAt } }', { id: key.id }, w.admin);
    expect((await reader.gql('{ __typename }', {}, apiKey)).errors).toBeUndefined();
    // The reader's clock stands still and it hears no change: only its bus coming back can make it check.
    const redis = newRedis();
    try {
      const clients = String(await redis.client('LIST')).split('\n').filter((line) => line.includes(` name=${redisPrefix}-bus-subscriber `));
      expect(clients.length).toBe(2);
      for (const line of clients) await redis.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);
    } finally {
      redis.disconnect();
    }
    expect((await closedAfter(socket, Date.now())).code).toBe(4403);
    expect((await reader.gql('{ __typename }', {}, apiKey)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('is healed at the next version check for a user deactivated while the change was lost', async () => {
    const user = await createUser(writer, w.company, { username: `u-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' } });
    const socket = await RawSocket.accepted(reader, user.token);
    dropping.on = true;
    await writer.ok('mutation($id: ID!) { updateUserLogin(id: $id, input: { active: false }) { id } }', { id: user.id }, w.admin);
    expect((await reader.gql('{ __typename }', {}, user.token)).errors).toBeUndefined();

    await clock.advance(1_000);
    expect((await closedAfter(socket, Date.now())).code).toBe(4403);
    expect((await reader.gql('{ me { id } }', {}, user.token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

/**
 * Principals and configuration come from memory: once a company is held, an authenticated request runs no
 * SQL statement at all. (What runs in the background is held still here: the version check on its own
 * clock, and the router's sweep of waiting calls.)
 */
describe.each(dialects())('requests answered from memory (%s)', (dialect) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(dialect, {}, { scheduler: new ManualScheduler(Date.now()), routing: { sweepMs: 3_600_000 } });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Runs `work` and counts the SQL statements the gateway's database ran meanwhile. */
  async function statementsDuring(work: () => Promise<void>): Promise<number> {
    const ds = t.gateway.dataSource;
    const logger = ds.logger;
    let count = 0;
    const counting = Object.create(logger) as typeof logger;
    counting.logQuery = (...args: Parameters<typeof logger.logQuery>) => {
      count += 1;
      return logger.logQuery(...args);
    };
    Object.defineProperty(ds, 'logger', { value: counting, configurable: true, writable: true });
    try {
      await work();
    } finally {
      Object.defineProperty(ds, 'logger', { value: logger, configurable: true, writable: true });
    }
    return count;
  }

  it('runs no SQL statement for an authenticated { __typename } (user token or connector key) nor for a SELECTED user\'s destination list with live state', async () => {
    const company = await provisionCompany(t, `mem-${randomUUID().slice(0, 6)}`);
    const d = await createDestination(t, company.adminToken);
    await createDestination(t, company.adminToken);
    const user = await createUser(t, company, { username: 'wallboard', kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [d.id] } });
    const key = (await t.ok('mutation { createConnectorApiKey(name: "k") { apiKey } }', {}, company.adminToken)).createConnectorApiKey.apiKey as string;
    const list = '{ externalDestinations(first: 50) { totalCount nodes { id name live { state connectingCalls } } } }';
    // Counting works: a change runs statements.
    expect(await statementsDuring(async () => void (await createDestination(t, company.adminToken)))).toBeGreaterThan(0);

    const statements = await statementsDuring(async () => {
      for (let i = 0; i < 20; i += 1) {
        expect((await t.gql('{ __typename }', {}, user.token)).errors).toBeUndefined();
        expect((await t.gql('{ __typename }', {}, key)).errors).toBeUndefined();
        const page = await t.ok(list, {}, user.token);
        expect(page.externalDestinations.nodes.map((n: { id: string }) => n.id)).toEqual([d.id]);
      }
    });
    expect(statements).toBe(0);
  });
});

/**
 * On the embedded default the one SQLite connection is shared by transactions and reads, and a transaction
 * sees its own writes: the companies held in memory must only ever read what was committed.
 */
describe('the companies held in memory on the embedded default', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('sqlite', {}, { scheduler: new ManualScheduler(Date.now()) });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never take in a change still being written, nor one rolled back: a read of the company waits for the transaction', async () => {
    const company = await provisionCompany(t, `tx-${randomUUID().slice(0, 6)}`);
    const user = await createUser(t, company, { username: 'viewer', kind: 'SUPERVISOR', privileges: { queues: 'VIEW' } });
    const queues = '{ queues { totalCount } }';
    expect((await t.gql(queues, {}, user.token)).errors).toBeUndefined();
    const models = t.gateway.services.models;
    const held = (await models.get(company.id)).version;

    // A change in progress: the user's roles go, the version moves; then it fails and is rolled back.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const started = new Promise<void>((resolve) => (inside = resolve));
    const change = inTransaction(t.gateway.dataSource, async (m) => {
      await m.query('DELETE FROM user_login_role WHERE "userLoginId" = ?', [user.id]);
      await m.query('UPDATE company SET "authorityVersion" = "authorityVersion" + 1 WHERE id = ?', [company.id]);
      inside();
      await gate;
      throw new Error('rolled back on purpose');
    });
    await started;
    // Meanwhile the instance reads the company whole (as after a missed change).
    const reread = models.receive({ companyId: company.id, version: held + 5, changes: [] });
    release();
    await expect(change).rejects.toThrow('rolled back on purpose');
    await reread;
    // What it holds is what was committed: the role is still there, and so is the right to see queues.
    expect((await models.get(company.id)).version).toBe(held);
    expect((await t.gql(queues, {}, user.token)).errors).toBeUndefined();
  });
});

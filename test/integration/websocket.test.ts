import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { signUserToken } from '../../src/auth/tokens';
import { subscribe } from '../support/live';
import { RawSocket } from '../support/raw-socket';
import { RoutingWorld } from '../support/telephony';
import { JWT_SECRET, PLATFORM_KEY, startTestGateway, type TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

const INSTRUCTIONS = 'subscription { telephonyInstructions { instructionId kind callId message } }';
/** Every change of every agent of the company, to each subscriber. */
const AGENTS = 'subscription { agentUpdates { agentId seq status } }';

/** The message and code of each error, as the client sees them. */
const shape = (errors: Array<{ message: string; extensions?: Record<string, any> }> | undefined) =>
  (errors ?? []).map((e) => ({ message: e.message, code: e.extensions?.code }));

/** A subscription document with `n` aliases (the default limit is 15). */
const withAliases = (n: number) =>
  `subscription { telephonyInstructions { ${Array.from({ length: n }, (_, i) => `a${i}: kind`).join(' ')} } }`;

/** Waits until the server has registered subscriptions sent a moment ago (graphql-ws does not acknowledge them). */
const settle = () => new Promise((r) => setTimeout(r, 100));

afterEach(async () => {
  await RawSocket.closeAll();
});

describe('the graphql-ws socket', () => {
  let t: TestGateway;
  let w: RoutingWorld;

  beforeAll(async () => {
    t = await startTestGateway('sqlite', {
      WS_INIT_TIMEOUT_MS: '300',
      WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '3',
      WS_MAX_SOCKETS_PER_PRINCIPAL: '3',
      WS_MAX_MESSAGE_BYTES: '16384',
    });
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(t);
  });
  afterEach(async () => {
    await w?.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('authentication in connection_init', () => {
    it('closes a socket that sends no connection_init within the init timeout with 4408', async () => {
      const started = Date.now();
      const socket = await RawSocket.open(t);
      const closed = await socket.closed;
      expect(closed.code).toBe(4408);
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it('accepts a user token, a connector key and the platform key, as HTTP does', async () => {
      for (const token of [w.admin, w.connector.key, PLATFORM_KEY]) {
        const socket = await RawSocket.connect(t, token);
        expect(await socket.outcome()).toBe('acknowledged');
      }
    });

    it.each([
      ['a token that is no credential', 'not-a-real-token'],
      ['a revoked-looking connector key', `ck.${randomUUID()}.secret`],
      ['no authorization at all', undefined],
    ])('closes the socket with 4403 for %s', async (_name, token) => {
      const socket = await RawSocket.connect(t, token);
      expect(await socket.outcome()).toEqual({ code: 4403, reason: 'Forbidden' });
    });

    it('closes a user\'s socket with 4403 when its token expires while it is open', async () => {
      const { sub, cid, tv } = jwt.decode(w.admin) as { sub: string; cid: string; tv: number };
      const { token, expiresAt } = signUserToken(JWT_SECRET, { sub, cid, tv }, 3);
      const agent = await w.agent('Expiring watcher', 'LOGGED_OUT');
      const socket = await RawSocket.accepted(t, token);
      socket.subscribe('agents', AGENTS);
      await settle();
      await w.setStatus(agent, 'AVAILABLE');
      await socket.waitForNexts('agents', 1);

      const closed = await socket.closed;
      expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 20);
      expect(Date.now()).toBeLessThan(expiresAt.getTime() + 1_500);
      const received = socket.messages.length;
      await w.setStatus(agent, 'ON_BREAK');
      await settle();
      expect(socket.messages).toHaveLength(received);
    });

    it('keeps a connector key\'s socket open: only user tokens expire', async () => {
      const socket = await RawSocket.accepted(t, w.connector.key);
      await new Promise((r) => setTimeout(r, 500));
      expect(socket.isOpen).toBe(true);
    });
  });

  describe('the limits of HTTP, applied to every operation', () => {
    /** The errors HTTP and the socket give for one document, as the connector. */
    async function bothWays(query: string) {
      const http = await t.gql(query, undefined, w.connector.key);
      const socket = await RawSocket.accepted(t, w.connector.key);
      socket.subscribe('op', query);
      const error = await socket.waitFor((m) => m.id === 'op');
      expect(error.type).toBe('error');
      expect(socket.isOpen).toBe(true);
      return { http: shape(http.errors), socket: shape(error.payload), status: http.status };
    }

    it('refuses a subscription over the alias limit with the same QUERY_TOO_COMPLEX error as HTTP', async () => {
      const { http, socket, status } = await bothWays(withAliases(16));
      expect(status).toBe(400);
      expect(http).toEqual([{ message: 'Aliases limit of 15 exceeded, found 16.', code: 'QUERY_TOO_COMPLEX' }]);
      expect(socket).toEqual(http);
    });

    it('refuses a subscription over the depth limit with the same errors as HTTP', async () => {
      // The instruction has only scalar fields, so a document this deep is also invalid for the schema.
      const { http, socket } = await bothWays('subscription { telephonyInstructions { kind { a { b { c { d { e { f { g { h { i } } } } } } } } } } }');
      expect(http).toContainEqual({ message: 'Query depth limit of 10 exceeded, found 11.', code: 'QUERY_TOO_COMPLEX' });
      expect(http).toContainEqual(expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }));
      expect(socket).toEqual(http);
    });

    it('refuses a subscription over the token limit with the same parse error as HTTP', async () => {
      const { http, socket } = await bothWays(`subscription { telephonyInstructions { ${'kind '.repeat(2_000)} } }`);
      expect(http).toEqual([{ message: expect.stringContaining('2000 tokens'), code: 'GRAPHQL_PARSE_FAILED' }]);
      expect(socket).toEqual(http);
    });

    it('refuses a query and a mutation over the socket, without running them, and keeps the socket open', async () => {
      const socket = await RawSocket.accepted(t, w.admin);
      const name = `Never created ${randomUUID().slice(0, 8)}`;
      socket.subscribe('q', '{ __typename }');
      socket.subscribe('m', 'mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name } });
      for (const id of ['q', 'm']) {
        const error = await socket.waitFor((m) => m.id === id);
        expect(error.type).toBe('error');
        expect(shape(error.payload)).toEqual([{ message: expect.stringContaining('Only subscriptions'), code: 'BAD_REQUEST' }]);
      }
      expect(socket.isOpen).toBe(true);
      const agents = await t.ok('{ agents(first: 500) { nodes { name } } }', {}, w.admin);
      expect(agents.agents.nodes.map((a: { name: string }) => a.name)).not.toContain(name);
    });
  });

  describe('a document sent again with another operation name', () => {
    const TWO_OPERATIONS = 'subscription Agents { agentUpdates { agentId status } } subscription Queues { queueUpdates { queueId } } mutation Make($i: AgentInput!) { createAgent(input: $i) { id } }';
    const subscribeTo = (socket: RawSocket, id: string, operationName: string, variables?: unknown) =>
      socket.send({ id, type: 'subscribe', payload: { query: TWO_OPERATIONS, operationName, variables } });

    it('runs the operation each name picks, refuses the mutation of a document already served for a subscription, and keeps their results apart', async () => {
      const agent = await w.agent('Named', 'LOGGED_OUT');
      const socket = await RawSocket.accepted(t, w.admin);
      subscribeTo(socket, 'agents', 'Agents');
      subscribeTo(socket, 'queues', 'Queues');
      const name = `Never created ${randomUUID().slice(0, 8)}`;
      subscribeTo(socket, 'make', 'Make', { i: { name } });
      const refused = await socket.waitFor((m) => m.id === 'make');
      expect(refused.type).toBe('error');
      expect(shape(refused.payload)).toEqual([{ message: expect.stringContaining('Only subscriptions'), code: 'BAD_REQUEST' }]);
      await settle();

      await w.setStatus(agent, 'AVAILABLE');
      await socket.waitForNexts('agents', 1);
      expect(socket.nexts('agents')).toEqual([{ data: { agentUpdates: { agentId: agent, status: 'AVAILABLE' } } }]);
      await settle();
      expect(socket.nexts('queues')).toEqual([]);
      const agents = await t.ok('{ agents(first: 500) { nodes { name } } }', {}, w.admin);
      expect(agents.agents.nodes.map((a: { name: string }) => a.name)).not.toContain(name);
    });
  });

  describe('caps', () => {
    it('refuses the subscription past the per-socket cap with an error for its id, and the first ones keep working', async () => {
      const agent = await w.agent('Watched', 'LOGGED_OUT');
      const socket = await RawSocket.accepted(t, w.admin);
      for (const id of ['s1', 's2', 's3', 's4']) socket.subscribe(id, AGENTS);
      const refused = await socket.waitFor((m) => m.id === 's4');
      expect(refused.type).toBe('error');
      expect(shape(refused.payload)).toEqual([{ message: 'Too many subscriptions on one connection (at most 3)', code: 'BAD_REQUEST' }]);
      await settle();

      await w.setStatus(agent, 'AVAILABLE');
      for (const id of ['s1', 's2', 's3']) {
        await socket.waitForNexts(id, 1);
        expect(socket.nexts(id)).toEqual([{ data: { agentUpdates: expect.objectContaining({ agentId: agent, status: 'AVAILABLE' }) } }]);
      }
      expect(socket.nexts('s4')).toEqual([]);
      expect(socket.isOpen).toBe(true);

      // Completing one frees its place.
      socket.send({ id: 's1', type: 'complete' });
      socket.subscribe('s5', AGENTS);
      await settle();
      await w.setStatus(agent, 'ON_BREAK');
      await socket.waitForNexts('s5', 1);
      expect(socket.nexts('s5')).toEqual([{ data: { agentUpdates: expect.objectContaining({ agentId: agent, status: 'ON_BREAK' }) } }]);
      expect(socket.nexts('s1')).toHaveLength(1);
      expect(socket.messages.filter((m) => m.type === 'error')).toHaveLength(1);
    });

    it('closes the connection past the per-principal cap with 4429, and accepts one again once a socket closed', async () => {
      const sockets = [];
      for (let i = 0; i < 3; i += 1) sockets.push(await RawSocket.accepted(t, w.admin));
      const extra = await RawSocket.connect(t, w.admin);
      expect(await extra.outcome()).toEqual({ code: 4429, reason: 'Too many connections' });
      // Another principal of the same company is not affected.
      await RawSocket.accepted(t, w.connector.key);

      await sockets[0]!.close();
      const deadline = Date.now() + 2_000;
      for (;;) {
        // The server counts the socket out when its side of the close completes: a moment after the client's.
        const again = await RawSocket.connect(t, w.admin);
        const outcome = await again.outcome();
        if (outcome === 'acknowledged') break;
        expect(outcome).toEqual({ code: 4429, reason: 'Too many connections' });
        if (Date.now() > deadline) throw new Error('no socket accepted after one closed');
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(sockets.slice(1).every((s) => s.isOpen)).toBe(true);
    });

    it('closes a socket whose incoming message is over the size limit with 1009, and takes one just under it', async () => {
      const socket = await RawSocket.accepted(t, w.connector.key);
      const padded = (bytes: number) => {
        const message = { id: 'big', type: 'subscribe', payload: { query: INSTRUCTIONS, variables: { pad: '' } } };
        message.payload.variables.pad = 'x'.repeat(bytes - JSON.stringify(message).length);
        return JSON.stringify(message);
      };
      expect(Buffer.byteLength(padded(16384))).toBe(16384);
      socket.ws.send(padded(16384));
      await settle();
      expect(socket.isOpen).toBe(true);

      socket.ws.send(padded(16385));
      expect((await socket.closed).code).toBe(1009);
    });
  });
});

describe('a slow consumer', () => {
  let t: TestGateway;
  afterAll(async () => {
    await t?.close();
  });

  it('is closed with 1013 once more than WS_MAX_BUFFERED_BYTES wait for it, and the gateway keeps serving the others', async () => {
    t = await startTestGateway('sqlite', { WS_MAX_BUFFERED_BYTES: '4096', WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '100' });
    const w = await RoutingWorld.create(t);
    try {
      const agents = await Promise.all(Array.from({ length: 10 }, (_, i) => w.agent(`Busy bee ${i}`, 'LOGGED_OUT')));
      const healthy = await RawSocket.accepted(t, w.admin);
      healthy.subscribe('all', AGENTS);
      // About 850 bytes an event (15 aliases, the limit) on each of 100 subscriptions: some 85 kB per change,
      // 25 MB for all the changes below, far beyond what the kernel's socket buffers take in (a few MB).
      const big = `subscription { agentUpdates { agentId seq status activity at ${Array.from({ length: 15 }, (_, i) => `a${i}: agentId`).join(' ')} } }`;
      const slow = await RawSocket.accepted(t, w.admin);
      const subscriptions = Array.from({ length: 100 }, (_, i) => `s${i}`);
      for (const id of subscriptions) slow.subscribe(id, big);
      await settle();
      // The client stops reading: the kernel's buffers fill, then the server's.
      const tcp = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      tcp.pause();

      const changes = 300;
      await Promise.all(agents.map(async (agent) => {
        for (let i = 0; i < changes / agents.length; i += 1) await w.setStatus(agent, i % 2 === 0 ? 'AVAILABLE' : 'ON_BREAK');
      }));
      // The healthy socket got every change: the server has tried sending each of them to the slow one too.
      await healthy.waitForNexts('all', changes, 20_000);

      tcp.resume();
      expect(await slow.closed).toEqual({ code: 1013, reason: 'Try again later' });
      const received = slow.messages.filter((m) => m.type === 'next').length;
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(changes * subscriptions.length);

      // The others are still served: the healthy socket, and a new one of the same user.
      expect(healthy.isOpen).toBe(true);
      const again = await RawSocket.accepted(t, w.admin);
      again.subscribe('after', AGENTS);
      await settle();
      await w.setStatus(agents[0]!, 'LOGGED_OUT');
      const last = { data: { agentUpdates: expect.objectContaining({ agentId: agents[0], status: 'LOGGED_OUT' }) } };
      expect(await again.waitForNexts('after', 1)).toEqual([last]);
      expect((await healthy.waitForNexts('all', changes + 1)).at(-1)).toEqual(last);
    } finally {
      await w.close();
    }
  });
});

describe('shutdown', () => {
  it('closes every open socket with 1001 "Going away" when the gateway closes', async () => {
    const t = await startTestGateway('sqlite');
    let closedGateway = false;
    try {
      const w = await RoutingWorld.create(t);
      const subscribed = await RawSocket.accepted(t, w.connector.key);
      subscribed.subscribe('s', INSTRUCTIONS);
      const user = await RawSocket.accepted(t, w.admin);
      const waiting = await RawSocket.open(t);
      // A graphql-ws client, as connectors use it, with a running subscription.
      const client = createClient({
        url: t.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${w.connector.key}` },
        lazy: false, retryAttempts: 0, onNonLazyError: () => undefined,
      });
      const clientClosed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
      await new Promise<void>((resolve) => client.on('connected', () => resolve()));
      const ended = new Promise<unknown>((resolve) => client.subscribe({ query: INSTRUCTIONS }, { next: () => undefined, error: resolve, complete: () => resolve('completed') }));
      await w.close();
      await settle();

      await t.close();
      closedGateway = true;
      for (const socket of [subscribed, user, waiting]) {
        expect(await socket.closed).toEqual({ code: 1001, reason: 'Going away' });
      }
      expect(await clientClosed).toBe(1001);
      expect(await ended).toMatchObject({ code: 1001 });
      await client.dispose();
    } finally {
      if (!closedGateway) await t.close();
    }
  });
});

describe('schema details in socket errors', () => {
  it('leaves out "Did you mean" hints over the socket when introspection is off, as over HTTP', async () => {
    const t = await startTestGateway('sqlite', { GRAPHQL_INTROSPECTION: 'false' });
    const w = await RoutingWorld.create(t);
    try {
      const query = 'subscription { telephonyInstruction { kind } }';
      const http = await t.gql(query, {}, w.connector.key);
      const sub = await subscribe(t.url, w.connector.key, query, 'telephonyInstruction');
      const deadline = Date.now() + 3_000;
      while (sub.errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(sub.errors[0]?.message).toMatch(/Cannot query field "telephonyInstruction"/);
      expect(sub.errors[0]?.message).not.toMatch(/Did you mean/);
      expect(http.errors?.[0]?.message).not.toMatch(/Did you mean/);
      await sub.close();
    } finally {
      await w.close();
      await t.close();
    }
  });
});

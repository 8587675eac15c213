import { randomUUID } from 'node:crypto';
import { createClient } from 'graphql-ws';
import jwt from 'jsonwebtoken';
import WebSocket from 'ws';
import { signUserToken } from '../../src/auth/tokens';
import { pokeUntil, until } from '../support/conditions';
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

/**
 * An agent of its own whose status a test changes back and forth: graphql-ws does not acknowledge a
 * subscribe, so a subscription to agent updates is known to be live once it delivered one of the probe's
 * changes. The probe's events are told apart from the others by its id.
 */
async function agentProbe(w: RoutingWorld): Promise<{ id: string; poke(): Promise<void> }> {
  const id = await w.agent(`Probe ${randomUUID().slice(0, 8)}`, 'LOGGED_OUT');
  let round = 0;
  return { id, poke: () => w.setStatus(id, (round += 1) % 2 === 1 ? 'AVAILABLE' : 'ON_BREAK') };
}

/** The `next` payloads of a subscription about one agent. */
const about = (socket: RawSocket, id: string, agentId: string) => socket.nexts(id).filter((p) => p.data?.agentUpdates?.agentId === agentId);

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
      const agent = await w.agent('Expiring watcher', 'LOGGED_OUT');
      const { sub, cid, tv } = jwt.decode(w.admin) as { sub: string; cid: string; tv: number };
      const { token, expiresAt } = signUserToken(JWT_SECRET, { sub, cid, tv }, 3);
      const socket = await RawSocket.accepted(t, token);
      socket.subscribe('agents', AGENTS);
      // The subscription delivers the agent's changes while the token is valid.
      let round = 0;
      await pokeUntil(() => w.setStatus(agent, (round += 1) % 2 === 1 ? 'AVAILABLE' : 'ON_BREAK'), () => socket.nexts('agents').length > 0, { what: 'a change of the agent' });

      const closed = await socket.closed;
      expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 20);
      expect(Date.now()).toBeLessThan(expiresAt.getTime() + 1_500);
      // Closed, it gets nothing more.
      const received = socket.messages.length;
      await w.setStatus(agent, 'LOGGED_OUT');
      expect(socket.isOpen).toBe(false);
      expect(socket.messages).toHaveLength(received);
    });

    it('keeps a connector key\'s socket open: only user tokens expire', async () => {
      const socket = await RawSocket.accepted(t, w.connector.key);
      // A user's socket opened after it, whose token expires first: closed at the expiry.
      const { sub, cid, tv } = jwt.decode(w.admin) as { sub: string; cid: string; tv: number };
      const user = await RawSocket.accepted(t, signUserToken(JWT_SECRET, { sub, cid, tv }, 2).token);
      expect(await user.closed).toEqual({ code: 4403, reason: 'Token expired' });
      // The connector's socket still answers after that.
      socket.subscribe('after', '{ __typename }');
      expect((await socket.waitFor((m) => m.id === 'after')).type).toBe('error');
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
      const probe = await agentProbe(w);
      const queue = await w.queue([{ groupId: await w.group([]) }]);
      const socket = await RawSocket.accepted(t, w.admin);
      subscribeTo(socket, 'agents', 'Agents');
      subscribeTo(socket, 'queues', 'Queues');
      const name = `Never created ${randomUUID().slice(0, 8)}`;
      subscribeTo(socket, 'make', 'Make', { i: { name } });
      const refused = await socket.waitFor((m) => m.id === 'make');
      expect(refused.type).toBe('error');
      expect(shape(refused.payload)).toEqual([{ message: expect.stringContaining('Only subscriptions'), code: 'BAD_REQUEST' }]);
      // Both subscriptions are live: each delivered a change (a call waiting in a queue changes the queue).
      await pokeUntil(() => probe.poke(), () => about(socket, 'agents', probe.id).length > 0, { what: 'the probe on Agents' });
      await pokeUntil(() => w.connector.enqueueOk(queue), () => socket.nexts('queues').length > 0, { what: 'a queue change on Queues' });

      await w.setStatus(agent, 'AVAILABLE');
      await until(() => about(socket, 'agents', agent).length > 0, { what: 'the agent\'s change on Agents' });
      expect(about(socket, 'agents', agent)).toEqual([{ data: { agentUpdates: { agentId: agent, status: 'AVAILABLE' } } }]);
      // A queue change after it: whatever the agent's change sent on this socket came before it.
      const queueResults = socket.nexts('queues').length;
      await w.connector.enqueueOk(queue);
      await until(() => socket.nexts('queues').length > queueResults, { what: 'the later queue change on Queues' });
      expect(socket.nexts('agents').filter((p) => Object.keys(p.data ?? {}).join() !== 'agentUpdates')).toEqual([]);
      expect(socket.nexts('queues').filter((p) => Object.keys(p.data ?? {}).join() !== 'queueUpdates' || p.data.queueUpdates.queueId !== queue)).toEqual([]);
      const agents = await t.ok('{ agents(first: 500) { nodes { name } } }', {}, w.admin);
      expect(agents.agents.nodes.map((a: { name: string }) => a.name)).not.toContain(name);
    });
  });

  describe('caps', () => {
    it('refuses the subscription past the per-socket cap with an error for its id, and the first ones keep working', async () => {
      const agent = await w.agent('Watched', 'LOGGED_OUT');
      const probe = await agentProbe(w);
      const socket = await RawSocket.accepted(t, w.admin);
      for (const id of ['s1', 's2', 's3', 's4']) socket.subscribe(id, AGENTS);
      const refused = await socket.waitFor((m) => m.id === 's4');
      expect(refused.type).toBe('error');
      expect(shape(refused.payload)).toEqual([{ message: 'Too many subscriptions on one connection (at most 3)', code: 'BAD_REQUEST' }]);
      const live = (ids: string[]) => () => ids.every((id) => about(socket, id, probe.id).length > 0);
      await pokeUntil(() => probe.poke(), live(['s1', 's2', 's3']), { what: 'the probe on s1, s2 and s3' });

      await w.setStatus(agent, 'AVAILABLE');
      for (const id of ['s1', 's2', 's3']) {
        await until(() => about(socket, id, agent).length > 0, { what: `the agent's change on ${id}` });
        expect(about(socket, id, agent)).toEqual([{ data: { agentUpdates: expect.objectContaining({ agentId: agent, status: 'AVAILABLE' }) } }]);
      }
      expect(socket.nexts('s4')).toEqual([]);
      expect(socket.isOpen).toBe(true);

      // Completing one frees its place.
      socket.send({ id: 's1', type: 'complete' });
      socket.subscribe('s5', AGENTS);
      await pokeUntil(() => probe.poke(), live(['s5']), { what: 'the probe on s5' });
      await w.setStatus(agent, 'ON_BREAK');
      await until(() => about(socket, 's5', agent).length > 0, { what: 'the agent\'s change on s5' });
      expect(about(socket, 's5', agent)).toEqual([{ data: { agentUpdates: expect.objectContaining({ agentId: agent, status: 'ON_BREAK' }) } }]);
      // A later change, on s5: whatever the agent's change sent on this socket came before it.
      const heard = about(socket, 's5', probe.id).length;
      await probe.poke();
      await until(() => about(socket, 's5', probe.id).length > heard, { what: 'a later change on s5' });
      expect(about(socket, 's1', agent)).toHaveLength(1);
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
      // The server counts the socket out when its side of the close completes: a moment after the client's.
      await until(async () => {
        const again = await RawSocket.connect(t, w.admin);
        const outcome = await again.outcome();
        if (outcome === 'acknowledged') return true;
        expect(outcome).toEqual({ code: 4429, reason: 'Too many connections' });
        return false;
      }, { everyMs: 50, what: 'a socket accepted after one closed' });
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
      // A message after it is answered: the one at the limit was taken in, and the socket stays open.
      socket.subscribe('after', '{ __typename }');
      expect((await socket.waitFor((m) => m.id === 'after')).type).toBe('error');
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
      const probe = await agentProbe(w);
      /** The `next` payloads of a subscription about the ten agents (not the probe). */
      const ofAgents = (socket: RawSocket, id: string) => socket.nexts(id).filter((p) => agents.includes(p.data?.agentUpdates?.agentId));
      const healthy = await RawSocket.accepted(t, w.admin);
      healthy.subscribe('all', AGENTS);
      // About 850 bytes an event (15 aliases, the limit) on each of 100 subscriptions: some 85 kB per change,
      // 25 MB for all the changes below, far beyond what the kernel's socket buffers take in (a few MB).
      const big = `subscription { agentUpdates { agentId seq status activity at ${Array.from({ length: 15 }, (_, i) => `a${i}: agentId`).join(' ')} } }`;
      const slow = await RawSocket.accepted(t, w.admin);
      const subscriptions = Array.from({ length: 100 }, (_, i) => `s${i}`);
      for (const id of subscriptions) slow.subscribe(id, big);
      // Every subscription is live once it delivered a change of the probe.
      await pokeUntil(() => probe.poke(), () => about(healthy, 'all', probe.id).length > 0 && subscriptions.every((id) => about(slow, id, probe.id).length > 0), {
        timeoutMs: 20_000, what: 'the probe on every subscription',
      });
      // The client stops reading: the kernel's buffers fill, then the server's.
      const tcp = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      tcp.pause();

      const changes = 300;
      await Promise.all(agents.map(async (agent) => {
        for (let i = 0; i < changes / agents.length; i += 1) await w.setStatus(agent, i % 2 === 0 ? 'AVAILABLE' : 'ON_BREAK');
      }));
      // The healthy socket got every change: the server has tried sending each of them to the slow one too.
      await until(() => ofAgents(healthy, 'all').length >= changes, { timeoutMs: 30_000, what: () => `${ofAgents(healthy, 'all').length} of ${changes} changes on the healthy socket` });

      tcp.resume();
      expect(await slow.closed).toEqual({ code: 1013, reason: 'Try again later' });
      const received = subscriptions.reduce((sum, id) => sum + ofAgents(slow, id).length, 0);
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(changes * subscriptions.length);

      // The others are still served: the healthy socket, and a new one of the same user.
      expect(healthy.isOpen).toBe(true);
      const again = await RawSocket.accepted(t, w.admin);
      again.subscribe('after', AGENTS);
      await pokeUntil(() => probe.poke(), () => about(again, 'after', probe.id).length > 0, { what: 'the probe on the new socket' });
      await w.setStatus(agents[0]!, 'LOGGED_OUT');
      const last = { data: { agentUpdates: expect.objectContaining({ agentId: agents[0], status: 'LOGGED_OUT' }) } };
      await until(() => ofAgents(again, 'after').length > 0 && ofAgents(healthy, 'all').length > changes, { what: 'the last change on both sockets' });
      expect(ofAgents(again, 'after')).toEqual([last]);
      expect(ofAgents(healthy, 'all')).toHaveLength(changes + 1);
      expect(ofAgents(healthy, 'all').at(-1)).toEqual(last);
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
      let heardByClient = 0;
      const ended = new Promise<unknown>((resolve) => client.subscribe({ query: INSTRUCTIONS }, { next: () => void (heardByClient += 1), error: resolve, complete: () => resolve('completed') }));
      await w.close();
      // Both connector subscriptions are running: each has had an instruction (the sessions take turns).
      const queue = await w.queue([{ groupId: await w.group([], [await w.destination()]) }]);
      await pokeUntil(() => w.connector.enqueueOk(queue), () => subscribed.nexts('s').length > 0 && heardByClient > 0, { what: 'an instruction on each connector subscription' });

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
      await until(() => sub.errors.length > 0, { what: 'the subscription refused' });
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

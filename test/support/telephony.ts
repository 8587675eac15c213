import { randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import type { TelephonyInstruction } from '../../simulator/connector-client';
import WebSocket from 'ws';
import { provisionCompany, type Company } from './fixtures';
import { dropPrefix, redisSuitesOn, TEST_REDIS_URL, uniquePrefix } from './redis';
import { clientFor, JWT_SECRET, PLATFORM_KEY, startTestGateway, type TestGateway } from './test-gateway';
import { loadConfig } from '../../src/config';
import { createGateway, type GatewayOverrides } from '../../src/gateway';
import { createScratchDatabase } from './postgres';

/** The two ways the gateway runs: embedded (SQLite, in-process live state) and cluster (PostgreSQL + Redis). */
export interface RoutingMode {
  name: 'embedded' | 'cluster';
  start(overrides?: GatewayOverrides): Promise<TestGateway>;
}

export function routingModes(): RoutingMode[] {
  const modes: RoutingMode[] = [{ name: 'embedded', start: (overrides) => startTestGateway('sqlite', {}, fast(overrides)) }];
  if (process.env.POSTGRES_SUITES === 'on' && redisSuitesOn()) {
    modes.push({
      name: 'cluster',
      start: async (overrides) => {
        const prefix = uniquePrefix();
        const t = await startTestGateway('postgres', { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }, fast(overrides));
        return { ...t, close: async () => { await t.close(); await dropPrefix(prefix); } };
      },
    });
  }
  return modes;
}

/** Short loops so tests need not wait for the production timings. */
export function fast(overrides: GatewayOverrides = {}): GatewayOverrides {
  return { ...overrides, routing: { tickMs: 20, sweepMs: 200, ...overrides.routing } };
}

/** An instruction as the connector receives it (the public API's shape, as the simulator's client types it). */
export type Instruction = TelephonyInstruction;

/** The gateway object of a test gateway running in this process; undefined for one in another process. */
function inProcess(t: TestGateway): TestGateway['gateway'] | undefined {
  try {
    return t.gateway;
  } catch {
    return undefined;
  }
}

/** A telephony connector as a client: HTTP mutations and the instruction subscription over graphql-ws. */
export class Connector {
  readonly instructions: Instruction[] = [];
  private client: Client | null = null;
  private waiters: Array<() => void> = [];

  constructor(private readonly t: TestGateway, readonly key: string) {}

  /** Subscribes and resolves once the server acknowledged the subscription is live. */
  async connect(): Promise<void> {
    // In process, the gateway's session store tells when this subscription is registered (graphql-ws sends no
    // acknowledgement of a subscribe): the sessions of this key before, then a new one.
    const keyId = this.key.split('.')[1] ?? '';
    const gateway = inProcess(this.t);
    const sessionsOfKey = async (): Promise<Set<string> | null> => {
      if (gateway?.services === undefined) return null;
      const companyId = gateway.services.models.companyOfKey(keyId);
      if (companyId === undefined) return new Set();
      return new Set((await gateway.live.sessions.live(companyId)).filter((s) => s.keyId === keyId).map((s) => s.sessionId));
    };
    const before = await sessionsOfKey();
    this.client = createClient({
      url: this.t.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${this.key}` },
      retryAttempts: 0,
      lazy: false,
    });
    await new Promise<void>((resolve, reject) => {
      const offConnected = this.client!.on('connected', () => { offConnected(); resolve(); });
      this.client!.on('closed', (event) => reject(new Error(`socket closed: ${(event as { code?: number }).code}`)));
    });
    this.client.subscribe<{ telephonyInstructions: Instruction }>(
      { query: 'subscription { telephonyInstructions { instructionId kind callId attemptId agentId destinationId number ringTimeoutSec message endReason context { key value } } }' },
      {
        next: (msg) => {
          if (msg.data) this.instructions.push(msg.data.telephonyInstructions);
          for (const w of this.waiters.splice(0)) w();
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    if (before === null) {
      // Another process's gateway: nothing to ask; give the server a moment to register the subscription.
      await new Promise((r) => setTimeout(r, 50));
      return;
    }
    await eventually(async () => [...((await sessionsOfKey()) ?? [])].some((id) => !before.has(id)), 10_000, { what: 'the connector session registered', everyMs: 5 });
  }

  /** Waits until `count` instructions match (default 1); returns them. */
  async waitFor(match: (i: Instruction) => boolean, count = 1, timeoutMs = 8_000): Promise<Instruction[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.instructions.filter(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${count} matching instructions, got ${found.length}: ${JSON.stringify(this.instructions)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  of(kind: Instruction['kind'], callId?: string): Instruction[] {
    return this.instructions.filter((i) => i.kind === kind && (callId === undefined || i.callId === callId));
  }

  enqueue(queueId: string, extra: Record<string, unknown> = {}) {
    return this.t.gql<{ enqueueCall: { id: string; state: string } }>(
      'mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id state connectorCallId endReason } }',
      { i: { connectorCallId: randomUUID(), queueId, ...extra } },
      this.key,
    );
  }

  async enqueueOk(queueId: string, extra: Record<string, unknown> = {}): Promise<{ id: string; state: string }> {
    const res = await this.enqueue(queueId, extra);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data!.enqueueCall;
  }

  /** Enqueues calls one after another, each once the one before was dialled (no answer: each stays an offer); the destinations dialled, in order. */
  async dialledTo(queueId: string, calls: number): Promise<string[]> {
    const to: string[] = [];
    for (let i = 0; i < calls; i += 1) {
      const call = await this.enqueueOk(queueId);
      const [dial] = await this.waitFor((x) => x.kind === 'DIAL_EXTERNAL' && x.callId === call.id);
      to.push(dial!.destinationId!);
    }
    return to;
  }

  outcome(attemptId: string, outcome: string, eventId: string = randomUUID()) {
    return this.t.gql<{ reportAttemptOutcome: { id: string; state: string; outcome: string | null } }>(
      'mutation($i: AttemptOutcomeInput!) { reportAttemptOutcome(input: $i) { id state outcome } }',
      { i: { eventId, attemptId, outcome } },
      this.key,
    );
  }

  endCall(callId: string, reason: 'COMPLETED' | 'CALLER_HUNG_UP', eventId: string = randomUUID()) {
    return this.t.gql<{ endCall: { id: string; state: string } }>(
      'mutation($i: EndCallInput!) { endCall(input: $i) { id state endReason } }',
      { i: { eventId, callId, reason } },
      this.key,
    );
  }

  async close(): Promise<void> {
    await this.client?.dispose();
  }
}

/** A company with a connector key, and shortcuts to build agents, groups and queues through the API. */
export class RoutingWorld {
  private constructor(readonly t: TestGateway, readonly company: Company, readonly connector: Connector) {}

  static async create(t: TestGateway, slug = `co-${randomUUID().slice(0, 8)}`): Promise<RoutingWorld> {
    const company = await provisionCompany(t, slug);
    const key = await t.ok('mutation { createConnectorApiKey(name: "connector") { apiKey } }', {}, company.adminToken);
    const connector = new Connector(t, key.createConnectorApiKey.apiKey);
    await connector.connect();
    return new RoutingWorld(t, company, connector);
  }

  get admin(): string {
    return this.company.adminToken;
  }

  async agent(name: string, status: 'AVAILABLE' | 'LOGGED_OUT' | 'ON_BREAK' = 'AVAILABLE'): Promise<string> {
    const a = await this.t.ok('mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name } }, this.admin);
    if (status !== 'LOGGED_OUT') await this.setStatus(a.createAgent.id, status);
    return a.createAgent.id;
  }

  async setStatus(agentId: string, status: string): Promise<void> {
    await this.t.ok('mutation($a: ID!, $s: AgentStatus!) { setAgentStatus(agentId: $a, status: $s) { id } }', { a: agentId, s: status }, this.admin);
  }

  async destination(overrides: Record<string, unknown> = {}): Promise<string> {
    const d = await this.t.ok(
      'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }',
      { i: { name: `Destination ${randomUUID().slice(0, 8)}`, numberMode: 'FULL_NUMBER', number: '+442079460958', ...overrides } },
      this.admin,
    );
    return d.createExternalDestination.id;
  }

  async group(agentIds: string[], destinationIds: string[] = []): Promise<string> {
    const g = await this.t.ok(
      'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }',
      { i: { name: `Group ${randomUUID().slice(0, 8)}`, agentIds, externalDestinationIds: destinationIds } },
      this.admin,
    );
    return g.createAgentGroup.id;
  }

  /** A queue over groups in priority order; later groups take `overflow` (default: none of the conditions). */
  async queue(groups: Array<{ groupId: string; overflow?: Record<string, unknown> }>, settings: Record<string, unknown> = {}): Promise<string> {
    const q = await this.t.ok(
      'mutation($i: QueueInput!) { createQueue(input: $i) { id } }',
      { i: { name: `Queue ${randomUUID().slice(0, 8)}`, groups, ...settings } },
      this.admin,
    );
    return q.createQueue.id;
  }

  async call(callId: string, token = this.admin): Promise<any> {
    const data = await this.t.ok(
      `query($id: ID!) { call(id: $id) { id state endReason attempts { id state outcome targetKind number
         target { __typename ... on Agent { id name } ... on ExternalDestination { id name } ... on HiddenExternalDestination { hidden } } }
         trace { step summary considered { kind id } skipped { kind resourceId reason detail } chosen { kind resourceId priority detail } } } }`,
      { id: callId },
      token,
    );
    return data.call;
  }

  async destinationLive(id: string): Promise<any> {
    const data = await this.t.ok('query($id: ID!) { externalDestination(id: $id) { live { state connectingCalls activeCalls backedOffUntil consecutiveFailures } } }', { id }, this.admin);
    return data.externalDestination.live;
  }

  async close(): Promise<void> {
    await this.connector.close();
  }
}

/** What `eventually` says when it gives up, and how often it asks. */
export interface EventuallyOptions {
  /** The condition waited for (or a function answering it, read when the wait fails, e.g. to show the last value seen). */
  what?: string | (() => string);
  /** Pause between checks. */
  everyMs?: number;
}

/**
 * Polls `check` until it answers something truthy, and answers that. For state that settles
 * asynchronously (a timer, a page, a live stream): the deadline is how long to keep looking, not a
 * claim about how fast the state settles, so it is generous.
 */
export async function eventually<T>(check: () => Promise<T | null | undefined | false>, timeoutMs = 8_000, options: EventuallyOptions = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'function' ? options.what() : options.what;
      throw new Error(`condition not reached in ${timeoutMs / 1000} s${what ? `: ${what}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, options.everyMs ?? 25));
  }
}

/** Whether PostgreSQL and Redis suites run (cluster mode can be tested). */
export function clusterAvailable(): boolean {
  return routingModes().some((m) => m.name === 'cluster');
}

/**
 * Several gateway instances over one PostgreSQL database and one Redis key prefix: a cluster. Instances
 * start one after another (the first migrates the database) and can be stopped one by one.
 */
export async function startCluster(
  instances: number,
  overrides: GatewayOverrides | ((index: number) => GatewayOverrides) = {},
  env: Record<string, string> = {},
): Promise<{ nodes: TestGateway[]; prefix: string; close(): Promise<void> }> {
  const db = await createScratchDatabase();
  const prefix = uniquePrefix();
  const nodes: TestGateway[] = [];
  for (let i = 0; i < instances; i += 1) {
    const config = loadConfig({
      NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix,
      PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false', ...env,
    });
    const gateway = await createGateway(config, fast(typeof overrides === 'function' ? overrides(i) : overrides));
    nodes.push(clientFor(gateway, db.url, () => gateway.close()));
  }
  return {
    nodes,
    prefix,
    close: async () => {
      for (const n of nodes) await n.gateway.close();
      await db.drop();
      await dropPrefix(prefix);
    },
  };
}

/**
 * The hooks of a routing suite: one gateway per suite (of `mode`), a fresh company with a subscribed
 * connector per test (handed to `use` before each test), both closed afterwards.
 */
export function useRoutingWorld(mode: RoutingMode, use: (t: TestGateway, w: RoutingWorld) => void, overrides?: GatewayOverrides): void {
  let t: TestGateway | undefined;
  let w: RoutingWorld | undefined;
  beforeAll(async () => {
    t = await mode.start(overrides);
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(t!);
    use(t!, w);
  });
  afterEach(async () => {
    await w?.close();
  });
  afterAll(async () => {
    await t?.close();
  });
}

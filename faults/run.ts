import { randomBytes, randomUUID } from 'node:crypto';
import { createClient, type Client } from 'graphql-ws';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import { redisKeys } from '../src/store/redis-keys';
import { GatewayInstance } from './processes';
import { childrenRunning, killAllChildren, PrivateRedis, sleep } from '../test/support/child-processes';
import { TcpProxy } from '../test/support/tcp-proxy';

/**
 * The fault-injection run (decision 024): three gateway instances over one scratch PostgreSQL database and a
 * Redis of the run's own (one instance reaches it through a proxy that can slow the link), a connector driving
 * calls through the public API, faults injected while calls flow, then checkers that read the system of record,
 * the live state and the statistics API. Exit code 0 only when every checker counts 0 violations.
 *
 *   --calls N     calls offered (default 150)
 *   --seconds N   how long they arrive over, faults spread across it (default 60)
 *   --seed N      seed of the connector's choices (default 24)
 */

// ---------------------------------------------------------------- options and randomness

interface Options {
  calls: number;
  seconds: number;
  seed: number;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { calls: 150, seconds: 60, seed: 24 };
  for (let i = 0; i < argv.length; i += 1) {
    const name = argv[i]!.replace(/^--/, '');
    if (!(name in options)) throw new Error(`unknown option ${argv[i]} (known: --calls N, --seconds N, --seed N)`);
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${argv[i]} needs a positive number`);
    options[name as keyof Options] = value;
    i += 1;
  }
  return options;
}

/** A small seeded PRNG (mulberry32): the connector's choices are the same for the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
/** A fault line, with the instant it happened (to compare with the instants a checker reports). */
const logFault = (line: string) => log(`fault at ${new Date().toISOString()}: ${line}`);

// ---------------------------------------------------------------- GraphQL over HTTP

interface GqlError {
  message: string;
  extensions?: { code?: string };
}
interface GqlAnswer<T> {
  data?: T;
  errors?: GqlError[];
}

async function gql<T = any>(url: string, query: string, variables: Record<string, unknown>, token?: string, timeoutMs = 8_000): Promise<GqlAnswer<T>> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json()) as GqlAnswer<T>;
    return body;
  } catch (error) {
    return { errors: [{ message: `no answer: ${String(error)}`, extensions: { code: 'NO_ANSWER' } }] };
  }
}

/** Errors worth sending again (to another instance): no answer, the instance busy or not ready, a failure inside. */
const RETRYABLE = new Set(['NO_ANSWER', 'SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR', 'TOO_MANY_REQUESTS', undefined]);
const retryable = (answer: GqlAnswer<unknown>) => (answer.errors ?? []).some((e) => RETRYABLE.has(e.extensions?.code));

// ---------------------------------------------------------------- the run

type Instr = {
  instructionId: string;
  seq: number;
  kind: 'RING_AGENT' | 'DIAL_EXTERNAL' | 'CANCEL_ATTEMPT' | 'PLAY_MESSAGE' | 'DISCONNECT';
  callId: string;
  attemptId: string | null;
  agentId: string | null;
  destinationId: string | null;
};

const INSTRUCTIONS = 'subscription($after: Int) { telephonyInstructions(afterSeq: $after) { instructionId seq kind callId attemptId agentId destinationId } }';
const OUTCOME = 'mutation($i: AttemptOutcomeInput!) { reportAttemptOutcome(input: $i) { id state outcome } }';
const END_CALL = 'mutation($i: EndCallInput!) { endCall(input: $i) { id state } }';
const ENQUEUE = 'mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id state } }';
const ACK = 'mutation($ids: [ID!]!) { acknowledgeTelephonyInstructions(ids: $ids) }';
const SET_STATUS = 'mutation($a: ID!, $s: AgentStatus!) { setAgentStatus(agentId: $a, status: $s) { id } }';

const HELD = new Set(['RESERVED', 'RINGING', 'ON_CALL']);
/** Decision 020's bound with its defaults (grace 30 s + sweep every 10 s), and a margin for the sweep itself. */
const REPAIR_BOUND_MS = 40_000 + 10_000;

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const random = prng(options.seed);
  const started = Date.now();
  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning = false;
  const cleanup = async () => {
    if (cleaning) return;
    cleaning = true;
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping every process of the run');
    void cleanup().finally(() => {
      killAllChildren();
      process.exit(130);
    });
  });
  process.once('exit', killAllChildren);

  const figures = {
    enqueued: 0,
    instructions: 0,
    duplicateInstructionsDropped: 0,
    outcomes: 0,
    endCalls: 0,
    acknowledged: 0,
    refusedMutations: 0,
    reconnects: 0,
  };
  const faults = { instanceKilled: 0, redisRestarted: 0, slowLinkSeconds: 0, duplicateEvents: 0, socketsDropped: 0 };
  const recovery: Record<string, number | null> = {};
  const violations: Record<string, number> = {};
  const details: string[] = [];

  try {
    // ---- the world: a scratch database, a Redis of our own, a proxy, three instances
    const adminUrl = process.env.FAULTS_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const dbName = `gw_faults_${randomBytes(6).toString('hex')}`;
    const adminDb = async (q: string) => {
      const c = new PgClient({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(q);
      } finally {
        await c.end();
      }
    };
    await adminDb(`CREATE DATABASE ${dbName}`);
    cleanups.push(() => adminDb(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
    const dbUrlObject = new URL(adminUrl);
    dbUrlObject.pathname = `/${dbName}`;
    const dbUrl = dbUrlObject.toString();
    const sql = new PgClient({ connectionString: dbUrl });
    await sql.connect();
    cleanups.push(() => sql.end());

    const redis = await PrivateRedis.start('faults-redis-');
    cleanups.push(() => redis.dispose());
    const proxy = await TcpProxy.start('127.0.0.1', redis.port);
    cleanups.push(() => proxy.close());

    const prefix = `faults${randomBytes(3).toString('hex')}`;
    const platformKey = randomBytes(24).toString('hex');
    const env = (redisPort: number): Record<string, string> => ({
      NODE_ENV: 'test',
      DATABASE_URL: dbUrl,
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_KEY_PREFIX: prefix,
      PLATFORM_API_KEY: platformKey,
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
    });
    const baseEnv = env(redis.port);
    const nodes = [
      new GatewayInstance('A', baseEnv),
      new GatewayInstance('B', { ...baseEnv, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }),
      new GatewayInstance('C', baseEnv),
    ];
    cleanups.push(() => Promise.all(nodes.map((n) => n.kill('SIGKILL'))));
    await nodes[0]!.start(); // the first one migrates the database
    await Promise.all([nodes[1]!.start(), nodes[2]!.start()]);
    log(`faults: 3 instances up in ${((Date.now() - started) / 1000).toFixed(1)} s; ${options.calls} calls over ${options.seconds} s, seed ${options.seed}`);

    const liveRedis = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true });
    liveRedis.on('error', () => undefined);
    cleanups.push(async () => liveRedis.disconnect());
    await liveRedis.connect();

    // ---- provisioning, as an operator and an administrator would
    const A = () => nodes[0]!.url;
    const must = async <T = any>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> => {
      const res = await gql<T>(A(), query, variables, token);
      if (res.errors) throw new Error(`provisioning failed: ${JSON.stringify(res.errors)}`);
      return res.data as T;
    };
    const slug = `faults-${randomBytes(3).toString('hex')}`;
    const company = await must<{ createCompany: { id: string } }>(
      'mutation($input: CreateCompanyInput!) { createCompany(input: $input) { id } }',
      { input: { name: 'Faults', slug, timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: 'faults-admin-password' } },
      platformKey,
    );
    const companyId = company.createCompany.id;
    const admin = (await must('mutation($s: String!) { login(companySlug: $s, username: "admin", password: "faults-admin-password") { token } }', { s: slug })).login.token as string;
    const key = (await must('mutation { createConnectorApiKey(name: "faults connector") { apiKey } }', {}, admin)).createConnectorApiKey.apiKey as string;
    const agents: string[] = [];
    for (let k = 0; k < 3; k += 1) agents.push((await must('mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name: `Agent ${k + 1}` } }, admin)).createAgent.id);
    const limits = [2, 3];
    const destinations: Array<{ id: string; limit: number }> = [];
    for (const limit of limits) {
      const d = await must(
        'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }',
        {
          i: {
            name: `Destination limit ${limit}`, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: limit,
            outdialTimeoutSec: 10, busyBackoffSec: 2, noAnswerBackoffSec: 2, retryIntervalSec: 1, maxConsecutiveFailures: 50,
          },
        },
        admin,
      );
      destinations.push({ id: d.createExternalDestination.id, limit });
    }
    const group = (await must('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'Everyone', agentIds: agents, externalDestinationIds: destinations.map((d) => d.id) } }, admin)).createAgentGroup.id;
    const queue = (await must('mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name: 'Faults queue', groups: [{ groupId: group }], agentRingTimeoutSec: 10, agentRetrySec: 1, wrapUpSec: 0, maxWaitSec: 3600 } }, admin)).createQueue.id;
    const limitOf = new Map(destinations.map((d) => [d.id, d.limit]));

    /** Sets every agent AVAILABLE, retrying through the instances (an emptied Redis forgets statuses, decision 022). */
    const agentsAvailable = async () => {
      for (const agent of agents) {
        for (let k = 0; ; k += 1) {
          const node = nodes[k % 3]!;
          if (node.alive) {
            const res = await gql(node.url, SET_STATUS, { a: agent, s: 'AVAILABLE' }, admin);
            if (!res.errors) break;
          }
          if (k > 200) throw new Error(`agent ${agent} could not be set AVAILABLE`);
          await sleep(100);
        }
      }
    };
    await agentsAvailable();

    // ---- the connector
    let draining = false;
    let stopped = false;
    const seen = new Set<string>();
    let highestSeq = 0;
    const legs = new Map<string, { destinationId: string | null; callId: string }>();
    const openPerDestination = new Map<string, number>();
    let connectorOverAdmissions = 0;
    const reported = new Map<string, string>();
    /** Which instance(s) took each outcome (the attempt id), to say where a violation came from. */
    const via = new Map<string, string>();
    const handledAttempts = new Set<string>();
    const work = new Set<Promise<unknown>>();
    let lastDialAt = 0;
    let lastAnsweredAt = 0;
    const toAck: string[] = [];
    let turn = 0;

    const aliveNodes = () => nodes.filter((n) => n.alive);
    const nextNode = (): GatewayInstance => {
      const alive = aliveNodes();
      turn += 1;
      return alive.length > 0 ? alive[turn % alive.length]! : nodes[0]!;
    };

    /** Sends a connector mutation until an instance answers it without a retryable error; null when refused for good. */
    const reliably = async <T = any>(query: string, variables: Record<string, unknown>, first?: GatewayInstance, timeoutMs = 60_000): Promise<GqlAnswer<T>> => {
      const deadline = Date.now() + timeoutMs;
      let node = first ?? nextNode();
      for (;;) {
        const res = await gql<T>(node.url, query, variables, key);
        if (!res.errors || !retryable(res)) return res;
        if (Date.now() > deadline) return res;
        await sleep(200);
        node = nextNode();
      }
    };

    const track = (p: Promise<unknown>) => {
      const job = p.catch((e: unknown) => details.push(`connector job failed: ${String(e)}`)).finally(() => work.delete(job));
      work.add(job);
    };

    const closeLeg = (attemptId: string | null) => {
      if (attemptId === null) return;
      const leg = legs.get(attemptId);
      if (!leg) return;
      legs.delete(attemptId);
      if (leg.destinationId) openPerDestination.set(leg.destinationId, (openPerDestination.get(leg.destinationId) ?? 1) - 1);
    };
    const closeLegsOfCall = (callId: string) => {
      for (const [attemptId, leg] of legs) if (leg.callId === callId) closeLeg(attemptId);
    };

    /** Sends one event (same eventId) to two different instances at once when `duplicate`, else reliably. */
    const sendEvent = async (query: string, variables: Record<string, unknown>, duplicate: boolean, tag?: string): Promise<GqlAnswer<any>> => {
      const alive = aliveNodes();
      if (duplicate && alive.length >= 2) {
        faults.duplicateEvents += 1;
        const i = Math.floor(random() * alive.length);
        const pair = [alive[i]!, alive[(i + 1) % alive.length]!];
        if (tag) via.set(tag, `${pair.map((n) => n.name).join(' and ')} at once`);
        const answers = await Promise.all(pair.map((n) => gql(n.url, query, variables, key)));
        const ok = answers.find((a) => !a.errors);
        if (ok) return ok;
        if (!answers.some(retryable)) return answers[0]!;
      }
      const node = nextNode();
      if (tag) via.set(tag, node.name);
      return reliably(query, variables, node);
    };

    const handleRing = async (i: Instr) => {
      await sleep(100 + random() * 500);
      if (!legs.has(i.attemptId!) && i.kind === 'DIAL_EXTERNAL') return; // cancelled meanwhile
      const r = random();
      const outcome = draining || r < 0.6 ? 'ANSWERED' : r < 0.8 ? 'BUSY' : 'NO_ANSWER';
      const duplicate = random() < 0.15;
      if (outcome !== 'ANSWERED') closeLeg(i.attemptId);
      const res = await sendEvent(OUTCOME, { i: { eventId: randomUUID(), attemptId: i.attemptId, outcome } }, duplicate, i.attemptId!);
      figures.outcomes += 1;
      if (res.errors) {
        figures.refusedMutations += 1;
        closeLeg(i.attemptId);
        return;
      }
      reported.set(i.attemptId!, outcome);
      if (outcome !== 'ANSWERED') return;
      if (i.kind === 'DIAL_EXTERNAL') lastAnsweredAt = Date.now();
      await sleep(300 + random() * 1200);
      closeLegsOfCall(i.callId);
      const ended = await sendEvent(END_CALL, { i: { eventId: randomUUID(), callId: i.callId, reason: 'COMPLETED' } }, random() < 0.15);
      figures.endCalls += 1;
      if (ended.errors) figures.refusedMutations += 1;
    };

    const onInstruction = (i: Instr) => {
      if (seen.has(i.instructionId)) {
        figures.duplicateInstructionsDropped += 1;
        return;
      }
      seen.add(i.instructionId);
      highestSeq = Math.max(highestSeq, i.seq);
      figures.instructions += 1;
      toAck.push(i.instructionId);
      switch (i.kind) {
        case 'RING_AGENT':
        case 'DIAL_EXTERNAL': {
          if (handledAttempts.has(i.attemptId!)) return;
          handledAttempts.add(i.attemptId!);
          legs.set(i.attemptId!, { destinationId: i.destinationId, callId: i.callId });
          if (i.destinationId) {
            lastDialAt = Date.now();
            const open = (openPerDestination.get(i.destinationId) ?? 0) + 1;
            openPerDestination.set(i.destinationId, open);
            if (open > (limitOf.get(i.destinationId) ?? Infinity)) {
              connectorOverAdmissions += 1;
              details.push(`connector saw ${open} legs open at destination limit ${limitOf.get(i.destinationId)} (dial of attempt ${i.attemptId})`);
            }
          }
          track(handleRing(i));
          return;
        }
        case 'CANCEL_ATTEMPT':
          closeLeg(i.attemptId);
          return;
        case 'DISCONNECT':
          closeLegsOfCall(i.callId);
          return;
        default:
          return;
      }
    };

    // Acknowledges what was taken in, every 300 ms, in one call.
    const acker = setInterval(() => {
      if (toAck.length === 0) return;
      const ids = toAck.splice(0);
      track(reliably(ACK, { ids }).then((res) => {
        if (res.errors) toAck.push(...ids);
        else figures.acknowledged += ids.length;
      }));
    }, 300);
    cleanups.push(async () => clearInterval(acker));

    /** One instruction subscription held on one instance, opened again whenever its socket ends. */
    class Session {
      client: Client | null = null;
      connectedAt = 0;
      constructor(readonly node: GatewayInstance) {}

      open(): void {
        if (stopped) return;
        const after = highestSeq > 0 ? highestSeq : null;
        const client = createClient({
          url: this.node.url.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${key}` },
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined,
        });
        this.client = client;
        let reopened = false;
        const reopen = () => {
          if (reopened || stopped) return;
          reopened = true;
          void client.dispose();
          setTimeout(() => {
            figures.reconnects += 1;
            this.open();
          }, 300);
        };
        client.on('connected', () => {
          this.connectedAt = Date.now();
        });
        client.on('closed', reopen);
        client.subscribe<{ telephonyInstructions: Instr }>(
          { query: INSTRUCTIONS, variables: { after } },
          {
            next: (msg) => {
              if (msg.data) onInstruction(msg.data.telephonyInstructions);
            },
            error: reopen,
            complete: reopen,
          },
        );
      }

      /** Drops the socket as a network failure would; it is opened again (resuming after the highest seq). */
      drop(): void {
        const client = this.client as (Client & { terminate?: () => void }) | null;
        if (client?.terminate) client.terminate();
        else void client?.dispose();
      }

      async close(): Promise<void> {
        await this.client?.dispose();
      }
    }
    const sessions = nodes.map((n) => new Session(n));
    for (const s of sessions) s.open();
    cleanups.push(async () => {
      stopped = true;
      await Promise.all(sessions.map((s) => s.close()));
    });
    await sleep(500);

    // ---- calls arrive, faults are injected meanwhile
    const runStart = new Date(Date.now() - 1_000);
    const callIds: string[] = [];
    const runMs = options.seconds * 1000;
    const arrivals = (async () => {
      for (let k = 0; k < options.calls; k += 1) {
        const due = (k * runMs) / options.calls;
        const wait = runStart.getTime() + 1_000 + due - Date.now();
        if (wait > 0) await sleep(wait);
        track(
          reliably<{ enqueueCall: { id: string } }>(ENQUEUE, { i: { connectorCallId: randomUUID(), queueId: queue } }).then((res) => {
            if (res.errors) {
              figures.refusedMutations += 1;
              details.push(`enqueue refused: ${JSON.stringify(res.errors)}`);
            } else {
              figures.enqueued += 1;
              callIds.push(res.data!.enqueueCall.id);
            }
          }),
        );
      }
    })();

    const at = async (fraction: number) => {
      const wait = runStart.getTime() + 1_000 + runMs * fraction - Date.now();
      if (wait > 0) await sleep(wait);
    };
    const injector = (async () => {
      // SIGKILL one instance in the middle of calls, and start it again.
      await at(0.15);
      const killed = nodes[2]!;
      const killAt = Date.now();
      await killed.kill('SIGKILL');
      faults.instanceKilled += 1;
      await sleep(1_000);
      await killed.start();
      recovery.instanceRestartMs = Date.now() - killAt;
      logFault(`instance C killed (SIGKILL) and ready again after ${recovery.instanceRestartMs} ms`);

      // Slow instance B's Redis link.
      await at(0.35);
      proxy.delayMs = 40;
      const slowFrom = Date.now();
      logFault('instance B\'s Redis link slowed by 40 ms each way');

      // Restart the Redis empty (B stays slow meanwhile).
      await at(0.5);
      const restartAt = Date.now();
      await redis.stop('SIGKILL');
      await redis.start();
      faults.redisRestarted += 1;
      logFault('Redis restarted empty');
      await agentsAvailable(); // an emptied Redis reads every agent LOGGED_OUT (decision 022): a supervisor sets them again
      const dialsBefore = lastDialAt;
      const answeredBefore = lastAnsweredAt;
      void (async () => {
        const deadline = Date.now() + 120_000;
        while (Date.now() < deadline && (lastDialAt === dialsBefore || lastAnsweredAt === answeredBefore)) await sleep(20);
        recovery.redisRestartToNextDialMs = lastDialAt > dialsBefore ? lastDialAt - restartAt : null;
        recovery.redisRestartToNextAnsweredDialMs = lastAnsweredAt > answeredBefore ? lastAnsweredAt - restartAt : null;
      })();

      await at(0.65);
      proxy.delayMs = 0;
      faults.slowLinkSeconds = Math.round((Date.now() - slowFrom) / 1000);
      logFault('instance B\'s Redis link back to normal');

      // Drop a connector socket; it reconnects and resumes after the highest seq it saw.
      await at(0.75);
      sessions[0]!.drop();
      faults.socketsDropped += 1;
      logFault('connector socket on instance A dropped (it resumes with afterSeq)');
    })();

    await Promise.all([arrivals, injector]);
    const drainFrom = Date.now();
    draining = true;
    log(`faults: arrivals done after ${((drainFrom - runStart.getTime()) / 1000).toFixed(1)} s; draining`);

    // ---- drain: everything answered from now on, until every call ended (or the bound)
    const openCalls = async () => (await sql.query(`SELECT id, state FROM call WHERE state NOT IN ('ENDED', 'ABANDONED', 'FAILED')`)).rows as Array<{ id: string; state: string }>;
    const drainDeadline = Date.now() + 120_000;
    let left = await openCalls();
    while (left.length > 0 && Date.now() < drainDeadline) {
      await sleep(500);
      left = await openCalls();
    }
    await Promise.all([...work]);
    recovery.drainMs = Date.now() - drainFrom;
    left = await openCalls();

    // ---- checkers
    const openAttempts = async () => new Set(((await sql.query(`SELECT id FROM call_attempt WHERE state IN ('RINGING', 'CONNECTED')`)).rows as Array<{ id: string }>).map((r) => r.id));
    const attempts = (await sql.query(
      `SELECT id, "callId", "destinationId", "agentId", state, outcome, "startedAt", "answeredAt", "endedAt", "backoffUntil" FROM call_attempt ORDER BY "startedAt"`,
    )).rows as Array<{ id: string; callId: string; destinationId: string | null; agentId: string | null; state: string; outcome: string | null; startedAt: Date; answeredAt: Date | null; endedAt: Date | null; backoffUntil: Date | null }>;

    // Over-admission, from the attempts' intervals: at no instant more open attempts than the limit.
    let overDb = 0;
    for (const d of destinations) {
      const events: Array<{ t: number; delta: number }> = [];
      for (const a of attempts.filter((x) => x.destinationId === d.id)) {
        events.push({ t: a.startedAt.getTime(), delta: 1 });
        events.push({ t: (a.endedAt ?? new Date()).getTime(), delta: -1 });
      }
      events.sort((x, y) => x.t - y.t || x.delta - y.delta);
      let open = 0;
      let peak = 0;
      for (const e of events) {
        open += e.delta;
        peak = Math.max(peak, open);
        if (e.delta > 0 && open > d.limit) {
          overDb += 1;
          details.push(`destination limit ${d.limit}: ${open} attempts open at ${new Date(e.t).toISOString()}`);
        }
      }
      log(`figures: destination limit ${d.limit}: ${events.length / 2} attempts, peak ${peak} open at once`);
    }
    violations['over-admission (attempt rows)'] = overDb;
    violations['over-admission (connector legs)'] = connectorOverAdmissions;

    // Lost instructions: calls that never ended after the drain.
    violations['lost instructions'] = left.length;
    for (const c of left.slice(0, 10)) details.push(`call ${c.id} still ${c.state} after the drain`);

    // Duplicated effects: an outcome counted twice, or recorded otherwise than the connector reported it.
    let duplicated = 0;
    const answeredPerCall = new Map<string, number>();
    for (const a of attempts) {
      if (a.answeredAt) answeredPerCall.set(a.callId, (answeredPerCall.get(a.callId) ?? 0) + 1);
      const told = reported.get(a.id);
      if (told !== undefined && a.outcome !== told && !(told === 'ANSWERED' && a.answeredAt !== null)) {
        duplicated += 1;
        details.push(`attempt ${a.id}: connector reported ${told}, recorded ${a.outcome}`);
      }
    }
    for (const [callId, n] of answeredPerCall) {
      if (n > 1) {
        duplicated += 1;
        details.push(`call ${callId} has ${n} answered attempts`);
      }
    }
    violations['duplicated effects'] = duplicated;

    // Dials during back-off: an attempt at a destination started after a BUSY/NO_ANSWER and before its back-off ended.
    let duringBackoff = 0;
    for (const a of attempts) {
      if (!a.destinationId || !a.backoffUntil || !a.endedAt || !['BUSY', 'NO_ANSWER'].includes(a.outcome ?? '')) continue;
      for (const b of attempts) {
        if (b.destinationId !== a.destinationId || b.id === a.id) continue;
        if (b.startedAt > a.endedAt && b.startedAt < a.backoffUntil) {
          duringBackoff += 1;
          details.push(
            `attempt ${b.id} dialled at ${b.startedAt.toISOString()} (${b.startedAt.getTime() - a.endedAt.getTime()} ms after), within the back-off of attempt ${a.id} ` +
              `(${a.outcome} sent to ${via.get(a.id) ?? 'unknown'}, ${a.endedAt.toISOString()} to ${a.backoffUntil.toISOString()})`,
          );
        }
      }
    }
    violations['dials during back-off'] = duringBackoff;

    // Stuck agents and phantom slots: nothing held that no open attempt explains, once the repair bound passed.
    const stuckAgents = async () => {
      const open = await openAttempts();
      const openCallsOfAgents = new Set(attempts.filter((a) => a.agentId && open.has(a.id)).map((a) => `${a.agentId}/${a.callId}`));
      const stuck: string[] = [];
      for (const agent of agents) {
        const h = await liveRedis.hgetall(redisKeys(prefix).agent(companyId, agent));
        if (HELD.has(h.activity ?? '') && !openCallsOfAgents.has(`${agent}/${h.callId ?? ''}`)) stuck.push(`agent ${agent} ${h.activity} for call ${h.callId}`);
      }
      return stuck;
    };
    const phantomSlots = async () => {
      const open = await openAttempts();
      const phantoms: string[] = [];
      for (const d of destinations) {
        const holders = await liveRedis.zrange(redisKeys(prefix).destinationLeases(companyId, d.id), 0, -1);
        for (const h of holders) if (!open.has(h)) phantoms.push(`destination limit ${d.limit}: lease for ${h}`);
      }
      return phantoms;
    };
    const repairFrom = Date.now();
    let stuck = await stuckAgents();
    let phantoms = await phantomSlots();
    while ((stuck.length > 0 || phantoms.length > 0) && Date.now() - drainFrom < REPAIR_BOUND_MS + recovery.drainMs!) {
      await sleep(1_000);
      stuck = await stuckAgents();
      phantoms = await phantomSlots();
    }
    recovery.repairWaitMs = Date.now() - repairFrom;
    violations['stuck agents'] = stuck.length;
    violations['phantom slots'] = phantoms.length;
    details.push(...stuck, ...phantoms);

    // Statistics equal to the truth: offered and answered per destination, against the attempt rows.
    const statsMismatch = async (): Promise<string[]> => {
      const wrong: string[] = [];
      for (const d of destinations) {
        const res = await gql(A(), 'query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { offered answered } }', {
          id: d.id, from: new Date(runStart.getTime() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(),
        }, admin);
        const rows = attempts.filter((a) => a.destinationId === d.id);
        const truth = { offered: rows.length, answered: rows.filter((a) => a.answeredAt !== null).length };
        const stats = res.data?.externalDestinationStats;
        if (!stats) wrong.push(`destination limit ${d.limit}: statistics not read: ${JSON.stringify(res.errors)}`);
        else {
          if (stats.offered !== truth.offered) wrong.push(`destination limit ${d.limit}: offered ${stats.offered}, attempt rows ${truth.offered}`);
          if (stats.answered !== truth.answered) wrong.push(`destination limit ${d.limit}: answered ${stats.answered}, attempt rows ${truth.answered}`);
        }
      }
      return wrong;
    };
    let wrongStats = await statsMismatch();
    for (let k = 0; k < 20 && wrongStats.length > 0; k += 1) {
      await sleep(1_000);
      wrongStats = await statsMismatch();
    }
    violations['statistics equal to the truth'] = wrongStats.length;
    details.push(...wrongStats);

    // ---- report
    log('');
    log(`operations: ${figures.enqueued} calls enqueued, ${figures.instructions} instructions taken in (${figures.duplicateInstructionsDropped} duplicates dropped), ${figures.outcomes} outcomes, ${figures.endCalls} call ends, ${figures.acknowledged} acknowledged, ${figures.refusedMutations} refused, ${figures.reconnects} reconnects, ${attempts.length} attempts`);
    log(`faults injected: ${faults.instanceKilled} instance killed and restarted, ${faults.redisRestarted} Redis restarted empty, ${faults.slowLinkSeconds} s of a slow Redis link (40 ms), ${faults.duplicateEvents} duplicate events, ${faults.socketsDropped} connector sockets dropped`);
    log(`recovery: ${Object.entries(recovery).map(([k, v]) => `${k} ${v === null || v === undefined ? 'never' : `${v} ms`}`).join(', ')}`);
    for (const [name, n] of Object.entries(violations)) log(`violations ${name}: ${n}`);
    for (const d of details.slice(0, 30)) log(`  ${d}`);
    if (details.length > 30) log(`  ... and ${details.length - 30} more`);
    const total = Object.values(violations).reduce((s, n) => s + n, 0);
    log(`faults: ${total === 0 ? 'PASS' : 'FAIL'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (total > 0) for (const n of nodes) if (/error/i.test(n.log())) log(`--- instance ${n.name} log tail ---\n${n.log().slice(-3000)}`);
    return total === 0 ? 0 : 1;
  } finally {
    await cleanup();
    killAllChildren();
    if (childrenRunning() > 0) await sleep(200);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`faults: ${error instanceof Error ? error.stack : String(error)}\n`);
    killAllChildren();
    process.exit(2);
  },
);

import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config';
import { Call, CallAttempt } from '../src/entities/call.entity';
import { CapacityRefusal } from '../src/entities/capacity-refusal.entity';
import { createGateway } from '../src/gateway';
import { checkBuckets } from '../src/store/stat-rebuild';

/**
 * How statistics cost grows with the number of calls (issue 17, decision 025): for 10 000, 100 000 and
 * 1 000 000 calls over the last 30 days (20 destinations, 20 agents, 5 queues; each call one attempt, 60% to
 * an agent; busy and failed destinations back off; one call in ten refused by a full destination first), the
 * wall time through the API of today's figures, the 30-day totals and the 30-day 15-minute intervals of one
 * destination, one queue and the lists. Records are inserted in bulk; the buckets are then written from them
 * by `stats:rebuild --write`'s code, which is the code every record write runs (touch, then recompute at
 * commit). Each question is asked 3 times, the median reported.
 *
 * `node dist/bench/statistics-scale.bench.js [--calls 10000,100000,1000000]`
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
const DAY = 86_400_000;
const DESTINATIONS = 20;
const AGENTS = 20;
const QUEUES = 5;

function text(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? null : process.argv[i + 1] ?? null;
}

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { connection: 'close', 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const body = await res.json() as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
  if (body.errors) return { error: body.errors[0]?.extensions?.code ?? 'ERROR' };
  return body.data;
}

/** A deterministic generator (the same records at every scale, only more of them). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}


async function run(calls: number): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'stats-scale-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}`,
    PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false',
    // The 30-day interval questions are heavier than the default cost limit allows; their cost is what is measured.
    GRAPHQL_MAX_COST: '1000000', STATISTICS_MAX_CSV_ROWS: '10000000',
  });
  const gateway = await createGateway(config);
  const out = new Map<string, string>();
  try {
    const url = gateway.url;
    await gql(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: 'Bench', slug: 'bench', timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
    }, PLATFORM_KEY);
    const signedIn = await gql(url, 'mutation { login(companySlug: "bench", username: "admin", password: "bench-admin-password") { token user { company { id } } } }', {});
    const token = signedIn.login.token as string;
    const companyId = signedIn.login.user.company.id as string;
    const destinations: string[] = [];
    const agents: string[] = [];
    const queues: string[] = [];
    for (let i = 0; i < DESTINATIONS; i += 1) {
      destinations.push((await gql(url, 'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', { i: { name: `D${i}`, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5 } }, token)).createExternalDestination.id);
    }
    for (let i = 0; i < AGENTS; i += 1) agents.push((await gql(url, 'mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name: `A${i}` } }, token)).createAgent.id);
    const group = (await gql(url, 'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'G', agentIds: agents, externalDestinationIds: destinations } }, token)).createAgentGroup.id;
    for (let i = 0; i < QUEUES; i += 1) queues.push((await gql(url, 'mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name: `Q${i}`, groups: [{ groupId: group }] } }, token)).createQueue.id);

    const now = Date.now();
    const from = now - 30 * DAY;
    const m = gateway.dataSource.manager;
    const rng = lcg(17);
    const seedStarted = performance.now();
    const BATCH = 2000;
    for (let done = 0; done < calls; done += BATCH) {
      const callRows: Array<Partial<Call>> = [];
      const attemptRows: Array<Partial<CallAttempt>> = [];
      const refusalRows: Array<Partial<CapacityRefusal>> = [];
      for (let k = done; k < Math.min(calls, done + BATCH); k += 1) {
        const enqueued = from + Math.floor(((k + rng()) / calls) * (30 * DAY - 120_000));
        const callId = randomUUID();
        const toAgent = rng() < 0.6;
        const started = enqueued + Math.floor(rng() * 30_000);
        const r = rng();
        const outcome = r < 0.6 ? 'ANSWERED' : r < 0.7 ? 'BUSY' : r < 0.8 ? 'NO_ANSWER' : r < 0.85 ? 'FAILED' : 'CANCELLED';
        const answeredAt = outcome === 'ANSWERED' ? started + 3_000 + Math.floor(rng() * 20_000) : null;
        const endedAt = answeredAt !== null ? answeredAt + 30_000 + Math.floor(rng() * 300_000) : started + 5_000 + Math.floor(rng() * 20_000);
        const destinationId = destinations[Math.floor(rng() * DESTINATIONS)]!;
        callRows.push({
          id: callId, companyId, connectorCallId: callId, queueId: queues[k % QUEUES]!, priority: 0, state: (outcome === 'ANSWERED' ? 'ENDED' : 'ABANDONED') as never,
          endReason: outcome === 'ANSWERED' ? 'COMPLETED' : 'CALLER_HUNG_UP', enqueuedAt: new Date(enqueued), answeredAt: answeredAt === null ? null : new Date(answeredAt), endedAt: new Date(endedAt),
          eligiblePriorities: [], lastOfferEndedAt: {}, revision: 3, flowVersionId: null, flowNodeId: null,
        });
        attemptRows.push({
          id: randomUUID(), companyId, callId, targetKind: toAgent ? 'AGENT' : 'DESTINATION', agentId: toAgent ? agents[Math.floor(rng() * AGENTS)]! : null,
          destinationId: toAgent ? null : destinationId, number: toAgent ? null : '+442079460958', state: (outcome === 'ANSWERED' ? 'COMPLETED' : outcome) as never, outcome: outcome as never,
          ringTimeoutSec: 30, startedAt: new Date(started), answeredAt: answeredAt === null ? null : new Date(answeredAt), endedAt: new Date(endedAt),
          backoffUntil: !toAgent && outcome === 'BUSY' ? new Date(endedAt + 60_000) : !toAgent && outcome === 'FAILED' ? new Date(endedAt + 5_000) : null,
          wrapUpSec: toAgent && outcome === 'ANSWERED' ? 30 : null,
        });
        if (k % 10 === 0) refusalRows.push({ id: randomUUID(), companyId, callId, destinationId: destinations[(k / 10) % DESTINATIONS]!, at: new Date(enqueued + 500) });
      }
      await m.transaction(async (t) => {
        for (let i = 0; i < callRows.length; i += 400) await t.createQueryBuilder().insert().into(Call).values(callRows.slice(i, i + 400) as never).execute();
        for (let i = 0; i < attemptRows.length; i += 400) await t.createQueryBuilder().insert().into(CallAttempt).values(attemptRows.slice(i, i + 400) as never).execute();
        if (refusalRows.length > 0) await t.createQueryBuilder().insert().into(CapacityRefusal).values(refusalRows as never).execute();
      });
    }
    const seedMs = performance.now() - seedStarted;
    const bucketStarted = performance.now();
    await checkBuckets(gateway.dataSource, companyId, Math.floor(from / 900_000) * 900_000 - DAY, now + DAY, true, false);
    const bucketMs = performance.now() - bucketStarted;
    out.set('seed', `${(seedMs / 1000).toFixed(0)} s + buckets ${(bucketMs / 1000).toFixed(0)} s`);

    const D = 'offered callsHandled answered busy noAnswer failed limitReached cancelledByCaller talkTimeSec timeToAnswerSumSec timeToAnswerMaxSec backedOffSec peakSimultaneousCalls';
    const Q = 'offered answeredByAgents answeredByExternal overflowedToExternal abandoned answeredByAgentsWithinServiceLevel answeredWithinServiceLevel serviceLevel serviceLevelWithExternal';
    const A = 'offered answered missed talkTimeSec wrapUpSec';
    const month = { from: new Date(now - 30 * DAY).toISOString(), to: new Date(now).toISOString() };
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['today: one destination', `query($id: ID!) { externalDestination(id: $id) { todayStats { ${D} } } }`, { id: destinations[0] }],
      ['today: one queue', `query($id: ID!) { queue(id: $id) { todayStats { ${Q} } } }`, { id: queues[0] }],
      ['today: destination list', `query { externalDestinations(first: 100) { nodes { todayStats { ${D} } } } }`, {}],
      ['today: queue list', `query { queues(first: 100) { nodes { todayStats { ${Q} } } } }`, {}],
      ['30-day totals: one destination', `query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { ${D} } }`, { id: destinations[0], ...month }],
      ['30-day totals: one queue', `query($id: ID!, $from: DateTime!, $to: DateTime!) { queueStats(id: $id, from: $from, to: $to) { ${Q} } }`, { id: queues[0], ...month }],
      ['30-day totals: destination list', `query($from: DateTime!, $to: DateTime!) { externalDestinationStatsList(from: $from, to: $to) { ${D} } }`, month],
      ['30-day totals: queue list', `query($from: DateTime!, $to: DateTime!) { queueStatsList(from: $from, to: $to) { ${Q} } }`, month],
      ['30-day totals: agent list', `query($from: DateTime!, $to: DateTime!) { agentStatsList(from: $from, to: $to) { ${A} } }`, month],
      ['30-day intervals: one destination', `query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { ${D} intervals { start ${D} } } }`, { id: destinations[0], ...month }],
      ['30-day intervals: one queue', `query($id: ID!, $from: DateTime!, $to: DateTime!) { queueStats(id: $id, from: $from, to: $to) { ${Q} intervals { start ${Q} } } }`, { id: queues[0], ...month }],
      ['30-day intervals: queue list', `query($from: DateTime!, $to: DateTime!) { queueStatsList(from: $from, to: $to) { ${Q} intervals { start ${Q} } } }`, month],
    ];
    for (const [name, query, variables] of cases) {
      const times: number[] = [];
      let error: string | null = null;
      for (let i = 0; i < 3; i += 1) {
        const t0 = performance.now();
        const answer = await gql(url, query, variables, token);
        times.push(performance.now() - t0);
        if (answer?.error) error = answer.error;
      }
      times.sort((a, b) => a - b);
      out.set(name, error ?? times[1]!.toFixed(1));
    }
  } finally {
    await gateway.close();
    if (process.env.BENCH_KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function main(): Promise<void> {
  const scales = (text('calls') ?? '10000,100000,1000000').split(',').map(Number);
  const results: Array<[number, Map<string, string>]> = [];
  for (const calls of scales) {
    const started = performance.now();
    results.push([calls, await run(calls)]);
    // Each scale as soon as it is measured (a 1 000 000-call run takes long).
    console.error(`${calls} calls done in ${((performance.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(Object.fromEntries(results.at(-1)![1]))}`);
  }
  const names = [...results[0]![1].keys()];
  console.log(`| figure (ms, median of 3) | ${scales.map((s) => `${s.toLocaleString('en')} calls`).join(' | ')} | ${scales.length > 1 ? `${scales.at(-1)!.toLocaleString('en')} / ${scales[0]!.toLocaleString('en')}` : ''} |`);
  console.log(`|---|${scales.map(() => '---|').join('')}---|`);
  for (const name of names) {
    const cells = results.map(([, r]) => r.get(name)!);
    const first = Number(cells[0]);
    const last = Number(cells.at(-1));
    const ratio = name !== 'seed' && Number.isFinite(first) && Number.isFinite(last) && first > 0 ? `${(last / first).toFixed(2)}x` : '';
    console.log(`| ${name} | ${cells.join(' | ')} | ${ratio} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

import 'reflect-metadata';
import { execFile, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { CallAttempt } from '../src/entities/call.entity';
import { createGateway, type Gateway } from '../src/gateway';
import { sealRange } from '../src/store/stat-seal';

/**
 * How statistics cost grows with the number of calls (issue 17, decision 025): for 10 000, 100 000 and
 * 1 000 000 calls over the last 93 days (50 destinations, 20 agents, 5 queues), the wall time through the API
 * of today's figures, the 30-day totals and the 30-day 15-minute intervals of one destination, one queue and
 * the lists, and the 93-day per-interval export of the 50 destinations as a streamed download with /healthz
 * asked every 10 ms meanwhile (by a client in another process; the event loop's delay is measured in this one). Each question is asked 5 times (five rounds over all of them), the median reported, once the seeding's writes are checkpointed into the database file; a full garbage collection runs before the questions and before the export (what seeding left is not collected while they are timed).
 *
 * How the records are made: 10 000 calls are played through the engine's own paths (enqueue, the queue pass
 * offering the call to an agent or a destination, the outcome, the end of the call; the router's clock set to
 * each call's instant), so every record is written as in production, trace and refusals included; a larger
 * scale copies those records (calls, attempts, refusals) with new ids, each copy a few seconds later, in the
 * same 93 days (by SQL inside SQLite, `copyRecords`). Then the sealer seals the whole span (its time is printed).
 *
 * `node dist/bench/statistics-scale.bench.js [--calls 10000,100000,1000000]`
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';
const DAY = 86_400_000;
const DESTINATIONS = 50;
/** Calls played through the engine; larger scales copy them. */
const PLAYED = 10_000;
const SPAN_DAYS = 93;
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


/**
 * Plays `count` calls through the engine (the router the connector mutations call), one at a time, each at
 * its instant of [from, to), as the connector's mutations do: enqueued, offered by the queue pass, an outcome for each offer (70% answered,
 * then talk for 30 s - 5.5 min; else busy, no answer or failed, and the next offer if one is made at once),
 * and the end of the call (completed, or the caller hanging up).
 */
async function play(gateway: Gateway, clock: { at: number }, companyId: string, queues: string[], count: number, from: number, to: number): Promise<void> {
  const router = gateway.services.router;
  const attempts = gateway.dataSource.getRepository(CallAttempt);
  const rng = lcg(17);
  const ringing = async (callId: string, waitMs: number) => {
    const until = performance.now() + waitMs;
    for (;;) {
      const open = await attempts.findOne({ where: { callId, state: 'RINGING' }, select: { id: true } });
      if (open || performance.now() >= until) return open;
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  for (let k = 0; k < count; k += 1) {
    clock.at = from + Math.floor(((k + rng()) / count) * (to - from));
    const call = await router.enqueue(companyId, { connectorCallId: `bench-${k}`, queueId: queues[k % queues.length]! });
    let answered = false;
    for (let offer = await ringing(call.id, 100); offer && !answered; offer = await ringing(call.id, 0)) {
      clock.at += 2_000 + Math.floor(rng() * 15_000);
      const r = rng();
      const outcome = r < 0.7 ? 'ANSWERED' : r < 0.8 ? 'BUSY' : r < 0.9 ? 'NO_ANSWER' : 'FAILED';
      await router.reportOutcome(companyId, { attemptId: offer.id, outcome, eventId: randomUUID() });
      // As the connector mutation does: the outcome acknowledges the instruction that asked for it.
      await gateway.services.instructions.settle(companyId);
      answered = outcome === 'ANSWERED';
    }
    clock.at += answered ? 30_000 + Math.floor(rng() * 300_000) : 1_000;
    await router.endCall(companyId, { callId: call.id, reason: answered ? 'COMPLETED' : 'CALLER_HUNG_UP', eventId: randomUUID() });
    await gateway.services.instructions.settle(companyId);
  }
}

/**
 * Copies the company's call, attempt and refusal records `copies - 1` times, copy j shifted by j * gapMs /
 * copies, inside SQLite (one INSERT ... SELECT per table and copy): copy j's ids are the originals' with the
 * first group replaced by j and the version digit by c (never an original's, never another copy's), its
 * connector call ids end in -j, and every time is shifted; every other column is the original's.
 */
async function copyRecords(gateway: Gateway, companyId: string, copies: number, gapMs: number): Promise<void> {
  const m = gateway.dataSource.manager;
  const times: Record<string, string[]> = {
    call: ['enqueuedAt', 'answeredAt', 'endedAt'],
    call_attempt: ['startedAt', 'answeredAt', 'endedAt', 'backoffUntil'],
    capacity_refusal: ['at'],
  };
  const columns = new Map<string, string[]>();
  for (const table of Object.keys(times)) columns.set(table, (await m.query(`PRAGMA table_info("${table}")`) as Array<{ name: string }>).map((c) => c.name));
  const newId = (column: string, j: number) => `printf('%08x', ${j}) || substr("${column}", 9, 6) || 'c' || substr("${column}", 16)`;
  for (let j = 1; j < copies; j += 1) {
    const shift = `'+${(Math.floor((j * gapMs) / copies) / 1000).toFixed(3)} seconds'`;
    await m.transaction(async (t) => {
      for (const [table, names] of columns) {
        const select = names.map((c) => {
          if (c === 'id' || c === 'callId') return newId(c, j);
          if (c === 'connectorCallId') return `"${c}" || '-${j}'`;
          if (times[table]!.includes(c)) return `strftime('%Y-%m-%d %H:%M:%f', "${c}", ${shift})`;
          return `"${c}"`;
        });
        await t.query(`INSERT INTO "${table}" (${names.map((c) => `"${c}"`).join(', ')}) SELECT ${select.join(', ')} FROM "${table}" WHERE "companyId" = ? AND substr(id, 15, 1) <> 'c'`, [companyId]);
      }
    });
  }
}

/** What the client processes saw: the download's status, size and time, and each /healthz answer's time (ms). */
interface ExportSeen {
  status: number;
  bytes: number;
  ms: number;
  health: number[];
  healthFailed: number;
}

/** Downloads the export (argv: its URL, a token) and prints its status, size and time. */
const DOWNLOADER = `
const [exportUrl, token] = process.argv.slice(1);
(async () => {
  const t0 = performance.now();
  const res = await fetch(exportUrl, { headers: { authorization: 'Bearer ' + token } });
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  process.stdout.write(JSON.stringify({ status: res.status, bytes, ms: performance.now() - t0 }));
})();
`;

/** Asks /healthz (argv: the base URL) every 10 ms until its standard input ends; prints each answer's time. */
const PROBER = `
const [base] = process.argv.slice(1);
let probing = true;
process.stdin.on('end', () => { probing = false; }).resume();
(async () => {
  const health = [];
  let healthFailed = 0;
  while (probing) {
    const t0 = performance.now();
    try {
      await (await fetch(base + '/healthz', { headers: { connection: 'close' } })).arrayBuffer();
      health.push(performance.now() - t0);
    } catch {
      healthFailed += 1;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  process.stdout.write(JSON.stringify({ health, healthFailed }));
})();
`;

/** Runs a script in another node process; resolves with what it printed, parsed. */
function child<T>(script: string, args: string[], started: (c: ChildProcess) => void = () => undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const c = execFile(process.execPath, ['-e', script, ...args], { maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(error);
      else resolve(JSON.parse(stdout) as T);
    });
    started(c);
  });
}

/**
 * The export downloaded by one process while another asks /healthz (neither shares the gateway's event loop
 * and heap, nor each other's: a download being read would delay the prober's own answers).
 */
async function exportFromOutside(base: string, exportUrl: string, token: string): Promise<ExportSeen> {
  let prober: ChildProcess | undefined;
  const probed = child<{ health: number[]; healthFailed: number }>(PROBER, [base], (c) => { prober = c; });
  const downloaded = await child<{ status: number; bytes: number; ms: number }>(DOWNLOADER, [exportUrl, token]);
  prober?.stdin?.end();
  return { ...downloaded, ...(await probed) };
}

/** A full collection (the script runs with --expose-gc). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const configOf = (file: string) => loadConfig({
  NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${file}`,
  PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false',
  // The 30-day interval questions are heavier than the default cost limit allows; their cost is what is measured.
  GRAPHQL_MAX_COST: '1000000', STATISTICS_MAX_CSV_ROWS: '10000000',
});

const signIn = async (url: string) => {
  const signedIn = await gql(url, 'mutation { login(companySlug: "bench", username: "admin", password: "bench-admin-password") { token user { company { id } } } }', {});
  return { token: signedIn.login.token as string, companyId: signedIn.login.user.company.id as string };
};

/**
 * The company and its records of PLAYED calls over the 93 days before `now`, played through the engine by a
 * gateway whose router's clock is set to each call's instant; the database file is then copied for each scale.
 */
async function playOnce(file: string, now: number): Promise<number> {
  const clock = { at: now - SPAN_DAYS * DAY - 3_600_000 };
  const gateway = await createGateway(configOf(file), { routing: { clock: () => clock.at } });
  try {
    const url = gateway.url;
    await gql(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: 'Bench', slug: 'bench', timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
    }, PLATFORM_KEY);
    const { token, companyId } = await signIn(url);
    const destinations: string[] = [];
    const agents: string[] = [];
    const queues: string[] = [];
    for (let i = 0; i < DESTINATIONS; i += 1) {
      destinations.push((await gql(url, 'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', { i: { name: `D${i}`, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5 } }, token)).createExternalDestination.id);
    }
    for (let i = 0; i < AGENTS; i += 1) {
      const id = (await gql(url, 'mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name: `A${i}` } }, token)).createAgent.id as string;
      await gql(url, 'mutation($id: ID!) { setAgentStatus(agentId: $id, status: AVAILABLE) { id } }', { id }, token);
      agents.push(id);
    }
    // Queues 0-2: agents first, destinations when no agent is free; queues 3-4: destinations only.
    const mixed = (await gql(url, 'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'Agents', agentIds: agents, externalDestinationIds: [] } }, token)).createAgentGroup.id;
    const outside = (await gql(url, 'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'Outside', agentIds: [], externalDestinationIds: destinations } }, token)).createAgentGroup.id;
    for (let i = 0; i < QUEUES; i += 1) {
      const groups = i < 3 ? [{ groupId: mixed }, { groupId: outside, overflow: { queueLengthAbove: 0 } }] : [{ groupId: outside }];
      const made = await gql(url, 'mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name: `Q${i}`, groups, wrapUpSec: 30 } }, token);
      if (made.error) throw new Error(`createQueue: ${made.error}`);
      queues.push(made.createQueue.id);
    }
    const started = performance.now();
    await play(gateway, clock, companyId, queues, PLAYED, now - SPAN_DAYS * DAY, now - 3_600_000);
    return performance.now() - started;
  } finally {
    await gateway.close();
  }
}

async function run(calls: number, played: string, playedMs: number, now: number): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'stats-scale-'));
  const file = join(dir, 'gateway.sqlite');
  copyFileSync(played, file);
  const gateway = await createGateway(configOf(file));
  const out = new Map<string, string>();
  try {
    const url = gateway.url;
    const { token, companyId } = await signIn(url);
    const ids = async (query: string, field: string) => ((await gql(url, query, {}, token))[field].nodes as Array<{ id: string }>).map((n) => n.id);
    const destinations = await ids('{ externalDestinations(first: 100) { nodes { id } } }', 'externalDestinations');
    const queues = await ids('{ queues(first: 100) { nodes { id } } }', 'queues');
    const from = now - SPAN_DAYS * DAY;
    const copyStarted = performance.now();
    if (calls > PLAYED) await copyRecords(gateway, companyId, Math.round(calls / PLAYED), Math.floor((now - 3_600_000 - from) / PLAYED));
    const copyMs = performance.now() - copyStarted;
    // Each phase as it ends (a 1 000 000-call run takes long; where its time goes shows before it ends).
    console.error(`${calls} calls: copied in ${(copyMs / 1000).toFixed(0)} s`);
    const bucketStarted = performance.now();
    await sealRange(gateway.dataSource, companyId, Math.floor(from / 900_000) - 1, gateway.services.statistics.sealer.horizon() - 1, true);
    const bucketMs = performance.now() - bucketStarted;
    // The questions meet the database as it stands once seeded: everything written moved into the file.
    await gateway.dataSource.query('PRAGMA wal_checkpoint(TRUNCATE)');
    console.error(`${calls} calls: sealed in ${(bucketMs / 1000).toFixed(0)} s`);
    out.set('seed', `played ${(playedMs / 1000).toFixed(0)} s, copied ${(copyMs / 1000).toFixed(0)} s, sealed ${(bucketMs / 1000).toFixed(0)} s`);

    const D = 'offered callsHandled answered busy noAnswer failed limitReached cancelledByCaller talkTimeSec timeToAnswerSumSec timeToAnswerMaxSec backedOffSec peakSimultaneousCalls';
    const Q = 'offered answeredByAgents answeredByExternal overflowedToExternal abandoned answeredByAgentsWithinServiceLevel answeredWithinServiceLevel serviceLevel serviceLevelWithExternal';
    const A = 'offered answered missed talkTimeSec wrapUpSec';
    const month = { from: new Date(now - 30 * DAY).toISOString(), to: new Date(now).toISOString() };
    const cases: Array<[string, string, Record<string, unknown>]> = [
      // No statistics: the same work at every scale, so its ratio is how much the machine itself drifted.
      ['baseline: destinations and queues by name', 'query { externalDestinations(first: 100) { nodes { id name } } queues(first: 100) { nodes { id name } } }', {}],
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
    // Five rounds over every question (a slower minute of the machine touches each question alike), the median of each.
    collectGarbage();
    const times = new Map<string, number[]>(cases.map(([name]) => [name, []]));
    const failed = new Map<string, string>();
    for (let round = 0; round < 5; round += 1) {
      for (const [name, query, variables] of cases) {
        const t0 = performance.now();
        const answer = await gql(url, query, variables, token);
        times.get(name)!.push(performance.now() - t0);
        if (answer?.error) failed.set(name, answer.error);
      }
    }
    for (const [name] of cases) out.set(name, failed.get(name) ?? times.get(name)!.sort((a, b) => a - b)[2]!.toFixed(1));
    // The 93-day per-interval export of every destination, streamed, with /healthz asked every 10 ms meanwhile,
    // both by another process (a client in this one would share the gateway's event loop and heap).
    const base = url.replace(/\/graphql$/, '');
    collectGarbage();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const query = new URLSearchParams({ kind: 'DESTINATIONS', from: new Date(now - SPAN_DAYS * DAY).toISOString(), to: new Date(now).toISOString(), perInterval: 'true' });
    const client = await exportFromOutside(base, `${base}/exports/statistics.csv?${query}`, token);
    loop.disable();
    const health = client.health.sort((a, b) => a - b);
    out.set('93-day per-interval export, 50 destinations', client.status === 200 ? `${client.ms.toFixed(0)} (${(client.bytes / 1e6).toFixed(1)} MB)` : `HTTP ${client.status}`);
    out.set('event loop delay during the export: p99 (max)', `${(loop.percentile(99) / 1e6).toFixed(1)} (${(loop.max / 1e6).toFixed(1)})`);
    out.set('/healthz during the export: p99 (max), n', `${health[Math.floor(health.length * 0.99)]?.toFixed(1)} (${health.at(-1)?.toFixed(1)}), ${health.length}${client.healthFailed > 0 ? `, ${client.healthFailed} failed` : ''}`);
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
  const now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'stats-played-'));
  const played = join(dir, 'played.sqlite');
  try {
    const playedMs = await playOnce(played, now);
    for (const calls of scales) {
      const started = performance.now();
      results.push([calls, await run(calls, played, playedMs, now)]);
      // Each scale as soon as it is measured (a 1 000 000-call run takes long).
      console.error(`${calls} calls done in ${((performance.now() - started) / 1000).toFixed(0)} s: ${JSON.stringify(Object.fromEntries(results.at(-1)![1]))}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Ratios of the largest scale to the smallest, as measured and divided by the baseline's own ratio.
  const byScale = [...results].sort(([a], [b]) => a - b);
  const [small, large] = [byScale[0]!, byScale.at(-1)!];
  const ratio = (name: string) => Number(large[1].get(name)) / Number(small[1].get(name));
  const baseline = ratio('baseline: destinations and queues by name');
  const names = [...results[0]![1].keys()];
  const label = `${large[0].toLocaleString('en')} / ${small[0].toLocaleString('en')}`;
  console.log(`| figure (ms, median of 5) | ${results.map(([s]) => `${s.toLocaleString('en')} calls`).join(' | ')} | ${label} | ${label}, ÷ baseline |`);
  console.log(`|---|${results.map(() => '---|').join('')}---|---|`);
  for (const name of names) {
    const r = ratio(name);
    const shown = name !== 'seed' && Number.isFinite(r) && results.length > 1;
    console.log(`| ${name} | ${results.map(([, m]) => m.get(name)!).join(' | ')} | ${shown ? `${r.toFixed(2)}x` : ''} | ${shown ? `${(r / baseline).toFixed(2)}x` : ''} |`);
  }
}

// Stopped by hand (Ctrl-C): exit normally, so a --cpu-prof profile is still written.
process.once('SIGINT', () => process.exit(130));

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

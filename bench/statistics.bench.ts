import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../src/config';
import { Call, CallAttempt, CallTraceEntry } from '../src/entities/call.entity';
import { CapacityRefusal } from '../src/entities/capacity-refusal.entity';
import { createGateway, type Gateway } from '../src/gateway';
import { sealRange } from '../src/store/stat-seal';

/**
 * What one large statistics request costs the gateway (decision 016): a company with 50 external
 * destinations and 93 days of records (24 attempts a destination a day, one call each, a refusal for capacity
 * every 6 hours), inserted straight into the embedded database; then, one at a time, the statistics requests
 * of the issue while a client asks `GET /healthz` every 25 ms. For each: the answer (HTTP status, error code,
 * bytes), wall time, the longest event-loop stall (perf_hooks' monitorEventLoopDelay, 10 ms resolution), the
 * slowest /healthz and how many answered while the request ran, and the process's peak RSS.
 *
 * `npm run bench:statistics-bounds`, or `node --expose-gc dist/bench/statistics.bench.js [--days 93] [--destinations 50] [--per-day 24] [--db <file>] [--only <text>]`:
 * with `--db`, the filled database is kept in that file and used again by the next run (filling takes a minute
 * or more); `--only` runs the requests whose name contains the text.
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef0123456789';

function text(name: string): string | null {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? null : process.argv[i + 1] ?? null;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const DAYS = arg('days', 93);
const DESTINATIONS = arg('destinations', 50);
const PER_DAY = arg('per-day', 24);
const FROM = Date.UTC(2026, 0, 5);
const TO = FROM + DAYS * 86_400_000;
const OUTCOMES = ['ANSWERED', 'ANSWERED', 'ANSWERED', 'ANSWERED', 'BUSY', 'BUSY', 'NO_ANSWER', 'FAILED', 'ANSWERED', 'CANCELLED'] as const;

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

async function ok(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
  const { text } = await gql(url, query, variables, token);
  const body = JSON.parse(text);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function fill(gateway: Gateway, companyId: string, destinationIds: string[]): Promise<number> {
  const m = gateway.dataSource.manager;
  let attempts = 0;
  for (const destinationId of destinationIds) {
    const calls: Array<Partial<Call>> = [];
    const rows: Array<Partial<CallAttempt>> = [];
    const traces: Array<Partial<CallTraceEntry>> = [];
    const refusals: Array<Partial<CapacityRefusal>> = [];
    for (let day = 0; day < DAYS; day += 1) {
      for (let k = 0; k < PER_DAY; k += 1) {
        const started = FROM + day * 86_400_000 + Math.floor(((k + 0.5) * 86_400_000) / PER_DAY) + ((day * 7919 + k * 104_729) % 600_000);
        const outcome = OUTCOMES[(day + k) % OUTCOMES.length]!;
        const callId = randomUUID();
        const answeredAt = outcome === 'ANSWERED' ? started + 8_000 : null;
        const endedAt = outcome === 'ANSWERED' ? started + 190_000 : started + 20_000;
        calls.push({
          id: callId, companyId, connectorCallId: callId, queueId: null, priority: 0, state: 'ENDED' as never, endReason: 'COMPLETED',
          enqueuedAt: new Date(started - 5_000), answeredAt: answeredAt === null ? null : new Date(answeredAt), endedAt: new Date(endedAt),
          eligiblePriorities: [1], lastOfferEndedAt: {}, revision: 1, flowVersionId: null, flowNodeId: null,
        });
        rows.push({
          id: randomUUID(), companyId, callId, targetKind: 'DESTINATION', agentId: null, destinationId, number: '+442079460958',
          state: 'COMPLETED' as never, outcome: outcome as never, ringTimeoutSec: 30, startedAt: new Date(started),
          answeredAt: answeredAt === null ? null : new Date(answeredAt), endedAt: new Date(endedAt),
          backoffUntil: outcome === 'BUSY' ? new Date(endedAt + 60_000) : outcome === 'FAILED' ? new Date(endedAt + 5_000) : null, wrapUpSec: null,
        });
        if (k % Math.max(1, Math.floor(PER_DAY / 4)) === 0) {
          traces.push({
            id: randomUUID(), companyId, callId, seq: 1, at: new Date(started - 1_000), step: 'ROUTE', summary: 'at capacity',
            considered: [], skipped: [{ kind: 'DESTINATION', resourceId: destinationId, reason: 'DESTINATION_AT_CAPACITY', detail: 'at capacity 5/5' }], chosen: null,
          });
          refusals.push({ id: randomUUID(), companyId, callId, destinationId, at: new Date(started - 1_000) });
        }
      }
    }
    for (let i = 0; i < calls.length; i += 400) {
      await m.transaction(async (t) => {
        await t.createQueryBuilder().insert().into(Call).values(calls.slice(i, i + 400) as never).execute();
        await t.createQueryBuilder().insert().into(CallAttempt).values(rows.slice(i, i + 400) as never).execute();
      });
    }
    for (let i = 0; i < traces.length; i += 400) await m.createQueryBuilder().insert().into(CallTraceEntry).values(traces.slice(i, i + 400) as never).execute();
    for (let i = 0; i < refusals.length; i += 400) await m.createQueryBuilder().insert().into(CapacityRefusal).values(refusals.slice(i, i + 400) as never).execute();
    attempts += rows.length;
  }
  return attempts;
}

interface Measured {
  name: string;
  status: number;
  code: string | null;
  bytes: number;
  wallMs: number;
  loopMaxMs: number;
  loopP99Ms: number;
  healthAnswered: number;
  healthMaxMs: number;
  healthBeforeDone: boolean;
  maxRssMb: number;
}

async function measure(name: string, gatewayUrl: string, healthUrl: string, query: string, variables: Record<string, unknown>, token: string): Promise<Measured> {
  (globalThis as { gc?: () => void }).gc?.();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let running = true;
  /** Every /healthz asked while the request ran: when it was sent and answered. */
  const health: Array<[number, number]> = [];
  const poller = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const res = await fetch(healthUrl, { headers: { connection: 'close' } });
        await res.text();
      } catch {
        continue; // a connection closed under the poller: ask again
      }
      health.push([t0, performance.now()]);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  await new Promise((r) => setTimeout(r, 30));
  const started = performance.now();
  // No query: the idle gateway for two seconds, the noise floor of this machine at this moment.
  const { status, text } = query === '' ? await new Promise<{ status: number; text: string }>((r) => setTimeout(() => r({ status: 0, text: '{}' }), 2000)) : await gql(gatewayUrl, query, variables, token);
  const done = performance.now();
  running = false;
  await poller;
  loop.disable();
  const during = health.filter(([sent]) => sent >= started && sent < done);
  const answered = during.filter(([, back]) => back < done).length;
  const healthMax = Math.max(0, ...during.map(([sent, back]) => back - sent));
  let code: string | null = null;
  try {
    code = (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code ?? null;
  } catch {
    code = 'unparsable';
  }
  return {
    name, status, code, bytes: Buffer.byteLength(text), wallMs: done - started,
    loopMaxMs: loop.max / 1e6, loopP99Ms: loop.percentile(99) / 1e6,
    healthAnswered: answered, healthMaxMs: healthMax, healthBeforeDone: answered > 0,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stats-bench-'));
  const kept = text('db');
  const file = join(dir, 'gateway.sqlite');
  const reuse = kept !== null && existsSync(kept);
  if (reuse) copyFileSync(kept, file);
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${file}`,
    PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false',
  });
  const gateway = await createGateway(config);
  try {
    const url = gateway.url;
    const health = url.replace(/\/graphql$/, '/healthz');
    if (!reuse) {
      await ok(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
        i: { name: 'Bench', slug: 'bench', timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
      }, PLATFORM_KEY);
    }
    const signedIn = await ok(url, 'mutation { login(companySlug: "bench", username: "admin", password: "bench-admin-password") { token user { company { id } } } }');
    const token = signedIn.login.token as string;
    const companyId = signedIn.login.user.company.id as string;
    const ids: string[] = [];
    if (!reuse) {
      for (let i = 0; i < DESTINATIONS; i += 1) {
        const d = await ok(url, 'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', {
          i: { name: `Destination ${String(i).padStart(2, '0')}`, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: 5 },
        }, token);
        ids.push(d.createExternalDestination.id);
      }
      const fillStarted = performance.now();
      const attempts = await fill(gateway, companyId, ids);
      // The records were inserted straight: their buckets are written as stats:rebuild --write does (decision 025).
      await sealRange(gateway.dataSource, companyId, Math.floor((FROM - 86_400_000) / 900_000), Math.floor(TO / 900_000), true);
      console.log(`${DESTINATIONS} destinations, ${DAYS} days, ${attempts} attempts (+ as many calls, ${Math.ceil(attempts / Math.max(1, Math.floor(PER_DAY / 4)))} refusals) inserted in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`);
    } else {
      const list = await ok(url, '{ externalDestinations(first: 500) { nodes { id } } }', {}, token);
      ids.push(...list.externalDestinations.nodes.map((n: { id: string }) => n.id));
      console.log(`${ids.length} destinations and their records read from ${kept}`);
    }
    const range = { from: new Date(FROM).toISOString(), to: new Date(TO).toISOString() };
    const week = { from: new Date(FROM).toISOString(), to: new Date(FROM + 7 * 86_400_000).toISOString() };
    const tenDays = { from: new Date(FROM).toISOString(), to: new Date(FROM + 10 * 86_400_000).toISOString() };
    const twentyDays = { from: new Date(FROM).toISOString(), to: new Date(FROM + 20 * 86_400_000).toISOString() };
    const all = 'offered callsHandled answered busy noAnswer failed limitReached cancelledByCaller talkTimeSec timeToAnswerSumSec timeToAnswerMaxSec backedOffSec peakSimultaneousCalls';
    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['idle for 2 s (noise floor)', '', {}],
      ['warm-up: one destination, one day', `query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { ${all} intervals { start ${all} } } }`, { id: ids[0], from: range.from, to: new Date(FROM + 86_400_000).toISOString() }],
      [`externalDestinationStatsList totals, 1 day, ${DESTINATIONS} destinations (the dashboard's read)`, `query($from: DateTime!, $to: DateTime!) { externalDestinationStatsList(from: $from, to: $to) { destinationId ${all} } }`, { from: range.from, to: new Date(FROM + 86_400_000).toISOString() }],
      [`statisticsCsv totals, ${DAYS} days, ${DESTINATIONS} destinations`, 'query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to) }', range],
      [`externalDestinationStatsList totals, ${DAYS} days, ${DESTINATIONS} destinations`, `query($from: DateTime!, $to: DateTime!) { externalDestinationStatsList(from: $from, to: $to) { destinationId ${all} } }`, range],
      ['externalDestinationStats with intervals, 7 days, 1 destination', `query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestinationStats(id: $id, from: $from, to: $to) { ${all} intervals { start end ${all} } } }`, { id: ids[1], ...week }],
      [`statisticsCsv perInterval, 10 days, ${DESTINATIONS} destinations`, 'query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to, perInterval: true) }', tenDays],
      [`statisticsCsv perInterval, 20 days, ${DESTINATIONS} destinations`, 'query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to, perInterval: true) }', twentyDays],
      [`statisticsCsv perInterval, 7 days, ${DESTINATIONS} destinations`, 'query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to, perInterval: true) }', week],
      [`externalDestinationStatsList with intervals, 7 days, ${DESTINATIONS} destinations`, `query($from: DateTime!, $to: DateTime!) { externalDestinationStatsList(from: $from, to: $to) { destinationId ${all} intervals { start end ${all} } } }`, week],
      [`externalDestinationStatsList with intervals, ${DAYS} days, ${DESTINATIONS} destinations`, `query($from: DateTime!, $to: DateTime!) { externalDestinationStatsList(from: $from, to: $to) { destinationId ${all} intervals { start end ${all} } } }`, range],
      [`statisticsCsv perInterval, ${DAYS} days, ${DESTINATIONS} destinations`, 'query($from: DateTime!, $to: DateTime!) { statisticsCsv(kind: DESTINATIONS, from: $from, to: $to, perInterval: true) }', range],
    ];
    console.log(`baseline max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    console.log('| request | answer | bytes | wall | longest event-loop stall | loop p99 | /healthz answered while it ran (slowest asked then) | peak RSS so far |');
    console.log('|---|---|---|---|---|---|---|---|');
    const only = text('only');
    for (const [name, query, variables] of cases) {
      if (only !== null && !name.includes(only) && !name.startsWith('warm-up') && !name.startsWith('idle')) continue;
      const r = await measure(name, url, health, query, variables, token);
      console.log(
        `| ${r.name} | ${r.status === 0 ? '-' : r.status}${r.code ? ` ${r.code}` : ''} | ${(r.bytes / 1e6).toFixed(2)} MB | ${(r.wallMs / 1000).toFixed(2)} s | ${r.loopMaxMs.toFixed(0)} ms | ${r.loopP99Ms.toFixed(0)} ms | ${r.healthAnswered}${r.healthBeforeDone ? '' : ' (none before the answer)'} (${r.healthMaxMs.toFixed(0)} ms) | ${r.maxRssMb.toFixed(0)} MB |`,
      );
    }
  } finally {
    await gateway.close();
    if (kept !== null && !reuse) copyFileSync(file, kept);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

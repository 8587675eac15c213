import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../src/config';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import { ChildChannel } from './support/child-channel';
import { BENCH_JWT_SECRET, BENCH_PLATFORM_KEY, createBenchAgents, gql, percentile, provisionBenchCompany } from './support/gateway-api';

/**
 * The whole routing engine in a closed loop, on the embedded default, with 100, 1 000 and 5 000 agents: one
 * queue with one group holding every agent (all AVAILABLE, no wrap-up), and CALLERS concurrent callers, each
 * doing enqueueCall -> wait for the RING_AGENT instruction on the connector's graphql-ws subscription ->
 * reportAttemptOutcome ANSWERED -> endCall COMPLETED, again and again. What a call costs the gateway should
 * not grow with the number of agents: each queue pass decides in O(log n) when what it needs is kept up to
 * date instead of being read whole.
 *
 * The gateway runs in this process and the callers in a child process, so this process's CPU time over a
 * measured run (read right before the run is sent to the child and right after its answer arrives) is the
 * gateway's: CPU per call is that over the calls made. One company per size in the same gateway; the sizes
 * take turns (100 1 000 5 000, then 5 000 1 000 100, ...), so a busy spell of a shared machine and the
 * database's growth weigh on all of them alike; an idle company costs nothing but the router's sweep.
 * Printed: calls per second, the gateway's CPU per call and its ratio to the 100-agent case, and the time
 * from sending enqueueCall to receiving its RING_AGENT (p50, p99). The aims are printed beside the figures,
 * not asserted.
 */
const SIZES = (process.env.ENGINE_BENCH_SIZES ?? '100,1000,5000').split(',').map((s) => Number.parseInt(s, 10));
/** Calls made at once (issue 15's loop: 8). */
const CALLERS = Number.parseInt(process.env.ENGINE_BENCH_CALLERS ?? '8', 10);
/** Calls per size before anything is measured (the company is read into memory, code is optimised). */
const WARMUP_CALLS = Number.parseInt(process.env.ENGINE_BENCH_WARMUP ?? '100', 10);
/** Measured calls per size and turn. */
const CALLS = Number.parseInt(process.env.ENGINE_BENCH_CALLS ?? '300', 10);
const ROUNDS = Number.parseInt(process.env.ENGINE_BENCH_ROUNDS ?? '2', 10);
/** Longest wait for one call's RING_AGENT. */
const RING_WAIT_MS = 10_000;
/** Aims (issue 15): CPU per call at the largest size within this factor of 100 agents; p99 at 100 agents. */
const AIM_RATIO = 1.5;
const AIM_P99_MS = 20;

// ------------------------------------------------------------------ messages between the two processes

interface Company {
  slug: string;
  url: string;
  connectorKey: string;
  queueId: string;
}
type ToCallers = { cmd: 'run'; company: Company; calls: number };
type FromCallers =
  | { kind: 'ran'; calls: number; seconds: number; latencies: number[]; cpuMs: number }
  | { kind: 'failed'; message: string };

// ------------------------------------------------------------------ the callers (child process)

interface Ring {
  attemptId: string;
  at: number;
}

/** One connector of a company: its instructions subscription, with each RING_AGENT kept until its caller takes it. */
class Connector {
  private readonly client: Client;
  private readonly arrived = new Map<string, Ring>();
  private readonly waiting = new Map<string, (ring: Ring) => void>();
  readonly ready: Promise<void>;
  private failure: Error | null = null;

  constructor(company: Company) {
    let subscribed!: () => void;
    this.ready = new Promise<void>((resolve) => (subscribed = resolve));
    this.client = createClient({ url: company.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${company.connectorKey}` }, lazy: false });
    this.client.subscribe<{ telephonyInstructions: { kind: string; callId: string; attemptId: string | null } }>(
      { query: 'subscription { telephonyInstructions { kind callId attemptId } }' },
      {
        next: ({ data, errors }) => {
          if (errors) this.failure = new Error(`instructions: ${JSON.stringify(errors)}`);
          const i = data?.telephonyInstructions;
          if (i?.kind !== 'RING_AGENT' || i.attemptId === null) return;
          const ring = { attemptId: i.attemptId, at: performance.now() };
          const waiter = this.waiting.get(i.callId);
          if (waiter) {
            this.waiting.delete(i.callId);
            waiter(ring);
          } else this.arrived.set(i.callId, ring);
        },
        error: (err) => {
          this.failure = new Error(`instructions: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
        },
        complete: () => undefined,
      },
    );
    // The session is registered when the subscription starts; a first call proves it (the warm-up).
    this.client.on('connected', () => setTimeout(subscribed, 200));
  }

  /** The RING_AGENT of `callId` (it may have come before enqueueCall's own answer). */
  ring(callId: string): Promise<Ring> {
    if (this.failure) return Promise.reject(this.failure);
    const early = this.arrived.get(callId);
    if (early) {
      this.arrived.delete(callId);
      return Promise.resolve(early);
    }
    return new Promise<Ring>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(callId);
        reject(this.failure ?? new Error(`no RING_AGENT for call ${callId} within ${RING_WAIT_MS} ms`));
      }, RING_WAIT_MS);
      this.waiting.set(callId, (ring) => {
        clearTimeout(timer);
        resolve(ring);
      });
    });
  }
}

function runCallers(): void {
  const connectors = new Map<string, Connector>();
  const send = (m: FromCallers) => process.send!(m);
  process.on('message', (raw) => {
    const m = raw as ToCallers;
    void (async () => {
      try {
        let connector = connectors.get(m.company.slug);
        if (connector === undefined) {
          connector = new Connector(m.company);
          connectors.set(m.company.slug, connector);
        }
        await connector.ready;
        const { url, connectorKey: key, queueId } = m.company;
        const latencies: number[] = [];
        let started = 0;
        const caller = async () => {
          while (started < m.calls) {
            started += 1;
            const t0 = performance.now();
            const call = (await gql(url, 'mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), queueId } }, key)).enqueueCall.id as string;
            const ring = await connector.ring(call);
            latencies.push(ring.at - t0);
            await gql(url, 'mutation($i: AttemptOutcomeInput!) { reportAttemptOutcome(input: $i) { id } }', { i: { eventId: randomUUID(), attemptId: ring.attemptId, outcome: 'ANSWERED' } }, key);
            await gql(url, 'mutation($i: EndCallInput!) { endCall(input: $i) { id } }', { i: { eventId: randomUUID(), callId: call, reason: 'COMPLETED' } }, key);
          }
        };
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await Promise.all(Array.from({ length: CALLERS }, caller));
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        send({ kind: 'ran', calls: latencies.length, seconds, latencies, cpuMs: (cpu.user + cpu.system) / 1000 });
      } catch (error) {
        send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}

// ------------------------------------------------------------------ the bench (this process: the gateway)

interface Run {
  calls: number;
  seconds: number;
  latencies: number[];
  /** The gateway's (this process's) CPU time over the run, user + system, ms. */
  gatewayCpuMs: number;
  callersCpuMs: number;
}

/** A company of `agents` AVAILABLE agents in one group of one queue (no wrap-up: an agent is free again at once). */
async function provisionSize(url: string, agents: number): Promise<Company & { provisionSec: number }> {
  const t0 = performance.now();
  const company = await provisionBenchCompany(url, `loop-${agents}`);
  const agentIds = await createBenchAgents(url, company.admin, agents, 'AVAILABLE');
  const group = (await gql(url, 'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'Everyone', agentIds, externalDestinationIds: [] } }, company.admin)).createAgentGroup.id as string;
  const queueId = (await gql(url, 'mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name: 'Loop', wrapUpSec: 0, groups: [{ groupId: group }] } }, company.admin)).createQueue.id as string;
  return { slug: company.slug, url, connectorKey: company.connectorKey, queueId, provisionSec: (performance.now() - t0) / 1000 };
}

function combine(runs: readonly Run[]): Run {
  return {
    calls: runs.reduce((s, r) => s + r.calls, 0),
    seconds: runs.reduce((s, r) => s + r.seconds, 0),
    latencies: runs.flatMap((r) => r.latencies).sort((a, b) => a - b),
    gatewayCpuMs: runs.reduce((s, r) => s + r.gatewayCpuMs, 0),
    callersCpuMs: runs.reduce((s, r) => s + r.callersCpuMs, 0),
  };
}

export async function runEngineLoopBench(): Promise<void> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}`,
    PLATFORM_API_KEY: BENCH_PLATFORM_KEY, JWT_SECRET: BENCH_JWT_SECRET, LOG_LEVEL: 'silent', SEED_DEMO: 'false',
    // A group of 5 000 agents is one createAgentGroup of 5 000 ids (about 200 kB).
    HTTP_MAX_BODY_BYTES: '1000000',
  });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const callers = new ChildChannel<ToCallers, Extract<FromCallers, { kind: 'ran' }>>(
    fork(__filename, ['--callers'], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }), 'the callers',
  );
  const load0 = loadavg();
  const started = performance.now();
  try {
    const companies = new Map<number, Company>();
    for (const agents of SIZES) {
      const c = await provisionSize(gateway.url, agents);
      out(`provisioned ${agents} agents in ${c.provisionSec.toFixed(1)} s`);
      companies.set(agents, c);
    }
    const run = async (agents: number, calls: number): Promise<Run> => {
      const cpu0 = process.cpuUsage();
      const r = await callers.ask({ cmd: 'run', company: companies.get(agents)!, calls }, 'ran', 600_000);
      const cpu = process.cpuUsage(cpu0);
      return { calls: r.calls, seconds: r.seconds, latencies: r.latencies, gatewayCpuMs: (cpu.user + cpu.system) / 1000, callersCpuMs: r.cpuMs };
    };
    for (const agents of SIZES) await run(agents, WARMUP_CALLS);
    const runs = new Map<number, Run[]>(SIZES.map((n) => [n, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const agents of round % 2 === 0 ? SIZES : [...SIZES].reverse()) runs.get(agents)!.push(await run(agents, CALLS));
    }
    const load1 = loadavg();

    const results = SIZES.map((agents) => ({ agents, r: combine(runs.get(agents)!) }));
    const cpuPerCall = (r: Run) => r.gatewayCpuMs / r.calls;
    const base = results[0]!;
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    out();
    out(`Engine closed loop (embedded default; ${CALLERS} callers; one queue, one group of N AVAILABLE agents; ${WARMUP_CALLS} warm-up calls, then ${ROUNDS} x ${CALLS} measured calls per size)`);
    for (const { agents, r } of results) {
      out(
        [
          `  ${String(agents).padStart(5)} agents:`,
          `${(r.calls / r.seconds).toFixed(1).padStart(6)} calls/s`,
          `gateway CPU ${ms(cpuPerCall(r)).padStart(9)}/call`,
          `(${(cpuPerCall(r) / cpuPerCall(base.r)).toFixed(2)}x ${base.agents} agents)`,
          `gateway busy ${((r.gatewayCpuMs / 1000 / r.seconds) * 100).toFixed(0)}% of a core`,
          `enqueue->RING_AGENT p50 ${ms(percentile(r.latencies, 50))} p99 ${ms(percentile(r.latencies, 99))}`,
          `callers CPU ${ms(r.callersCpuMs / r.calls)}/call`,
        ].join('  '),
      );
    }
    const largest = results[results.length - 1]!;
    const ratio = cpuPerCall(largest.r) / cpuPerCall(base.r);
    const p99 = percentile(base.r.latencies, 99);
    out(`  aim: CPU per call at ${largest.agents} agents <= ${AIM_RATIO}x ${base.agents} agents: ${ratio.toFixed(2)}x (${ratio <= AIM_RATIO ? 'met' : 'NOT met'})`);
    // The latency aim is the end-to-end bench's (one call at a time); here the gateway is saturated by design, so
    // this p99 is mostly time spent queued behind the other callers' requests, printed for comparison.
    out(`  saturated latency (${CALLERS} callers, gateway busy all the time): enqueue->RING_AGENT p99 ${ms(p99)} at ${base.agents} agents (the ${AIM_P99_MS} ms aim is measured one call at a time by bench/end-to-end.bench.ts)`);
    out(`  machine: ${cpus().length} cores, load average ${load0.map((l) => l.toFixed(2)).join(' ')} at start, ${load1.map((l) => l.toFixed(2)).join(' ')} after the measured runs; ${((performance.now() - started) / 1000).toFixed(0)} s in all`);
  } finally {
    await callers.close().catch(() => undefined);
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  if (process.argv.includes('--callers')) runCallers();
  else
    runEngineLoopBench().catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    });
}

import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig } from '../src/config';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';

/** Issue 15's aim for one call's way from enqueueCall to its instruction, at 100 agents. */
const AIM_P99_MS = 20;

/**
 * Enqueue-to-instruction latency through a running gateway on the embedded default: the time from sending
 * `enqueueCall` to the connector receiving the RING_AGENT instruction on its subscription. Baseline, same
 * server, same run: a trivial mutation (setAgentStatus to the status the agent already has).
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const AGENTS = 100;
const CALLS = 400;

async function gql(url: string, query: string, variables: Record<string, unknown>, token: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

export async function runEndToEndBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}`,
    PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789', LOG_LEVEL: 'silent', SEED_DEMO: 'false',
  });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const url = gateway.url;
  try {
    await gql(url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: 'Bench', slug: 'bench', timeZone: 'UTC', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
    }, PLATFORM_KEY);
    const login = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation { login(companySlug: "bench", username: "admin", password: "bench-admin-password") { token } }' }),
    });
    const admin = ((await login.json()) as any).data.login.token as string;
    const key = (await gql(url, 'mutation { createConnectorApiKey(name: "bench") { apiKey } }', {}, admin)).createConnectorApiKey.apiKey as string;
    const agentIds: string[] = [];
    for (let i = 0; i < AGENTS; i += 1) {
      const id = (await gql(url, 'mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name: `Agent ${i}` } }, admin)).createAgent.id as string;
      await gql(url, 'mutation($a: ID!) { setAgentStatus(agentId: $a, status: AVAILABLE) { id } }', { a: id }, admin);
      agentIds.push(id);
    }
    const group = (await gql(url, 'mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'All', agentIds, externalDestinationIds: [] } }, admin)).createAgentGroup.id;
    const queue = (await gql(url, 'mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name: 'Bench', groups: [{ groupId: group }] } }, admin)).createQueue.id as string;

    // Calls go one after another, so at most one RING_AGENT is awaited at a time (it may arrive before
    // enqueueCall's own answer: routing runs inside the mutation).
    let onRing: ((instruction: { attemptId: string; callId: string; at: number }) => void) | null = null;
    const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: `Bearer ${key}` }, lazy: false });
    client.subscribe<{ telephonyInstructions: { kind: string; callId: string; attemptId: string } }>(
      { query: 'subscription { telephonyInstructions { kind callId attemptId } }' },
      {
        next: ({ data }) => {
          const i = data?.telephonyInstructions;
          if (i?.kind === 'RING_AGENT') onRing?.({ ...i, at: performance.now() });
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    await new Promise((r) => setTimeout(r, 300));

    const trivial: number[] = [];
    const endToEnd: number[] = [];
    for (let n = 0; n < CALLS + 20; n += 1) {
      let t0 = performance.now();
      await gql(url, 'mutation($a: ID!) { setAgentStatus(agentId: $a, status: AVAILABLE) { id } }', { a: agentIds[n % AGENTS] }, admin);
      if (n >= 20) trivial.push(performance.now() - t0);

      const ring = new Promise<{ attemptId: string; callId: string; at: number }>((resolve, reject) => {
        onRing = resolve;
        setTimeout(() => reject(new Error('no instruction within 5 s')), 5_000).unref();
      });
      t0 = performance.now();
      const call = (await gql(url, 'mutation($i: EnqueueCallInput!) { enqueueCall(input: $i) { id } }', { i: { connectorCallId: randomUUID(), queueId: queue } }, key)).enqueueCall.id as string;
      const instruction = await ring;
      if (instruction.callId !== call) throw new Error('an instruction for another call');
      if (n >= 20) endToEnd.push(instruction.at - t0);
      await gql(url, 'mutation($i: AttemptOutcomeInput!) { reportAttemptOutcome(input: $i) { id } }', { i: { eventId: randomUUID(), attemptId: instruction.attemptId, outcome: 'ANSWERED' } }, key);
      await gql(url, 'mutation($i: EndCallInput!) { endCall(input: $i) { id } }', { i: { eventId: randomUUID(), callId: call, reason: 'COMPLETED' } }, key);
    }
    await client.dispose();
    trivial.sort((a, b) => a - b);
    endToEnd.sort((a, b) => a - b);
    const row = (name: string, xs: number[]) => `  ${name.padEnd(44)} p50 ${fmt(percentile(xs, 50))}  p99 ${fmt(percentile(xs, 99))}  ${(1000 / (xs.reduce((a, b) => a + b, 0) / xs.length)).toFixed(0)}/s sequential`;
    process.stdout.write(
      `End to end through a running gateway (embedded default, ${AGENTS} agents, ${CALLS} calls one after another)\n` +
        `${row('baseline: trivial mutation (setAgentStatus)', trivial)}\n` +
        `${row('enqueueCall -> RING_AGENT on the subscription', endToEnd)}\n` +
        `  enqueue-to-instruction / baseline: p50 ${(percentile(endToEnd, 50) / percentile(trivial, 50)).toFixed(1)}x, p99 ${(percentile(endToEnd, 99) / percentile(trivial, 99)).toFixed(1)}x\n` +
        `  aim: enqueue->RING_AGENT p99 <= ${AIM_P99_MS} ms at ${AGENTS} agents: ${fmt(percentile(endToEnd, 99))} (${percentile(endToEnd, 99) <= AIM_P99_MS ? 'met' : 'NOT met'})\n`,
    );
  } finally {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runEndToEndBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

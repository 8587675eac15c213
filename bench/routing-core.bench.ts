import { FreeAgentIndex } from '../src/routing/agent-index';
import { routeCall, type RoutingInput } from '../src/routing/route-call';
import type { AgentSnapshot, DestinationSnapshot } from '../src/routing/types';

/**
 * The routing core's cost per decision with 10 to 10 000 agents and 10 to 100 destinations, beside a
 * baseline measured in the same run on the same data: a plain array scan choosing the first free agent.
 * Worst case for the scan: only the last agent is free, so every agent is looked at. The same decisions
 * are then made with a FreeAgentIndex (kept up to date by the caller), and the cost of keeping it is shown.
 */
const NOW = Date.UTC(2026, 10, 23, 12);
const SIZES = [[10, 10], [100, 10], [1_000, 100], [10_000, 100]] as const;

function scenario(agentCount: number, destinationCount: number): { input: RoutingInput; agents: AgentSnapshot[] } {
  const agents: AgentSnapshot[] = Array.from({ length: agentCount }, (_, i) => ({
    id: `agent-${i}`,
    status: 'AVAILABLE',
    activity: i === agentCount - 1 ? 'IDLE' : 'ON_CALL',
    idleSince: NOW - i,
    wrapUpUntil: null,
    notBefore: null,
  }));
  const destinations: DestinationSnapshot[] = Array.from({ length: destinationCount }, (_, i) => ({
    id: `dest-${i}`, enabled: true, suspended: false, maxSimultaneousCalls: 10, connectingCalls: i % 10, activeCalls: 0,
    backedOffUntil: null, consecutiveFailures: 0, retryIntervalSec: 5,
  }));
  const input: RoutingInput = {
    call: { id: 'call', enqueuedAt: NOW - 30_000, eligiblePriorities: [], lastOfferEndedAt: {} },
    queue: {
      id: 'queue',
      groups: [
        { priority: 1, groupId: 'g1', overflow: null, agentIds: agents.map((a) => a.id), destinationIds: [] },
        { priority: 2, groupId: 'g2', overflow: { queueLengthAbove: 0, oldestWaitAboveSec: null, noAgentsLoggedIn: false }, agentIds: [], destinationIds: destinations.map((d) => d.id) },
      ],
      waitingCalls: 3,
      oldestWaitingSince: NOW - 30_000,
      maxQueueLength: 0,
      maxWaitSec: 0,
    },
    agents: new Map(agents.map((a) => [a.id, a])),
    destinations: new Map(destinations.map((d) => [d.id, d])),
    now: NOW,
  };
  return { input, agents };
}

interface Measured {
  p50: number;
  p99: number;
  perSecond: number;
}

function measure(iterations: number, run: (i: number) => unknown): Measured {
  for (let i = 0; i < Math.min(200, iterations); i += 1) run(i);
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) {
    const t0 = process.hrtime.bigint();
    run(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(iterations * 0.5)]!, p99: samples[Math.floor(iterations * 0.99)]!, perSecond: iterations / total };
}

const fmt = (ms: number) => `${ms.toFixed(4)} ms`;
const ratio = (a: number, b: number | null) => (b === null ? '' : `${(a / b).toFixed(1)}x`);

/** Runs the routing core benchmark and prints one table: the scan, the indexed path, and the index upkeep. */
export async function runCoreBench(): Promise<void> {
  const rows: string[] = [];
  let scanAt100: number | null = null;
  let indexedAt100: number | null = null;
  let scanAt10k = 0;
  let indexedAt10k = 0;
  const upkeep: string[] = [];
  for (const [agents, destinations] of SIZES) {
    const { input, agents: list } = scenario(agents, destinations);
    const expected = `agent-${agents - 1}`;
    const index = new FreeAgentIndex();
    for (const a of list) index.upsert(['g1'], a);
    const indexed: RoutingInput = { ...input, agents: new Map(), agentIndex: index };
    const scanDecision = routeCall(input);
    const indexedDecision = routeCall(indexed);
    if (scanDecision.chosen?.id !== expected || indexedDecision.chosen?.id !== expected) throw new Error('the core chose the wrong agent');
    if (indexedDecision.summary !== scanDecision.summary) throw new Error('the indexed decision differs from the scan');

    const iterations = agents >= 10_000 ? 400 : 4_000;
    const scan = measure(iterations, () => routeCall(input));
    const baseline = measure(iterations, () => list.find((a) => a.status === 'AVAILABLE' && a.activity === 'IDLE'));
    const fast = measure(20_000, () => routeCall(indexed));
    if (agents === 100) {
      scanAt100 = scan.p50;
      indexedAt100 = fast.p50;
    }
    if (agents === 10_000) {
      scanAt10k = scan.p50;
      indexedAt10k = fast.p50;
    }
    rows.push(
      [
        `${agents} agents / ${destinations} destinations`.padEnd(32),
        `scan ${Math.round(scan.perSecond)}/s`.padEnd(16),
        `p50 ${fmt(scan.p50)}`.padEnd(18),
        `p99 ${fmt(scan.p99)}`.padEnd(18),
        `baseline p50 ${fmt(baseline.p50)}`.padEnd(28),
        `scan/baseline ${ratio(scan.p50, baseline.p50)}`.padEnd(22),
        `vs 100 agents ${ratio(scan.p50, scanAt100)}`.padEnd(22),
        '|',
        `indexed ${Math.round(fast.perSecond)}/s`.padEnd(19),
        `p50 ${fmt(fast.p50)}`.padEnd(18),
        `p99 ${fmt(fast.p99)}`.padEnd(18),
        `indexed/baseline ${ratio(fast.p50, baseline.p50)}`.padEnd(25),
        `vs 100 agents ${ratio(fast.p50, indexedAt100)}`,
      ].join(' '),
    );

    // Keeping the index: one agent's state changes (it takes a call, then is idle again), one upsert each.
    const busy = { ...list[0]!, activity: 'ON_CALL' as const };
    const idle = { ...list[0]!, activity: 'IDLE' as const };
    const upsert = measure(20_000, (i) => index.upsert(['g1'], i % 2 === 0 ? idle : busy));
    upkeep.push(`${agents} agents: upsert p50 ${fmt(upsert.p50)}, p99 ${fmt(upsert.p99)}, ${Math.round(upsert.perSecond)}/s`);
  }
  // The same 10 destinations as the 100-agent row, so only the number of agents differs.
  const { input: sameDestinations, agents: many } = scenario(10_000, 10);
  const manyIndex = new FreeAgentIndex();
  for (const a of many) manyIndex.upsert(['g1'], a);
  const sameRow = measure(20_000, () => routeCall({ ...sameDestinations, agents: new Map(), agentIndex: manyIndex }));
  process.stdout.write(
    `Routing core, one decision (worst case for the scan: only the last agent free)\n${rows.join('\n')}\n` +
      `p50 at 10 000 agents / p50 at 100 agents: scan ${ratio(scanAt10k, scanAt100)}, indexed ${ratio(indexedAt10k, indexedAt100)}\n` +
      `indexed, 10000 agents / 10 destinations: p50 ${fmt(sameRow.p50)}, p99 ${fmt(sameRow.p99)}, vs 100 agents / 10 destinations ${ratio(sameRow.p50, indexedAt100)}\n` +
      `Keeping the index up to date (one agent state change, one upsert):\n  ${upkeep.join('\n  ')}\n`,
  );
}

if (require.main === module) {
  runCoreBench().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}

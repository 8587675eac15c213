import { routeCall, type RoutingInput } from '../src/routing/route-call';
import type { AgentSnapshot, DestinationSnapshot } from '../src/routing/types';

/**
 * The routing core's cost per decision with 10 to 10 000 agents and 10 to 100 destinations, beside a
 * baseline measured in the same run on the same data: a plain array scan choosing the first free agent.
 * Worst case for the core: only the last agent is free, so every agent is looked at.
 */
const NOW = Date.UTC(2026, 10, 23, 12);

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

function measure(iterations: number, run: () => unknown): { p50: number; p99: number; perSecond: number } {
  for (let i = 0; i < Math.min(200, iterations); i += 1) run();
  const samples: number[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const total = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(iterations * 0.5)]!, p99: samples[Math.floor(iterations * 0.99)]!, perSecond: iterations / total };
}

const fmt = (ms: number) => `${ms.toFixed(4)} ms`;
const rows: string[] = [];
let coreAt100: number | null = null;
for (const [agents, destinations] of [[10, 10], [100, 10], [1_000, 100], [10_000, 100]] as const) {
  const { input, agents: list } = scenario(agents, destinations);
  const iterations = agents >= 10_000 ? 400 : 4_000;
  const core = measure(iterations, () => {
    const decision = routeCall(input);
    if (decision.chosen?.id !== `agent-${agents - 1}`) throw new Error('the core chose the wrong agent');
  });
  const baseline = measure(iterations, () => list.find((a) => a.status === 'AVAILABLE' && a.activity === 'IDLE'));
  if (agents === 100) coreAt100 = core.p50;
  rows.push(
    [
      `${agents} agents / ${destinations} destinations`.padEnd(32),
      `core ${Math.round(core.perSecond)}/s`.padEnd(16),
      `p50 ${fmt(core.p50)}`.padEnd(18),
      `p99 ${fmt(core.p99)}`.padEnd(18),
      `baseline p50 ${fmt(baseline.p50)}`.padEnd(28),
      `core/baseline ${(core.p50 / baseline.p50).toFixed(1)}x`.padEnd(22),
      coreAt100 === null ? '' : `vs 100 agents ${(core.p50 / coreAt100).toFixed(1)}x`,
    ].join(' '),
  );
}
process.stdout.write(`Routing core, one decision (worst case: only the last agent free)\n${rows.join('\n')}\n`);

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemo, type RunningDemo } from '../../scripts/demo';
import type { ProbeOutcome, TelephonyInstruction } from '../../simulator/connector-client';
import type { HandBackPlan } from '../../simulator/decisions';
import { DEMO_SHARED_OVERFLOW, LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC } from '../../src/seed/demo-seed';
import { subscribe, type LiveSubscription } from '../support/live';
import { eventually } from '../support/telephony';
import { graphqlOver } from '../support/test-gateway';

jest.setTimeout(60_000);

/** A seed whose first busy answer of the partner comes a few calls in, whichever line is closed now. */
const SEED = 91;
/** How long a test keeps looking for a behaviour of the running demo (generous: CI is a loaded machine; not a claim about speed). */
const LOOK_MS = 40_000;

/** Waits, from now, until the running demo shows `what`. */
const shows = <T>(what: string, check: () => Promise<T | null | undefined | false>): Promise<T> => eventually(check, LOOK_MS, { what, everyMs: 250 });

describe('the live demo (npm run demo)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-live-demo-'));
  const dbPath = join(dir, 'demo.sqlite');
  let demo: RunningDemo;
  let api: ReturnType<typeof graphqlOver>;
  let admin: string;
  let supervisor: string;
  let partnerLive: LiveSubscription<{ seq: number; state: string; backedOffUntil: string | null; at: string }>;
  /** What the simulated platform saw: the line each call dialled, the destination each dial went to. */
  const lineOf = new Map<string, string>();
  const dialled: Array<{ callId: string; destinationId: string }> = [];
  /** The calls the AI virtual agent handed back, the agents rung (with what they were handed), the probes answered. */
  const handedBack: Array<{ callId: string; attemptId: string; plan: HandBackPlan }> = [];
  const agentRings: TelephonyInstruction[] = [];
  const probes: Array<{ destinationId: string; outcome: ProbeOutcome }> = [];

  beforeAll(async () => {
    demo = await startDemo({ port: 0, dbPath, seed: SEED, logLevel: 'silent' });
    demo.simulator.on('callEnqueued', (call, line) => lineOf.set(call.id, line));
    demo.simulator.on('instruction', (i) => {
      if (i.kind === 'DIAL_EXTERNAL' && i.destinationId) dialled.push({ callId: i.callId, destinationId: i.destinationId });
      if (i.kind === 'RING_AGENT') agentRings.push(i);
    });
    demo.simulator.on('callReturned', (call, attemptId, plan) => handedBack.push({ callId: call.id, attemptId, plan }));
    demo.simulator.on('probeReported', (probe, outcome) => probes.push({ destinationId: probe.destinationId, outcome }));
    api = graphqlOver(demo.url);
    const login = async (username: string) => {
      const user = demo.credentials.users.find((u) => u.username === username)!;
      const data = await api.ok('mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }', {
        s: demo.credentials.companySlug, u: user.username, p: user.password,
      });
      return data.login.token as string;
    };
    admin = await login('admin');
    supervisor = await login('supervisor');
    partnerLive = await subscribe(demo.url, supervisor, 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { seq state backedOffUntil at } }', 'externalDestinationUpdates', {
      ids: [demo.setup.destinations.partner],
    });
  });

  afterAll(async () => {
    await partnerLive?.close();
    await demo?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the dashboard and GraphQL URLs and demo logins that work, and shows progress in one line', async () => {
    const banner = demo.banner();
    expect(demo.dashboardUrl).toBe(`${new URL(demo.url).origin}/dashboard/`);
    expect(banner).toContain(demo.dashboardUrl);
    expect(banner).toContain(demo.url);
    expect(banner).toContain('"demo"');
    for (const user of demo.credentials.users) expect(banner).toContain(`${user.username} / ${user.password}`);
    const agentLogin = demo.credentials.users.find((u) => u.username === 'agent')!;
    const agent = await api.gql('mutation($p: String!) { login(companySlug: "demo", username: "agent", password: $p) { token } }', { p: agentLogin.password });
    expect(agent.errors).toBeUndefined();
    expect(demo.progressLine()).toMatch(/^\[demo \d+:\d\d\] calls \d+ .*answered: agents \d+, AI agent \d+, partner \d+ .*handed back by the AI agent \d+ .*Support overflow: North \d+, South \d+ .* errors \d+$/);
    expect(banner).toContain(`shared 70/30 by ${DEMO_SHARED_OVERFLOW.north.name} and ${DEMO_SHARED_OVERFLOW.south.name}`);
    expect(banner).toContain('the AI virtual agent hands 25% of the callers it answers back to a person');
    expect(demo.progressLine()).not.toContain('\n');
  });

  it('keeps all three agents answering calls', async () => {
    const answered = await shows('every agent answered a call', async () => {
      const data = await api.ok('{ agents { nodes { name todayStats { answered } } } }', {}, supervisor);
      const nodes = data.agents.nodes as Array<{ name: string; todayStats: { answered: number } }>;
      return nodes.length === 3 && nodes.every((a) => a.todayStats.answered > 0) ? nodes : null;
    });
    expect(answered.map((a) => a.name).sort()).toEqual(['Alice Archer', 'Bob Baker', 'Carol Chen']);
  });

  it('overflows sales calls the agents cannot take to the AI virtual agent', async () => {
    const { ai } = demo.setup.destinations;
    const stats = await shows('the AI virtual agent answered a call', async () => {
      const data = await api.ok('query($id: ID!) { externalDestination(id: $id) { name todayStats { offered answered } } }', { id: ai }, admin);
      return data.externalDestination.todayStats.answered > 0 ? data.externalDestination : null;
    });
    expect(stats.name).toBe('AI Virtual Agent');
    const call = dialled.find((d) => d.destinationId === ai && lineOf.get(d.callId) === demo.setup.flowNumbers.salesLine);
    expect(call).toBeDefined();
    const data = await api.ok('query($id: ID!) { call(id: $id) { serviceNumber trace { summary } attempts { target { __typename ... on ExternalDestination { name } } } } }', { id: call!.callId }, admin);
    const trace = data.call.trace.map((t: { summary: string }) => t.summary).join('\n');
    expect(trace).toMatch(/more than 5/);
    expect(trace).toMatch(/no agent available; offered to an external destination of group 2/);
    expect(data.call.attempts.map((a: { target: { name?: string } }) => a.target.name)).toContain('AI Virtual Agent');
  });

  it('sends the calls of whichever line is closed now to the 24/7 partner through its out-of-hours branch', async () => {
    const { partner } = demo.setup.destinations;
    const closed = demo.closedLine() === 'main' ? demo.setup.flowNumbers.mainLine : demo.setup.flowNumbers.nightLine;
    const call = await shows('a call of the closed line dialled the partner', async () =>
      dialled.find((d) => d.destinationId === partner && lineOf.get(d.callId) === closed));
    const data = await api.ok('query($id: ID!) { call(id: $id) { serviceNumber trace { summary } attempts { target { ... on ExternalDestination { name } } } } }', { id: call.callId }, admin);
    expect(data.call.serviceNumber).toBe(closed);
    expect(data.call.trace.map((t: { summary: string }) => t.summary).join('\n')).toMatch(/took (NotMatched: outside|Holiday)/);
    expect(data.call.attempts[0].target.name).toBe('24/7 Partner Contact Centre');
  });

  it('backs the partner off when it answers busy, as the supervisor sees live', async () => {
    const backedOff = await shows('the partner was backed off', async () => partnerLive.events.find((e) => e.state === 'BACKED_OFF' && e.backedOffUntil !== null));
    expect(partnerLive.errors).toEqual([]);
    // Backed off for the demo's short back-off, counted from the busy answer (at or before the update was read).
    const backOffMs = new Date(backedOff.backedOffUntil!).getTime() - new Date(backedOff.at).getTime();
    expect(backOffMs).toBeGreaterThan(0);
    expect(backOffMs).toBeLessThanOrEqual(LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC * 1000);
    const data = await api.ok('query($id: ID!) { externalDestination(id: $id) { todayStats { busy backedOffSec } } }', { id: demo.setup.destinations.partner }, supervisor);
    expect(data.externalDestination.todayStats.busy).toBeGreaterThan(0);
  });

  it("hands a quarter of the AI virtual agent's callers back to a person, who is rung with what the bot learnt", async () => {
    const { ai } = demo.setup.destinations;
    // A call handed back, and the agent then rung for it with the bot's summary and the reason.
    const ring = await shows('an agent rung for a call the AI virtual agent handed back', async () =>
      agentRings.find((i) => handedBack.some((h) => h.callId === i.callId) && i.context?.some((e) => e.key === 'gateway.returnReason')));
    const back = handedBack.find((h) => h.callId === ring.callId)!;
    expect(ring.context).toEqual(expect.arrayContaining([...back.plan.context, { key: 'gateway.returnReason', value: back.plan.reason }]));
    const data = await api.ok(`query($id: ID!) { call(id: $id) { returnCount trace { summary }
      attempts { id state returnReason target { ... on ExternalDestination { id name } } } } }`, { id: ring.callId }, admin);
    expect(data.call.returnCount).toBeGreaterThanOrEqual(1);
    expect(data.call.attempts).toContainEqual({ id: back.attemptId, state: 'RETURNED', returnReason: back.plan.reason, target: { id: ai, name: 'AI Virtual Agent' } });
    expect(data.call.trace.map((t: { summary: string }) => t.summary).join('\n')).toContain(`the external destination handed the call back (${back.plan.reason})`);
    const stats = await api.ok('query($id: ID!) { externalDestination(id: $id) { todayStats { answered returned } } }', { id: ai }, admin);
    expect(stats.externalDestination.todayStats.returned).toBeGreaterThan(0);
  });

  it('shares the Support overflow between the two partner centres by their 70/30 targets, as the supervisor sees', async () => {
    const { partnerNorth, partnerSouth } = demo.setup.destinations;
    const group = await shows('both partner centres were offered Support calls', async () => {
      const data = await api.ok(`query($id: ID!) { agentGroup(id: $id) { name externalDistribution shareWindow shareWindowOffers
        externalDestinationShares { hidden percent recentOffers destination { id name } } } }`, { id: demo.setup.sharedOverflowGroup }, supervisor);
      const shares = data.agentGroup.externalDestinationShares as Array<{ recentOffers: number }>;
      return shares.every((share) => share.recentOffers > 0) ? data.agentGroup : null;
    });
    expect(group).toMatchObject({ name: DEMO_SHARED_OVERFLOW.group, externalDistribution: 'WEIGHTED_SHARE', shareWindow: DEMO_SHARED_OVERFLOW.shareWindow });
    expect(group.externalDestinationShares).toEqual([
      expect.objectContaining({ hidden: false, percent: 70, destination: { id: partnerNorth, name: DEMO_SHARED_OVERFLOW.north.name } }),
      expect.objectContaining({ hidden: false, percent: 30, destination: { id: partnerSouth, name: DEMO_SHARED_OVERFLOW.south.name } }),
    ]);
    // The platform dialled both, the northern one at least as often (the southern one also goes down now and then).
    const to = (id: string) => dialled.filter((d) => d.destinationId === id).length;
    expect(to(partnerSouth)).toBeGreaterThan(0);
    expect(to(partnerNorth)).toBeGreaterThanOrEqual(to(partnerSouth));
  });

  it('probes Partner Centre South while it is down and held back, and the simulated platform fails those probes', async () => {
    const { partnerSouth } = demo.setup.destinations;
    await shows('a failed probe of the southern partner', async () => probes.some((p) => p.destinationId === partnerSouth && p.outcome === 'FAILED'));
    const now = Date.now();
    const data = await api.ok(`query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestination(id: $id) {
      probe { intervalSec successesToResume } probeStatistics(from: $from, to: $to) { sent failed } } }`, {
      id: partnerSouth, from: new Date(now - 3_600_000).toISOString(), to: new Date(now + 60_000).toISOString(),
    }, supervisor);
    expect(data.externalDestination.probe).toEqual({ intervalSec: 5, successesToResume: 2 });
    expect(data.externalDestination.probeStatistics.failed).toBeGreaterThan(0);
  });

  it('runs without a failed request of the simulated platform', () => {
    const summary = demo.simulator.summary();
    expect(summary.errors).toBe(0);
    expect(summary.answeredByAgents).toBeGreaterThan(0);
    expect(summary.answeredByDestinations).toBeGreaterThan(0);
    expect(summary.handedBack).toBeGreaterThan(0);
    expect(summary.instructions.PROBE_DESTINATION).toBeGreaterThan(0);
  });
});

describe('a start of the live demo', () => {
  it('recreates its database, so the logins and a fresh connector key always work, and stops cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-live-demo-'));
    try {
      const dbPath = join(dir, 'demo.sqlite');
      const keys: string[] = [];
      for (let run = 0; run < 2; run++) {
        const demo = await startDemo({ port: 0, dbPath, seed: 1, callsPerSecond: 1, logLevel: 'silent' });
        try {
          keys.push(demo.credentials.connectorApiKey);
          const api = graphqlOver(demo.url);
          const login = await api.ok('mutation { login(companySlug: "demo", username: "admin", password: "demo-admin-password") { token } }');
          const flows = await api.ok('{ callFlows { nodes { name publishedVersion serviceNumbers } } }', {}, login.login.token);
          expect(flows.callFlows.nodes.map((f: { name: string }) => f.name)).toEqual(['Main line', 'Night line', 'Sales line']);
        } finally {
          const summary = await demo.stop();
          expect(summary.errors).toBe(0);
        }
        // Stopped: nothing listens any more.
        await expect(fetch(demo.url, { method: 'POST' })).rejects.toThrow();
      }
      expect(keys[0]).toMatch(/^ck\./);
      expect(keys[1]).toMatch(/^ck\./);
      expect(keys[1]).not.toBe(keys[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { DataSource } from 'typeorm';
import type { ProbeOutcome, TelephonyInstruction } from '../../simulator/connector-client';
import type { HandBackPlan } from '../../simulator/decisions';
import { Simulator } from '../../simulator/simulator';
import { ADMIN_PASSWORD } from '../support/fixtures';
import { subscribe } from '../support/live';
import { eventually, routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

describe.each(routingModes().map((m) => [m.name, m] as const))('the telephony simulator against a running gateway (%s)', (_name, mode) => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await mode.start();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('plays 60 calls through agents and destinations with every call accounted for and the records agreeing', async () => {
    const w = await RoutingWorld.create(t);
    await w.close();
    const agents = [await w.agent('Ann', 'LOGGED_OUT'), await w.agent('Ben', 'LOGGED_OUT')];
    const destination = await w.destination({ maxSimultaneousCalls: 3, busyBackoffSec: 1, retryIntervalSec: 1, outdialTimeoutSec: 5 });
    const queue = await w.queue([{ groupId: await w.group(agents, [destination]) }], { agentRingTimeoutSec: 5, agentRetrySec: 0 });

    const simulator = new Simulator({
      url: t.url, company: w.company.slug, username: 'admin', password: ADMIN_PASSWORD, queueIds: [queue],
      calls: 60, rate: 20, timeScale: 0.05, seed: 42, ringTimeSec: 2, quickOutcomeSec: 1, talkTimeSec: 4, patienceSec: 200,
      agent: { answer: 0.8, busy: 0.1, reject: 0 }, destination: { answer: 0.7, busy: 0.1, fail: 0.1 },
    });
    // Each failed request, named, so that a failure says which one and why.
    const failures: string[] = [];
    simulator.on('failure', (operation, error) => failures.push(`${operation}: ${error.code} ${error.message}`));
    const summary = await simulator.run(45_000);

    expect(failures).toEqual([]);
    expect(summary.errors).toBe(0);
    expect(summary.unknownInstructions).toBe(0);
    expect(summary.callsEnqueued).toBe(60);
    expect(summary.activeCalls).toBe(0);
    expect(summary.completed + summary.abandoned + summary.disconnected + summary.callsLost).toBe(60);
    expect(summary.answeredByAgents).toBeGreaterThan(0);
    expect(summary.answeredByDestinations).toBeGreaterThan(0);
    expect(summary.instructions.RING_AGENT).toBeGreaterThan(0);
    expect(summary.instructions.DIAL_EXTERNAL).toBeGreaterThan(0);

    // The gateway's durable records agree with what the simulated platform saw.
    const db = t.databaseUrl.startsWith('postgres')
      ? new DataSource({ type: 'postgres', url: t.databaseUrl })
      : new DataSource({ type: 'better-sqlite3', database: t.databaseUrl.slice('sqlite:'.length) });
    await db.initialize();
    try {
      const rows: Array<{ state: string; n: number | string }> = await db.query(`SELECT state, COUNT(*) AS n FROM call WHERE "queueId" = '${queue}' GROUP BY state`);
      const byState = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
      // A caller hanging up during the conversation ends the call too (ENDED, reason CALLER_HUNG_UP), counted by the simulator as abandoned.
      const [completed] = await db.query(`SELECT COUNT(*) AS n FROM call WHERE "queueId" = '${queue}' AND state = 'ENDED' AND "endReason" = 'COMPLETED'`);
      expect(Number(completed.n)).toBe(summary.completed);
      expect((byState.QUEUED ?? 0) + (byState.OFFERING ?? 0) + (byState.CONNECTED ?? 0)).toBe(0);
      const [open] = await db.query(`SELECT COUNT(*) AS n FROM call_attempt WHERE state IN ('RINGING', 'CONNECTED')`);
      expect(Number(open.n)).toBe(0);
    } finally {
      await db.destroy();
    }
    expect(await w.destinationLive(destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0 });
  });

  it('drives a published call flow with startCall: overflow to a destination, every call accounted for', async () => {
    const w = await RoutingWorld.create(t);
    await w.close();
    const agent = await w.agent('Solo', 'LOGGED_OUT');
    const destination = await w.destination({ maxSimultaneousCalls: 2, busyBackoffSec: 1, retryIntervalSec: 1, outdialTimeoutSec: 5 });
    const queue = await w.queue([{ groupId: await w.group([agent]) }], { maxQueueLength: 2, maxWaitSec: 2, agentRingTimeoutSec: 5 });
    const serviceNumber = '+441134961234';
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', {
      i: {
        name: 'Overflow', serviceNumbers: [serviceNumber],
        nodes: [
          { id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] },
          { id: 'queue', type: 'QUEUE', queueId: queue, branches: [{ name: 'Full', to: 'ext' }, { name: 'Timeout', to: 'ext' }, { name: 'NoAgents', to: 'ext' }] },
          { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: destination, branches: [{ name: 'LimitReached', to: 'sorry' }, { name: 'Busy', to: 'sorry' }] },
          { id: 'sorry', type: 'PLAY_MESSAGE', message: 'Sorry', branches: [{ name: 'next', to: 'bye' }] },
          { id: 'bye', type: 'DISCONNECT' },
        ],
      },
    }, w.admin);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: flow.createCallFlow.id }, w.admin);
    const simulator = new Simulator({
      url: t.url, company: w.company.slug, username: 'admin', password: ADMIN_PASSWORD, useFlows: true, flowNumbers: [serviceNumber],
      calls: 30, rate: 10, timeScale: 0.05, seed: 7, ringTimeSec: 2, quickOutcomeSec: 1, talkTimeSec: 4, patienceSec: 400,
      destination: { answer: 0.7, busy: 0.1, fail: 0.1 },
    });
    const summary = await simulator.run(45_000);
    expect(summary.errors).toBe(0);
    expect(summary.callsEnqueued).toBe(30);
    expect(summary.activeCalls).toBe(0);
    expect(summary.completed + summary.abandoned + summary.disconnected + summary.callsLost).toBe(30);
    expect(summary.instructions.DIAL_EXTERNAL).toBeGreaterThan(0);
    expect(summary.answeredByDestinations).toBeGreaterThan(0);
    expect(await w.destinationLive(destination)).toMatchObject({ connectingCalls: 0, activeCalls: 0 });
  });

  it('streams live counts for a destination equal to its ringing and answered attempts after a burst of simulated calls', async () => {
    const w = await RoutingWorld.create(t);
    await w.close();
    const destination = await w.destination({ maxSimultaneousCalls: 8, busyBackoffSec: 0, retryIntervalSec: 1, outdialTimeoutSec: 30 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const live = await subscribe(t.url, w.admin, 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { seq connectingCalls activeCalls } }', 'externalDestinationUpdates', { ids: [destination] });
    // Long talks and long rings: after the burst, calls stay answered or ringing while the counts are compared.
    const simulator = new Simulator({
      url: t.url, company: w.company.slug, username: 'admin', password: ADMIN_PASSWORD, queueIds: [queue], setAgentsAvailable: false,
      calls: 20, rate: 50, timeScale: 0.05, seed: 11, ringTimeSec: 0.5, quickOutcomeSec: 1, talkTimeSec: 2_000, patienceSec: 0,
      destination: { answer: 0.6, busy: 0, fail: 0 }, silentNoAnswer: true,
    });
    await simulator.start();
    const db = t.databaseUrl.startsWith('postgres')
      ? new DataSource({ type: 'postgres', url: t.databaseUrl })
      : new DataSource({ type: 'better-sqlite3', database: t.databaseUrl.slice('sqlite:'.length) });
    await db.initialize();
    try {
      const open = async () => {
        const rows: Array<{ state: string; n: number | string }> = await db.query(`SELECT state, COUNT(*) AS n FROM call_attempt WHERE "destinationId" = '${destination}' AND state IN ('RINGING', 'CONNECTED') GROUP BY state`);
        const by = Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
        return { connectingCalls: by.RINGING ?? 0, activeCalls: by.CONNECTED ?? 0 };
      };
      // Wait until the burst has settled: 8 slots taken, no new event for a while.
      let settled = 0;
      for (let seen = -1; settled < 10; ) {
        await new Promise((r) => setTimeout(r, 100));
        settled = live.events.length === seen ? settled + 1 : 0;
        seen = live.events.length;
      }
      const truth = await open();
      expect(truth.connectingCalls + truth.activeCalls).toBe(8);
      expect(truth.activeCalls).toBeGreaterThan(0);
      const last = live.events.reduce((a: any, b: any) => (b.seq > a.seq ? b : a));
      expect({ connectingCalls: last.connectingCalls, activeCalls: last.activeCalls }).toEqual(truth);
    } finally {
      await simulator.stop();
      await db.destroy();
      await live.close();
    }
  });

  it('hands a share of the calls an AI virtual agent answers back to the agents with its summary, and splits overflow 70/30 between two partners', async () => {
    const w = await RoutingWorld.create(t);
    await w.close();
    const agents = [await w.agent('Ann', 'LOGGED_OUT'), await w.agent('Ben', 'LOGGED_OUT')];
    const ai = await w.destination({ name: 'AI Virtual Agent', number: '+12125550100', maxSimultaneousCalls: 20, outdialTimeoutSec: 5 });
    const north = await w.destination({ name: 'Partner Centre North', number: '+441614960100', outdialTimeoutSec: 5 });
    const south = await w.destination({ name: 'Partner Centre South', number: '+441174960100', outdialTimeoutSec: 5 });
    const front = await w.group(agents);
    const bot = await w.group([], [ai]);
    const partners = await t.ok('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', {
      i: {
        name: 'Overflow 70/30', agentIds: [], externalDestinationIds: [north, south], externalDistribution: 'WEIGHTED_SHARE',
        externalDestinationShares: [{ destinationId: north, percent: 70 }, { destinationId: south, percent: 30 }],
      },
    }, w.admin);
    // Sales: the agents first, the AI virtual agent as soon as a call waits; a call it hands back waits for the agents only.
    const sales = await w.queue([{ groupId: front }, { groupId: bot, overflow: { queueLengthAbove: 0 } }], { agentRingTimeoutSec: 5, agentRetrySec: 0 });
    // Support: straight to the two partners, 70/30.
    const support = await w.queue([{ groupId: partners.createAgentGroup.id }]);

    const simulator = new Simulator({
      url: t.url, company: w.company.slug, username: 'admin', password: ADMIN_PASSWORD, queueIds: [sales, support],
      calls: 60, rate: 20, timeScale: 0.05, seed: 19, ringTimeSec: 2, quickOutcomeSec: 1, talkTimeSec: 4, patienceSec: 400, handBackAfterSec: 3,
      agent: { answer: 1, busy: 0, reject: 0 },
      perDestination: { [ai]: { answer: 1, busy: 0, fail: 0, handBack: 0.4 }, [north]: { answer: 1, busy: 0, fail: 0 }, [south]: { answer: 1, busy: 0, fail: 0 } },
    });
    const failures: string[] = [];
    simulator.on('failure', (operation, error) => failures.push(`${operation}: ${error.code} ${error.message}`));
    const instructions: TelephonyInstruction[] = [];
    simulator.on('instruction', (i) => instructions.push(i));
    const returned: Array<{ callId: string; attemptId: string; plan: HandBackPlan }> = [];
    simulator.on('callReturned', (call, attemptId, plan) => returned.push({ callId: call.id, attemptId, plan }));
    const summary = await simulator.run(45_000);

    expect(failures).toEqual([]);
    expect(summary).toMatchObject({ errors: 0, callsEnqueued: 60, activeCalls: 0, unknownInstructions: 0 });
    expect(summary.completed + summary.abandoned + summary.disconnected + summary.callsLost).toBe(60);

    // At least one call the AI virtual agent answered was handed back, and the gateway recorded it so.
    expect(summary.handedBack).toBeGreaterThan(0);
    expect(returned).toHaveLength(summary.handedBack);
    const first = returned[0]!;
    const call = (await t.ok(`query($id: ID!) { call(id: $id) { state returnCount context { key value }
      attempts { id state outcome returnReason targetKind target { ... on ExternalDestination { id } } } } }`, { id: first.callId }, w.admin)).call;
    expect(call.returnCount).toBeGreaterThanOrEqual(1);
    expect(call.attempts).toContainEqual(expect.objectContaining({ id: first.attemptId, state: 'RETURNED', outcome: 'ANSWERED', returnReason: first.plan.reason, target: { id: ai } }));
    expect(call.context).toEqual(expect.arrayContaining(first.plan.context));
    // An agent was then rung with what the virtual agent learnt and why it handed the caller back.
    const rungAfter = instructions.filter((i) => i.kind === 'RING_AGENT' && i.callId === first.callId && i.context?.some((e) => e.key === 'gateway.returnReason'));
    expect(rungAfter.length).toBeGreaterThan(0);
    expect(rungAfter[0]!.context).toEqual(expect.arrayContaining([
      ...first.plan.context, { key: 'gateway.returnReason', value: first.plan.reason }, { key: 'gateway.returns', value: '1' },
    ]));
    expect(summary.answeredByAgentsAfterHandBack).toBeGreaterThan(0);

    // Support's calls were offered to the two partners by their targets: 70/30, within an offer or two (passes
    // routing at the same moment may each count the other's offer only at their next pass).
    const offers = (destinationId: string) => instructions.filter((i) => i.kind === 'DIAL_EXTERNAL' && i.destinationId === destinationId).length;
    const [toNorth, toSouth] = [offers(north), offers(south)];
    expect(toNorth).toBeGreaterThan(toSouth);
    expect(toSouth).toBeGreaterThan(0);
    expect(Math.abs(toSouth - 0.3 * (toNorth + toSouth))).toBeLessThanOrEqual(2);
    const group = (await t.ok('query($id: ID!) { agentGroup(id: $id) { shareWindowOffers externalDestinationShares { percent recentOffers destination { id } } } }',
      { id: partners.createAgentGroup.id }, w.admin)).agentGroup;
    expect(group.shareWindowOffers).toBe(toNorth + toSouth);
    expect(group.externalDestinationShares).toEqual([
      { percent: 70, recentOffers: toNorth, destination: { id: north } },
      { percent: 30, recentOffers: toSouth, destination: { id: south } },
    ]);

    // The records agree: as many attempts RETURNED as hand-backs the simulator saw accepted, none left open.
    const db = t.databaseUrl.startsWith('postgres')
      ? new DataSource({ type: 'postgres', url: t.databaseUrl })
      : new DataSource({ type: 'better-sqlite3', database: t.databaseUrl.slice('sqlite:'.length) });
    await db.initialize();
    try {
      const [returnedRows] = await db.query(`SELECT COUNT(*) AS n FROM call_attempt WHERE "destinationId" = '${ai}' AND state = 'RETURNED'`);
      expect(Number(returnedRows.n)).toBe(summary.handedBack);
      const [open] = await db.query(`SELECT COUNT(*) AS n FROM call_attempt a JOIN call c ON c.id = a."callId" WHERE c."queueId" IN ('${sales}', '${support}') AND a.state IN ('RINGING', 'CONNECTED')`);
      expect(Number(open.n)).toBe(0);
    } finally {
      await db.destroy();
    }
  });

  it('answers the health probes of a partner that is down for a while: failed while it is down, then succeeded, which resumes it', async () => {
    const w = await RoutingWorld.create(t);
    await w.close();
    // Suspended at its first failure; probed every 5 s; one good probe resumes it.
    const partner = await w.destination({
      name: 'Partner Centre South', number: '+441174960100', maxConsecutiveFailures: 1, retryIntervalSec: 1, outdialTimeoutSec: 5,
      probe: { intervalSec: 5, timeoutSec: 2, successesToResume: 1 },
    });
    const queue = await w.queue([{ groupId: await w.group([], [partner]) }]);
    const timeScale = 0.05;
    const simulator = new Simulator({
      url: t.url, company: w.company.slug, username: 'admin', password: ADMIN_PASSWORD, queueIds: [queue], setAgentsAvailable: false,
      // Three calls 5 s (real) apart, from the start; callers wait as long as it takes.
      calls: 3, rate: 1 / (5 / timeScale), arrival: 'uniform', timeScale, seed: 5, ringTimeSec: 1, quickOutcomeSec: 1, talkTimeSec: 4, patienceSec: 0,
      // Down for its first 7.5 s (real): the first call fails and suspends it, the probe 5 s later fails, the next succeeds.
      perDestination: { [partner]: { answer: 1, busy: 0, fail: 0, outage: { firstAfterSec: 0, forSec: 7.5 / timeScale } } },
    });
    const failures: string[] = [];
    simulator.on('failure', (operation, error) => failures.push(`${operation}: ${error.code} ${error.message}`));
    const probes: ProbeOutcome[] = [];
    simulator.on('probeReported', (probe, outcome) => {
      if (probe.destinationId === partner) probes.push(outcome);
    });
    const states: string[] = [];
    const watching = eventually(async () => {
      const state = (await w.destinationLive(partner)).state as string;
      if (states.at(-1) !== state) states.push(state);
      return probes.includes('SUCCEEDED') && state !== 'SUSPENDED' ? state : null;
    }, 45_000, { what: () => `the partner resumed by a good probe (probes ${probes.join(', ') || 'none'}; states ${states.join(' > ')})`, everyMs: 100 });
    const summary = await simulator.run(45_000);
    await watching;

    expect(failures).toEqual([]);
    expect(summary).toMatchObject({ errors: 0, callsEnqueued: 3, completed: 3, answeredByDestinations: 3, activeCalls: 0, probeRaces: 0 });
    expect(summary.outcomesReported.FAILED).toBeGreaterThanOrEqual(1);
    // Probes failed while the partner was down, then one succeeded and resumed it.
    expect(probes[0]).toBe('FAILED');
    expect(probes.at(-1)).toBe('SUCCEEDED');
    expect(states).toContain('SUSPENDED');
    const status = (await t.ok('query($id: ID!) { externalDestination(id: $id) { probeStatus { probing lastProbe { outcome } } live { state consecutiveFailures } } }', { id: partner }, w.admin))
      .externalDestination;
    expect(status.probeStatus).toEqual({ probing: false, lastProbe: { outcome: 'SUCCEEDED' } });
    expect(status.live.consecutiveFailures).toBe(0);
  });
});

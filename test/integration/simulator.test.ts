import { DataSource } from 'typeorm';
import { Simulator } from '../../simulator/simulator';
import { ADMIN_PASSWORD } from '../support/fixtures';
import { subscribe } from '../support/live';
import { routingModes, RoutingWorld } from '../support/telephony';
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
});

import type { ProbeOutcome, ProbeOutcomeInput } from '../../simulator/connector-client';
import { behaviourAt, isDown, planAttempt, planProbe, type DestinationBehaviour, type RingTiming } from '../../simulator/decisions';
import { mulberry32, type Rng } from '../../simulator/random';
import { Simulator } from '../../simulator/simulator';
import { resolveSimulatorConfig, SimulatorConfigError } from '../../simulator/simulator-config';
import { InstructionStream, instructionServer, jsonResponse, operationOf } from '../support/fake-telephony';

/** An Rng that returns the given draws in order. */
function fixed(...values: number[]): Rng {
  let i = 0;
  return { next: () => values[i++ % values.length]! };
}

const timing: RingTiming = { ringTimeSec: 4, quickOutcomeSec: 1, defaultRingTimeoutSec: 20, jitter: 0.5, silentNoAnswer: false };
const healthy: DestinationBehaviour = { answer: 0.9, busy: 0.05, fail: 0.05 };
/** Down from 60 s for 30 s, then every 120 s (60-90, 180-210, ...). */
const flaky: DestinationBehaviour = { ...healthy, outage: { firstAfterSec: 60, forSec: 30, everySec: 120 } };

describe("the simulator's model of a destination's health (outages)", () => {
  it('is down for the length of each outage, from the first one on, and up in between', () => {
    const at = (sec: number) => isDown(flaky.outage, sec);
    expect([0, 59.9, 60, 89.9, 90, 179.9, 180, 209.9, 210].map(at)).toEqual([false, false, true, true, false, false, true, true, false]);
    // Without a period, one outage only; without a schedule, never down.
    expect([0, 5, 10, 1000].map((s) => isDown({ forSec: 10 }, s))).toEqual([true, true, false, false]);
    expect(isDown(undefined, 0)).toBe(false);
  });

  it('never answers a dial while it is down: it fails at once, or rings out with an outage of unanswered dials', () => {
    expect(behaviourAt(flaky, 10)).toBe(flaky);
    expect(behaviourAt(flaky, 70)).toMatchObject({ answer: 0, busy: 0, fail: 1 });
    const ringsOut = { ...healthy, outage: { forSec: 30, dials: 'NO_ANSWER' as const } };
    expect(behaviourAt(ringsOut, 10)).toMatchObject({ answer: 0, busy: 0, fail: 0 });
    const agent = { answer: 1, busy: 0, reject: 0 };
    expect(planAttempt('DIAL_EXTERNAL', { agent, destination: behaviourAt(flaky, 70) }, timing, 30, fixed(0.01, 0.5))).toEqual({ outcome: 'FAILED', report: true, afterSec: 1 });
    expect(planAttempt('DIAL_EXTERNAL', { agent, destination: behaviourAt(ringsOut, 10) }, timing, 30, fixed(0.01, 0.5))).toEqual({ outcome: 'NO_ANSWER', report: true, afterSec: 30 });
    expect(planAttempt('DIAL_EXTERNAL', { agent, destination: behaviourAt(flaky, 100) }, timing, 30, fixed(0.01, 0.5)).outcome).toBe('ANSWERED');
  });

  it('refuses an outage that never ends, starts before the start or comes back before it is over, naming the destination', () => {
    const base = { url: 'http://127.0.0.1:4000/graphql', connectorKey: 'ck', useFlows: true, setAgentsAvailable: false };
    expect(resolveSimulatorConfig({ ...base, perDestination: { south: { outage: flaky.outage } } }, 1).perDestination.south!.outage).toEqual(flaky.outage);
    let error: unknown;
    try {
      resolveSimulatorConfig({ ...base, perDestination: { south: { outage: { forSec: 0, firstAfterSec: -1, everySec: 10 } }, north: { outage: { forSec: 20, everySec: 20 } } } }, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect((error as SimulatorConfigError).problems).toEqual(expect.arrayContaining([
      'destination south: an outage must last more than 0 s (got 0)',
      'destination south: the first outage must start at 0 s or later (got -1)',
      'destination north: outages must come back less often than they last: every 20 s for 20 s',
    ]));
  });
});

describe('answering health probes from the model of the destination (planProbe)', () => {
  it('succeeds while the destination is up, after a ring time and before the probe times out', () => {
    expect(planProbe(flaky, 10, timing, 10, fixed(0.5))).toEqual({ outcome: 'SUCCEEDED', afterSec: 4 });
    expect(planProbe(flaky, 10, { ...timing, ringTimeSec: 60 }, 10, fixed(0.99))).toEqual({ outcome: 'SUCCEEDED', afterSec: 9 });
    // No timeout on the instruction: the default ring timeout bounds it.
    expect(planProbe(healthy, 0, { ...timing, ringTimeSec: 60 }, null, fixed(0.5))).toEqual({ outcome: 'SUCCEEDED', afterSec: 18 });
  });

  it('fails while the destination is down: FAILED quickly, or TIMED_OUT at the timeout when its dials ring out', () => {
    expect(planProbe(flaky, 75, timing, 10, fixed(0.5))).toEqual({ outcome: 'FAILED', afterSec: 1 });
    const ringsOut: DestinationBehaviour = { ...healthy, outage: { forSec: 30, dials: 'NO_ANSWER' } };
    expect(planProbe(ringsOut, 5, timing, 10, fixed(0.5))).toEqual({ outcome: 'TIMED_OUT', afterSec: 10 });
  });

  it('fails the probes of a partner that is down for a while, then succeeds once it is back', () => {
    // A probe every 10 s from 50 s to 110 s: the outage runs from 60 s to 90 s.
    const rng = mulberry32(4);
    const outcomes = [50, 60, 70, 80, 90, 100, 110].map((at) => planProbe(flaky, at, timing, 5, rng).outcome);
    expect(outcomes).toEqual<ProbeOutcome[]>(['SUCCEEDED', 'FAILED', 'FAILED', 'FAILED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('follows the time, not the draws: any draw gives the same outcome at the same moment', () => {
    const rng = mulberry32(17);
    for (let i = 0; i < 200; i++) {
      const at = i * 3;
      expect(planProbe(flaky, at, timing, 5, rng).outcome).toBe(isDown(flaky.outage, at) ? 'FAILED' : 'SUCCEEDED');
    }
  });
});

/**
 * A fake gateway that sends health probes (PROBE_DESTINATION: callId and attemptId are the probe's id) and takes
 * their outcomes; a probe listed in `expired` has already timed out (CONFLICT). Calls are disconnected at once.
 */
class ProbePlatform {
  readonly stream = new InstructionStream();
  readonly reported: ProbeOutcomeInput[] = [];
  readonly expired = new Set<string>();
  readonly operations: string[] = [];
  private instructions = 0;

  readonly fetch = (async (_url: string, init: { body: string }) => {
    const { operation, input } = operationOf(init);
    this.operations.push(operation);
    if (operation === 'StartCall') return jsonResponse({ data: { startCall: { id: `call-${input.connectorCallId}`, connectorCallId: input.connectorCallId, state: 'FAILED' } } });
    if (operation === 'ReportProbeOutcome') {
      const probe = input as unknown as ProbeOutcomeInput;
      this.reported.push(probe);
      if (this.expired.has(String(probe.probeId))) {
        return jsonResponse({ data: null, errors: [{ message: 'The probe already ended (TIMED_OUT)', extensions: { code: 'CONFLICT' } }] });
      }
      return jsonResponse({ data: { reportProbeOutcome: { id: probe.probeId, destinationId: 'x', outcome: probe.outcome } } });
    }
    return jsonResponse({ data: null, errors: [{ message: `unexpected ${operation}`, extensions: { code: 'BAD_REQUEST' } }] });
  }) as unknown as typeof fetch;

  probe(probeId: string, destinationId: string, number: string, instructionId = `i-${++this.instructions}`): void {
    this.stream.send({ instructionId, kind: 'PROBE_DESTINATION', callId: probeId, attemptId: probeId, destinationId, number, ringTimeoutSec: 5 });
  }

  outcomeOf(probeId: string): ProbeOutcome[] {
    return this.reported.filter((r) => r.probeId === probeId).map((r) => r.outcome);
  }
}

/** Waits until `check` holds, for at most `ms` (the deadline is how long to keep looking, not how long it takes). */
async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the simulator answering health probes (reportProbeOutcome)', () => {
  let platform: ProbePlatform;
  let url: string;
  let closeServer: () => Promise<void>;

  beforeEach(async () => {
    platform = new ProbePlatform();
    ({ url, close: closeServer } = await instructionServer(platform.stream));
  });

  afterEach(async () => {
    await closeServer();
  });

  /** A simulator that generates nothing for the test's lifetime (one call, far in the future). */
  const idle = (perDestination: Record<string, Partial<DestinationBehaviour>>) => new Simulator({
    url, connectorKey: 'ck', setAgentsAvailable: false, useFlows: true, calls: 1, rate: 0.000_001, arrival: 'poisson', seed: 3, timeScale: 0.001,
    ringTimeSec: 1, quickOutcomeSec: 1, subscribeSettleMs: 50, perDestination,
  }, { fetchImpl: platform.fetch });

  it("reports each probe's outcome once, as the model of that destination says: a destination down now fails, a healthy one succeeds", async () => {
    // Down for the whole test (a day of simulated time), by id; the partner named by its number is healthy.
    const simulator = idle({ 'south-id': { outage: { forSec: 86_400 } }, '+441614960100': { answer: 1, busy: 0, fail: 0 } });
    await simulator.start();
    try {
      platform.probe('probe-1', 'south-id', '+441174960100');
      platform.probe('probe-2', 'north-id', '+441614960100');
      // The same probe delivered again, under another instruction id: still one outcome.
      platform.probe('probe-1', 'south-id', '+441174960100');
      await until(() => platform.reported.length >= 2);
      await until(() => simulator.summary().probesReported.FAILED + simulator.summary().probesReported.SUCCEEDED >= 2);
      expect(platform.outcomeOf('probe-1')).toEqual(['FAILED']);
      expect(platform.outcomeOf('probe-2')).toEqual(['SUCCEEDED']);
      expect(platform.reported.every((r) => typeof r.eventId === 'string' && r.eventId.length > 0)).toBe(true);
      const summary = simulator.summary();
      expect(summary).toMatchObject({ probesReported: { SUCCEEDED: 1, FAILED: 1, TIMED_OUT: 0 }, probeRaces: 0, unknownInstructions: 0, errors: 0 });
      expect(summary.instructions.PROBE_DESTINATION).toBe(3);
    } finally {
      await simulator.stop();
    }
    // Probes are no calls: nothing but the probes' outcomes was sent (no acknowledgement, no endCall).
    expect(new Set(platform.operations)).toEqual(new Set(['ReportProbeOutcome']));
  });

  it('counts an outcome the gateway refuses because the probe already timed out as a race, not an error', async () => {
    const simulator = idle({});
    const races: string[] = [];
    simulator.on('race', (operation, code, id) => races.push(`${operation} ${code} ${id}`));
    await simulator.start();
    try {
      platform.expired.add('probe-late');
      platform.probe('probe-late', 'north-id', '+441614960100');
      await until(() => races.length > 0);
      expect(races).toEqual(['reportProbeOutcome CONFLICT probe-late']);
      expect(simulator.summary()).toMatchObject({ probeRaces: 1, errors: 0, probesReported: { SUCCEEDED: 0 } });
    } finally {
      await simulator.stop();
    }
  });
});

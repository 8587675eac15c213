import type { AttemptOutcome } from '../../simulator/connector-client';
import { destinationBehaviourFor, planAttempt, type RingTiming } from '../../simulator/decisions';
import { mulberry32 } from '../../simulator/random';
import { Simulator } from '../../simulator/simulator';
import { resolveSimulatorConfig, SimulatorConfigError, SIMULATOR_DEFAULTS } from '../../simulator/simulator-config';
import { InstructionStream, instructionServer, jsonResponse, operationOf } from '../support/fake-telephony';

const base = { url: 'http://127.0.0.1:4000/graphql', connectorKey: 'ck', useFlows: true, setAgentsAvailable: false };

describe('behaviour of particular destinations in the simulator', () => {
  it('fills the probabilities a destination leaves out from the general destination behaviour', () => {
    const config = resolveSimulatorConfig({ ...base, destination: { answer: 0.5 }, perDestination: { 'dest-1': { busy: 0.4 }, '+442079460958': { answer: 1, busy: 0, fail: 0 } } }, 1);
    expect(config.perDestination).toEqual({
      'dest-1': { answer: 0.5, busy: 0.4, fail: SIMULATOR_DEFAULTS.destination.fail },
      '+442079460958': { answer: 1, busy: 0, fail: 0 },
    });
    expect(resolveSimulatorConfig(base, 1).perDestination).toEqual({});
  });

  it('refuses probabilities of a destination that are out of range or add up to more than 1, naming the destination', () => {
    let error: unknown;
    try {
      resolveSimulatorConfig({ ...base, perDestination: { 'dest-1': { answer: 0.9, busy: 0.5 }, 'dest-2': { fail: 2 }, '': { answer: 1, busy: 0, fail: 0 } } }, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulatorConfigError);
    const problems = (error as SimulatorConfigError).problems;
    expect(problems).toContain('destination dest-1: probabilities add up to 1.45, more than 1');
    expect(problems).toContain('destination dest-2: probability of FAILED must be between 0 and 1 (got 2)');
    expect(problems).toContain('perDestination: a key must be a destination id or a dialled number (got an empty string)');
  });

  it('picks the behaviour given for the destination id first, then for the number dialled, else the general one', () => {
    const general = { answer: 0.7, busy: 0.1, fail: 0.05 };
    const byId = { answer: 0, busy: 1, fail: 0 };
    const byNumber = { answer: 0, busy: 0, fail: 1 };
    const per = { 'dest-1': byId, '+442079460958': byNumber };
    expect(destinationBehaviourFor(general, per, 'dest-1', '+442079460958')).toBe(byId);
    expect(destinationBehaviourFor(general, per, 'dest-2', '+442079460958')).toBe(byNumber);
    expect(destinationBehaviourFor(general, per, null, '+442079460958')).toBe(byNumber);
    expect(destinationBehaviourFor(general, per, 'dest-2', '+15550100')).toBe(general);
    expect(destinationBehaviourFor(general, per, undefined, null)).toBe(general);
    // Only keys that were given: nothing inherited from Object's prototype.
    expect(destinationBehaviourFor(general, per, 'constructor', 'toString')).toBe(general);
  });

  it('plans a dial of a destination with the behaviour picked for it', () => {
    const timing: RingTiming = { ringTimeSec: 2, quickOutcomeSec: 1, defaultRingTimeoutSec: 20, jitter: 0, silentNoAnswer: false };
    const agent = { answer: 1, busy: 0, reject: 0 };
    const busy = destinationBehaviourFor({ answer: 1, busy: 0, fail: 0 }, { 'dest-1': { answer: 0, busy: 1, fail: 0 } }, 'dest-1', null);
    expect(planAttempt('DIAL_EXTERNAL', { agent, destination: busy }, timing, 30, mulberry32(1))).toEqual({ outcome: 'BUSY', report: true, afterSec: 1 });
  });
});

/** A fake telephony side: each started call is dialled out to the destination its service number names. */
class DialPlatform {
  readonly reported: Array<{ attemptId: string; outcome: AttemptOutcome }> = [];
  readonly stream = new InstructionStream();
  private calls = 0;

  constructor(private readonly destinations: Record<string, { destinationId: string; number: string }>) {}

  readonly fetch = (async (_url: string, init: { body: string }) => {
    const { operation, input } = operationOf(init);
    if (operation === 'StartCall') {
      const callId = `call-${++this.calls}`;
      const target = this.destinations[input.serviceNumber!]!;
      setImmediate(() => this.stream.send({
        instructionId: `i-${callId}`, kind: 'DIAL_EXTERNAL', callId, attemptId: `${target.destinationId}/${callId}`,
        destinationId: target.destinationId, number: target.number, ringTimeoutSec: 30,
      }));
      return jsonResponse({ data: { startCall: { id: callId, connectorCallId: input.connectorCallId, state: 'OFFERING' } } });
    }
    if (operation === 'ReportAttemptOutcome') {
      this.reported.push({ attemptId: input.attemptId!, outcome: input.outcome as AttemptOutcome });
      const ended = input.outcome !== 'ANSWERED';
      // Not answered: the flow gives up on the call.
      const callId = input.attemptId!.split('/')[1]!;
      if (ended) setImmediate(() => this.stream.send({ instructionId: `d-${callId}`, kind: 'DISCONNECT', callId }));
      return jsonResponse({ data: { reportAttemptOutcome: { id: input.attemptId, state: ended ? 'ENDED' : 'CONNECTED', outcome: input.outcome } } });
    }
    if (operation === 'EndCall') return jsonResponse({ data: { endCall: { id: input.callId, connectorCallId: 'x', state: 'ENDED' } } });
    return jsonResponse({ data: null, errors: [{ message: `unexpected ${operation}`, extensions: { code: 'BAD_REQUEST' } }] });
  }) as unknown as typeof fetch;

  outcomesOf(destinationId: string): AttemptOutcome[] {
    return this.reported.filter((r) => r.attemptId.startsWith(`${destinationId}/`)).map((r) => r.outcome);
  }
}

describe('the simulator answering dials of particular destinations', () => {
  let url: string;
  let close: () => Promise<void>;
  const platform = new DialPlatform({
    '+441134960201': { destinationId: 'busy-by-id', number: '+15550001' },
    '+441134960202': { destinationId: 'other', number: '+15550002' },
    '+441134960203': { destinationId: 'plain', number: '+15550003' },
  });

  beforeAll(async () => {
    ({ url, close } = await instructionServer(platform.stream));
  });

  afterAll(async () => {
    await close();
  });

  it('reports the outcomes configured for a destination id or dialled number, and the general ones for the rest', async () => {
    const simulator = new Simulator(
      {
        connectorKey: 'ck', setAgentsAvailable: false, useFlows: true, flowNumbers: ['+441134960201', '+441134960202', '+441134960203'],
        calls: 30, rate: 1000, arrival: 'uniform', seed: 3, timeScale: 0.001, ringTimeSec: 1, talkTimeSec: 1, patienceSec: 0, subscribeSettleMs: 50,
        url,
        destination: { answer: 1, busy: 0, fail: 0 },
        perDestination: { 'busy-by-id': { answer: 0, busy: 1 }, '+15550002': { answer: 0, fail: 1 } },
      },
      { fetchImpl: platform.fetch },
    );
    const summary = await simulator.run(5_000);
    expect(summary).toMatchObject({ callsEnqueued: 30, errors: 0, activeCalls: 0 });
    for (const [id, outcome] of [['busy-by-id', 'BUSY'], ['other', 'FAILED'], ['plain', 'ANSWERED']] as const) {
      const outcomes = platform.outcomesOf(id);
      expect(outcomes.length).toBeGreaterThan(0);
      expect(new Set(outcomes)).toEqual(new Set([outcome]));
    }
  });
});

import type { TelephonyInstruction } from '../../simulator/connector-client';
import { InstructionStream, instructionServer, jsonResponse, operationOf } from '../support/fake-telephony';
import { Simulator } from '../../simulator/simulator';

/*
 * A flows run against a fake telephony side of the gateway: HTTP operations answered in process, instructions
 * over a real graphql-ws socket. Each service number stands for a published call flow.
 */

const RINGS = '+441134960100'; // plays a message, then rings an agent
const DISCONNECTS = '+441134960101'; // plays a message, then disconnects within startCall
const NO_FLOW = '+441134960102'; // no published flow: NOT_FOUND

class FakePlatform {
  readonly operations: string[] = [];
  readonly started: Array<{ connectorCallId: string; serviceNumber: string; callerNumber?: string }> = [];
  readonly stream = new InstructionStream();
  /** Whether a flow that disconnects within startCall also sends its DISCONNECT instruction. */
  sendDisconnect = true;
  /** Whether every instruction is sent twice (a redelivery), with its id. */
  duplicate = false;
  /** The instruction ids acknowledged explicitly. */
  readonly acknowledged: string[] = [];
  private calls = 0;
  private instructions = 0;

  readonly fetch = (async (_url: string, init: { body: string }) => {
    const { operation, input } = operationOf(init);
    this.operations.push(operation);
    if (operation === 'StartCall') {
      this.started.push(input as (typeof this.started)[number]);
      if (input.serviceNumber === NO_FLOW) {
        return jsonResponse({ data: null, errors: [{ message: 'Published call flow for this service number not found', extensions: { code: 'NOT_FOUND' } }] });
      }
      const callId = `call-${++this.calls}`;
      this.instruct(callId, 'PLAY_MESSAGE', { message: 'Welcome' });
      if (input.serviceNumber === DISCONNECTS) {
        if (this.sendDisconnect) this.instruct(callId, 'DISCONNECT', { message: 'closed' });
        return jsonResponse({ data: { startCall: { id: callId, connectorCallId: input.connectorCallId, state: 'FAILED' } } });
      }
      this.instruct(callId, 'RING_AGENT', { attemptId: `attempt-${callId}`, agentId: 'agent-1', ringTimeoutSec: 20 });
      return jsonResponse({ data: { startCall: { id: callId, connectorCallId: input.connectorCallId, state: 'OFFERING' } } });
    }
    if (operation === 'ReportAttemptOutcome') return jsonResponse({ data: { reportAttemptOutcome: { id: input.attemptId, state: 'CONNECTED', outcome: input.outcome } } });
    if (operation === 'AcknowledgeTelephonyInstructions') {
      const { ids } = (JSON.parse(init.body) as { variables: { ids: string[] } }).variables;
      this.acknowledged.push(...ids);
      return jsonResponse({ data: { acknowledgeTelephonyInstructions: ids.length } });
    }
    if (operation === 'EndCall') return jsonResponse({ data: { endCall: { id: input.callId, connectorCallId: 'x', state: 'ENDED' } } });
    return jsonResponse({ data: null, errors: [{ message: `unexpected ${operation}`, extensions: { code: 'BAD_REQUEST' } }] });
  }) as unknown as typeof fetch;

  private instruct(callId: string, kind: TelephonyInstruction['kind'], fields: Partial<TelephonyInstruction>): void {
    const instructionId = `i-${++this.instructions}`;
    this.stream.send({ instructionId, kind, callId, ...fields });
    if (this.duplicate) this.stream.send({ instructionId, kind, callId, ...fields });
  }
}

describe('the simulator driving call flows (--flows)', () => {
  let platform: FakePlatform;
  let url: string;
  let closeServer: () => Promise<void>;

  beforeEach(async () => {
    platform = new FakePlatform();
    ({ url, close: closeServer } = await instructionServer(platform.stream));
  });

  afterEach(async () => {
    await closeServer();
  });

  const options = {
    connectorKey: 'ck', setAgentsAvailable: false, useFlows: true, calls: 30, rate: 1000, arrival: 'uniform' as const, seed: 7,
    timeScale: 0.001, agent: { answer: 1, busy: 0, reject: 0 }, ringTimeSec: 1, talkTimeSec: 2, patienceSec: 0, subscribeSettleMs: 50,
  };

  it('sends every call with startCall to a flow number picked per call, and counts every call as before', async () => {
    const simulator = new Simulator({ ...options, url, flowNumbers: [RINGS, DISCONNECTS, NO_FLOW] }, { fetchImpl: platform.fetch });
    const summary = await simulator.run(5_000);

    // No login, no queues, no enqueueCall: only the telephony operations of flows (and the acknowledgement of
    // the instructions no outcome answers).
    expect(new Set(platform.operations)).toEqual(new Set(['StartCall', 'ReportAttemptOutcome', 'EndCall', 'AcknowledgeTelephonyInstructions']));
    expect(platform.started).toHaveLength(30);
    const to = (number: string): number => platform.started.filter((s) => s.serviceNumber === number).length;
    for (const number of [RINGS, DISCONNECTS, NO_FLOW]) expect(to(number)).toBeGreaterThan(0);
    expect(platform.started.every((s) => /^\+442079460\d{3}$/.test(s.callerNumber ?? ''))).toBe(true);

    expect(summary).toMatchObject({
      queues: 0, flowNumbers: 3, callsOffered: 30, callsEnqueued: to(RINGS) + to(DISCONNECTS), callsRefused: to(NO_FLOW),
      completed: to(RINGS), answeredByAgents: to(RINGS), disconnected: to(DISCONNECTS), abandoned: 0, callsLost: 0, activeCalls: 0,
      errors: to(NO_FLOW), errorsByCode: { NOT_FOUND: to(NO_FLOW) }, unknownInstructions: 0,
    });
    expect(summary.instructions.RING_AGENT).toBe(to(RINGS));
    // A disconnected call may finish (and the run end) before its messages arrive.
    expect(summary.instructions.PLAY_MESSAGE).toBeGreaterThanOrEqual(to(RINGS));
    expect(summary.instructions.PLAY_MESSAGE).toBeLessThanOrEqual(to(RINGS) + to(DISCONNECTS));
    expect(summary.instructions.DISCONNECT).toBeLessThanOrEqual(to(DISCONNECTS));
    expect(summary.outcomesReported.ANSWERED).toBe(to(RINGS));
  });

  it('picks the same flow number for each call under the same seed', async () => {
    const picks: string[][] = [];
    for (let run = 0; run < 2; run++) {
      platform.started.length = 0;
      const simulator = new Simulator({ ...options, url, calls: 12, flowNumbers: [RINGS, DISCONNECTS] }, { fetchImpl: platform.fetch });
      await simulator.run(5_000);
      picks.push(platform.started.map((s) => `${s.connectorCallId.replace(/^sim-\w+-/, '')}:${s.serviceNumber}`).sort());
    }
    expect(picks[0]).toHaveLength(12);
    expect(picks[1]).toEqual(picks[0]);
  });

  it('dials the service number alone without flow numbers', async () => {
    const simulator = new Simulator({ ...options, url, calls: 3, serviceNumber: DISCONNECTS }, { fetchImpl: platform.fetch });
    const summary = await simulator.run(5_000);
    expect(platform.started.map((s) => s.serviceNumber)).toEqual([DISCONNECTS, DISCONNECTS, DISCONNECTS]);
    expect(summary).toMatchObject({ flowNumbers: 1, callsEnqueued: 3, disconnected: 3, activeCalls: 0, errors: 0 });
  });

  it('counts a call answered FAILED (a flow disconnecting within startCall) as disconnected, with or without its DISCONNECT', async () => {
    platform.sendDisconnect = false;
    const simulator = new Simulator({ ...options, url, calls: 4, flowNumbers: [DISCONNECTS] }, { fetchImpl: platform.fetch });
    const summary = await simulator.run(5_000);
    expect(summary).toMatchObject({ callsEnqueued: 4, disconnected: 4, ended: 4, activeCalls: 0, errors: 0, endCallRaces: 0 });
    expect(summary.instructions.DISCONNECT).toBe(0);
  });

  it('drops an instruction id it already had (a redelivery) and acknowledges every delivery of the messages it played', async () => {
    platform.duplicate = true;
    const simulator = new Simulator({ ...options, url, calls: 10, flowNumbers: [RINGS] }, { fetchImpl: platform.fetch });
    const summary = await simulator.run(5_000);
    expect(summary).toMatchObject({ callsEnqueued: 10, completed: 10, errors: 0, unknownInstructions: 0, lateInstructions: 0 });
    expect(summary.instructions.RING_AGENT).toBe(10);
    expect(summary.instructions.PLAY_MESSAGE).toBe(10);
    expect(summary.outcomesReported.ANSWERED).toBe(10);
    // Each delivery of a PLAY_MESSAGE acknowledged, the redelivery too (its first acknowledgement may have been
    // lost); RING_AGENT is acknowledged by its outcome.
    expect(platform.acknowledged).toHaveLength(20);
    expect(new Set(platform.acknowledged).size).toBe(10);
  });
});

import type { ReturnCallInput } from '../../simulator/connector-client';
import { HAND_BACK_TOPICS, planHandBack } from '../../simulator/decisions';
import { mulberry32, type Rng } from '../../simulator/random';
import { Simulator } from '../../simulator/simulator';
import { resolveSimulatorConfig, SimulatorConfigError } from '../../simulator/simulator-config';
import { InstructionStream, instructionServer, jsonResponse, operationOf } from '../support/fake-telephony';

/** An Rng that returns the given draws in order. */
function fixed(...values: number[]): Rng {
  let i = 0;
  return { next: () => values[i++ % values.length]! };
}

/** An Rng that counts its draws. */
function counting(rng: Rng): Rng & { draws: number } {
  const counted = { draws: 0, next: () => (counted.draws++, rng.next()) };
  return counted;
}

describe('a destination handing the calls it answers back (planHandBack)', () => {
  it('hands back the configured share of the calls it answers, over many seeded calls', () => {
    for (const share of [0.1, 0.25, 0.5]) {
      const rng = mulberry32(2026);
      const n = 10_000;
      let handedBack = 0;
      for (let i = 0; i < n; i++) if (planHandBack(share, 20, 0.5, rng)) handedBack++;
      expect(Math.abs(handedBack / n - share)).toBeLessThan(0.02);
    }
  });

  it('never hands back with a share of 0, drawing nothing, and always with a share of 1', () => {
    const rng = counting(mulberry32(1));
    for (let i = 0; i < 100; i++) expect(planHandBack(0, 20, 0.5, rng)).toBeNull();
    expect(rng.draws).toBe(0);
    for (let i = 0; i < 100; i++) expect(planHandBack(1, 20, 0.5, rng)).not.toBeNull();
  });

  it('hands back after a conversation around the mean, with a reason and a summary of what the virtual agent learnt', () => {
    // Draws: the share (0.1 < 0.25: handed back), the topic (the first), the conversation (the mean).
    const plan = planHandBack(0.25, 20, 0.5, fixed(0.1, 0, 0.5))!;
    expect(plan.afterSec).toBe(20);
    expect(plan.reason).toBe(HAND_BACK_TOPICS[0]!.reason);
    expect(plan.context).toEqual([
      { key: 'bot.intent', value: 'billing' },
      { key: 'bot.summary', value: 'Virtual agent talked with the caller for 20 s: disputes the last invoice; account verified; caller asked for a person.' },
    ]);
    // A draw at or above the share keeps the call, after that one draw.
    const keeps = counting(fixed(0.25));
    expect(planHandBack(0.25, 20, 0.5, keeps)).toBeNull();
    expect(keeps.draws).toBe(1);
  });

  it('gives every topic a reason and a summary within the bounds of a call context', () => {
    const rng = mulberry32(5);
    for (let i = 0; i < 200; i++) {
      const plan = planHandBack(1, 600, 1, rng)!;
      expect(plan.reason.length).toBeGreaterThan(0);
      expect(plan.reason.length).toBeLessThanOrEqual(200);
      for (const entry of plan.context) {
        expect(entry.key).toMatch(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/);
        expect(entry.key.startsWith('gateway.')).toBe(false);
        expect(entry.value.length).toBeLessThanOrEqual(500);
      }
    }
  });

  it('decides the same way for the same seed', () => {
    const run = (seed: number) => {
      const rng = mulberry32(seed);
      return Array.from({ length: 50 }, () => planHandBack(0.3, 20, 0.5, rng));
    };
    expect(run(8)).toEqual(run(8));
    expect(run(8)).not.toEqual(run(9));
  });

  it('refuses a share outside 0-1 and a negative conversation, naming the destination', () => {
    const base = { url: 'http://127.0.0.1:4000/graphql', connectorKey: 'ck', useFlows: true, setAgentsAvailable: false };
    expect(resolveSimulatorConfig({ ...base, destination: { handBack: 0.25 }, perDestination: { ai: { handBack: 1 } } }, 1)).toMatchObject({
      destination: { handBack: 0.25 }, perDestination: { ai: { handBack: 1 } }, handBackAfterSec: 20, handBackQueueId: undefined,
    });
    let error: unknown;
    try {
      resolveSimulatorConfig({ ...base, destination: { handBack: 1.5 }, perDestination: { ai: { handBack: -0.1 } }, handBackAfterSec: -1 }, 1);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect((error as SimulatorConfigError).problems).toEqual(expect.arrayContaining([
      'destination: the share of answered calls handed back must be between 0 and 1 (got 1.5)',
      'destination ai: the share of answered calls handed back must be between 0 and 1 (got -0.1)',
      'handBackAfterSec must be a number of at least 0 (got -1)',
    ]));
  });
});

/**
 * A fake gateway: every call is dialled out to the AI agent (DIAL_EXTERNAL); a call it hands back rings an agent
 * (RING_AGENT) with the context the hand-back added and the gateway's own entries, as the gateway does.
 */
class HandBackPlatform {
  readonly stream = new InstructionStream();
  readonly returns: ReturnCallInput[] = [];
  readonly agentContexts: Array<Array<{ key: string; value: string }>> = [];
  /** Answer every returnCall with CONFLICT (a call handed back too often). */
  refuseReturns = false;
  private calls = 0;
  private instructions = 0;

  readonly fetch = (async (_url: string, init: { body: string }) => {
    const { operation, input } = operationOf(init);
    const variables = (JSON.parse(init.body) as { variables: { input: Record<string, unknown> } }).variables;
    if (operation === 'EnqueueCall') {
      const callId = `call-${++this.calls}`;
      this.send({ kind: 'DIAL_EXTERNAL', callId, attemptId: `ai/${callId}`, destinationId: 'ai', number: '+12125550100', ringTimeoutSec: 30 });
      return jsonResponse({ data: { enqueueCall: { id: callId, connectorCallId: input.connectorCallId, state: 'OFFERING' } } });
    }
    if (operation === 'ReportAttemptOutcome') {
      return jsonResponse({ data: { reportAttemptOutcome: { id: input.attemptId, state: 'CONNECTED', outcome: input.outcome } } });
    }
    if (operation === 'ReturnCall') {
      const returned = variables.input as unknown as ReturnCallInput;
      this.returns.push(returned);
      if (this.refuseReturns) {
        return jsonResponse({ data: null, errors: [{ message: 'The call was handed back 3 times already', extensions: { code: 'CONFLICT' } }] });
      }
      const callId = String(returned.attemptId).split('/')[1]!;
      const context = [...(returned.context ?? []), { key: 'gateway.returns', value: '1' }, { key: 'gateway.returnReason', value: returned.reason }];
      setImmediate(() => this.send({ kind: 'RING_AGENT', callId, attemptId: `agent/${callId}`, agentId: 'agent-1', ringTimeoutSec: 20, context }));
      return jsonResponse({ data: { returnCall: { id: callId, connectorCallId: 'x', state: 'QUEUED', returnCount: 1 } } });
    }
    if (operation === 'EndCall') return jsonResponse({ data: { endCall: { id: input.callId, connectorCallId: 'x', state: 'ENDED' } } });
    return jsonResponse({ data: null, errors: [{ message: `unexpected ${operation}`, extensions: { code: 'BAD_REQUEST' } }] });
  }) as unknown as typeof fetch;

  private send(fields: Omit<Parameters<InstructionStream['send']>[0], 'instructionId'>): void {
    if (fields.kind === 'RING_AGENT') this.agentContexts.push(fields.context ?? []);
    this.stream.send({ instructionId: `i-${++this.instructions}`, ...fields });
  }
}

describe('the simulator handing calls back for a destination (returnCall)', () => {
  let platform: HandBackPlatform;
  let url: string;
  let closeServer: () => Promise<void>;

  beforeEach(async () => {
    platform = new HandBackPlatform();
    ({ url, close: closeServer } = await instructionServer(platform.stream));
  });

  afterEach(async () => {
    await closeServer();
  });

  const options = {
    connectorKey: 'ck', setAgentsAvailable: false, queueIds: ['q-1'], rate: 1000, arrival: 'uniform' as const, seed: 12, timeScale: 0.001,
    agent: { answer: 1, busy: 0, reject: 0 }, destination: { answer: 1, busy: 0, fail: 0 }, ringTimeSec: 1, talkTimeSec: 2, handBackAfterSec: 5,
    patienceSec: 0, subscribeSettleMs: 50,
  };

  it('hands back the configured share of the calls the destination answers, with its reason and summary, and an agent then takes them', async () => {
    const simulator = new Simulator({ ...options, url, calls: 200, perDestination: { ai: { handBack: 0.25 } } }, { fetchImpl: platform.fetch });
    const summary = await simulator.run(10_000);

    expect(summary).toMatchObject({ callsEnqueued: 200, answeredByDestinations: 200, completed: 200, activeCalls: 0, errors: 0, handBacksRefused: 0 });
    // About a quarter: 200 seeded draws of a 25% share.
    expect(summary.handedBack).toBeGreaterThanOrEqual(30);
    expect(summary.handedBack).toBeLessThanOrEqual(70);
    expect(platform.returns).toHaveLength(summary.handedBack);
    // Each hand-back names the destination's connected attempt, once, with a reason and the summary of the conversation.
    expect(new Set(platform.returns.map((r) => r.attemptId)).size).toBe(platform.returns.length);
    for (const r of platform.returns) {
      expect(String(r.attemptId)).toMatch(/^ai\/call-\d+$/);
      expect(HAND_BACK_TOPICS.map((t) => t.reason)).toContain(r.reason);
      expect(r.context?.map((e) => e.key)).toEqual(['bot.intent', 'bot.summary']);
      expect(r.queueId).toBeUndefined();
    }
    // Every call handed back was then answered by an agent, who was rung with what the virtual agent learnt.
    expect(summary.answeredByAgentsAfterHandBack).toBe(summary.handedBack);
    expect(summary.outcomesReported.ANSWERED).toBe(200 + summary.handedBack);
    expect(platform.agentContexts.every((c) => c.some((e) => e.key === 'bot.summary') && c.some((e) => e.key === 'gateway.returnReason'))).toBe(true);
  });

  it('hands back nothing without a share, and every answered call with a share of 1 to the queue named', async () => {
    const none = await new Simulator({ ...options, url, calls: 20 }, { fetchImpl: platform.fetch }).run(5_000);
    expect(none).toMatchObject({ callsEnqueued: 20, handedBack: 0, completed: 20, errors: 0 });
    expect(platform.returns).toEqual([]);

    const all = await new Simulator({ ...options, url, calls: 20, destination: { ...options.destination, handBack: 1 }, handBackQueueId: 'q-agents' }, { fetchImpl: platform.fetch })
      .run(5_000);
    expect(all).toMatchObject({ callsEnqueued: 20, handedBack: 20, answeredByAgentsAfterHandBack: 20, completed: 20, errors: 0 });
    expect(platform.returns.map((r) => r.queueId)).toEqual(Array(20).fill('q-agents'));
  });

  it('keeps the caller with the destination when the gateway refuses the hand-back, and ends the call after the conversation', async () => {
    platform.refuseReturns = true;
    const races: string[] = [];
    const simulator = new Simulator({ ...options, url, calls: 10, perDestination: { ai: { handBack: 1 } } }, { fetchImpl: platform.fetch });
    simulator.on('race', (operation, code) => races.push(`${operation} ${code}`));
    const summary = await simulator.run(5_000);
    expect(summary).toMatchObject({ callsEnqueued: 10, handedBack: 0, handBacksRefused: 10, completed: 10, activeCalls: 0, errors: 0 });
    expect(races).toEqual(Array(10).fill('returnCall CONFLICT'));
    expect(summary.instructions.RING_AGENT).toBe(0);
  });
});

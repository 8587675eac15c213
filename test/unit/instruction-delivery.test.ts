import type { ConnectorPrincipal } from '../../src/auth/principal';
import type { CompanyModel } from '../../src/live/company-model';
import type { LiveModels } from '../../src/live/live-models';
import { createLogger } from '../../src/logger';
import { ManualScheduler } from '../../src/platform/scheduler';
import { openEventBus, type EventBus, type TelephonyInstructionEvent } from '../../src/realtime/event-bus';
import { InstructionDelivery, MemoryInstructionLog } from '../../src/services/instruction-delivery';
import { MemoryConnectorSessionStore } from '../../src/store/connector-session-store';

const C = 'company-1';

/** The company's authority as the delivery asks it: which keys are valid, and whether it is being read again. */
class FakeAuthority {
  readonly revoked = new Set<string>();
  /** While set, the company is being read again: peek has nothing and get waits for it. */
  reading: { promise: Promise<void>; done: () => void } | null = null;
  private readonly model = { keyValid: (keyId: string) => !this.revoked.has(keyId) } as unknown as CompanyModel;

  readonly models = {
    peek: () => (this.reading === null ? this.model : undefined),
    get: async () => {
      if (this.reading !== null) await this.reading.promise;
      return this.model;
    },
  } as unknown as LiveModels;

  startReading(): void {
    let done!: () => void;
    const promise = new Promise<void>((resolve) => (done = resolve));
    this.reading = { promise, done };
  }

  finishReading(): void {
    const reading = this.reading;
    this.reading = null;
    reading?.done();
  }
}

const instruction = (n: number): TelephonyInstructionEvent => ({
  instructionId: `i${n}`, kind: 'PLAY_MESSAGE', callId: `call-${n}`, attemptId: null, agentId: null, destinationId: null, number: null,
  ringTimeoutSec: null, message: `message ${n}`, context: null, endReason: null, issuedAt: n,
});

/** A connector session: what it received, and how to end it. */
async function open(delivery: InstructionDelivery, keyId: string, acknowledges = false) {
  const received: string[] = [];
  const principal: ConnectorPrincipal = { kind: 'connector', companyId: C, keyId };
  const iterator = delivery.session(principal, null, acknowledges)[Symbol.asyncIterator]();
  const pump = (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      received.push(next.value.instructionId);
    }
  })();
  // The session is registered once the iterator runs; give it the turn it needs.
  for (let i = 0; i < 10; i += 1) await new Promise((r) => setImmediate(r));
  return {
    received,
    close: async () => {
      await iterator.return?.();
      await pump;
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !condition(); i += 1) await new Promise((r) => setImmediate(r));
  if (!condition()) throw new Error('condition not reached');
}

describe('InstructionDelivery', () => {
  let bus: EventBus;
  let sessions: MemoryConnectorSessionStore;
  let authority: FakeAuthority;
  let delivery: InstructionDelivery;

  beforeEach(async () => {
    bus = await openEventBus(null, 'test');
    sessions = new MemoryConnectorSessionStore();
    authority = new FakeAuthority();
    delivery = new InstructionDelivery(bus, sessions, authority.models, new ManualScheduler(), createLogger('silent'));
  });
  afterEach(async () => {
    await bus.close();
  });

  it('addresses each instruction to the next live session in turn, so no session takes them all', async () => {
    const [a, b] = [await open(delivery, 'k1'), await open(delivery, 'k2')];
    for (let n = 1; n <= 6; n += 1) await delivery.send(C, instruction(n));
    await until(() => a.received.length + b.received.length === 6);
    expect([a.received.length, b.received.length]).toEqual([3, 3]);
    await a.close();
    await b.close();
  });

  it('never addresses a session whose key was revoked, even while the session is still registered', async () => {
    const [valid, revoked] = [await open(delivery, 'k1'), await open(delivery, 'k2')];
    authority.revoked.add('k2');
    expect((await sessions.candidates(C)).sessions.map((s) => s.keyId).sort()).toEqual(['k1', 'k2']);
    for (let n = 1; n <= 4; n += 1) await delivery.send(C, instruction(n));
    await until(() => valid.received.length === 4);
    expect(revoked.received).toEqual([]);
    await valid.close();
    await revoked.close();
  });

  it('drops at delivery an instruction addressed to a session whose key was revoked after it was addressed', async () => {
    const [valid, revoked] = [await open(delivery, 'k1'), await open(delivery, 'k2')];
    const { sessions: live } = await sessions.candidates(C);
    const sessionOf = (keyId: string) => live.find((s) => s.keyId === keyId)!.sessionId;
    authority.revoked.add('k2');
    // Addressed (by another instance, say) before it heard of the revocation; then one for the valid session.
    bus.publishInstruction(C, { ...instruction(1), sessionId: sessionOf('k2') });
    bus.publishInstruction(C, { ...instruction(2), sessionId: sessionOf('k1') });
    await until(() => valid.received.length === 1);
    expect(revoked.received).toEqual([]);
    await valid.close();
    await revoked.close();
  });

  it('holds deliveries, in order, while the company\'s authority is being read again, and then delivers only to valid keys', async () => {
    const [valid, revoked] = [await open(delivery, 'k1'), await open(delivery, 'k2')];
    const { sessions: live } = await sessions.candidates(C);
    const sessionOf = (keyId: string) => live.find((s) => s.keyId === keyId)!.sessionId;
    authority.startReading();
    bus.publishInstruction(C, { ...instruction(1), sessionId: sessionOf('k1') });
    bus.publishInstruction(C, { ...instruction(2), sessionId: sessionOf('k2') });
    bus.publishInstruction(C, { ...instruction(3), sessionId: sessionOf('k1') });
    for (let i = 0; i < 20; i += 1) await new Promise((r) => setImmediate(r));
    expect(valid.received).toEqual([]);
    // The change being read was the revocation of k2.
    authority.revoked.add('k2');
    authority.finishReading();
    await until(() => valid.received.length === 2);
    expect(valid.received).toEqual(['i1', 'i3']);
    expect(revoked.received).toEqual([]);
    await valid.close();
    await revoked.close();
  });

  it('forgets a session that ended, so instructions go to the others', async () => {
    const [a, b] = [await open(delivery, 'k1'), await open(delivery, 'k2')];
    await b.close();
    for (let n = 1; n <= 3; n += 1) await delivery.send(C, instruction(n));
    await until(() => a.received.length === 3);
    expect(b.received).toEqual([]);
    await a.close();
  });
});

describe('InstructionDelivery at least once (an instruction log in memory)', () => {
  let bus: EventBus;
  let scheduler: ManualScheduler;
  let log: MemoryInstructionLog;
  let delivery: InstructionDelivery;

  beforeEach(async () => {
    bus = await openEventBus(null, 'test');
    scheduler = new ManualScheduler();
    log = new MemoryInstructionLog();
    delivery = new InstructionDelivery(bus, new MemoryConnectorSessionStore(() => scheduler.now()), new FakeAuthority().models, scheduler, createLogger('silent'), log, {
      redeliverAfterMs: 5_000, sweepMs: 1_000, maxDeliveries: 3,
    });
  });
  afterEach(async () => {
    await bus.close();
  });

  it('delivers again, in seq order and with the same ids, what is not acknowledged in time, to another session, a bounded number of times', async () => {
    const [a, b] = [await open(delivery, 'k1'), await open(delivery, 'k2')];
    for (let n = 1; n <= 4; n += 1) await delivery.send(C, instruction(n));
    await until(() => a.received.length + b.received.length === 4);
    await delivery.acknowledge(C, ['i1', 'i2']);
    await scheduler.advance(4_000);
    expect(a.received.length + b.received.length).toBe(4);
    const firstOf = (id: string) => (a.received.includes(id) ? a : b);
    const [had3, had4] = [firstOf('i3'), firstOf('i4')];
    await scheduler.advance(1_000);
    await until(() => a.received.length + b.received.length === 6);
    // Each went to the session that had not had it.
    expect(had3 === a ? b.received : a.received).toContain('i3');
    expect(had4 === a ? b.received : a.received).toContain('i4');
    // Bounded: three deliveries each, then no more.
    await scheduler.advance(60_000);
    await until(() => a.received.length + b.received.length === 8);
    await scheduler.advance(60_000);
    expect(a.received.length + b.received.length).toBe(8);
    expect([...a.received, ...b.received].filter((id) => id === 'i1' || id === 'i2')).toHaveLength(2);
    await a.close();
    await b.close();
  });

  it('sends a new session the outstanding instructions first, in seq order, after a seq when asked', async () => {
    for (let n = 1; n <= 3; n += 1) await delivery.send(C, instruction(n));
    await delivery.acknowledge(C, ['i2']);
    const s = await open(delivery, 'k1');
    await until(() => s.received.length === 2);
    expect(s.received).toEqual(['i1', 'i3']);
    const seqs = (await log.outstanding(C, null)).map((r) => r.instruction.seq);
    expect(seqs).toEqual([1, 3]);
    expect((await log.outstanding(C, 1)).map((r) => r.instruction.instructionId)).toEqual(['i3']);
    await s.close();
  });

  it('marks a CANCEL_ATTEMPT, DISCONNECT or PLAY_MESSAGE delivered to a session that acknowledges as acknowledged only explicitly, a RING_AGENT never, and follows the session it goes to', async () => {
    const acknowledging = await open(delivery, 'k1', true);
    const kinds = ['PLAY_MESSAGE', 'CANCEL_ATTEMPT', 'DISCONNECT', 'RING_AGENT'] as const;
    for (const [n, kind] of kinds.entries()) await delivery.send(C, { ...instruction(n + 1), kind });
    await until(() => acknowledging.received.length === 4);
    const marks = async () => Object.fromEntries((await log.outstanding(C, null)).map((r) => [r.instruction.kind, r.explicitAck]));
    expect(await marks()).toEqual({ PLAY_MESSAGE: true, CANCEL_ATTEMPT: true, DISCONNECT: true, RING_AGENT: false });
    // Gone without acknowledging: the next delivery, to a session that does not acknowledge, leaves them to the records.
    await acknowledging.close();
    const old = await open(delivery, 'k2');
    await until(() => old.received.length === 4);
    expect(await marks()).toEqual({ PLAY_MESSAGE: false, CANCEL_ATTEMPT: false, DISCONNECT: false, RING_AGENT: false });
    await old.close();
  });

  it('prunes acknowledged instructions after the retention and outstanding ones after a week, in batches', async () => {
    const hour = 3_600_000;
    const pruned = new InstructionDelivery(bus, new MemoryConnectorSessionStore(() => scheduler.now()), new FakeAuthority().models, scheduler, createLogger('silent'), log, {
      acknowledgedRetentionMs: 24 * hour, outstandingRetentionMs: 7 * 24 * hour, pruneBatch: 2,
    });
    for (let n = 1; n <= 4; n += 1) await pruned.send(C, instruction(n));
    await pruned.acknowledge(C, ['i1', 'i2', 'i3']);
    await scheduler.advance(23 * hour);
    await pruned.send(C, instruction(5));
    await pruned.acknowledge(C, ['i5']);
    expect(await pruned.prune()).toBe(0);
    await scheduler.advance(2 * hour);
    // i1-i3 acknowledged 25 h ago (two statements of two); i5 an hour ago; i4 outstanding for 25 h.
    expect(await pruned.prune()).toBe(3);
    expect((await log.outstanding(C, null)).map((r) => r.instruction.instructionId)).toEqual(['i4']);
    await scheduler.advance(6 * 24 * hour);
    expect(await pruned.prune()).toBe(2);
    expect(await log.outstanding(C, null)).toEqual([]);
    // The seq goes on from where it was.
    await pruned.send(C, instruction(6));
    expect((await log.outstanding(C, null)).map((r) => r.instruction.seq)).toEqual([6]);
  });
});

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
  ringTimeoutSec: null, message: `message ${n}`, issuedAt: n,
});

/** A connector session: what it received, and how to end it. */
async function open(delivery: InstructionDelivery, keyId: string) {
  const received: string[] = [];
  const principal: ConnectorPrincipal = { kind: 'connector', companyId: C, keyId };
  const iterator = delivery.session(principal)[Symbol.asyncIterator]();
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
});


import { randomUUID } from 'node:crypto';
import { CallAttempt } from '../../../src/entities/call.entity';
import { REPAIR_EVERY_MS, REPAIR_GRACE_MS } from '../../../src/engine/repair';
import { EngineWorld } from './world';

/*
 * Repair sweeps (decision 020): an agent held for a call with no open attempt of it, and a slot leased for an
 * attempt that is not open, are freed once they have stayed unexplained for the grace period, at most grace +
 * one sweep interval after they became so; an offer between claim and commit, and what an open attempt
 * explains, are never touched. The engine's own sweep is off here, so what the repair frees is routed by the
 * repair itself.
 */

/** The stated bound: a reservation or slot nothing explains is repaired within this time. */
const BOUND_MS = REPAIR_GRACE_MS + REPAIR_EVERY_MS;

describe('repair sweeps, on a virtual clock', () => {
  let w: EngineWorld;
  beforeEach(async () => {
    w = await EngineWorld.create({ routing: { repairMs: REPAIR_EVERY_MS } });
  });
  afterEach(async () => {
    await w?.close();
  });

  /** The state an instance leaves when it dies between claiming the agent for a call and committing the offer. */
  const reserveWithoutOffer = (agentId: string, callId: string) =>
    w.live.agents.compareAndSet(w.company, agentId, {}, { status: 'AVAILABLE', activity: 'RESERVED', callId });

  /** Moves the clock and lets what the loops started settle. */
  const advance = async (ms: number) => {
    await w.advance(ms);
    await w.settle();
  };

  it('sets an agent reserved for a call whose offer was never committed back to IDLE within the bound, and then offers it calls', async () => {
    const agent = await w.agent('Ada', 'ON_BREAK');
    const queue = await w.queue([{ groupId: await w.group([agent]) }], { agentRingTimeoutSec: 30 });
    const call = await w.enqueue(queue);
    await w.settle();
    expect(w.of('RING_AGENT', call.id)).toHaveLength(0);

    // The claim went through, then the instance died: the call still waits, the agent is reserved for it.
    const reserved = await reserveWithoutOffer(agent, call.id);
    expect(reserved).toMatchObject({ activity: 'RESERVED', callId: call.id });
    expect(await w.attempts(call.id)).toHaveLength(0);

    await advance(REPAIR_GRACE_MS - 1);
    expect(await w.agentLive(agent)).toMatchObject({ activity: 'RESERVED', callId: call.id, seq: reserved!.seq });

    await advance(BOUND_MS - (REPAIR_GRACE_MS - 1));
    const ring = await w.instructed('RING_AGENT', call.id);
    expect(ring.agentId).toBe(agent);
    expect(await w.agentLive(agent)).toMatchObject({ activity: 'RINGING', callId: call.id });
    expect(await w.attempts(call.id)).toEqual([expect.objectContaining({ state: 'RINGING', agentId: agent })]);
  });

  it('frees an agent held for a call that is gone (a late duplicate effect) within the bound', async () => {
    const agent = await w.agent('Bea');
    const ghost = randomUUID();
    await w.live.agents.compareAndSet(w.company, agent, {}, { activity: 'ON_CALL', callId: ghost });
    await advance(BOUND_MS);
    expect(await w.agentLive(agent)).toMatchObject({ status: 'AVAILABLE', activity: 'IDLE', callId: null });
  });

  it('releases a slot leased for an attempt id that is not open within the bound, and then dials through it', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 1 });
    const ref = { companyId: w.company, destinationId: d };
    const ghost = randomUUID();
    expect(await w.live.capacity.acquire(ref, ghost, 1)).toBe(true);
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    const call = await w.enqueue(queue);
    await w.settle();
    expect(w.of('DIAL_EXTERNAL', call.id)).toHaveLength(0);

    await advance(REPAIR_GRACE_MS - 1);
    expect(await w.live.capacity.holders(ref)).toEqual([ghost]);

    await advance(BOUND_MS - (REPAIR_GRACE_MS - 1));
    const dial = await w.instructed('DIAL_EXTERNAL', call.id);
    expect(await w.live.capacity.holders(ref)).toEqual([dial.attemptId]);
  });

  it('does not free an agent whose offer is in flight (claimed, not yet committed) before the grace period, nor once it commits', async () => {
    const agent = await w.agent('Cy', 'ON_BREAK');
    const queue = await w.queue([{ groupId: await w.group([agent]) }], { agentRingTimeoutSec: 300 });
    const call = await w.enqueue(queue);
    await w.settle();
    const reserved = await reserveWithoutOffer(agent, call.id);

    // Just short of the grace period the claim stands, whatever the phase of the sweep.
    await advance(REPAIR_GRACE_MS - 1);
    expect(await w.agentLive(agent)).toMatchObject({ activity: 'RESERVED', callId: call.id, seq: reserved!.seq });

    // The offer commits late: its attempt explains the agent from then on.
    await w.dataSource.getRepository(CallAttempt).insert({
      companyId: w.company, callId: call.id, targetKind: 'AGENT', agentId: agent, destinationId: null, number: null,
      state: 'RINGING', outcome: null, ringTimeoutSec: 600, startedAt: new Date(w.clock.now()), answeredAt: null, endedAt: null,
    });
    const ringing = await w.live.agents.compareAndSet(w.company, agent, { activity: ['RESERVED'], callId: call.id }, { activity: 'RINGING' });
    await advance(3 * BOUND_MS);
    expect(await w.agentLive(agent)).toMatchObject({ activity: 'RINGING', callId: call.id, seq: ringing!.seq });
  });

  it('never touches an agent ringing or talking for an open attempt, nor the slot of a connected attempt', async () => {
    const agent = await w.agent('Dee');
    const d = await w.destination({ maxSimultaneousCalls: 1 });
    const toAgent = await w.queue([{ groupId: await w.group([agent]) }], { agentRingTimeoutSec: 300 });
    const toDestination = await w.queue([{ groupId: await w.group([], [d]) }]);

    const agentCall = await w.enqueue(toAgent);
    await w.instructed('RING_AGENT', agentCall.id);
    const ringing = await w.agentLive(agent);
    expect(ringing).toMatchObject({ activity: 'RINGING', callId: agentCall.id });
    await advance(BOUND_MS + REPAIR_EVERY_MS);
    expect(await w.agentLive(agent)).toEqual(ringing);

    const agentAttempt = (await w.attempts(agentCall.id))[0]!;
    await w.outcome(agentAttempt.id, 'ANSWERED');
    const talking = await w.agentLive(agent);
    expect(talking).toMatchObject({ activity: 'ON_CALL', callId: agentCall.id });

    const destinationCall = await w.enqueue(toDestination);
    const dial = await w.instructed('DIAL_EXTERNAL', destinationCall.id);
    await w.outcome(dial.attemptId!, 'ANSWERED');
    // Lease renewal is off here: stay inside the lease time, past the repair bound.
    await advance(BOUND_MS + REPAIR_EVERY_MS);
    expect(await w.agentLive(agent)).toEqual(talking);
    expect(await w.live.capacity.holders({ companyId: w.company, destinationId: d })).toEqual([dial.attemptId]);
    expect(await w.slots(d)).toEqual({ connecting: 0, active: 1 });
  });
});

import type { CallFlowNodeFields } from '../../../src/services/call-flow.service';
import { EngineWorld } from './world';

/*
 * Call flows (DOMAIN.md §3 rule 7, decisions 006 and 014) on the engine in process with a virtual clock:
 * schedules read at the clock's instants, WAIT pauses and ring times ended by timers the clock fires.
 */

const HOURS = [{ daysOfWeek: [1, 2, 3, 4, 5], startTime: '09:00', endTime: '17:00' }];

/** Monday 15 June 2026, 16:59:59 in London (BST): the last second of office hours. */
const LAST_OPEN_SECOND = Date.parse('2026-06-15T15:59:59Z');

describe('call flows on a virtual clock', () => {
  let w: EngineWorld;
  beforeAll(async () => {
    w = await EngineWorld.create({ startAt: LAST_OPEN_SECOND, routing: { maxNodeVisits: 3 } });
  });
  afterAll(async () => {
    await w?.close();
  });

  const flowWords = async (callId: string) => (await w.traceOf(callId)).filter((e) => e.step === 'FLOW').map((e) => e.summary).join('\n');

  /** START -> QUEUE (Full / Timeout / NoAgents -> ai); ai: LimitReached or Busy -> sorry -> bye. */
  async function overflowFlow(queueSettings: Record<string, number>, agentStatus: 'AVAILABLE' | 'ON_BREAK' | 'LOGGED_OUT') {
    const ai = await w.destination({ maxSimultaneousCalls: 5 });
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Agent', agentStatus)]) }], queueSettings);
    const serviceNumber = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue, branches: [{ name: 'Full', to: 'ai' }, { name: 'Timeout', to: 'ai' }, { name: 'NoAgents', to: 'ai' }] },
      { id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ai, branches: [{ name: 'LimitReached', to: 'sorry' }, { name: 'Busy', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'Please call again later.', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    return { serviceNumber, ai };
  }

  /** START -> ext (every branch wired) -> sorry -> bye. */
  async function directFlow(destination: Parameters<EngineWorld['destination']>[0]) {
    const d = await w.destination(destination);
    const serviceNumber = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
      {
        id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: d,
        branches: [{ name: 'LimitReached', to: 'full' }, { name: 'Busy', to: 'busy' }, { name: 'Timeout', to: 'late' }, { name: 'Failure', to: 'broken' }],
      },
      { id: 'full', type: 'PLAY_MESSAGE', message: 'full', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'busy', type: 'PLAY_MESSAGE', message: 'busy', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'late', type: 'PLAY_MESSAGE', message: 'late', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'broken', type: 'PLAY_MESSAGE', message: 'broken', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    return { serviceNumber, d };
  }

  const messages = (callId: string) => w.of('PLAY_MESSAGE', callId).map((i) => i.message);

  it('sends a call in office hours to the queue and one a second later, out of hours, to the partner destination', async () => {
    expect(w.clock.now()).toBe(LAST_OPEN_SECOND);
    const partner = await w.destination({ maxSimultaneousCalls: 5 });
    const agent = await w.agent('Day agent');
    const queue = await w.queue([{ groupId: await w.group([agent]) }]);
    const nodes: CallFlowNodeFields[] = [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'hours' }] },
      { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [await w.timeRange(HOURS)], branches: [{ name: 'Match1', to: 'queue' }, { name: 'NotMatched', to: 'partner' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue },
      { id: 'partner', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: partner, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ];
    const serviceNumber = await w.flow(nodes);
    // Configuration took no virtual time: still the last open second.
    const open = await w.startCall(serviceNumber);
    expect((await w.instructed('RING_AGENT', open.id)).agentId).toBe(agent);
    expect(await flowWords(open.id)).toMatch(/took Match1: within Mon-Fri 09:00-17:00 Europe\/London/);

    await w.advance(1_000);
    const closed = await w.startCall(serviceNumber);
    expect((await w.instructed('DIAL_EXTERNAL', closed.id)).destinationId).toBe(partner);
    expect(await flowWords(closed.id)).toMatch(/took NotMatched: outside Mon-Fri 09:00-17:00 Europe\/London/);
  });

  it('lets a holiday list override a working day', async () => {
    const partner = await w.destination({ maxSimultaneousCalls: 5 });
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Day agent')]) }]);
    const serviceNumber = await w.flow([
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'holiday' }] },
      { id: 'holiday', type: 'BRANCH_ON_HOLIDAY', holidayListId: await w.holidays(['2026-06-15']), branches: [{ name: 'Holiday', to: 'partner' }, { name: 'NotHoliday', to: 'queue' }] },
      { id: 'queue', type: 'QUEUE', queueId: queue },
      { id: 'partner', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: partner, branches: [{ name: 'LimitReached', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ]);
    const call = await w.startCall(serviceNumber);
    expect((await w.instructed('DIAL_EXTERNAL', call.id)).destinationId).toBe(partner);
    expect(await flowWords(call.id)).toMatch(/took Holiday/);
  });

  describe('WAIT nodes', () => {
    async function waitingFlow() {
      const d = await w.destination({ maxSimultaneousCalls: 5 });
      const serviceNumber = await w.flow([
        { id: 'start', type: 'START', branches: [{ name: 'next', to: 'pause' }] },
        { id: 'pause', type: 'WAIT', waitSec: 30, branches: [{ name: 'next', to: 'ext' }] },
        { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: d, branches: [{ name: 'LimitReached', to: 'bye' }] },
        { id: 'bye', type: 'DISCONNECT' },
      ]);
      return { serviceNumber, d };
    }

    it('pauses a call for waitSec, sending nothing, then goes on by the next branch', async () => {
      const { serviceNumber, d } = await waitingFlow();
      const call = await w.startCall(serviceNumber);
      expect(call).toMatchObject({ state: 'QUEUED', flowNodeId: 'pause' });
      await w.advance(29_900);
      await w.settle();
      expect(w.sent.filter((i) => i.callId === call.id)).toEqual([]);
      await w.advance(100);
      expect((await w.instructed('DIAL_EXTERNAL', call.id)).destinationId).toBe(d);
    });

    it('ends a call whose caller hangs up during the pause, and its timer then does nothing', async () => {
      const { serviceNumber } = await waitingFlow();
      const call = await w.startCall(serviceNumber);
      expect((await w.endCall(call.id, 'CALLER_HUNG_UP')).state).toBe('ABANDONED');
      await w.advance(30_000);
      await w.settle();
      expect(w.sent.filter((i) => i.callId === call.id)).toEqual([]);
      expect(await w.callRow(call.id)).toMatchObject({ state: 'ABANDONED', flowNodeId: 'pause' });
    });

    it('disconnects a call the next time it arrives at a node it already reached maxNodeVisits times', async () => {
      const d = await w.destination({ maxSimultaneousCalls: 5, busyBackoffSec: 600 });
      const serviceNumber = await w.flow([
        { id: 'start', type: 'START', branches: [{ name: 'next', to: 'ext' }] },
        { id: 'ext', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: d, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'pause' }] },
        { id: 'pause', type: 'WAIT', waitSec: 5, branches: [{ name: 'next', to: 'ext' }] },
        { id: 'bye', type: 'DISCONNECT' },
      ]);
      const call = await w.startCall(serviceNumber);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', call.id)).attemptId!, 'BUSY');
      const arrivalsAtExt = async () => (await w.traceOf(call.id)).filter((e) => e.step === 'FLOW' && e.facts?.node?.id === 'ext' && e.facts.node.arrived).length;
      await w.until(async () => (await w.callRow(call.id)).flowNodeId === 'pause', 'the call pauses after the busy outcome');
      expect(await arrivalsAtExt()).toBe(1);
      // Arrivals 2 and 3 at ext: Busy at once (backed off), without dialling, and back to the pause.
      for (let round = 2; round <= 3; round += 1) {
        await w.advance(5_000);
        await w.until(async () => (await arrivalsAtExt()) === round, `arrival ${round} at ext`);
        await w.until(async () => (await w.callRow(call.id)).flowNodeId === 'pause', `the pause after arrival ${round}`);
        expect((await w.callRow(call.id)).state).toBe('QUEUED');
      }
      expect(w.of('DISCONNECT', call.id)).toHaveLength(0);
      await w.advance(5_000);
      await w.instructed('DISCONNECT', call.id);
      expect(await w.callRow(call.id)).toMatchObject({ state: 'FAILED', endReason: 'DISCONNECTED' });
      expect(w.of('DIAL_EXTERNAL', call.id)).toHaveLength(1);
    });
  });

  describe('Queue nodes', () => {
    it('takes Full when the queue is at its maxQueueLength', async () => {
      const { serviceNumber, ai } = await overflowFlow({ maxQueueLength: 1 }, 'ON_BREAK');
      const waiting = await w.startCall(serviceNumber);
      expect(waiting.state).toBe('QUEUED');
      const overflowed = await w.startCall(serviceNumber);
      expect((await w.instructed('DIAL_EXTERNAL', overflowed.id)).destinationId).toBe(ai);
      expect(await flowWords(overflowed.id)).toMatch(/took Full/);
      expect(w.of('DIAL_EXTERNAL', waiting.id)).toHaveLength(0);
    });

    it('takes NoAgents at once when no agent of the queue is logged in', async () => {
      const { serviceNumber, ai } = await overflowFlow({}, 'LOGGED_OUT');
      const call = await w.startCall(serviceNumber);
      expect((await w.instructed('DIAL_EXTERNAL', call.id)).destinationId).toBe(ai);
      expect(await flowWords(call.id)).toMatch(/took NoAgents/);
    });

    it('takes Timeout when the call has waited the queue\'s maxWaitSec, by its timer', async () => {
      const { serviceNumber, ai } = await overflowFlow({ maxWaitSec: 10 }, 'ON_BREAK');
      const call = await w.startCall(serviceNumber);
      await w.advance(9_900);
      await w.settle();
      expect(w.of('DIAL_EXTERNAL', call.id)).toHaveLength(0);
      await w.advance(100);
      expect((await w.instructed('DIAL_EXTERNAL', call.id)).destinationId).toBe(ai);
      expect(await w.story(call.id)).toMatch(/leaves the queue by its Timeout branch[\s\S]*took Timeout/);
    });
  });

  describe('RouteToExternalDestination nodes (rule 7)', () => {
    it('takes LimitReached when the destination is full, without dialling', async () => {
      const { serviceNumber } = await directFlow({ maxSimultaneousCalls: 1 });
      const first = await w.startCall(serviceNumber);
      await w.instructed('DIAL_EXTERNAL', first.id);
      const second = await w.startCall(serviceNumber);
      expect(second).toMatchObject({ state: 'FAILED', endReason: 'DISCONNECTED' });
      expect(messages(second.id)).toEqual(['full']);
      expect(w.of('DIAL_EXTERNAL', second.id)).toHaveLength(0);
      expect(await w.story(second.id)).toMatch(/at capacity 1\/1: LimitReached/);
    });

    it('takes Busy on a busy outcome, backing the destination off, and at once without dialling while it is backed off', async () => {
      const { serviceNumber, d } = await directFlow({ maxSimultaneousCalls: 5, busyBackoffSec: 600 });
      const first = await w.startCall(serviceNumber);
      const busyAt = w.clock.now();
      await w.outcome((await w.instructed('DIAL_EXTERNAL', first.id)).attemptId!, 'BUSY');
      expect(messages(first.id)).toEqual(['busy']);
      expect((await w.health(d)).backedOffUntil).toBe(busyAt + 600_000);

      const second = await w.startCall(serviceNumber);
      expect(second.state).toBe('FAILED');
      expect(messages(second.id)).toEqual(['busy']);
      expect(w.of('DIAL_EXTERNAL', second.id)).toHaveLength(0);
      expect(await w.story(second.id)).toMatch(/taken out of the pool \(backed off until \d\d:\d\d:\d\d UTC\): Busy without dialling/);
    });

    it('takes Timeout when its ring timer fires at the destination\'s outdialTimeoutSec', async () => {
      const { serviceNumber } = await directFlow({ maxSimultaneousCalls: 5, outdialTimeoutSec: 8 });
      const call = await w.startCall(serviceNumber);
      const dial = await w.instructed('DIAL_EXTERNAL', call.id);
      await w.advance(7_900);
      await w.settle();
      expect(messages(call.id)).toEqual([]);
      await w.advance(100);
      await w.instructed('DISCONNECT', call.id);
      expect(messages(call.id)).toEqual(['late']);
      expect(w.of('CANCEL_ATTEMPT', call.id).map((i) => i.attemptId)).toEqual([dial.attemptId]);
      // The connector is told to stop ringing before it hears where the call goes next.
      const order = w.sent.filter((i) => i.callId === call.id).map((i) => i.kind);
      expect(order).toEqual(['DIAL_EXTERNAL', 'CANCEL_ATTEMPT', 'PLAY_MESSAGE', 'DISCONNECT']);
    });

    it('takes Failure on a rejected outcome', async () => {
      const { serviceNumber } = await directFlow({ maxSimultaneousCalls: 5 });
      const call = await w.startCall(serviceNumber);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', call.id)).attemptId!, 'REJECTED');
      expect(messages(call.id)).toEqual(['broken']);
      expect((await w.callRow(call.id)).state).toBe('FAILED');
    });

    it('connects the call on an answer and takes no branch', async () => {
      const { serviceNumber, d } = await directFlow({ maxSimultaneousCalls: 5 });
      const call = await w.startCall(serviceNumber);
      await w.outcome((await w.instructed('DIAL_EXTERNAL', call.id)).attemptId!, 'ANSWERED');
      expect((await w.callRow(call.id)).state).toBe('CONNECTED');
      expect(messages(call.id)).toEqual([]);
      expect(await w.slots(d)).toEqual({ connecting: 0, active: 1 });
    });
  });
});

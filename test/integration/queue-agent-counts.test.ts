import { eventsUntil, HeldClock } from '../support/conditions';
import { subscribe } from '../support/live';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(40_000);

const COUNTS = 'availableAgents agents { free wrapUp retryWait busy onBreak loggedOut }';
const QUEUES = `subscription($ids: [ID!]) { queueUpdates(ids: $ids) { queueId seq ${COUNTS} } }`;

/*
 * One truth on the supervisor's screen (issue 17): a queue's free agents are the agents routing would offer a
 * call now. Agents held back (wrap-up, the wait after a missed call) are counted apart, with their reason, and
 * the queue's update is published when a hold ends with time alone.
 */
describe.each(routingModes().map((m) => [m.name, m] as const))("a queue's agents by what they can do now (%s)", (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  /** The router's clock: held and moved to end the holds. */
  const clock = new HeldClock();
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  }, { routing: { clock: clock.now } });
  afterEach(() => clock.release());

  const queueLive = async (id: string) => (await t.ok(`query($id: ID!) { queue(id: $id) { live { ${COUNTS} } } }`, { id }, w.admin)).queue.live;
  const agentLive = async (id: string) => (await t.ok('query($id: ID!) { agent(id: $id) { live { status activity wrapUpUntil retryWaitUntil } } }', { id }, w.admin)).agent.live;

  it('counts an agent waiting after a missed call as held back, not free, and publishes the queue when the wait ends', async () => {
    const ann = await w.agent('Ann');
    const off = await w.agent('Off', 'ON_BREAK');
    const queue = await w.queue([{ groupId: await w.group([ann, off]) }], { agentRetrySec: 60, wrapUpSec: 0, agentRingTimeoutSec: 20 });
    const now = clock.hold();
    expect(await queueLive(queue)).toEqual({ availableAgents: 1, agents: { free: 1, wrapUp: 0, retryWait: 0, busy: 0, onBreak: 1, loggedOut: 0 } });
    const call = await w.connector.enqueueOk(queue);
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    expect((await queueLive(queue)).agents).toMatchObject({ free: 0, busy: 1 });
    await w.connector.outcome(ring!.attemptId!, 'NO_ANSWER');
    await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
    expect(await queueLive(queue)).toEqual({ availableAgents: 0, agents: { free: 0, wrapUp: 0, retryWait: 1, busy: 0, onBreak: 1, loggedOut: 0 } });
    expect(await agentLive(ann)).toEqual({ status: 'AVAILABLE', activity: 'IDLE', wrapUpUntil: null, retryWaitUntil: new Date(now + 60_000).toISOString() });
    const live = await subscribe(t.url, w.admin, QUEUES, 'queueUpdates', { ids: [queue] });
    try {
      clock.advance(60_000);
      // No agent changed: the end of the wait alone is published.
      await eventsUntil(live, (events) => events.some((e: any) => e.availableAgents === 1), { what: 'the update of the wait that ended' });
      expect(live.events.at(-1)).toMatchObject({ queueId: queue, availableAgents: 1, agents: { free: 1, retryWait: 0, onBreak: 1 } });
      expect(await agentLive(ann)).toMatchObject({ activity: 'IDLE', retryWaitUntil: null });
    } finally {
      await live.close();
    }
  });

  it('counts an agent in wrap-up as held back until the wrap-up ends', async () => {
    const ann = await w.agent('Ann');
    const queue = await w.queue([{ groupId: await w.group([ann]) }], { wrapUpSec: 30 });
    const now = clock.hold();
    const call = await w.connector.enqueueOk(queue);
    const [ring] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
    await w.connector.outcome(ring!.attemptId!, 'ANSWERED');
    expect((await queueLive(queue)).agents).toMatchObject({ free: 0, busy: 1 });
    await w.connector.endCall(call.id, 'COMPLETED');
    expect(await queueLive(queue)).toEqual({ availableAgents: 0, agents: { free: 0, wrapUp: 1, retryWait: 0, busy: 0, onBreak: 0, loggedOut: 0 } });
    expect(await agentLive(ann)).toEqual({ status: 'AVAILABLE', activity: 'WRAP_UP', wrapUpUntil: new Date(now + 30_000).toISOString(), retryWaitUntil: null });
    const live = await subscribe(t.url, w.admin, QUEUES, 'queueUpdates', { ids: [queue] });
    try {
      clock.advance(30_000);
      await eventsUntil(live, (events) => events.some((e: any) => e.availableAgents === 1), { what: 'the update of the wrap-up that ended' });
      expect(live.events.at(-1)).toMatchObject({ availableAgents: 1, agents: { free: 1, wrapUp: 0 } });
    } finally {
      await live.close();
    }
  });
});

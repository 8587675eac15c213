import { randomUUID } from 'node:crypto';
import { eventsUntil, HeldClock } from '../support/conditions';
import { createUser } from '../support/fixtures';
import { subscribe } from '../support/live';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(40_000);

const SET = 'mutation($i: AlertThresholdsInput!) { setAlertThresholds(input: $i) { queueOldestWaitSec queueServiceLevelBelow destinationBackoffs destinationBackoffWindowMin } }';
const ACTIVE = '{ activeAlerts { kind queueId destinationId raised value threshold } }';
const ALERTS = 'subscription { alerts { kind queueId destinationId raised value threshold } }';

/*
 * Decision 028: thresholds per company, alerts raised and cleared once each whatever the number of instances,
 * shown to those who may see the queue or destination.
 */
describe.each(routingModes().map((m) => [m.name, m] as const))('alert thresholds (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  /** The router's clock, which the alerts measure with: held and moved. */
  const clock = new HeldClock();
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  }, { routing: { clock: clock.now } });
  afterEach(() => clock.release());

  /** One look at the thresholds, as the periodic one does (the test decides when). */
  const look = () => t.gateway.services.alerts.evaluateAll();

  it('lets an admin set thresholds, names each value out of range, keeps what is left out, and refuses other users', async () => {
    expect((await t.ok(SET, { i: { queueOldestWaitSec: 60 } }, w.admin)).setAlertThresholds).toEqual({ queueOldestWaitSec: 60, queueServiceLevelBelow: null, destinationBackoffs: null, destinationBackoffWindowMin: null });
    expect((await t.ok(SET, { i: { queueServiceLevelBelow: 0.8 } }, w.admin)).setAlertThresholds).toMatchObject({ queueOldestWaitSec: 60, queueServiceLevelBelow: 0.8 });
    const bad = await t.gql(SET, { i: { queueOldestWaitSec: 0, queueServiceLevelBelow: 1.5, destinationBackoffs: 3 } }, w.admin);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.queueOldestWaitSec' });
    expect((bad.errors?.[0]?.extensions?.problems as Array<{ field: string }>).map((p) => p.field)).toEqual(['input.queueOldestWaitSec', 'input.queueServiceLevelBelow', 'input.destinationBackoffWindowMin']);
    const sup = await createUser(t, w.company, { username: `sup-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' }, profile: { scope: 'ALL' } });
    expect((await t.gql(SET, { i: { queueOldestWaitSec: 1 } }, sup.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.ok('{ alertThresholds { queueOldestWaitSec queueServiceLevelBelow } }', {}, sup.token)).alertThresholds).toEqual({ queueOldestWaitSec: 60, queueServiceLevelBelow: 0.8 });
  });

  it("raises an alert once when a queue's oldest call waits past the threshold, and clears it when the call leaves", async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Away', 'LOGGED_OUT')]) }]);
    await t.ok(SET, { i: { queueOldestWaitSec: 30 } }, w.admin);
    clock.hold();
    const call = await w.connector.enqueueOk(queue);
    const live = await subscribe(t.url, w.admin, ALERTS, 'alerts');
    try {
      clock.advance(29_000);
      await look();
      expect((await t.ok(ACTIVE, {}, w.admin)).activeAlerts).toEqual([]);
      clock.advance(2_000);
      // Two instances (or two looks) at once: the alert is raised once.
      await Promise.all([look(), t.gateway.services.alerts.evaluate(w.company.id, await t.gateway.services.alerts.thresholds(w.company.id), clock.now())]);
      await look();
      const raised = { kind: 'QUEUE_OLDEST_WAIT', queueId: queue, destinationId: null, raised: true, value: 31, threshold: 30 };
      expect((await t.ok(ACTIVE, {}, w.admin)).activeAlerts).toEqual([raised]);
      await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
      await look();
      const events = await eventsUntil(live, (e) => e.some((a: any) => a.raised === false), { what: 'the alert cleared' });
      // The raise, then the clear: nothing in between.
      expect(events).toEqual([raised, { ...raised, raised: false, value: 0 }]);
      expect((await t.ok(ACTIVE, {}, w.admin)).activeAlerts).toEqual([]);
    } finally {
      await live.close();
    }
  });

  it('raises an alert for a destination backed off N times in M minutes, shown only to those who may see it', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 5, busyBackoffSec: 1 });
    const other = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    await t.ok(SET, { i: { destinationBackoffs: 2, destinationBackoffWindowMin: 10 } }, w.admin);
    clock.hold();
    for (let i = 0; i < 2; i += 1) {
      const call = await w.connector.enqueueOk(queue);
      const [dial] = await w.connector.waitFor((x) => x.kind === 'DIAL_EXTERNAL' && x.callId === call.id);
      await w.connector.outcome(dial!.attemptId!, 'BUSY');
      await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
      clock.advance(2_000);
    }
    await look();
    const alert = { kind: 'DESTINATION_BACKOFFS', queueId: null, destinationId: destination, raised: true, value: 2, threshold: 2 };
    expect((await t.ok(ACTIVE, {}, w.admin)).activeAlerts).toEqual([alert]);
    const seesIt = await createUser(t, w.company, { username: `in-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [destination] } });
    const doesNot = await createUser(t, w.company, { username: `out-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [other] } });
    expect((await t.ok(ACTIVE, {}, seesIt.token)).activeAlerts).toEqual([alert]);
    expect((await t.ok(ACTIVE, {}, doesNot.token)).activeAlerts).toEqual([]);
    // Ten minutes later the back-offs are out of the window: cleared.
    clock.advance(10 * 60_000);
    await look();
    expect((await t.ok(ACTIVE, {}, w.admin)).activeAlerts).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { eventsUntil, pokeUntil, until } from '../support/conditions';
import { createUser } from '../support/fixtures';
import { subscribe } from '../support/live';
import { routingModes, RoutingWorld, useRoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(40_000);

const DESTINATIONS = 'subscription($ids: [ID!]) { externalDestinationUpdates(ids: $ids) { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls consecutiveFailures } }';
const AGENTS = 'subscription($ids: [ID!]) { agentUpdates(ids: $ids) { agentId seq status activity } }';
const QUEUES = 'subscription($ids: [ID!]) { queueUpdates(ids: $ids) { queueId seq waitingCalls availableAgents } }';

describe.each(routingModes().map((m) => [m.name, m] as const))('live updates over graphql-ws (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  it('streams each destination change with seq rising by exactly one and counts equal to its open attempts; agents never appear there', async () => {
    const destination = await w.destination({ maxSimultaneousCalls: 10 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    const live = await subscribe(t.url, w.admin, DESTINATIONS, 'externalDestinationUpdates', { ids: [destination] });
    const queues = await subscribe(t.url, w.admin, QUEUES, 'queueUpdates', { ids: [queue] });
    const calls = [];
    for (let i = 0; i < 4; i += 1) calls.push(await w.connector.enqueueOk(queue));
    const dials = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 4);
    await w.connector.outcome(dials[0]!.attemptId!, 'ANSWERED');
    await w.connector.outcome(dials[1]!.attemptId!, 'BUSY');
    await w.agent('Not a destination');
    // The truth now: 1 answered, 2 still ringing (one busy ended); the stream reaches it.
    const truth = { connectingCalls: 2, activeCalls: 1, consecutiveFailures: 1 };
    expect(await w.destinationLive(destination)).toMatchObject({ connectingCalls: 2, activeCalls: 1 });
    await eventsUntil(live, (events) => events.some((e: any) => e.connectingCalls === 2 && e.activeCalls === 1 && e.consecutiveFailures === 1), { what: 'the event of the busy outcome' });
    // A later change of the same destination (the third call answered) is the next event: nothing came between.
    await w.connector.outcome(dials[2]!.attemptId!, 'ANSWERED');
    const all = await eventsUntil(live, (events) => events.some((e: any) => e.activeCalls === 2), { what: 'the event of the third answer' });
    const events = all.slice(0, all.findIndex((e: any) => e.activeCalls === 2) + 1);
    expect(events.every((e: any) => e.destinationId === destination)).toBe(true);
    expect(events.map((e: any) => e.seq)).toEqual(events.map((_e: unknown, i: number) => (events[0] as any).seq + i));
    expect(events.at(-2)).toMatchObject(truth);
    expect(events.at(-1)).toMatchObject({ connectingCalls: 1, activeCalls: 2 });
    expect(await w.destinationLive(destination)).toMatchObject({ connectingCalls: 1, activeCalls: 2 });
    await eventsUntil(queues, (events) => events.length > 0, { what: 'a queue event' });
    expect(queues.events.map((e: any) => e.seq)).toEqual(queues.events.map((_e: unknown, i: number) => (queues.events[0] as any).seq + i));
    await live.close();
    await queues.close();
  });

  it('gives a company\'s subscriber zero events of another company generating 1 000', async () => {
    const mine = await subscribe(t.url, w.admin, AGENTS, 'agentUpdates');
    const other = await RoutingWorld.create(t);
    try {
      const agent = await other.agent('Busy bee', 'LOGGED_OUT');
      const theirs = await subscribe(t.url, other.admin, AGENTS, 'agentUpdates', { ids: [agent] });
      for (let i = 0; i < 1_000; i += 1) await other.setStatus(agent, i % 2 === 0 ? 'AVAILABLE' : 'ON_BREAK');
      await theirs.waitFor(1_000, 30_000);
      const own = await w.agent('Mine');
      await mine.waitFor(1);
      expect(mine.events).toEqual([expect.objectContaining({ agentId: own, status: 'AVAILABLE' })]);
      expect(theirs.events.map((e: any) => e.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => (theirs.events[0] as any).seq + i));
      await theirs.close();
    } finally {
      await other.close();
      await mine.close();
    }
  });

  /**
   * Publishes a change of the destination (a resume, which changes nothing here) before it answers, after
   * every earlier change of it; answers the seq the destination is at then (that change's, or a later one's).
   */
  async function republish(id: string): Promise<number> {
    await t.ok('mutation($id: ID!) { resumeExternalDestination(id: $id) { id } }', { id }, w.admin);
    const data = await t.ok('query($id: ID!) { externalDestination(id: $id) { live { seq } } }', { id }, w.admin);
    return data.externalDestination.live.seq;
  }

  it('delivers only the destinations of a SELECTED profile, refuses users without the privilege, and stops within 5 s when the profile changes', async () => {
    const shown = await w.destination({ maxSimultaneousCalls: 10 });
    const hidden = await w.destination({ maxSimultaneousCalls: 10 });
    // In no group: changed only by the test, to mark where the supervisor's stream stands.
    const later = await w.destination();
    const queue = await w.queue([{ groupId: await w.group([], [shown, hidden]) }]);
    const sup = await createUser(t, w.company, {
      username: `sup-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [shown] },
    });
    const none = await createUser(t, w.company, { username: `none-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' } });
    const refused = await subscribe(t.url, none.token, DESTINATIONS, 'externalDestinationUpdates');
    const hiddenById = await subscribe(t.url, sup.token, DESTINATIONS, 'externalDestinationUpdates', { ids: [hidden] });
    const foreign = await subscribe(t.url, sup.token, DESTINATIONS, 'externalDestinationUpdates', { ids: [randomUUID()] });
    const all = await subscribe(t.url, sup.token, DESTINATIONS, 'externalDestinationUpdates');
    for (let i = 0; i < 4; i += 1) await w.connector.enqueueOk(queue);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 4);
    await until(() => [refused, hiddenById, foreign].every((s) => s.errors.length > 0), { what: 'the three subscriptions refused' });
    expect(refused.errors[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(hiddenById.errors[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(foreign.errors[0]?.extensions?.code).toBe('NOT_FOUND');
    // Every change of the hidden destination is published (and one more), then one of the shown one: the
    // supervisor's stream has had all it could have of the hidden one by the time that last one arrives.
    await republish(hidden);
    const marker = await republish(shown);
    const seen = await eventsUntil(all, (events) => events.some((e: any) => e.destinationId === shown && e.seq >= marker), { what: 'the shown destination\'s latest change' });
    expect(new Set(seen.map((e: any) => e.destinationId))).toEqual(new Set([shown]));

    // The destination leaves the supervisor's profile (another joins it): its events stop within 5 seconds,
    // from when the other one's are delivered (both follow the supervisor's profile as its socket holds it).
    await t.ok('mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id } }', {
      id: sup.profileId, i: { name: `sup profile ${randomUUID().slice(0, 4)}`, scope: 'SELECTED', destinationIds: [later] },
    }, w.admin);
    await pokeUntil(() => republish(later), () => all.events.some((e: any) => e.destinationId === later), { timeoutMs: 5_000, what: 'the destination that joined the profile' });
    const before = all.events.length;
    for (let i = 0; i < 3; i += 1) await w.connector.enqueueOk(queue);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 7);
    // Every change of both destinations of the queue published, then a change of the one still shown.
    await republish(shown);
    await republish(hidden);
    const last = await republish(later);
    const after = (await eventsUntil(all, (events) => events.some((e: any) => e.destinationId === later && e.seq >= last), { what: 'the latest change of the destination that joined' })).slice(before);
    expect(new Set(after.map((e: any) => e.destinationId))).toEqual(new Set([later]));
    for (const s of [refused, hiddenById, foreign, all]) await s.close();
  });
});

import { randomUUID } from 'node:crypto';
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
    await live.waitFor(6);
    await new Promise((r) => setTimeout(r, 300));
    const events = live.events;
    expect(events.every((e: any) => e.destinationId === destination)).toBe(true);
    expect(events.map((e: any) => e.seq)).toEqual(events.map((_e: unknown, i: number) => (events[0] as any).seq + i));
    // The last event is the truth now: 1 answered, 2 still ringing (one busy ended).
    expect(events.at(-1)).toMatchObject({ connectingCalls: 2, activeCalls: 1, consecutiveFailures: 1 });
    const read = await w.destinationLive(destination);
    expect(read).toMatchObject({ connectingCalls: 2, activeCalls: 1 });
    expect(queues.events.length).toBeGreaterThan(0);
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

  it('delivers only the destinations of a SELECTED profile, refuses users without the privilege, and stops within 5 s when the profile changes', async () => {
    const shown = await w.destination({ maxSimultaneousCalls: 10 });
    const hidden = await w.destination({ maxSimultaneousCalls: 10 });
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
    await all.waitFor(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(refused.errors[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(hiddenById.errors[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(foreign.errors[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(new Set(all.events.map((e: any) => e.destinationId))).toEqual(new Set([shown]));

    // The destination leaves the supervisor's profile: its events stop within 5 seconds.
    await t.ok('mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { id } }', {
      id: sup.profileId, i: { name: `sup profile ${randomUUID().slice(0, 4)}`, scope: 'SELECTED', destinationIds: [] },
    }, w.admin);
    await new Promise((r) => setTimeout(r, 5_000));
    const before = all.events.length;
    for (let i = 0; i < 3; i += 1) await w.connector.enqueueOk(queue);
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL', 7);
    await new Promise((r) => setTimeout(r, 500));
    expect(all.events.length).toBe(before);
    for (const s of [refused, hiddenById, foreign, all]) await s.close();
  });
});

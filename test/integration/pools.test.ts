import { randomUUID } from 'node:crypto';
import { codeOf, createUser } from '../support/fixtures';
import { subscribe } from '../support/live';
import { eventually, routingModes, RoutingWorld, useRoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

const POOL = 'id name maxSimultaneousCalls version externalDestinations { hidden destination { id } } live { connectingCalls activeCalls maxSimultaneousCalls }';
const CREATE = `mutation($i: CapacityPoolInput!) { createCapacityPool(input: $i) { ${POOL} } }`;
const UPDATE = `mutation($id: ID!, $i: CapacityPoolInput!) { updateCapacityPool(id: $id, input: $i) { ${POOL} } }`;
const UPDATES = 'subscription($ids: [ID!]) { capacityPoolUpdates(ids: $ids) { poolId seq connectingCalls activeCalls maxSimultaneousCalls deleted } }';

describe.each(routingModes().map((m) => [m.name, m] as const))('capacity pools through the API (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  it('shares a maximum over its destinations, streams its slots with seq, and counts offers, refusals and the peak', async () => {
    const a = await w.destination({ maxSimultaneousCalls: 5 });
    const b = await w.destination({ maxSimultaneousCalls: 5 });
    const created = (await t.ok(CREATE, { i: { name: `AI numbers ${a.slice(0, 6)}`, maxSimultaneousCalls: 2, externalDestinationIds: [a, b] } }, w.admin)).createCapacityPool;
    expect(created).toMatchObject({ maxSimultaneousCalls: 2, live: { connectingCalls: 0, activeCalls: 0, maxSimultaneousCalls: 2 } });
    expect(created.externalDestinations.map((r: { destination: { id: string } }) => r.destination.id).sort()).toEqual([a, b].sort());
    expect((await t.ok('query($id: ID!) { externalDestination(id: $id) { capacityPool { id } } }', { id: a }, w.admin)).externalDestination.capacityPool).toEqual({ id: created.id });

    const live = await subscribe(t.url, w.admin, UPDATES, 'capacityPoolUpdates', { ids: [created.id] });
    try {
      const queueId = await w.queue([{ groupId: await w.group([], [a, b]) }]);
      const calls: Array<{ id: string }> = [];
      for (let i = 0; i < 3; i += 1) calls.push(await w.connector.enqueueOk(queueId));
      const dials = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && calls.some((c) => c.id === i.callId), 2);
      await eventually(async () => live.events.some((e) => e.connectingCalls === 2));
      const seqs = live.events.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
      expect(new Set(seqs).size).toBe(seqs.length);
      // The third call waits for the pool, though both destinations have slots.
      const third = await w.call(calls[2]!.id);
      expect(third.state).toBe('QUEUED');
      expect(third.trace.at(-1).skipped).toEqual(expect.arrayContaining([expect.objectContaining({ resourceId: a, reason: 'POOL_AT_CAPACITY' })]));
      // The caller of a dialled call hangs up: its slot (and the pool's) goes to the call that waited.
      await w.connector.endCall(dials[0]!.callId, 'CALLER_HUNG_UP');
      await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === calls[2]!.id);
    } finally {
      await live.close();
    }
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const stats = (await t.ok('query($id: ID!, $from: DateTime!, $to: DateTime!) { capacityPool(id: $id) { statistics(from: $from, to: $to) { offered answered refused peakSimultaneousCalls } } }', { id: created.id, ...range }, w.admin)).capacityPool.statistics;
    expect(stats).toEqual({ offered: 3, answered: 0, refused: 1, peakSimultaneousCalls: 2 });
    const audit = await t.ok('query { auditLog(filter: { entityKinds: [CAPACITY_POOL] }) { nodes { action entityId } } }', {}, w.admin);
    expect(audit.auditLog.nodes).toContainEqual({ action: 'CREATED', entityId: created.id });
    // Deleted: its last update says so, after every other.
    const last = await subscribe(t.url, w.admin, UPDATES, 'capacityPoolUpdates', { ids: [created.id] });
    try {
      await t.ok('mutation($id: ID!) { deleteCapacityPool(id: $id) }', { id: created.id }, w.admin);
      await eventually(async () => last.events.some((e) => e.deleted));
      expect(last.events.at(-1)).toMatchObject({ poolId: created.id, deleted: true, connectingCalls: 0, activeCalls: 0 });
    } finally {
      await last.close();
    }
  });

  it('shows a reader only the members it may see, keeps the others when it changes the pool, and refuses what it cannot do', async () => {
    const seen = await w.destination();
    const unseen = await w.destination();
    const pool = (await t.ok(CREATE, { i: { name: `Vendor ${seen.slice(0, 6)}`, maxSimultaneousCalls: 3, externalDestinationIds: [seen, unseen] } }, w.admin)).createCapacityPool;
    const limited = await createUser(t, w.company, {
      username: `pools-${seen.slice(0, 8)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'MODIFY' }, profile: { scope: 'SELECTED', destinationIds: [seen] },
    });
    const read = (await t.ok(`query($id: ID!) { capacityPool(id: $id) { ${POOL} } }`, { id: pool.id }, limited.token)).capacityPool;
    expect(read.externalDestinations).toEqual([{ hidden: false, destination: { id: seen } }, { hidden: true, destination: null }]);
    // The limited user changes the maximum and lists only what it sees: the hidden member stays.
    const changed = (await t.ok(UPDATE, { id: pool.id, i: { name: pool.name, maxSimultaneousCalls: 4, externalDestinationIds: [seen] } }, limited.token)).updateCapacityPool;
    expect(changed.maxSimultaneousCalls).toBe(4);
    const full = (await t.ok(`query($id: ID!) { capacityPool(id: $id) { ${POOL} } }`, { id: pool.id }, w.admin)).capacityPool;
    expect(full.externalDestinations.map((r: { destination: { id: string } }) => r.destination.id).sort()).toEqual([seen, unseen].sort());
    // Naming a destination it may not see is NOT_FOUND, as for one that does not exist.
    const hidden = await t.gql(UPDATE, { id: pool.id, i: { name: pool.name, maxSimultaneousCalls: 4, externalDestinationIds: [seen, unseen] } }, limited.token);
    const missing = await t.gql(UPDATE, { id: pool.id, i: { name: pool.name, maxSimultaneousCalls: 4, externalDestinationIds: [seen, randomUUID()] } }, limited.token);
    expect(codeOf(hidden)).toBe('NOT_FOUND');
    expect(hidden.errors![0]!.message).toBe(missing.errors![0]!.message);
    // In another pool already; a maximum out of range; a stale version.
    const other = await t.gql(CREATE, { i: { name: `Other ${seen.slice(0, 6)}`, maxSimultaneousCalls: 1, externalDestinationIds: [seen] } }, w.admin);
    expect(codeOf(other)).toBe('CONFLICT');
    expect(other.errors![0]!.extensions!.field).toBe('input.externalDestinationIds[0]');
    const bad = await t.gql(CREATE, { i: { name: `Bad ${seen.slice(0, 6)}`, maxSimultaneousCalls: 0, externalDestinationIds: [] } }, w.admin);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.field).toBe('input.maxSimultaneousCalls');
    const stale = await t.gql('mutation($id: ID!, $i: CapacityPoolInput!) { updateCapacityPool(id: $id, input: $i, expectedVersion: 1) { id } }', { id: pool.id, i: { name: pool.name, maxSimultaneousCalls: 2, externalDestinationIds: [seen, unseen] } }, w.admin);
    expect(codeOf(stale)).toBe('CONFLICT');
    // Another company's pool is not found; a viewer without the privilege is refused.
    const otherCompany = await RoutingWorld.create(t);
    try {
      expect(codeOf(await t.gql('query($id: ID!) { capacityPool(id: $id) { id } }', { id: pool.id }, otherCompany.admin))).toBe('NOT_FOUND');
      expect(codeOf(await t.gql('mutation($id: ID!) { deleteCapacityPool(id: $id) }', { id: pool.id }, otherCompany.admin))).toBe('NOT_FOUND');
    } finally {
      await otherCompany.close();
    }
    const viewer = await createUser(t, w.company, { username: `noview-${seen.slice(0, 8)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' }, profile: { scope: 'ALL' } });
    expect(codeOf(await t.gql('query { capacityPools { nodes { id } } }', {}, viewer.token))).toBe('FORBIDDEN');
    expect((await t.ok('mutation($id: ID!) { deleteCapacityPool(id: $id) }', { id: pool.id }, w.admin)).deleteCapacityPool).toBe(pool.id);
    expect((await t.ok('query($id: ID!) { externalDestination(id: $id) { capacityPool { id } } }', { id: seen }, w.admin)).externalDestination.capacityPool).toBeNull();
  });
});

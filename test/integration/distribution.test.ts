import { codeOf, createUser } from '../support/fixtures';
import { routingModes, useRoutingWorld, type RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

const GROUP_FIELDS = `id externalDistribution shareWindow
  externalDestinationOrder { hidden destination { id } }
  externalDestinationShares { hidden percent destination { id } }`;

describe.each(routingModes().map((m) => [m.name, m] as const))('a group\'s distribution over its external destinations (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  const updateGroup = (groupId: string, input: Record<string, unknown>, token = w.admin) =>
    t.gql(`mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { ${GROUP_FIELDS} } }`, { id: groupId, i: input }, token);

  const dialled = (queueId: string, calls: number) => w.connector.dialledTo(queueId, calls);

  it('shares calls 70/30 by count, then takes turns, then follows the order, as the group is told', async () => {
    const a = await w.destination({ maxSimultaneousCalls: null });
    const b = await w.destination({ maxSimultaneousCalls: null });
    const groupId = await w.group([], [a, b]);
    const queueId = await w.queue([{ groupId }]);
    const weighted = await updateGroup(groupId, {
      name: 'Overflow partners', agentIds: [], externalDestinationIds: [a, b], externalDistribution: 'WEIGHTED_SHARE', shareWindow: 20,
      externalDestinationShares: [{ destinationId: a, percent: 70 }, { destinationId: b, percent: 30 }],
    });
    expect(weighted.errors).toBeUndefined();
    expect(weighted.data.updateAgentGroup).toMatchObject({
      externalDistribution: 'WEIGHTED_SHARE', shareWindow: 20,
      externalDestinationShares: expect.arrayContaining([{ hidden: false, percent: 70, destination: { id: a } }, { hidden: false, percent: 30, destination: { id: b } }]),
    });
    const shares = await dialled(queueId, 20);
    expect(shares.filter((id) => id === a)).toHaveLength(14);
    expect(shares.filter((id) => id === b)).toHaveLength(6);
    // The live share against the target, as the group reports it: the window holds the 20 offers.
    const live = await t.ok('query($id: ID!) { agentGroup(id: $id) { shareWindowOffers externalDestinationShares { percent recentOffers destination { id } } } }', { id: groupId }, w.admin);
    expect(live.agentGroup.shareWindowOffers).toBe(20);
    expect(live.agentGroup.externalDestinationShares).toEqual(expect.arrayContaining([
      { percent: 70, recentOffers: 14, destination: { id: a } }, { percent: 30, recentOffers: 6, destination: { id: b } },
    ]));
    // The same split as statistics over a range, against the targets.
    const range = { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const history = await t.ok('query($id: ID!, $from: DateTime!, $to: DateTime!) { agentGroup(id: $id) { shareHistory(from: $from, to: $to) { offers destinations { hidden offers percent destination { id } } } } }', { id: groupId, ...range }, w.admin);
    expect(history.agentGroup.shareHistory.offers).toBe(20);
    expect(history.agentGroup.shareHistory.destinations).toEqual(expect.arrayContaining([
      { hidden: false, offers: 14, percent: 70, destination: { id: a } }, { hidden: false, offers: 6, percent: 30, destination: { id: b } },
    ]));
    const tooLong = await t.gql('query($id: ID!, $from: DateTime!, $to: DateTime!) { agentGroup(id: $id) { shareHistory(from: $from, to: $to) { offers } } }', { id: groupId, from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }, w.admin);
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
    // Counted, not random: after every call each is within one offer of its target.
    shares.forEach((_, i) => expect(Math.abs(shares.slice(0, i + 1).filter((id) => id === a).length - 0.7 * (i + 1))).toBeLessThan(1));
    const call = await w.call((await w.connector.enqueueOk(queueId)).id);
    await w.connector.waitFor((x) => x.kind === 'DIAL_EXTERNAL' && x.callId === call.id);
    const routed = (await w.call(call.id)).trace.find((e: { step: string }) => e.step === 'ROUTED');
    expect(routed.chosen.detail).toMatch(/^furthest below its target share: \d+ of the group's last 20 offers, target \d+%/);
    expect(routed.skipped).toContainEqual(expect.objectContaining({ reason: 'DISTRIBUTION' }));

    expect((await updateGroup(groupId, { name: 'Overflow partners', agentIds: [], externalDestinationIds: [a, b], externalDistribution: 'ROUND_ROBIN' })).errors).toBeUndefined();
    const turns = await dialled(queueId, 4);
    expect(turns[0]).not.toBe(turns[1]);
    expect(turns[2]).toBe(turns[0]);
    expect(turns[3]).toBe(turns[1]);

    const ordered = await updateGroup(groupId, { name: 'Overflow partners', agentIds: [], externalDestinationIds: [b, a], externalDistribution: 'PRIORITY_ORDER' });
    expect(ordered.data.updateAgentGroup.externalDestinationOrder.map((r: { destination: { id: string } }) => r.destination.id)).toEqual([b, a]);
    expect(await dialled(queueId, 3)).toEqual([b, b, b]);
  });

  it('refuses targets that are missing or do not add up to 100, naming the field, and changes nothing', async () => {
    const a = await w.destination();
    const b = await w.destination();
    const groupId = await w.group([], [a, b]);
    const base = { name: 'Partners', agentIds: [], externalDestinationIds: [a, b], externalDistribution: 'WEIGHTED_SHARE' };
    const short = await updateGroup(groupId, { ...base, externalDestinationShares: [{ destinationId: a, percent: 60 }, { destinationId: b, percent: 30 }] });
    expect(codeOf(short)).toBe('BAD_USER_INPUT');
    expect(short.errors![0]!.extensions!.field).toBe('input.externalDestinationShares');
    expect(short.errors![0]!.message).toContain('add up to 100 (they add up to 90)');
    const missing = await updateGroup(groupId, { ...base, externalDestinationShares: [{ destinationId: a, percent: 100 }] });
    expect(codeOf(missing)).toBe('BAD_USER_INPUT');
    const stranger = await updateGroup(groupId, { ...base, externalDestinationShares: [{ destinationId: a, percent: 50 }, { destinationId: await w.destination(), percent: 50 }] });
    expect(stranger.errors![0]!.extensions!.field).toBe('input.externalDestinationShares[1].destinationId');
    const window = await updateGroup(groupId, { ...base, shareWindow: 5, externalDestinationShares: [{ destinationId: a, percent: 50 }, { destinationId: b, percent: 50 }] });
    expect(window.errors![0]!.extensions!.field).toBe('input.shareWindow');
    const group = await t.ok(`query($id: ID!) { agentGroup(id: $id) { ${GROUP_FIELDS} } }`, { id: groupId }, w.admin);
    expect(group.agentGroup).toMatchObject({ externalDistribution: 'MOST_SPARE', shareWindow: 100, externalDestinationShares: [] });
  });

  it('shows a destination the reader may not see hidden with its target, and keeps that target when the reader changes the others', async () => {
    const seen = await w.destination();
    const unseen = await w.destination();
    const groupId = await w.group([], [seen, unseen]);
    expect((await updateGroup(groupId, {
      name: 'Shared', agentIds: [], externalDestinationIds: [seen, unseen], externalDistribution: 'WEIGHTED_SHARE',
      externalDestinationShares: [{ destinationId: seen, percent: 40 }, { destinationId: unseen, percent: 60 }],
    })).errors).toBeUndefined();
    const limited = await createUser(t, w.company, {
      username: `limited-${groupId.slice(0, 8)}`, kind: 'SUPERVISOR', privileges: { agentGroups: 'MODIFY', externalDestinations: 'VIEW' },
      profile: { scope: 'SELECTED', destinationIds: [seen] },
    });
    const read = await t.ok(`query($id: ID!) { agentGroup(id: $id) { ${GROUP_FIELDS} } }`, { id: groupId }, limited.token);
    expect(read.agentGroup.externalDestinationShares).toEqual([{ hidden: false, percent: 40, destination: { id: seen } }, { hidden: true, percent: null, destination: null }]);
    const counted = await t.ok('query($id: ID!) { agentGroup(id: $id) { externalDestinationShares { hidden recentOffers } } }', { id: groupId }, limited.token);
    expect(counted.agentGroup.externalDestinationShares).toEqual([{ hidden: false, recentOffers: 0 }, { hidden: true, recentOffers: null }]);
    expect(read.agentGroup.externalDestinationOrder).toEqual([{ hidden: false, destination: { id: seen } }, { hidden: true, destination: null }]);
    // The hidden member holds 60%: the visible ones must add up to 40, and it keeps its target.
    const wrong = await updateGroup(groupId, { name: 'Shared', agentIds: [], externalDestinationIds: [seen], externalDestinationShares: [{ destinationId: seen, percent: 50 }] }, limited.token);
    expect(wrong.errors![0]!.message).toContain('the destinations you can see must add up to 40');
    expect((await updateGroup(groupId, { name: 'Shared again', agentIds: [], externalDestinationIds: [seen], externalDestinationShares: [{ destinationId: seen, percent: 40 }] }, limited.token)).errors).toBeUndefined();
    const full = await t.ok(`query($id: ID!) { agentGroup(id: $id) { name ${GROUP_FIELDS} } }`, { id: groupId }, w.admin);
    expect(full.agentGroup.name).toBe('Shared again');
    expect(full.agentGroup.externalDestinationShares).toEqual(expect.arrayContaining([{ hidden: false, percent: 60, destination: { id: unseen } }]));
  });
});

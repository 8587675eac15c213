import { randomUUID } from 'node:crypto';
import { codeOf, createUser } from '../support/fixtures';
import { routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { uniqueNumbers } from '../support/numbers';

jest.setTimeout(60_000);

/**
 * What you cannot see, you cannot remove: an editor (or an administrator) who may not see an external
 * destination keeps every reference to it, on every update path of call flows and profiles, as groups do.
 */

/** A node as read back; the same fields make a CallFlowNodeInput, so a client can send what it read. */
const NODE = 'id type queueId externalDestinationId holidayListId timeRangeIds message branches { name to }';
const READ_FLOW = `query($id: ID!) { callFlow(id: $id) { id name version publishedVersion serviceNumbers nodes { ${NODE} } } }`;
const UPDATE_FLOW = `mutation($id: ID!, $i: CallFlowInput!) { updateCallFlow(id: $id, input: $i) { id version nodes { ${NODE} } } }`;
const PROFILE = 'query($id: ID!) { externalDestinationsProfile(id: $id) { name scope destinations { hidden destination { id } } } }';
const UPDATE_PROFILE = 'mutation($id: ID!, $i: ExternalDestinationsProfileInput!) { updateExternalDestinationsProfile(id: $id, input: $i) { name destinations { hidden destination { id } } } }';

describe.each(routingModes().map((m) => [m.name, m] as const))('hidden references are kept on every update path (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  /** Visible to the editor. */
  let seen: string;
  /** Hidden from the editor. */
  let hidden: string;
  /** A SUPERVISOR with callFlows MODIFY whose SELECTED profile lists `seen` only. */
  let editor: { id: string; token: string };

  beforeAll(async () => {
    t = await mode.start();
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(t);
    seen = await w.destination({ name: `Seen ${randomUUID().slice(0, 6)}` });
    hidden = await w.destination({ name: `Hidden ${randomUUID().slice(0, 6)}`, number: '+442079460999' });
    editor = await createUser(t, w.company, {
      username: `editor-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR',
      privileges: { callFlows: 'MODIFY', externalDestinations: 'MODIFY' },
      profile: { scope: 'SELECTED', destinationIds: [seen] },
    });
  });
  afterEach(async () => {
    await w?.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  const number = uniqueNumbers('+4420794');
  /** START -> partner (`first`) -> on LimitReached backup (`second`) -> bye. */
  const nodes = (first: string | null, second: string | null) => [
    { id: 'start', type: 'START', branches: [{ name: 'next', to: 'partner' }] },
    { id: 'partner', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: first, branches: [{ name: 'LimitReached', to: 'backup' }] },
    { id: 'backup', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: second, branches: [{ name: 'LimitReached', to: 'bye' }] },
    { id: 'bye', type: 'DISCONNECT' },
  ];
  /** A flow created and published by the administrator (who sees everything). */
  async function publishedFlow(first = hidden, second = seen): Promise<{ id: string; name: string; serviceNumber: string }> {
    const serviceNumber = number();
    const name = `Flow ${randomUUID().slice(0, 6)}`;
    const created = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { i: { name, serviceNumbers: [serviceNumber], nodes: nodes(first, second) } }, w.admin);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { id } }', { id: created.createCallFlow.id }, w.admin);
    return { id: created.createCallFlow.id, name, serviceNumber };
  }
  const draftOf = async (id: string, token = w.admin) => (await t.ok(READ_FLOW, { id }, token)).callFlow;
  const destinationOfNode = async (flowId: string, nodeId: string) =>
    (await draftOf(flowId)).nodes.find((n: { id: string }) => n.id === nodeId)?.externalDestinationId ?? null;
  const startCall = async (serviceNumber: string) => {
    const res = await t.gql('mutation($i: StartCallInput!) { startCall(input: $i) { id state } }', { i: { connectorCallId: randomUUID(), serviceNumber } }, w.connector.key);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data.startCall as { id: string; state: string };
  };

  it('keeps the hidden destination of a flow that an editor who cannot see it reads and saves back unchanged, so the next version still dials it', async () => {
    const flow = await publishedFlow();
    const read = await draftOf(flow.id, editor.token);
    expect(read.nodes.find((n: { id: string }) => n.id === 'partner').externalDestinationId).toBeNull(); // the editor does not learn which
    const saved = await t.gql(UPDATE_FLOW, { id: flow.id, i: { name: read.name, serviceNumbers: read.serviceNumbers, nodes: read.nodes } }, editor.token);
    expect(saved.errors).toBeUndefined();

    expect(await destinationOfNode(flow.id, 'partner')).toBe(hidden);
    expect(await destinationOfNode(flow.id, 'backup')).toBe(seen);
    await t.ok('mutation($id: ID!) { publishCallFlow(id: $id) { publishedVersion } }', { id: flow.id }, w.admin);
    const call = await startCall(flow.serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect(dial!.destinationId).toBe(hidden);
  });

  it('shows an editor that a node routes to a destination it cannot see, and what it may change around it', async () => {
    const flow = await publishedFlow();
    const read = await t.gql(`query($id: ID!) { callFlow(id: $id) { nodes { id externalDestinationId externalDestinationHidden } } }`, { id: flow.id }, editor.token);
    expect(read.errors).toBeUndefined();
    expect(read.data.callFlow.nodes.filter((n: { id: string }) => n.id === 'partner' || n.id === 'backup')).toEqual([
      { id: 'partner', externalDestinationId: null, externalDestinationHidden: true },
      { id: 'backup', externalDestinationId: seen, externalDestinationHidden: false },
    ]);
    // Its visible surroundings stay editable: a new wire from the hidden node, a new destination on the visible one.
    const rewired = nodes(null, null).map((n) => (n.id === 'partner' ? { ...n, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'backup' }] } : n));
    const saved = await t.gql(UPDATE_FLOW, { id: flow.id, i: { name: flow.name, serviceNumbers: [flow.serviceNumber], nodes: rewired } }, editor.token);
    expect(saved.errors).toBeUndefined();
    const draft = await draftOf(flow.id);
    expect(draft.nodes.find((n: { id: string }) => n.id === 'partner')).toMatchObject({ externalDestinationId: hidden, branches: [{ name: 'LimitReached', to: 'bye' }, { name: 'Busy', to: 'backup' }] });
    expect(draft.nodes.find((n: { id: string }) => n.id === 'backup').externalDestinationId).toBeNull();
  });

  it('refuses with FORBIDDEN an editor who re-points or removes a node routing to a destination it cannot see, and leaves the draft as it was', async () => {
    const flow = await publishedFlow();
    const before = await draftOf(flow.id);
    const repointed = await t.gql(UPDATE_FLOW, { id: flow.id, i: { name: flow.name, serviceNumbers: [flow.serviceNumber], nodes: nodes(seen, seen) } }, editor.token);
    expect(codeOf(repointed)).toBe('FORBIDDEN');
    const removed = nodes(null, seen).filter((n) => n.id !== 'partner').map((n) => (n.id === 'start' ? { ...n, branches: [{ name: 'next', to: 'backup' }] } : n));
    const withoutNode = await t.gql(UPDATE_FLOW, { id: flow.id, i: { name: flow.name, serviceNumbers: [flow.serviceNumber], nodes: removed } }, editor.token);
    expect(codeOf(withoutNode)).toBe('FORBIDDEN');
    const retyped = nodes(null, seen).map((n) => (n.id === 'partner' ? { id: 'partner', type: 'DISCONNECT' } : n));
    const asDisconnect = await t.gql(UPDATE_FLOW, { id: flow.id, i: { name: flow.name, serviceNumbers: [flow.serviceNumber], nodes: retyped } }, editor.token);
    expect(codeOf(asDisconnect)).toBe('FORBIDDEN');
    expect(await draftOf(flow.id)).toEqual(before);
  });

  it('answers NOT_FOUND to an editor who puts a destination it cannot see into a flow, as for groups', async () => {
    const res = await t.gql('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', { i: { name: `Sneaky ${randomUUID().slice(0, 6)}`, serviceNumbers: [number()], nodes: nodes(seen, hidden) } }, editor.token);
    expect(codeOf(res)).toBe('NOT_FOUND');
    expect(res.errors?.[0]?.extensions?.field).toBe('input.nodes[2].externalDestinationId');
    const flows = await t.ok('{ callFlows { totalCount } }', {}, w.admin);
    expect(flows.callFlows.totalCount).toBe(0);
  });

  it('refuses with FORBIDDEN an editor who deletes a flow routing to a destination it cannot see, and the flow keeps answering its number', async () => {
    const flow = await publishedFlow();
    const res = await t.gql('mutation($id: ID!) { deleteCallFlow(id: $id) }', { id: flow.id }, editor.token);
    expect(codeOf(res)).toBe('FORBIDDEN');
    const call = await startCall(flow.serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect(dial!.destinationId).toBe(hidden);
    // Someone who sees every destination of it may delete it.
    expect((await t.ok('mutation($id: ID!) { deleteCallFlow(id: $id) }', { id: flow.id }, w.admin)).deleteCallFlow).toBe(flow.id);
  });

  it('refuses with FORBIDDEN an editor who publishes over a version routing to a destination it cannot see, so calls keep reaching it', async () => {
    const flow = await publishedFlow();
    // The administrator takes the hidden destination out of the draft but leaves publishing to the editor.
    await t.ok(UPDATE_FLOW, { id: flow.id, i: { name: flow.name, serviceNumbers: [flow.serviceNumber], nodes: nodes(seen, seen) } }, w.admin);
    const res = await t.gql('mutation($id: ID!) { publishCallFlow(id: $id) { publishedVersion } }', { id: flow.id }, editor.token);
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect((await draftOf(flow.id)).publishedVersion).toBe(1);
    const call = await startCall(flow.serviceNumber);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect(dial!.destinationId).toBe(hidden);
  });

  it('keeps the destinations an administrator who sees none of them cannot see when that administrator rewrites a profile', async () => {
    const profile = await t.ok(
      'mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }',
      { i: { name: `Partners ${randomUUID().slice(0, 6)}`, scope: 'SELECTED', destinationIds: [seen, hidden] } },
      w.admin,
    );
    const id = profile.createExternalDestinationsProfile.id;
    const blind = await createUser(t, w.company, { username: `blind-${randomUUID().slice(0, 6)}`, kind: 'COMPANY_ADMIN', privileges: { users: 'MODIFY' } });
    const res = await t.gql(UPDATE_PROFILE, { id, i: { name: 'Renamed partners', scope: 'SELECTED', destinationIds: [] } }, blind.token);
    expect(res.errors).toBeUndefined();
    expect(res.data.updateExternalDestinationsProfile.destinations).toEqual([{ hidden: true, destination: null }, { hidden: true, destination: null }]);
    const after = (await t.ok(PROFILE, { id }, w.admin)).externalDestinationsProfile;
    expect(after.name).toBe('Renamed partners');
    expect(after.destinations.map((d: { destination: { id: string } }) => d.destination.id).sort()).toEqual([seen, hidden].sort());
  });

  it('replaces only the members an administrator can see in a profile, and answers NOT_FOUND when it adds one it cannot see', async () => {
    const third = await w.destination({ name: `Third ${randomUUID().slice(0, 6)}` });
    const profile = await t.ok(
      'mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }',
      { i: { name: `Mixed ${randomUUID().slice(0, 6)}`, scope: 'SELECTED', destinationIds: [seen, hidden] } },
      w.admin,
    );
    const id = profile.createExternalDestinationsProfile.id;
    // An administrator whose own profile shows `seen` and `third` only.
    const partial = await createUser(t, w.company, {
      username: `partial-${randomUUID().slice(0, 6)}`, kind: 'COMPANY_ADMIN',
      privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [seen, third] },
    });
    const swapped = await t.gql(UPDATE_PROFILE, { id, i: { name: 'Mixed', scope: 'SELECTED', destinationIds: [third] } }, partial.token);
    expect(swapped.errors).toBeUndefined();
    const after = (await t.ok(PROFILE, { id }, w.admin)).externalDestinationsProfile;
    expect(after.destinations.map((d: { destination: { id: string } }) => d.destination.id).sort()).toEqual([hidden, third].sort());

    const added = await t.gql(UPDATE_PROFILE, { id, i: { name: 'Mixed', scope: 'SELECTED', destinationIds: [third, hidden] } }, partial.token);
    expect(codeOf(added)).toBe('NOT_FOUND');
    expect(added.errors?.[0]?.extensions?.field).toBe('input.destinationIds[1]');
    const created = await t.gql(
      'mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }',
      { i: { name: `Grab ${randomUUID().slice(0, 6)}`, scope: 'SELECTED', destinationIds: [hidden] } },
      partial.token,
    );
    expect(codeOf(created)).toBe('NOT_FOUND');
  });
});

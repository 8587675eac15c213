import { randomUUID } from 'node:crypto';
import { routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

/**
 * Several mutations in one request: a response must never hide what was written. A request carries one
 * mutation; one with more is refused before any of them runs, so nothing is written and the client is told why.
 */
describe.each(routingModes().map((m) => [m.name, m] as const))('several mutations in one request (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  beforeAll(async () => {
    t = await mode.start();
  });
  beforeEach(async () => {
    w = await RoutingWorld.create(t);
  });
  afterEach(async () => {
    await w?.close();
  });
  afterAll(async () => {
    await t?.close();
  });

  const agentNames = async () => ((await t.ok('{ agents(first: 500) { nodes { name } } }', {}, w.admin)).agents.nodes as Array<{ name: string }>).map((a) => a.name);

  it('refuses a request with two mutations, the second failing, before either runs: nothing is written and the error says why', async () => {
    const name = `Written ${randomUUID().slice(0, 6)}`;
    const res = await t.gql(`mutation { first: createAgent(input: { name: "${name}" }) { id } second: createAgent(input: { name: "" }) { id } }`, {}, w.admin);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(res.errors![0]!.message).toMatch(/one mutation/);
    expect(res.errors![0]!.message).toMatch(/first, second/);
    expect(await agentNames()).not.toContain(name);

    // Each mutation in a request of its own runs, and its answer tells what was written.
    const alone = await t.gql(`mutation { createAgent(input: { name: "${name}" }) { id name } }`, {}, w.admin);
    expect(alone.errors).toBeUndefined();
    expect(alone.data.createAgent.name).toBe(name);
    expect(await agentNames()).toContain(name);
  });

  it('refuses two mutations hidden in fragments as well, and writes nothing', async () => {
    const name = `Fragment ${randomUUID().slice(0, 6)}`;
    const res = await t.gql(
      `mutation Both($n: String!) { ...One ... on Mutation { b: createAgent(input: { name: "" }) { id } } } fragment One on Mutation { a: createAgent(input: { name: $n }) { id } }`,
      { n: name },
      w.admin,
    );
    expect(res.status).toBe(400);
    expect(res.errors![0]!.extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await agentNames()).not.toContain(name);
  });
});

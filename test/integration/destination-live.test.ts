import { ExternalDestination } from '../../src/entities/external-destination.entity';
import { codeOf, createDestination, createUser, provisionCompany, type Company } from '../support/fixtures';
import { dropPrefix, redisSuitesOn, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

const LIVE = `query($id: ID!) { externalDestination(id: $id) { live { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures } } }`;
const RESUME = `mutation($id: ID!) { resumeExternalDestination(id: $id) { id live { state consecutiveFailures backedOffUntil } } }`;

type Mode = { name: string; dialect: 'sqlite' | 'postgres'; redis: boolean };
const modes: Mode[] = [{ name: 'the embedded default', dialect: 'sqlite', redis: false }];
if (redisSuitesOn() && process.env.POSTGRES_SUITES === 'on') modes.push({ name: 'PostgreSQL and Redis', dialect: 'postgres', redis: true });

describe.each(modes)('destination live state on $name', (mode) => {
  const prefix = uniquePrefix();
  let t: TestGateway;
  let company: Company;
  beforeAll(async () => {
    t = await startTestGateway(mode.dialect, mode.redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } : {});
    company = await provisionCompany(t, 'live');
  });
  afterAll(async () => {
    await t.close();
    if (mode.redis) await dropPrefix(prefix);
  });
  const live = async (id: string, token = company.adminToken) => (await t.ok(LIVE, { id }, token)).externalDestination.live;

  it('shows a new destination as available with no calls', async () => {
    const d = await createDestination(t, company.adminToken, { maxSimultaneousCalls: 3 });
    expect(await live(d.id)).toEqual({
      destinationId: d.id, seq: 0, state: 'AVAILABLE', connectingCalls: 0, activeCalls: 0, maxSimultaneousCalls: 3, backedOffUntil: null, consecutiveFailures: 0,
    });
  });

  it('counts connecting and active calls and shows a full destination as at capacity', async () => {
    const d = await createDestination(t, company.adminToken, { maxSimultaneousCalls: 2 });
    const ref = { companyId: company.id, destinationId: d.id };
    await t.gateway.live.capacity.acquire(ref, 'attempt-1', 2);
    expect(await live(d.id)).toMatchObject({ state: 'AVAILABLE', connectingCalls: 1, activeCalls: 0 });
    await t.gateway.live.capacity.acquire(ref, 'attempt-2', 2);
    await t.gateway.live.capacity.markAnswered(ref, 'attempt-2');
    expect(await live(d.id)).toMatchObject({ state: 'AT_CAPACITY', connectingCalls: 1, activeCalls: 1 });
  });

  it('shows a back-off until its end, and a disabled destination as disabled', async () => {
    const d = await createDestination(t, company.adminToken);
    const until = Date.now() + 60_000;
    await t.gateway.live.health.recordFailure(company.id, d.id, until);
    expect(await live(d.id)).toMatchObject({ state: 'BACKED_OFF', consecutiveFailures: 1, backedOffUntil: new Date(until).toISOString() });
    const off = await createDestination(t, company.adminToken, { enabled: false });
    expect((await live(off.id)).state).toBe('DISABLED');
  });

  it('resumes a suspended, backed-off destination for a user who may change it, and only for such a user', async () => {
    const d = await createDestination(t, company.adminToken);
    // As routing does when failures reach the limit: a plain SQL write (not a configuration change, so the
    // version stays), announced as a change so every instance's memory has it.
    await t.gateway.dataSource.getRepository(ExternalDestination).createQueryBuilder().update().set({ suspendedAt: new Date(), version: () => 'version' } as never).where('id = :id', { id: d.id }).execute();
    await t.gateway.services.changes.committed(company.id, 'destination', d.id);
    for (let i = 0; i < 3; i += 1) await t.gateway.live.health.recordFailure(company.id, d.id, Date.now() + 60_000);
    expect((await live(d.id)).state).toBe('SUSPENDED');

    const viewer = await createUser(t, company, { username: `viewer-${mode.dialect}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'ALL' } });
    expect(codeOf(await t.gql(RESUME, { id: d.id }, viewer.token))).toBe('FORBIDDEN');
    const selected = await createUser(t, company, { username: `selected-${mode.dialect}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'MODIFY' }, profile: { scope: 'SELECTED', destinationIds: [] } });
    expect(codeOf(await t.gql(RESUME, { id: d.id }, selected.token))).toBe('NOT_FOUND');
    expect((await live(d.id)).state).toBe('SUSPENDED');

    const before = (await t.ok(`query($id: ID!) { externalDestination(id: $id) { version } }`, { id: d.id }, company.adminToken)).externalDestination.version;
    const res = await t.ok(RESUME, { id: d.id }, company.adminToken);
    expect(res.resumeExternalDestination.live).toEqual({ state: 'AVAILABLE', consecutiveFailures: 0, backedOffUntil: null });
    const after = (await t.ok(`query($id: ID!) { externalDestination(id: $id) { version } }`, { id: d.id }, company.adminToken)).externalDestination.version;
    expect(after).toBe(before);
  });
});

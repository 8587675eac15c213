import { dropPrefix, redisSuitesOn, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { codeOf, createUser, provisionCompany, type Company } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

const LIVE = `query($id: ID!) { agent(id: $id) { live { agentId seq status activity } } }`;
const SET = `mutation($id: ID!, $s: AgentStatus!) { setAgentStatus(agentId: $id, status: $s) { id live { seq status activity } } }`;

type Mode = { name: string; dialect: 'sqlite' | 'postgres'; redis: boolean };
const modes: Mode[] = [{ name: 'the embedded default', dialect: 'sqlite', redis: false }];
if (redisSuitesOn() && process.env.POSTGRES_SUITES === 'on') modes.push({ name: 'PostgreSQL and Redis', dialect: 'postgres', redis: true });

describe.each(modes)('agent status on $name', (mode) => {
  const prefix = uniquePrefix();
  const env: Record<string, string> = mode.redis ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix } : {};
  let t: TestGateway;
  let company: Company;
  let agentId: string;
  let otherAgentId: string;
  let agentToken: string;
  beforeAll(async () => {
    t = await startTestGateway(mode.dialect, env);
    company = await provisionCompany(t, 'status');
    const login = await createUser(t, company, { username: 'alice', kind: 'AGENT', privileges: { agents: 'MODIFY' } });
    agentToken = login.token;
    agentId = (await t.ok(`mutation($u: ID!) { createAgent(input: { name: "Alice", userLoginId: $u }) { id } }`, { u: login.id }, company.adminToken)).createAgent.id;
    otherAgentId = (await t.ok(`mutation { createAgent(input: { name: "Bob" }) { id } }`, {}, company.adminToken)).createAgent.id;
  });
  afterAll(async () => {
    await t.close();
    if (mode.redis) await dropPrefix(prefix);
  });

  it('knows a new agent as logged out and idle', async () => {
    const res = await t.ok(LIVE, { id: otherAgentId }, company.adminToken);
    expect(res.agent.live).toEqual({ agentId: otherAgentId, seq: 0, status: 'LOGGED_OUT', activity: 'IDLE' });
  });

  it('lets an agent set its own status, counting each change once', async () => {
    expect((await t.ok(SET, { id: agentId, s: 'AVAILABLE' }, agentToken)).setAgentStatus.live).toEqual({ seq: 1, status: 'AVAILABLE', activity: 'IDLE' });
    expect((await t.ok(SET, { id: agentId, s: 'AVAILABLE' }, agentToken)).setAgentStatus.live.seq).toBe(1);
    expect((await t.ok(SET, { id: agentId, s: 'ON_BREAK' }, agentToken)).setAgentStatus.live).toEqual({ seq: 2, status: 'ON_BREAK', activity: 'IDLE' });
  });

  it('refuses an agent login changing another agent, alike for any id', async () => {
    const codes = await Promise.all(
      [otherAgentId, '00000000-0000-4000-8000-000000000000', 'nope'].map(async (id) => codeOf(await t.gql(SET, { id, s: 'AVAILABLE' }, agentToken))),
    );
    expect(codes).toEqual(['FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN']);
    expect((await t.ok(LIVE, { id: otherAgentId }, company.adminToken)).agent.live.status).toBe('LOGGED_OUT');
  });

  it('lets a supervisor with Modify on agents set any agent of its company, and no other company\'s', async () => {
    expect((await t.ok(SET, { id: otherAgentId, s: 'AVAILABLE' }, company.adminToken)).setAgentStatus.live.status).toBe('AVAILABLE');
    const other = await provisionCompany(t, 'status-other');
    expect(codeOf(await t.gql(SET, { id: otherAgentId, s: 'ON_BREAK' }, other.adminToken))).toBe('NOT_FOUND');
  });

  if (mode.redis) {
    it('shares live agent state between two gateway instances', async () => {
      const second = await startTestGateway('postgres', { ...env, DATABASE_URL: t.databaseUrl });
      try {
        await t.ok(SET, { id: otherAgentId, s: 'ON_BREAK' }, company.adminToken);
        expect((await second.ok(LIVE, { id: otherAgentId }, company.adminToken)).agent.live.status).toBe('ON_BREAK');
        await second.ok(SET, { id: otherAgentId, s: 'AVAILABLE' }, company.adminToken);
        expect((await t.ok(LIVE, { id: otherAgentId }, company.adminToken)).agent.live.status).toBe('AVAILABLE');
      } finally {
        await second.close();
      }
    });
  }
});

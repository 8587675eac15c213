import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/gateway';
import { DEMO_FLOW_NUMBERS } from '../../src/seed/demo-seed';

describe('the demo seed of a development start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-demo-'));
  const config = loadConfig({ NODE_ENV: 'development', PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'demo.sqlite')}`, LOG_LEVEL: 'silent' });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function post(url: string, query: string, token?: string) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> };
  }

  it('creates a demo company whose printed logins and connector key work, with the access each promises', async () => {
    const gateway = await createGateway(config);
    try {
      const demo = gateway.demo!;
      expect(demo.connectorApiKey).toMatch(/^ck\./);
      const tokens: Record<string, string> = {};
      for (const u of demo.users) {
        const res = await post(gateway.url, `mutation { login(companySlug: "${demo.companySlug}", username: "${u.username}", password: "${u.password}") { token } }`);
        tokens[u.username] = res.data.login.token;
      }
      const seen = async (who: string) => post(gateway.url, `{ externalDestinations { totalCount } }`, tokens[who]);
      expect((await seen('admin')).data.externalDestinations.totalCount).toBe(3);
      expect((await seen('supervisor')).data.externalDestinations.totalCount).toBe(1);
      expect((await seen('agent')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const queues = await post(gateway.url, `{ queues { totalCount } agents { totalCount } agentGroups { totalCount } }`, tokens.admin);
      expect(queues.data).toEqual({ queues: { totalCount: 2 }, agents: { totalCount: 3 }, agentGroups: { totalCount: 2 } });
      const asConnector = await post(gateway.url, `{ me { id } }`, demo.connectorApiKey!);
      expect(asConnector.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      // Both demo flows are published: a call to the sales line runs it (no agent is logged in: NoAgents -> AI agent).
      const flows = await post(gateway.url, `{ callFlows { nodes { name publishedVersion serviceNumbers } } }`, tokens.admin);
      expect(flows.data.callFlows.nodes).toEqual([
        { name: 'Main line', publishedVersion: 1, serviceNumbers: [DEMO_FLOW_NUMBERS.mainLine] },
        { name: 'Sales line', publishedVersion: 1, serviceNumbers: [DEMO_FLOW_NUMBERS.salesLine] },
      ]);
      const started = await post(gateway.url, `mutation { startCall(input: { connectorCallId: "demo-1", serviceNumber: "${DEMO_FLOW_NUMBERS.salesLine}" }) { id state } }`, demo.connectorApiKey!);
      expect(started.data.startCall.state).toBe('OFFERING');
      const call = await post(gateway.url, `{ call(id: "${started.data.startCall.id}") { trace { summary } attempts { target { ... on ExternalDestination { name } } } } }`, tokens.admin);
      expect(call.data.call.attempts[0].target.name).toBe('AI Virtual Agent');
      expect(call.data.call.trace.map((e: { summary: string }) => e.summary).join('\n')).toMatch(/took NoAgents/);
    } finally {
      await gateway.close();
    }
  });

  it('seeds nothing again on a restart of the same database, and still names the demo logins', async () => {
    const gateway = await createGateway(config);
    try {
      expect(gateway.demo?.connectorApiKey).toBeNull();
      expect(gateway.demo?.users.map((u) => u.username)).toEqual(['admin', 'supervisor', 'agent']);
      const login = await post(gateway.url, `mutation { login(companySlug: "demo", username: "admin", password: "demo-admin-password") { token } }`);
      const res = await post(gateway.url, `{ externalDestinations { totalCount } }`, login.data.login.token);
      expect(res.data.externalDestinations.totalCount).toBe(3);
    } finally {
      await gateway.close();
    }
  });
});

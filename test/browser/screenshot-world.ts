import { randomUUID } from 'node:crypto';
import { Connector } from '../support/telephony';
import { login } from '../support/fixtures';
import { PLATFORM_KEY, type TestGateway } from '../support/test-gateway';

/** A company in the afternoon of its day: the chart has a morning of calls behind it. */
function afternoonZone(now = new Date()): string {
  const zones = ['Pacific/Auckland', 'Australia/Sydney', 'Asia/Tokyo', 'Asia/Shanghai', 'Asia/Kolkata', 'Asia/Dubai', 'Europe/Istanbul', 'Europe/Berlin',
    'Europe/London', 'Atlantic/Azores', 'America/Sao_Paulo', 'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'Pacific/Honolulu'];
  const hourIn = (zone: string) => {
    const parts = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: 'numeric', hourCycle: 'h23', timeZone: zone }).formatToParts(now);
    return Number(parts.find((p) => p.type === 'hour')!.value) + Number(parts.find((p) => p.type === 'minute')!.value) / 60;
  };
  return zones.reduce((best, zone) => (Math.abs(hourIn(zone) - 15.5) < Math.abs(hourIn(best) - 15.5) ? zone : best));
}

/** Local midnight of `now` in `zone`, as an instant (ms). */
function localMidnight(zone: string, now = Date.now()): number {
  const parts = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23', timeZone: zone }).formatToParts(new Date(now));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return now - ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000 - (now % 1000);
}

/** A deterministic sequence in [0, 1), so the picture is the same shape every time. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

export interface ScreenshotWorld {
  slug: string;
  username: string;
  password: string;
  destinations: number;
  chartDestination: string;
  close(): Promise<void>;
}

/**
 * A contact centre in mid-afternoon, built through the public API: a morning of calls to two destinations
 * (played with the gateway's clock moved back, so they fall in the day's intervals), then destinations in
 * every state, queues with calls waiting, and agents busy, free, on a break and logged out.
 */
export async function buildScreenshotWorld(t: TestGateway, clock: { offsetMs: number }): Promise<ScreenshotWorld> {
  const slug = `northwind-${randomUUID().slice(0, 6)}`;
  const timeZone = afternoonZone();
  await t.ok('mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
    i: { name: 'Northwind Contact Centre', slug, timeZone, adminUsername: 'admin', adminPassword: 'northwind-admin-password' },
  }, PLATFORM_KEY);
  const admin = await login(t, slug, 'admin', 'northwind-admin-password');
  const key = await t.ok('mutation { createConnectorApiKey(name: "platform") { apiKey } }', {}, admin);
  const connector = new Connector(t, key.createConnectorApiKey.apiKey);
  await connector.connect();
  const ok = (query: string, variables: Record<string, unknown> = {}) => t.ok(query, variables, admin);

  const destination = async (name: string, settings: Record<string, unknown>) =>
    (await ok('mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', { i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958', ...settings } })).createExternalDestination.id as string;
  const group = async (name: string, agentIds: string[], destinationIds: string[]) =>
    (await ok('mutation($i: AgentGroupInput!) { createAgentGroup(input: $i) { id } }', { i: { name, agentIds, externalDestinationIds: destinationIds } })).createAgentGroup.id as string;
  const queue = async (name: string, groupId: string, settings: Record<string, unknown> = {}) =>
    (await ok('mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name, groups: [{ groupId }], ...settings } })).createQueue.id as string;
  const agent = async (name: string, status: string | null) => {
    const id = (await ok('mutation($i: AgentInput!) { createAgent(input: $i) { id } }', { i: { name } })).createAgent.id as string;
    if (status) await ok('mutation($a: ID!, $s: AgentStatus!) { setAgentStatus(agentId: $a, status: $s) { id } }', { a: id, s: status });
    return id;
  };
  const dial = async (queueId: string) => {
    const call = await connector.enqueueOk(queueId);
    const [i] = await connector.waitFor((x) => (x.kind === 'DIAL_EXTERNAL' || x.kind === 'RING_AGENT') && x.callId === call.id);
    return { callId: call.id, attemptId: i!.attemptId! };
  };

  const ai = await destination('AI virtual agent', { maxSimultaneousCalls: 12, busyBackoffSec: 0 });
  const leeds = await destination('Partner Leeds', { maxSimultaneousCalls: 4, busyBackoffSec: 0 });
  const manchester = await destination('Partner Manchester', { maxSimultaneousCalls: 6 });
  const night = await destination('Night partner', { maxSimultaneousCalls: 3, busyBackoffSec: 300 });
  const glasgow = await destination('Partner Glasgow', { maxSimultaneousCalls: 5, maxConsecutiveFailures: 1 });
  await destination('Spare partner', { maxSimultaneousCalls: 2, enabled: false });
  const queueOf = new Map<string, string>();
  for (const [name, id] of [['AI overflow', ai], ['Leeds overflow', leeds], ['Manchester overflow', manchester], ['Night line', night], ['Glasgow overflow', glasgow]] as const) {
    queueOf.set(id, await queue(name, await group(`${name} group`, [], [id])));
  }

  // The morning: calls every quarter of an hour from 08:00 to a little before now, more around 11:00 and 14:30.
  const rnd = random(7);
  const dayStart = localMidnight(timeZone);
  try {
    for (let at = dayStart + 8 * 3600_000; at < Date.now() - 20 * 60_000; at += 15 * 60_000) {
      const hour = (at - dayStart) / 3600_000;
      const load = Math.exp(-((hour - 11) ** 2) / 3) + 0.8 * Math.exp(-((hour - 14.5) ** 2) / 2);
      for (const [id, scale] of [[ai, 5], [leeds, 2.5]] as const) {
        const calls = Math.round(load * scale + rnd() * 1.5);
        for (let c = 0; c < calls; c += 1) {
          clock.offsetMs = at + (c * 15 * 60_000) / (calls + 1) - Date.now();
          const { callId, attemptId } = await dial(queueOf.get(id)!);
          const r = rnd();
          const outcome = r < 0.8 ? 'ANSWERED' : r < 0.9 ? 'BUSY' : r < 0.96 ? 'NO_ANSWER' : 'FAILED';
          clock.offsetMs += (5 + rnd() * 20) * 1000;
          await connector.outcome(attemptId, outcome);
          if (outcome === 'ANSWERED') clock.offsetMs += (60 + rnd() * 240) * 1000;
          await connector.endCall(callId, outcome === 'ANSWERED' ? 'COMPLETED' : 'CALLER_HUNG_UP');
        }
      }
    }
  } finally {
    clock.offsetMs = 0;
  }

  // Now: calls in progress, a busy back-off, a suspension.
  for (let i = 0; i < 8; i += 1) {
    const { attemptId } = await dial(queueOf.get(ai)!);
    if (i < 5) await connector.outcome(attemptId, 'ANSWERED');
  }
  for (let i = 0; i < 4; i += 1) {
    const { attemptId } = await dial(queueOf.get(leeds)!);
    if (i < 2) await connector.outcome(attemptId, 'ANSWERED');
  }
  const { attemptId: m1 } = await dial(queueOf.get(manchester)!);
  await connector.outcome(m1, 'ANSWERED');
  const busy = await dial(queueOf.get(night)!);
  await connector.outcome(busy.attemptId, 'BUSY');
  await connector.endCall(busy.callId, 'CALLER_HUNG_UP');
  const failed = await dial(queueOf.get(glasgow)!);
  await connector.outcome(failed.attemptId, 'FAILED');
  await connector.endCall(failed.callId, 'CALLER_HUNG_UP');

  // Agents: one on a call, one in wrap-up, one held back after a missed call, one free, one on a break, one
  // logged out; a sales queue waiting for the busy one.
  const alex = await agent('Alex Morgan', 'AVAILABLE');
  const priya = await agent('Priya Shah', 'AVAILABLE');
  const mia = await agent('Mia Chen', 'AVAILABLE');
  await agent('Sara Costa', 'AVAILABLE');
  const billing = await queue('Billing', await group('Billing team', [priya], []), { wrapUpSec: 600 });
  const finished = await dial(billing);
  await connector.outcome(finished.attemptId, 'ANSWERED');
  await connector.endCall(finished.callId, 'COMPLETED');
  const claims = await queue('Claims', await group('Claims team', [mia], []), { agentRetrySec: 600 });
  const missed = await dial(claims);
  await connector.outcome(missed.attemptId, 'NO_ANSWER');
  await connector.endCall(missed.callId, 'CALLER_HUNG_UP');
  await agent('Tom Baker', 'ON_BREAK');
  await agent('Lena Vogel', null);
  const support = await queue('Support', await group('Support team', [alex], []));
  const ringing = await dial(support);
  await connector.outcome(ringing.attemptId, 'ANSWERED');
  const sales = await queue('Sales', await group('Sales team', [alex], []));
  for (const ago of [155, 70, 12]) {
    clock.offsetMs = -ago * 1000;
    try {
      await connector.enqueueOk(sales);
    } finally {
      clock.offsetMs = 0;
    }
  }

  const username = 'sam';
  const password = 'northwind-supervisor';
  const role = await ok('mutation($i: RoleInput!) { createRole(input: $i) { id } }', {
    i: { name: 'Supervisors', privileges: { externalDestinations: 'MODIFY', queues: 'VIEW', agents: 'VIEW', agentGroups: 'VIEW', statistics: 'VIEW' } },
  });
  const profile = await ok('mutation($i: ExternalDestinationsProfileInput!) { createExternalDestinationsProfile(input: $i) { id } }', { i: { name: 'All destinations', scope: 'ALL', destinationIds: [] } });
  await ok('mutation($i: CreateUserLoginInput!) { createUserLogin(input: $i) { id } }', {
    i: { username, password, kind: 'SUPERVISOR', roleIds: [role.createRole.id], externalDestinationsProfileId: profile.createExternalDestinationsProfile.id },
  });
  return { slug, username, password, destinations: 6, chartDestination: 'AI virtual agent', close: () => connector.close() };
}

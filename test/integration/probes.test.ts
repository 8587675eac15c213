import { randomUUID } from 'node:crypto';
import { DestinationProbe } from '../../src/entities/destination-probe.entity';
import { PROBE_RETENTION_MS } from '../../src/engine/probes';
import { codeOf, createUser } from '../support/fixtures';
import { eventually, routingModes, RoutingWorld, useRoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

jest.setTimeout(60_000);

const REPORT = 'mutation($i: ProbeOutcomeInput!) { reportProbeOutcome(input: $i) { id destinationId number outcome sentAt endedAt } }';
const STATUS = `query($id: ID!, $from: DateTime!, $to: DateTime!) { externalDestination(id: $id) {
  probe { intervalSec timeoutSec successesToResume number }
  probeStatus { probing consecutiveSuccesses lastProbe { id outcome } }
  probeStatistics(from: $from, to: $to) { sent succeeded failed timedOut pending }
  live { state consecutiveFailures } } }`;

describe.each(routingModes().map((m) => [m.name, m] as const))('health probes through the API (%s)', (_name, mode) => {
  let t: TestGateway;
  let w: RoutingWorld;
  useRoutingWorld(mode, (gateway, world) => {
    t = gateway;
    w = world;
  });

  const range = () => ({ from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

  it('probes a suspended destination through the connector, resumes it on success and counts the probes, with no caller\'s slot or trace', async () => {
    const d = await w.destination({ maxSimultaneousCalls: 1, maxConsecutiveFailures: 1, probe: { intervalSec: 5, timeoutSec: 4, successesToResume: 1 } });
    const queueId = await w.queue([{ groupId: await w.group([], [d]) }]);
    const call = await w.connector.enqueueOk(queueId);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    expect((await w.connector.outcome(dial!.attemptId!, 'FAILED')).errors).toBeUndefined();
    await eventually(async () => (await w.destinationLive(d)).state === 'SUSPENDED');
    const waiting = await w.connector.enqueueOk(queueId);

    const [probe] = await w.connector.waitFor((i) => i.kind === 'PROBE_DESTINATION' && i.destinationId === d, 1, 15_000);
    expect(probe).toMatchObject({ callId: probe!.attemptId, number: '+442079460958', ringTimeoutSec: 4, agentId: null, context: null });
    const during = (await t.ok(STATUS, { id: d, ...range() }, w.admin)).externalDestination;
    expect(during.probe).toEqual({ intervalSec: 5, timeoutSec: 4, successesToResume: 1, number: null });
    expect(during.probeStatus).toMatchObject({ probing: true, lastProbe: { id: probe!.attemptId, outcome: null } });
    expect((await w.destinationLive(d))).toMatchObject({ state: 'SUSPENDED' });

    const reported = await t.ok(REPORT, { i: { eventId: randomUUID(), probeId: probe!.attemptId, outcome: 'SUCCEEDED' } }, w.connector.key);
    expect(reported.reportProbeOutcome).toMatchObject({ id: probe!.attemptId, destinationId: d, outcome: 'SUCCEEDED' });
    await eventually(async () => (await w.destinationLive(d)).state === 'AVAILABLE' || (await w.destinationLive(d)).state === 'AT_CAPACITY');
    // The calls waiting (the first, after its retry interval, comes first) go to the resumed destination again.
    await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.destinationId === d, 2);
    // No call's trace names the probe.
    for (const id of [call.id, waiting.id]) expect(JSON.stringify(await w.call(id))).not.toContain(probe!.attemptId);
    const after = (await t.ok(STATUS, { id: d, ...range() }, w.admin)).externalDestination;
    expect(after.probeStatus).toMatchObject({ probing: false, lastProbe: { id: probe!.attemptId, outcome: 'SUCCEEDED' } });
    expect(after.probeStatistics).toEqual({ sent: 1, succeeded: 1, failed: 0, timedOut: 0, pending: 0 });
    expect(after.live.consecutiveFailures).toBe(0);
    // Kept a while only (decision 039): once older than the retention, the hourly pruning deletes it (on this database too).
    const { dataSource, services: { router } } = t.gateway;
    await dataSource.getRepository(DestinationProbe).update({ id: probe!.attemptId! }, { sentAt: new Date(Date.now() - PROBE_RETENTION_MS - 60_000) });
    expect((await router.pruneRecords()).probes).toBeGreaterThanOrEqual(1);
    expect(await dataSource.getRepository(DestinationProbe).findOneBy({ id: probe!.attemptId! })).toBeNull();
  });

  it('refuses probe settings it cannot keep and another company\'s probe as if it did not exist', async () => {
    const bad = await t.gql('mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }', {
      i: { name: `Probe ${randomUUID().slice(0, 6)}`, numberMode: 'FULL_NUMBER', number: '+442079460958', probe: { intervalSec: 10, timeoutSec: 10 } },
    }, w.admin);
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0]!.extensions!.field).toBe('input.probe.timeoutSec');

    const d = await w.destination({ busyBackoffSec: 600, probe: { intervalSec: 5, timeoutSec: 1 } });
    const queueId = await w.queue([{ groupId: await w.group([], [d]) }]);
    const call = await w.connector.enqueueOk(queueId);
    const [dial] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    await w.connector.outcome(dial!.attemptId!, 'BUSY');
    const [probe] = await w.connector.waitFor((i) => i.kind === 'PROBE_DESTINATION' && i.destinationId === d, 1, 15_000);
    const other = await RoutingWorld.create(t);
    try {
      const foreign = await t.gql(REPORT, { i: { eventId: randomUUID(), probeId: probe!.attemptId, outcome: 'SUCCEEDED' } }, other.connector.key);
      const unknown = await t.gql(REPORT, { i: { eventId: randomUUID(), probeId: randomUUID(), outcome: 'SUCCEEDED' } }, other.connector.key);
      expect(codeOf(foreign)).toBe('NOT_FOUND');
      expect(foreign.errors![0]!.message).toBe(unknown.errors![0]!.message);
    } finally {
      await other.close();
    }
    expect(codeOf(await t.gql(REPORT, { i: { eventId: randomUUID(), probeId: probe!.attemptId, outcome: 'SUCCEEDED' } }, w.admin))).toBe('FORBIDDEN');
    // The gateway's own timeout (1 s) ends the probe: the destination stays backed off.
    await eventually(async () => (await t.ok(STATUS, { id: d, ...range() }, w.admin)).externalDestination.probeStatistics.timedOut === 1);
    expect((await w.destinationLive(d)).state).toBe('BACKED_OFF');
    // Without statistics VIEW, the probe's figures are not given; a hidden destination is not found at all.
    const limited = await createUser(t, w.company, { username: `probes-${d.slice(0, 8)}`, kind: 'SUPERVISOR', privileges: { externalDestinations: 'VIEW' }, profile: { scope: 'SELECTED', destinationIds: [] } });
    expect(codeOf(await t.gql('query($id: ID!) { externalDestination(id: $id) { probeStatus { probing } } }', { id: d }, limited.token))).toBe('NOT_FOUND');
  });
});

import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { codeOf, createUser, USER_PASSWORD } from '../support/fixtures';
import { RoutingWorld, type Instruction } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { browserSuite, type DashboardWorld, PAGE_WAIT_MS, signIn, textUntil, useDashboardWorld } from './harness';

/*
 * Capacity pools and health probes on the supervisor's screen (issue 19, decisions 009, 037 and 038): each pool's
 * members and its use now ("2 of 2 in use (2 ringing, 0 connected)"), kept live by the pools' updates as calls are
 * routed, answered and ended, with its figures of the period; a member outside the viewer's External Destinations
 * profile shown as a hidden destination, its name and id never reaching the browser; and a destination's health
 * probe in words, following the probes the connector is asked for and reports. Everything is set up and driven
 * through the public API, as a telephony connector would.
 */

jest.setTimeout(90_000);

const suite = browserSuite('the dashboard shows capacity pools and health probes');

const SUPERVISOR = { externalDestinations: 'VIEW', queues: 'VIEW', agents: 'VIEW', agentGroups: 'VIEW', statistics: 'VIEW' } as const;

const CREATE_POOL = 'mutation($i: CapacityPoolInput!) { createCapacityPool(input: $i) { id } }';
const REPORT_PROBE = 'mutation($i: ProbeOutcomeInput!) { reportProbeOutcome(input: $i) { id outcome sentAt } }';

/** "12:03:10" in the company's zone (the demo companies of the tests are in Europe/London), as the page writes a time. */
function clockOf(at: string): string {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' }).format(new Date(at));
}

suite('the dashboard shows capacity pools and health probes', () => {
  let t: TestGateway;
  let page: Page;
  let w: RoutingWorld;

  useDashboardWorld((x) => ({ t, page, w } = x as DashboardWorld));

  async function signInAs(profile: { scope: 'ALL' } | { scope: 'SELECTED'; destinationIds: string[] }): Promise<void> {
    const username = `sup-${randomUUID().slice(0, 6)}`;
    await createUser(t, w.company, { username, kind: 'SUPERVISOR', privileges: SUPERVISOR, profile });
    await signIn(page, t.url, w.company.slug, username, USER_PASSWORD);
  }

  /** Two AI numbers of one vendor, five calls each, sharing a pool of two; the queue that sends calls to them. */
  async function vendor(): Promise<{ first: string; second: string; queueId: string; createPool(): Promise<string> }> {
    const first = await w.destination({ name: 'AI number 1', maxSimultaneousCalls: 5 });
    const second = await w.destination({ name: 'AI number 2', maxSimultaneousCalls: 5 });
    const queueId = await w.queue([{ groupId: await w.group([], [first, second]) }]);
    const createPool = async () => (await t.ok(CREATE_POOL, { i: { name: 'AI vendor', maxSimultaneousCalls: 2, externalDestinationIds: [first, second] } }, w.admin)).createCapacityPool.id as string;
    return { first, second, queueId, createPool };
  }

  /** Enqueues `n` calls and waits for each to be dialled out: the calls and their DIAL_EXTERNAL instructions. */
  async function dialled(queueId: string, n: number): Promise<Array<{ callId: string; attemptId: string; destinationId: string }>> {
    const calls: string[] = [];
    for (let i = 0; i < n; i += 1) calls.push((await w.connector.enqueueOk(queueId)).id);
    const dials = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && calls.includes(i.callId), n);
    return dials.map((d) => ({ callId: d.callId, attemptId: d.attemptId!, destinationId: d.destinationId! }));
  }

  /** Marks the page: the mark is gone after a reload, so seeing it later proves the page followed without one. */
  const markPage = () => page.evaluate('window.__notReloaded = true');
  const notReloaded = async () => (await page.evaluate('window.__notReloaded === true')) as boolean;

  const poolRow = (poolId: string) => page.locator(`#pool-rows tr[data-id="${poolId}"]`);
  const destinationRow = (id: string) => page.locator(`#destination-rows tr[data-id="${id}"]`);

  it('shows a pool\'s members and its use now, live as its calls ring, are answered and end, with its figures today', async () => {
    const { queueId, createPool } = await vendor();
    await signInAs({ scope: 'ALL' });
    await markPage();
    // Created while the page is open: its first update makes the page read it.
    const poolId = await createPool();
    const row = poolRow(poolId);
    expect(await textUntil(row.locator('.pool-use'), (text) => text !== '')).toBe('0 of 2 in use');
    expect(await row.locator('th').textContent()).toBe('AI vendor');
    expect(await row.locator('.pool-members').textContent()).toBe('AI number 1, AI number 2');
    expect(await page.locator('#pool-head th[data-period-label]').textContent()).toBe('Today');
    expect(await textUntil(row.locator('.pool-offered'), (text) => text === '0')).toBe('0');

    // Two calls take both of the pool's slots (each number has room for five).
    const [one, two] = await dialled(queueId, 2);
    expect(await textUntil(row.locator('.pool-use'), (text) => text.startsWith('2 of'))).toBe('2 of 2 in use (2 ringing, 0 connected)');
    expect(await page.locator('#pool-summary').textContent()).toBe('1 pool · 1 at its maximum');
    expect((await w.connector.outcome(one!.attemptId, 'ANSWERED')).errors).toBeUndefined();
    expect(await textUntil(row.locator('.pool-use'), (text) => text.includes('1 connected'))).toBe('2 of 2 in use (1 ringing, 1 connected)');

    // The answered call ends: its slot is free again, on the page without a reload.
    expect((await w.connector.endCall(one!.callId, 'COMPLETED')).errors).toBeUndefined();
    expect(await textUntil(row.locator('.pool-use'), (text) => text.startsWith('1 of'))).toBe('1 of 2 in use (1 ringing, 0 connected)');
    expect(await page.locator('#pool-summary').textContent()).toBe('1 pool · 0 at their maximum');
    // Today's figures of the pool, read again with its updates: two offers, one answered, two at once, none refused.
    expect(await textUntil(row.locator('.pool-answered'), (text) => text === '1')).toBe('1');
    expect(await row.locator('.pool-offered').textContent()).toBe('2');
    expect(await row.locator('.pool-refused').textContent()).toBe('0');
    expect(await row.locator('.pool-peakSimultaneousCalls').textContent()).toBe('2');

    // The caller of the other hangs up while it rings: nothing is in use.
    expect((await w.connector.endCall(two!.callId, 'CALLER_HUNG_UP')).errors).toBeUndefined();
    expect(await textUntil(row.locator('.pool-use'), (text) => text.startsWith('0 of'))).toBe('0 of 2 in use');

    // Deleted: only its members publish updates then; the page reads the pool, finds it gone and removes it.
    expect((await t.ok('mutation($id: ID!) { deleteCapacityPool(id: $id) }', { id: poolId }, w.admin)).deleteCapacityPool).toBe(poolId);
    await page.locator('#pool-empty').waitFor({ state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await page.locator('#pool-rows tr').count()).toBe(0);
    expect(await page.locator('#pool-summary').textContent()).toBe('');
    expect(await notReloaded()).toBe(true);
  });

  it('shows a member outside the viewer\'s profile as a hidden destination, its name and id never reaching the browser, and the pool\'s use live all the same', async () => {
    const { first, second, queueId, createPool } = await vendor();
    const poolId = await createPool();
    const received: string[] = [];
    const reads: Array<Promise<void>> = [];
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => received.push(String(payload))));
    page.on('response', (res) => {
      if (res.url().endsWith('/graphql')) reads.push(res.text().then((body) => void received.push(body), () => undefined));
    });
    await signInAs({ scope: 'SELECTED', destinationIds: [first] });
    await markPage();
    const row = poolRow(poolId);
    expect(await textUntil(row.locator('.pool-members'), (text) => text !== '')).toBe('AI number 1, hidden destination');
    expect(await row.locator('.pool-use').textContent()).toBe('0 of 2 in use');

    // Calls to either number fill the pool: its use counts them all, naming none.
    const dials = await dialled(queueId, 2);
    expect(await textUntil(row.locator('.pool-use'), (text) => text.startsWith('2 of'))).toBe('2 of 2 in use (2 ringing, 0 connected)');
    const toSecond = dials.find((d) => d.destinationId === second) ?? dials[0]!;
    expect((await w.connector.endCall(toSecond.callId, 'CALLER_HUNG_UP')).errors).toBeUndefined();
    expect(await textUntil(row.locator('.pool-use'), (text) => text.startsWith('1 of'))).toBe('1 of 2 in use (1 ringing, 0 connected)');
    expect(await row.locator('.pool-members').textContent()).toBe('AI number 1, hidden destination');
    expect(await notReloaded()).toBe(true);

    // Neither the hidden member's name nor its id reached the page, by HTTP or over the socket.
    await Promise.all(reads);
    expect(received.some((body) => body.includes('capacityPoolUpdates'))).toBe(true);
    expect(received.filter((body) => body.includes('AI number 2') || body.includes(second))).toEqual([]);
    expect(await page.content()).not.toContain('AI number 2');
    expect(await page.content()).not.toContain(second);
    expect(await destinationRow(second).count()).toBe(0);
  });

  /**
   * Reports SUCCEEDED for the next PROBE_DESTINATION of `destinationId` the connector receives, as soon as it
   * arrives; a probe the gateway's own timeout ended first (CONFLICT, a slow machine) is passed over for the next.
   */
  async function probeSucceeds(destinationId: string, after: Set<string>): Promise<{ probeId: string; sentAt: string }> {
    for (;;) {
      const [probe] = await w.connector.waitFor((i: Instruction) => i.kind === 'PROBE_DESTINATION' && i.destinationId === destinationId && !after.has(i.attemptId!), 1, 20_000);
      after.add(probe!.attemptId!);
      expect(probe!.callId).toBe(probe!.attemptId);
      const res = await t.gql(REPORT_PROBE, { i: { eventId: randomUUID(), probeId: probe!.attemptId, outcome: 'SUCCEEDED' } }, w.connector.key);
      if (codeOf(res) === 'CONFLICT') continue;
      expect(res.errors).toBeUndefined();
      return { probeId: probe!.attemptId!, sentAt: (res.data as { reportProbeOutcome: { sentAt: string } }).reportProbeOutcome.sentAt };
    }
  }

  it('shows a backed-off destination\'s health probe probing, then the probe succeeded and the destination available once the connector reports it', async () => {
    const probed = await w.destination({ name: 'Partner with a probe', busyBackoffSec: 600, probe: { intervalSec: 5, timeoutSec: 2 } });
    const plain = await w.destination({ name: 'Partner without a probe', busyBackoffSec: 600 });
    const queueId = await w.queue([{ groupId: await w.group([], [probed]) }]);
    await signInAs({ scope: 'ALL' });
    await markPage();
    const probe = destinationRow(probed).locator('.probe-text');
    expect(await textUntil(probe, (text) => text !== '')).toBe('Health probe: every 5 s while backed off or suspended');
    expect(await destinationRow(probed).locator('.badge').textContent()).toBe('Available');
    // Nothing changes for a destination without a probe.
    expect(await textUntil(destinationRow(plain).locator('.badge'), (text) => text === 'Available')).toBe('Available');
    expect(await destinationRow(plain).locator('.probe-text').textContent()).toBe('');
    expect(await destinationRow(plain).locator('.probe-text').isVisible()).toBe(false);
    // This company has no capacity pool: the section says so.
    await page.locator('#pool-empty').waitFor({ state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await page.locator('#pool-empty').textContent()).toBe('No capacity pools.');

    // Busy: backed off for ten minutes, and probed meanwhile.
    const [dial] = await dialled(queueId, 1);
    expect((await w.connector.outcome(dial!.attemptId, 'BUSY')).errors).toBeUndefined();
    expect((await w.connector.endCall(dial!.callId, 'CALLER_HUNG_UP')).errors).toBeUndefined();
    await textUntil(destinationRow(probed).locator('.badge'), (text) => text.startsWith('Backed off · '));
    expect(await textUntil(probe, (text) => text.includes('probing'))).toBe('Health probe: probing every 5 s');

    // The connector places the probe and reports it answered: the back-off ends, the page says so.
    const { sentAt } = await probeSucceeds(probed, new Set());
    expect(await textUntil(destinationRow(probed).locator('.badge'), (text) => text === 'Available')).toBe('Available');
    expect(await textUntil(probe, (text) => text.includes('succeeded'))).toBe(`Health probe: every 5 s while backed off or suspended; last probe succeeded ${clockOf(sentAt)}`);
    expect(await page.locator('#sum-BACKED_OFF').textContent()).toBe('0');
    expect(await destinationRow(plain).locator('.probe-text').textContent()).toBe('');
    expect(await notReloaded()).toBe(true);
  });

  it('shows a suspended destination\'s successes in a row against those that resume it, and the destination resumed after the last', async () => {
    const probed = await w.destination({ name: 'Suspended partner', maxConsecutiveFailures: 1, probe: { intervalSec: 5, timeoutSec: 2, successesToResume: 2 } });
    const queueId = await w.queue([{ groupId: await w.group([], [probed]) }]);
    await signInAs({ scope: 'ALL' });
    const probe = destinationRow(probed).locator('.probe-text');
    await textUntil(probe, (text) => text !== '');

    const [dial] = await dialled(queueId, 1);
    expect((await w.connector.outcome(dial!.attemptId, 'FAILED')).errors).toBeUndefined();
    expect((await w.connector.endCall(dial!.callId, 'CALLER_HUNG_UP')).errors).toBeUndefined();
    await textUntil(destinationRow(probed).locator('.badge'), (text) => text === 'Suspended');
    expect(await textUntil(probe, (text) => text.includes('probing'))).toBe('Health probe: probing every 5 s; 0 of 2 successes to resume');

    const seen = new Set<string>();
    const firstProbe = await probeSucceeds(probed, seen);
    expect(await textUntil(probe, (text) => text.includes('1 of 2'))).toBe(`Health probe: probing every 5 s; last probe succeeded ${clockOf(firstProbe.sentAt)}; 1 of 2 successes to resume`);
    expect(await destinationRow(probed).locator('.badge').textContent()).toBe('Suspended');

    const secondProbe = await probeSucceeds(probed, seen);
    expect(await textUntil(destinationRow(probed).locator('.badge'), (text) => text === 'Available')).toBe('Available');
    expect(await textUntil(probe, (text) => text.includes(clockOf(secondProbe.sentAt)) && !text.includes('probing')))
      .toBe(`Health probe: every 5 s while backed off or suspended; last probe succeeded ${clockOf(secondProbe.sentAt)}`);
  });
});

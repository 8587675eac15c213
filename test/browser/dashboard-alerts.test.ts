import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { createUser, USER_PASSWORD } from '../support/fixtures';
import { eventually, routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { browserSuite, ensureDashboardBuilt, launchBrowser, PAGE_WAIT_MS, signIn, textUntil } from './harness';

/*
 * Thresholds and alerts on the supervisor's screen (issue 17 item 4, decision 028): a queue's oldest-wait cell
 * coloured and worded once over the company's threshold, a destination flagged while a back-off alert is raised,
 * and the alerts raised now listed (kind, name, value against threshold, since when) until they are cleared.
 */

jest.setTimeout(90_000);

const suite = browserSuite('the dashboard shows thresholds and alerts');


const SET = 'mutation($i: AlertThresholdsInput!) { setAlertThresholds(input: $i) { queueOldestWaitSec } }';
const SUPERVISOR = { externalDestinations: 'VIEW', queues: 'VIEW', agents: 'VIEW', agentGroups: 'VIEW', statistics: 'VIEW' } as const;

async function untilAttribute(locator: Locator, name: string, check: (value: string | null) => boolean, timeoutMs = PAGE_WAIT_MS): Promise<void> {
  let last: string | null = null;
  await eventually(async () => {
    last = await locator.getAttribute(name);
    return check(last);
  }, timeoutMs, { what: () => `${name} never matched; last: ${JSON.stringify(last)}`, everyMs: 50 });
}

suite('the dashboard shows thresholds and alerts', () => {
  let t: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let w: RoutingWorld;
  /** The gateway's routing clock (which the alerts measure with) runs this far ahead of the real one. */
  const clock = { offsetMs: 0 };

  beforeAll(async () => {
    await ensureDashboardBuilt();
    [t, browser] = await Promise.all([routingModes()[0]!.start({ routing: { clock: () => Date.now() + clock.offsetMs } }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });
  beforeEach(async () => {
    clock.offsetMs = 0;
    w = await RoutingWorld.create(t);
    context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
  });
  afterEach(async () => {
    clock.offsetMs = 0;
    await context?.close();
    await w?.close();
  });

  async function signInAs(): Promise<void> {
    const username = `sup-${randomUUID().slice(0, 6)}`;
    await createUser(t, w.company, { username, kind: 'SUPERVISOR', privileges: SUPERVISOR, profile: { scope: 'ALL' } });
    await signIn(page, t.url, w.company.slug, username, USER_PASSWORD);
  }

  /** One look at the thresholds, as the gateway's 1 s loop does (the test need not wait for it). */
  const look = () => t.gateway.services.alerts.evaluateAll();
  const alertItem = (id: string) => page.locator(`#alert-list li[data-id="${id}"]`);

  it("marks a queue's oldest wait once it grows past the threshold, lists the alert with the queue's name, and removes both when the call leaves", async () => {
    const queue = await w.queue([{ groupId: await w.group([await w.agent('Away', 'LOGGED_OUT')]) }], { name: 'Sales' });
    await t.ok(SET, { i: { queueOldestWaitSec: 60 } }, w.admin);
    // The call came 50 s ago by the gateway's clock: ten seconds short of the threshold.
    clock.offsetMs = -50_000;
    let call: { id: string };
    try {
      call = await w.connector.enqueueOk(queue);
    } finally {
      clock.offsetMs = 0;
    }
    // The page's clock is Playwright's: it runs as the real one until the test moves it on.
    await page.clock.install();
    await signInAs();
    const cell = page.locator(`#queue-rows tr[data-id="${queue}"] td`).nth(1);
    const first = await textUntil(cell, (text) => /^0:5\d/.test(text));
    expect(first).not.toContain('over');
    expect(await cell.getAttribute('class')).not.toContain('over-threshold');
    expect(await page.locator('#alerts').isHidden()).toBe(true);

    // The wait grows with time alone (no update arrives): ten seconds on, past 60 s, the cell is coloured and
    // says so in words.
    await page.clock.fastForward(10_000);
    const over = await textUntil(cell, (text) => text.includes('over 60 s'));
    expect(over).toMatch(/^1:0\d/);
    expect(await cell.getAttribute('class')).toContain('over-threshold');
    expect(await cell.getAttribute('title')).toBe('over 60 s');

    // The alert, raised by a look at the thresholds (the gateway's clock moved on as well), is listed by the
    // queue's name, with its value and threshold.
    clock.offsetMs = 10_000;
    await look();
    const item = await textUntil(alertItem(queue), (text) => text.length > 0);
    expect(item).toMatch(/^Oldest wait · queue Sales · waited 1:\d\d, over 60 s · since \d\d:\d\d:\d\d$/);
    expect(await alertItem(queue).getAttribute('data-kind')).toBe('QUEUE_OLDEST_WAIT');
    expect(await page.locator('#alerts').isVisible()).toBe(true);

    // The caller hangs up: the cell is plain again, and the cleared alert leaves the list (which then hides).
    await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
    await textUntil(cell, (text) => text === '–');
    expect(await cell.getAttribute('class')).not.toContain('over-threshold');
    expect(await cell.getAttribute('title')).toBeNull();
    await look();
    await eventually(async () => (await alertItem(queue).count()) === 0, PAGE_WAIT_MS, { what: 'the cleared alert removed from the list' });
    await eventually(() => page.locator('#alerts').isHidden(), PAGE_WAIT_MS, { what: 'the alerts list hidden once empty' });
  });

  it('flags a destination backed off past the threshold from the alerts read at sign-in, and unflags it when the alert clears', async () => {
    const destination = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 5, busyBackoffSec: 1 });
    const queue = await w.queue([{ groupId: await w.group([], [destination]) }]);
    await t.ok('mutation($i: AlertThresholdsInput!) { setAlertThresholds(input: $i) { destinationBackoffs } }', { i: { destinationBackoffs: 2, destinationBackoffWindowMin: 10 } }, w.admin);
    for (let i = 0; i < 2; i += 1) {
      const call = await w.connector.enqueueOk(queue);
      const [dial] = await w.connector.waitFor((x) => x.kind === 'DIAL_EXTERNAL' && x.callId === call.id);
      await w.connector.outcome(dial!.attemptId!, 'BUSY');
      await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
      // Past the 1 s back-off, so the next call is dialled to it again.
      clock.offsetMs += 2_000;
    }
    await look();

    // Raised before the page opened: it comes from `activeAlerts`, read at start.
    await signInAs();
    const row = page.locator(`#destination-rows tr[data-id="${destination}"]`);
    const item = await textUntil(alertItem(destination), (text) => text.length > 0);
    expect(item).toMatch(/^Back-offs · destination Partner Leeds · 2 back-offs, alert at 2 · since \d\d:\d\d:\d\d$/);
    await untilAttribute(row, 'class', (c) => (c ?? '').includes('alerted'));
    expect(await row.locator('th').textContent()).toBe('Partner Leeds · Alert: 2 back-offs, alert at 2');
    expect(await row.locator('th').getAttribute('title')).toBe('Back-off alert: 2 back-offs, alert at 2');

    // Eleven minutes on, the back-offs are out of the window: the clear arrives live and both marks go.
    clock.offsetMs += 11 * 60_000;
    await look();
    await eventually(async () => (await alertItem(destination).count()) === 0, PAGE_WAIT_MS, { what: 'the cleared alert removed from the list' });
    await untilAttribute(row, 'class', (c) => !(c ?? '').includes('alerted'));
    expect(await row.locator('th').textContent()).toBe('Partner Leeds');
    expect(await row.locator('th').getAttribute('title')).toBeNull();
    expect(await page.locator('#alerts').isHidden()).toBe(true);
  });
});

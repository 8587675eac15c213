import { randomUUID } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { createUser, USER_PASSWORD, type Level } from '../support/fixtures';
import { eventually, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { browserSuite, callsAt, callsText, createDestinations, type DashboardWorld, describeFrames, driveUpdates, fillSignIn, PAGE_WAIT_MS, signIn, startFrameProbe, stopFrameProbe, textUntil, useDashboardWorld } from './harness';
import { buildScreenshotWorld } from './screenshot-world';

jest.setTimeout(60_000);

const suite = browserSuite('the supervisor dashboard in a browser');

/** A row of the destinations table. */
const row = (page: Page, id: string) => page.locator(`#destination-rows tr[data-id="${id}"]`);

/** Seconds left in a "Backed off · m:ss" badge. */
function secondsLeft(text: string): number {
  const m = /Backed off · (\d+):(\d\d)/.exec(text);
  if (!m) throw new Error(`no countdown in ${JSON.stringify(text)}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const SUPERVISOR = { externalDestinations: 'MODIFY', queues: 'VIEW', agents: 'VIEW', agentGroups: 'VIEW', statistics: 'VIEW' } as const;

suite('the supervisor dashboard in a browser', () => {
  let t: TestGateway;
  let context: BrowserContext;
  let page: Page;
  let w: RoutingWorld;
  /** The gateway's routing and statistics clock runs this far ahead of the real one (only the screenshot's history moves it). */
  const clock = { offsetMs: 0 };

  useDashboardWorld((x) => ({ t, context, page, w } = x as DashboardWorld), { routing: { clock: () => Date.now() + clock.offsetMs } });

  /** A supervisor of the world's company (all destinations unless a profile is given), signed in through the page. */
  async function signInAs(privileges: Partial<Record<string, Level>> = SUPERVISOR, profile: { scope: 'ALL' } | { scope: 'SELECTED'; destinationIds: string[] } = { scope: 'ALL' }, on = page) {
    const username = `sup-${randomUUID().slice(0, 6)}`;
    await createUser(t, w.company, { username, kind: 'SUPERVISOR', privileges, profile });
    await signIn(on, t.url, w.company.slug, username, USER_PASSWORD);
  }

  /** A queue whose only group holds `destination` (no agents), so its calls are dialled there. */
  async function queueTo(destination: string): Promise<string> {
    return w.queue([{ groupId: await w.group([], [destination]) }]);
  }

  /** Changes a destination's maximum of simultaneous calls through the API, as its administrator. */
  async function setMax(id: string, name: string, maxSimultaneousCalls: number) {
    await t.ok('mutation($id: ID!, $i: ExternalDestinationInput!) { updateExternalDestination(id: $id, input: $i) { id } }', {
      id, i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls },
    }, w.admin);
  }

  async function dial(queue: string) {
    const call = await w.connector.enqueueOk(queue);
    const [dialled] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    return { call, attemptId: dialled!.attemptId! };
  }

  it('signs in with company, user and password and shows every destination with its state, calls and today\'s figures', async () => {
    const a = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 4 });
    const b = await w.destination({ name: 'AI virtual agent', maxSimultaneousCalls: null });
    const c = await w.destination({ name: 'Spare partner', enabled: false });
    // A wrong password is said in the form's alert; the keyboard alone submits it.
    await fillSignIn(page, t.url, w.company.slug, 'admin', 'not-the-password');
    await page.keyboard.press('Enter');
    expect(await textUntil(page.getByRole('alert'), (text) => text !== '')).toBe('Company, user or password is not right.');
    await signInAs();
    await textUntil(page.locator('#destination-rows'), (text) => text.includes('Spare partner'));
    expect(await page.locator('#destination-rows tr').count()).toBe(3);
    expect(await row(page, a).textContent()).toContain('0 connecting · 0 answered · max 4');
    expect(await row(page, b).textContent()).toContain('no limit');
    expect(await row(page, c).locator('.badge').textContent()).toBe('Disabled');
    expect(await row(page, a).locator('.badge').textContent()).toBe('Available');
    // Names in order, today's figures shown (statistics VIEW), the summary counts by state.
    expect(await page.locator('#destination-rows th').allTextContents()).toEqual(['AI virtual agent', 'Partner Leeds', 'Spare partner']);
    // Today's figures come from their own read after the rows: wait for them rather than read a placeholder.
    expect(await textUntil(row(page, a).locator('.today-offered'), (text) => text !== '–')).toBe('0');
    expect(await page.locator('#sum-total').textContent()).toBe('3');
    expect(await page.locator('#sum-DISABLED').textContent()).toBe('1');
    expect(await page.getByText('Not available').count()).toBe(0);
    // The token is kept for the tab only, and signing out forgets it.
    expect(await page.evaluate('Object.keys(sessionStorage)')).toContain('routing-dashboard.session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("routing-dashboard.session")')).toBeNull();
  });

  it('counts a call being routed to a destination: connecting goes from 0 to 1, then answered, and today\'s figures follow', async () => {
    const d = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 3 });
    const queue = await queueTo(d);
    await signInAs();
    await textUntil(row(page, d), (text) => text.includes('0 connecting · 0 answered'));
    const { attemptId } = await dial(queue);
    await textUntil(row(page, d), (text) => text.includes('1 connecting · 0 answered · max 3'));
    // The call rings at the destination: it still counts as waiting in its queue.
    await textUntil(page.locator(`#queue-rows tr[data-id="${queue}"] td`), (text) => text === '1');
    await w.connector.outcome(attemptId, 'ANSWERED');
    await textUntil(row(page, d), (text) => text.includes('0 connecting · 1 answered · max 3'));
    // Today's figures are not streamed: they are read again when the destination's updates arrive.
    await textUntil(row(page, d).locator('.today-answered'), (text) => text === '1');
    expect(await row(page, d).locator('.today-offered').textContent()).toBe('1');
  });

  it('shows a back-off after a BUSY outcome with a countdown that goes down, the badge whole in its column', async () => {
    const d = await w.destination({ name: 'Night partner', busyBackoffSec: 600 });
    const queue = await queueTo(d);
    await signInAs();
    await textUntil(row(page, d), (text) => text.includes('Available'));
    const { call, attemptId } = await dial(queue);
    await w.connector.outcome(attemptId, 'BUSY');
    await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
    const badge = row(page, d).locator('.badge');
    const first = secondsLeft(await textUntil(badge, (text) => text.startsWith('Backed off · ')));
    expect(first).toBeLessThanOrEqual(600);
    // "Backed off · 9:59" and longer fit: the badge ends inside its cell.
    expect(await badge.evaluate((el) => el.getBoundingClientRect().right <= el.closest('td')!.getBoundingClientRect().right)).toBe(true);
    const later = secondsLeft(await textUntil(badge, (text) => text.startsWith('Backed off · ') && secondsLeft(text) < first));
    expect(later).toBeLessThan(first);
    expect(await page.locator('#sum-BACKED_OFF').textContent()).toBe('1');
  });

  it('shows a SELECTED profile only its destinations: the others never reach the browser, and sections without privilege say so', async () => {
    const shown = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 5 });
    const hiddenName = `Secret partner ${randomUUID().slice(0, 8)}`;
    const hidden = await w.destination({ name: hiddenName, maxSimultaneousCalls: 5 });
    const received: string[] = [];
    /** Reads of GraphQL response bodies, awaited before anything is said about what arrived. */
    const reads: Array<Promise<void>> = [];
    const unread: string[] = [];
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => received.push(String(payload))));
    page.on('response', (res) => {
      if (res.url().endsWith('/graphql')) reads.push(res.text().then((body) => void received.push(body), (e: Error) => void unread.push(e.message)));
    });
    await signInAs({ externalDestinations: 'VIEW', queues: 'VIEW', statistics: 'VIEW' }, { scope: 'SELECTED', destinationIds: [shown] });
    await textUntil(row(page, shown), (text) => text.includes('max 5'));
    // Both change, the hidden one first; the dashboard hears of the visible one only. Updates reach the
    // page in order on its one socket, so once the second shows, the first would have arrived before it.
    await setMax(hidden, hiddenName, 9);
    await setMax(shown, 'Partner Leeds', 7);
    await textUntil(row(page, shown), (text) => text.includes('max 7'));
    await Promise.all(reads);
    expect(unread).toEqual([]);
    expect(await page.locator('#destination-rows tr').count()).toBe(1);
    expect(received.some((body) => body.includes('externalDestinationUpdates'))).toBe(true);
    expect(received.some((body) => !body.includes('externalDestinationUpdates') && body.includes('Partner Leeds'))).toBe(true);
    expect(received.filter((body) => body.includes(hiddenName) || body.includes(hidden))).toEqual([]);
    expect(await page.content()).not.toContain(hiddenName);
    // No agents privilege: that section says so; no MODIFY: no resume buttons anywhere.
    expect(await page.locator('#agents').textContent()).toContain('Not available');
    expect(await page.locator('#agent-rows tr').count()).toBe(0);
    expect(await page.locator('button.resume').count()).toBe(0);
  });

  it('lets a user with MODIFY resume a suspended destination; a VIEW user sees no button', async () => {
    const d = await w.destination({ name: 'Overflow partner', maxConsecutiveFailures: 1, maxSimultaneousCalls: 5 });
    const queue = await queueTo(d);
    await signInAs();
    const viewer = await context.newPage();
    await signInAs({ externalDestinations: 'VIEW' }, { scope: 'ALL' }, viewer);
    await textUntil(row(page, d), (text) => text.includes('Available'));
    const { call, attemptId } = await dial(queue);
    await w.connector.outcome(attemptId, 'FAILED');
    await w.connector.endCall(call.id, 'CALLER_HUNG_UP');
    await textUntil(row(page, d).locator('.badge'), (text) => text === 'Suspended');
    await textUntil(row(viewer, d).locator('.badge'), (text) => text === 'Suspended');
    expect(await row(viewer, d).locator('button').count()).toBe(0);
    expect(await row(page, d).locator('.failures').textContent()).toBe('1');
    const resume = row(page, d).getByRole('button', { name: 'Resume Overflow partner' });
    await resume.focus();
    await page.keyboard.press('Enter');
    await textUntil(row(page, d).locator('.badge'), (text) => text === 'Available');
    await textUntil(row(viewer, d).locator('.badge'), (text) => text === 'Available');
    expect(await row(page, d).locator('button').count()).toBe(0);
    expect(await row(page, d).locator('.failures').textContent()).toBe('0');
    expect((await w.destinationLive(d)).state).toBe('AVAILABLE');
  });

  it('shows an offline banner while the socket is down, reconnects by itself and reads what it missed', async () => {
    const d = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 4 });
    const sockets: WebSocketRoute[] = [];
    let refuse = false;
    await page.routeWebSocket(/\/graphql$/, (ws) => {
      if (refuse) {
        void ws.close({ code: 1013, reason: 'Try again later' });
        return;
      }
      ws.connectToServer();
      sockets.push(ws);
    });
    await signInAs();
    await textUntil(row(page, d), (text) => text.includes('max 4'));
    // The rows are read over HTTP; wait for the socket too, so there is one to close.
    await textUntil(page.locator('#live-status'), (text) => text === 'Live');
    await eventually(async () => sockets.length > 0, PAGE_WAIT_MS, { what: 'the dashboard opened a socket' });
    const banner = page.locator('#connection-banner');
    expect(await banner.isVisible()).toBe(false);
    refuse = true;
    for (const ws of sockets) await ws.close({ code: 1012, reason: 'Service restart' });
    await banner.waitFor({ state: 'visible', timeout: PAGE_WAIT_MS });
    expect(await page.locator('#live-status').textContent()).toBe('Offline');
    // Changed while the dashboard cannot hear it: the update is missed, the re-read after reconnecting brings it.
    await setMax(d, 'Partner Leeds', 9);
    refuse = false;
    await banner.waitFor({ state: 'hidden', timeout: PAGE_WAIT_MS });
    await textUntil(row(page, d), (text) => text.includes('max 9'));
    expect(await page.locator('#live-status').textContent()).toBe('Live');
  });

  it('keeps 500 destinations current while each one updates once a second (frame figures printed, not asserted)', async () => {
    const destinations = await createDestinations((q, v, token) => t.ok(q, v, token), w.admin, 500, 'Load');
    await signIn(page, t.url, w.company.slug, 'admin', 'admin-password-123');
    await textUntil(page.locator('#sum-total'), (text) => text === '500', 60_000);
    expect(await page.locator('#destination-rows tr').count()).toBe(500);
    const seconds = 5;
    await page.waitForTimeout(500);
    await startFrameProbe(page);
    await page.waitForTimeout(2_000);
    const idle = await stopFrameProbe(page);
    await startFrameProbe(page);
    const busyFrom = Date.now();
    const rounds = await driveUpdates(t.gateway, w.company.id, destinations, seconds);
    // Every row shows the last update it was sent.
    const expected = Object.fromEntries(destinations.map((d, i) => [d.id, callsText(d, callsAt(d, rounds - 1, i))]));
    let wrong: string[] = [];
    await eventually(async () => {
      const shown = (await page.evaluate(
        `Object.fromEntries([...document.querySelectorAll('#destination-rows tr')].map((tr) => [tr.dataset.id, tr.querySelector('.calls-text').textContent]))`,
      )) as Record<string, string>;
      wrong = Object.keys(expected).filter((id) => shown[id] !== expected[id]);
      return wrong.length === 0;
    }, PAGE_WAIT_MS, { what: () => `${wrong.length} rows not current, e.g. ${wrong.slice(0, 3).join(', ')}`, everyMs: 100 }).catch(() => undefined);
    expect(wrong).toEqual([]);
    // The frames of the updates and of the page catching up with them (figures for the record, not asserted).
    const busy = await stopFrameProbe(page);
    const busySeconds = (Date.now() - busyFrom) / 1000;
    process.stdout.write(`\ndashboard, 500 destinations:\n  ${describeFrames('idle', idle, 2)}\n  ${describeFrames(`500 updates/s for ${seconds} s, then caught up (${busySeconds.toFixed(1)} s)`, busy, busySeconds)}\n`);
  }, 150_000);

  it('renders a realistic dashboard (saved as docs/dashboard.png with UPDATE_DASHBOARD_SCREENSHOT=1)', async () => {
    const world = await buildScreenshotWorld(t, clock);
    await page.setViewportSize({ width: 1920, height: 1280 });
    try {
      await signIn(page, t.url, world.slug, world.username, world.password);
      await textUntil(page.locator('#sum-total'), (text) => text === String(world.destinations));
      await textUntil(page.locator('#destination-rows'), (text) => text.includes('Backed off · '));
      await page.selectOption('#chart-destination', { label: world.chartDestination });
      await textUntil(page.locator('#chart-summary'), (text) => /Today: [1-9]/.test(text));
      await page.waitForTimeout(300);
      const file = process.env.UPDATE_DASHBOARD_SCREENSHOT === '1' ? resolve(__dirname, '..', '..', 'docs', 'dashboard.png') : join(mkdtempSync(join(tmpdir(), 'dashboard-')), 'dashboard.png');
      await page.screenshot({ path: file, fullPage: true });
      expect(statSync(file).size).toBeGreaterThan(10_000);
      expect(await page.locator('#chart-figure svg rect').count()).toBeGreaterThan(10);
    } finally {
      await world.close();
    }
  });
});

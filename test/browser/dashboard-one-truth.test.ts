import { randomUUID } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createUser, USER_PASSWORD } from '../support/fixtures';
import { eventually, routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';
import { browserSuite, ensureDashboardBuilt, launchBrowser, PAGE_WAIT_MS, signIn, textUntil } from './harness';

/*
 * One truth on the supervisor's screen (issue 17): agents in one state with its reason, free agents as
 * routing counts them, figures of the table and the chart from one read triggered by the live events,
 * sortable tables, and figures of a past day or of the last 7 days.
 */

jest.setTimeout(90_000);

const suite = browserSuite('the dashboard shows one truth');

const ZONE = 'Europe/London';

/** "10:31:05" in the company's zone. */
const clockText = (iso: string) => new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: ZONE }).format(new Date(iso));
const localDate = (at: number) => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: ZONE }).format(new Date(at));
const dayLabel = (date: string) => new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`));

const SUPERVISOR = { externalDestinations: 'MODIFY', queues: 'VIEW', agents: 'VIEW', agentGroups: 'VIEW', statistics: 'VIEW' } as const;

suite('the dashboard shows one truth', () => {
  let t: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let w: RoutingWorld;
  /** The gateway's routing and statistics clock runs this far ahead of the real one. */
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

  const destinationRow = (id: string) => page.locator(`#destination-rows tr[data-id="${id}"]`);
  const queueRow = (id: string) => page.locator(`#queue-rows tr[data-id="${id}"]`);
  const agentState = (id: string) => page.locator(`#agent-rows tr[data-id="${id}"] td.agent-state`);

  /** A call dialled to the destination of `queue`, answered and ended. */
  async function answeredCall(queue: string): Promise<void> {
    const call = await w.connector.enqueueOk(queue);
    const [dialled] = await w.connector.waitFor((i) => i.kind === 'DIAL_EXTERNAL' && i.callId === call.id);
    await w.connector.outcome(dialled!.attemptId!, 'ANSWERED');
    await w.connector.endCall(call.id, 'COMPLETED');
  }

  /** The figures row of a destination and the chart's summary, read in one go (what a supervisor sees at one instant). */
  async function rowAndChart(id: string): Promise<{ offered: string; answered: string; chart: string }> {
    return (await page.evaluate(`(() => {
      const tr = document.querySelector('#destination-rows tr[data-id="${id}"]');
      return { offered: tr?.querySelector('.today-offered')?.textContent ?? '', answered: tr?.querySelector('.today-answered')?.textContent ?? '', chart: document.getElementById('chart-summary').textContent };
    })()`)) as { offered: string; answered: string; chart: string };
  }

  it('reads a destination\'s figures again when its live update arrives, the table and the chart from one read that agrees', async () => {
    const charted = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 3 });
    const other = await w.destination({ name: 'Partner York', maxSimultaneousCalls: 3 });
    const toCharted = await w.queue([{ groupId: await w.group([], [charted]) }]);
    const toOther = await w.queue([{ groupId: await w.group([], [other]) }]);
    const reads: Array<{ query: string; variables: Record<string, unknown> }> = [];
    page.on('request', (req) => {
      if (!req.url().endsWith('/graphql') || req.method() !== 'POST') return;
      const body = req.postDataJSON() as { query: string; variables: Record<string, unknown> };
      if (/query Figures|statsList|externalDestinationStats/.test(body.query)) reads.push(body);
    });
    await signInAs();
    await textUntil(page.locator('#chart-summary'), (text) => text.startsWith('Today: 0 offered'));
    expect(await page.locator('#chart-destination option:checked').textContent()).toBe('Partner Leeds');
    await textUntil(destinationRow(other).locator('.today-offered'), (text) => text === '0');
    // Every figures read is one of the dashboard's own two, and the chart's comes with the table's.
    expect(reads.every((r) => /^query Figures(AndChart)?\(/.test(r.query))).toBe(true);

    // A call to the destination not charted: its figures are read by id, on its updates.
    await answeredCall(toOther);
    await textUntil(destinationRow(other).locator('.today-answered'), (text) => text === '1');
    expect(await destinationRow(other).locator('.today-offered').textContent()).toBe('1');
    expect(reads.some((r) => Array.isArray(r.variables.ids) && (r.variables.ids as string[]).includes(other))).toBe(true);

    // Sorted by offered calls, most first: the figures that arrive later move the rows (ties by name).
    const offeredHeader = page.locator('#destination-head th[data-sort="offered"]');
    await offeredHeader.click();
    await offeredHeader.click();
    expect(await offeredHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await page.locator('#destination-rows th').allTextContents()).toEqual(['Partner York', 'Partner Leeds']);

    // A call to the charted one: the row and the chart move together, never apart, whenever they are looked at.
    const seen: Array<{ offered: string; answered: string; chart: string }> = [];
    const reading = answeredCall(toCharted);
    await eventually(async () => {
      const now = await rowAndChart(charted);
      seen.push(now);
      return now.answered === '1' && now.chart.startsWith('Today: 1 offered · 1 answered');
    }, PAGE_WAIT_MS, { what: () => `last seen ${JSON.stringify(seen.at(-1))}`, everyMs: 20 });
    await reading;
    for (const s of seen) expect(s.chart.startsWith(`Today: ${s.offered} offered · ${s.answered} answered`)).toBe(true);
    expect(await page.locator('#destination-rows th').allTextContents()).toEqual(['Partner Leeds', 'Partner York']);
    expect(reads.some((r) => r.query.startsWith('query FiguresAndChart') && r.variables.chart === charted)).toBe(true);
  });

  it('sorts a table on a header by click or keyboard, marks it with aria-sort, breaks ties by name and keeps the order through live updates', async () => {
    const waitingIn = async (name: string, calls: number) => {
      const q = await t.ok('mutation($i: QueueInput!) { createQueue(input: $i) { id } }', { i: { name, groups: [{ groupId: await w.group([]) }] } }, w.admin);
      for (let i = 0; i < calls; i += 1) await w.connector.enqueueOk(q.createQueue.id);
      return q.createQueue.id as string;
    };
    await w.destination({ name: 'Zeta partner', maxSimultaneousCalls: 2 });
    await w.destination({ name: 'Alpha partner', maxSimultaneousCalls: 2 });
    await waitingIn('Billing', 0);
    await waitingIn('Claims', 2);
    const sales = await waitingIn('Sales', 1);
    await waitingIn('Accounts', 0);
    await signInAs();
    const names = () => page.locator('#queue-rows th').allTextContents();
    await textUntil(queueRow(sales).locator('td').first(), (text) => text === '1');
    await eventually(async () => (await names()).length === 4, PAGE_WAIT_MS, { what: 'four queues shown' });
    await textUntil(page.locator('#destination-rows'), (text) => text.includes('Zeta partner') && text.includes('Alpha partner'));
    expect(await names()).toEqual(['Accounts', 'Billing', 'Claims', 'Sales']);
    expect(await page.locator('#queue-head th[data-sort="name"]').getAttribute('aria-sort')).toBe('ascending');

    const waiting = page.locator('#queue-head th[data-sort="waiting"]');
    await waiting.click();
    expect(await waiting.getAttribute('aria-sort')).toBe('ascending');
    expect(await page.locator('#queue-head th[data-sort="name"]').getAttribute('aria-sort')).toBe('none');
    expect(await names()).toEqual(['Accounts', 'Billing', 'Sales', 'Claims']);
    // The keyboard: Enter on the focused header reverses it; ties (no calls waiting) stay by name.
    await waiting.getByRole('button').focus();
    await page.keyboard.press('Enter');
    expect(await waiting.getAttribute('aria-sort')).toBe('descending');
    expect(await names()).toEqual(['Claims', 'Sales', 'Accounts', 'Billing']);

    // Two more calls wait in Sales: it moves to the top, the order still by waiting calls.
    await w.connector.enqueueOk(sales);
    await w.connector.enqueueOk(sales);
    await textUntil(queueRow(sales).locator('td').first(), (text) => text === '3');
    let order: string[] = [];
    await eventually(async () => {
      order = await names();
      return JSON.stringify(order) === JSON.stringify(['Sales', 'Claims', 'Accounts', 'Billing']);
    }, PAGE_WAIT_MS, { what: () => `order ${JSON.stringify(order)}` });

    // The destinations table sorts too, by Space on a header.
    expect(await page.locator('#destination-rows th').allTextContents()).toEqual(['Alpha partner', 'Zeta partner']);
    await page.locator('#destination-head th[data-sort="name"]').getByRole('button').focus();
    await page.keyboard.press('Space');
    expect(await page.locator('#destination-head th[data-sort="name"]').getAttribute('aria-sort')).toBe('descending');
    expect(await page.locator('#destination-rows th').allTextContents()).toEqual(['Zeta partner', 'Alpha partner']);
  });

  it('shows a past day and the last 7 days of the company\'s time zone, from the statistics', async () => {
    const d = await w.destination({ name: 'Partner Leeds', maxSimultaneousCalls: 3 });
    const queue = await w.queue([{ groupId: await w.group([], [d]) }]);
    // A call yesterday (the gateway's clock a day back while it is played), and one today.
    const dayMs = 24 * 3600_000;
    clock.offsetMs = -dayMs;
    try {
      await answeredCall(queue);
    } finally {
      clock.offsetMs = 0;
    }
    await answeredCall(queue);
    const yesterday = localDate(Date.now() - dayMs);
    await signInAs();
    const offered = destinationRow(d).locator('.today-offered');
    await textUntil(offered, (text) => text === '1');
    expect(await page.locator('#destination-head th.group').textContent()).toBe('Today');

    await page.selectOption('#figures-period', 'day');
    expect(await page.locator('#figures-day').inputValue()).toBe(yesterday);
    await textUntil(page.locator('#destination-head th.group'), (text) => text === dayLabel(yesterday));
    await textUntil(page.locator('#chart-summary'), (text) => text.startsWith(`${dayLabel(yesterday)}: 1 offered · 1 answered`));
    expect(await offered.textContent()).toBe('1');
    expect(await page.locator('#chart-title').textContent()).toBe(`Calls on ${dayLabel(yesterday)}`);
    // The day before: nothing.
    const before = localDate(Date.now() - 2 * dayMs);
    await page.locator('#figures-day').fill(before);
    await textUntil(page.locator('#chart-summary'), (text) => text.startsWith(`${dayLabel(before)}: 0 offered`));
    expect(await offered.textContent()).toBe('0');

    await page.selectOption('#figures-period', 'week');
    await textUntil(page.locator('#chart-summary'), (text) => text.startsWith('Last 7 days: 2 offered · 2 answered'));
    expect(await offered.textContent()).toBe('2');
    expect(await page.locator('#destination-head th.group').textContent()).toBe('Last 7 days');
    // One bar a day in the week's chart.
    expect(await page.locator('#chart-rows tr').count()).toBe(2);

    await page.selectOption('#figures-period', 'today');
    await textUntil(page.locator('#chart-summary'), (text) => text.startsWith('Today: 1 offered'));
    expect(await offered.textContent()).toBe('1');
  });

  it('shows each agent in one state with its reason, and counts as free only the agents routing would offer a call, in the queue too', async () => {
    const ann = await w.agent('Ann');
    const bob = await w.agent('Bob', 'ON_BREAK');
    const cy = await w.agent('Cy', 'ON_BREAK');
    const di = await w.agent('Di', 'ON_BREAK');
    const ed = await w.agent('Ed', 'LOGGED_OUT');
    const queue = await w.queue([{ groupId: await w.group([ann, bob, cy, di, ed]) }], { agentRetrySec: 60, wrapUpSec: 30, agentRingTimeoutSec: 20 });
    const ring = async () => {
      const call = await w.connector.enqueueOk(queue);
      const [r] = await w.connector.waitFor((i) => i.kind === 'RING_AGENT' && i.callId === call.id);
      return { callId: call.id, attemptId: r!.attemptId!, agentId: r!.agentId as string };
    };
    // Ann misses a call: held back for 60 s.
    const missed = await ring();
    expect(missed.agentId).toBe(ann);
    await w.connector.outcome(missed.attemptId, 'NO_ANSWER');
    await w.connector.endCall(missed.callId, 'CALLER_HUNG_UP');
    // Bob takes one and finishes it: wrap-up for 30 s.
    await w.setStatus(bob, 'AVAILABLE');
    const taken = await ring();
    expect(taken.agentId).toBe(bob);
    await w.connector.outcome(taken.attemptId, 'ANSWERED');
    await w.connector.endCall(taken.callId, 'COMPLETED');
    await w.setStatus(cy, 'AVAILABLE');
    const live = async (id: string) => (await t.ok('query($id: ID!) { agent(id: $id) { live { wrapUpUntil retryWaitUntil } } }', { id }, w.admin)).agent.live;
    const annUntil = (await live(ann)).retryWaitUntil as string;
    const bobUntil = (await live(bob)).wrapUpUntil as string;
    expect(annUntil).not.toBeNull();
    expect(bobUntil).not.toBeNull();

    await signInAs();
    await textUntil(agentState(cy), (text) => text === 'Free');
    expect(await agentState(ann).textContent()).toBe(`Held back until ${clockText(annUntil)} (missed a call)`);
    expect(await agentState(bob).textContent()).toBe(`Wrap-up until ${clockText(bobUntil)}`);
    expect(await agentState(di).textContent()).toBe('On break');
    expect(await agentState(ed).textContent()).toBe('Logged out');
    expect(await page.locator('#agent-head th').allTextContents()).toEqual(['Agent', 'State']);
    await textUntil(page.locator('#agent-summary'), (text) => text === '1 free · 2 held back · 0 on or receiving a call · 1 on break');
    // The queue: free agents as routing counts them, the held-back ones with their reasons.
    expect(await queueRow(queue).locator('td.free-agents').textContent()).toBe('1');
    expect(await queueRow(queue).locator('td.held-back').textContent()).toBe('1 in wrap-up · 1 after a missed call');

    // Cy rings, then is on a call; a break asked for meanwhile reads as one state too.
    const third = await ring();
    expect(third.agentId).toBe(cy);
    await textUntil(agentState(cy), (text) => text === 'Ringing');
    await w.connector.outcome(third.attemptId, 'ANSWERED');
    await textUntil(agentState(cy), (text) => text === 'On a call');
    await textUntil(page.locator('#agent-summary'), (text) => text === '0 free · 2 held back · 1 on or receiving a call · 1 on break');
    await w.setStatus(cy, 'ON_BREAK');
    await textUntil(agentState(cy), (text) => text === 'On break · finishing a call');

    // The holds end with time alone (the gateway's clock moved past them): both turn free, in the queue too.
    clock.offsetMs = 61_000;
    await textUntil(agentState(ann), (text) => text === 'Free');
    await textUntil(agentState(bob), (text) => text === 'Free');
    await textUntil(queueRow(queue).locator('td.free-agents'), (text) => text === '2');
    expect(await queueRow(queue).locator('td.held-back').textContent()).toBe('–');
    await textUntil(page.locator('#agent-summary'), (text) => text === '2 free · 0 held back · 0 on or receiving a call · 2 on break');
    await w.connector.endCall(third.callId, 'COMPLETED');
  });

  it('shows each queue\'s service level, abandon rate, average answer, average handle, longest wait and answers by agents and by external destinations, and reads them again with its live update', async () => {
    const agent = await w.agent('Ann');
    const destination = await w.destination({ name: 'Overflow partner', maxSimultaneousCalls: 1 });
    // A long wrap-up keeps the agent from the calls after its first: they overflow to the destination.
    const queue = await w.queue([{ groupId: await w.group([agent]) }, { groupId: await w.group([], [destination]), overflow: { queueLengthAbove: 0 } }], { wrapUpSec: 600 });
    const offered = async (kind: 'RING_AGENT' | 'DIAL_EXTERNAL') => {
      const call = await w.connector.enqueueOk(queue);
      const [offer] = await w.connector.waitFor((i) => i.kind === kind && i.callId === call.id);
      return { call, attemptId: offer!.attemptId! };
    };
    // A: answered by the agent at once (then 600 s of wrap-up). B: answered by the destination 30 s after it came.
    // C: came then, rang at the destination, and its caller hung up 40 s later.
    const a = await offered('RING_AGENT');
    await w.connector.outcome(a.attemptId, 'ANSWERED');
    await w.connector.endCall(a.call.id, 'COMPLETED');
    const b = await offered('DIAL_EXTERNAL');
    clock.offsetMs = 30_000;
    await w.connector.outcome(b.attemptId, 'ANSWERED');
    await w.connector.endCall(b.call.id, 'COMPLETED');
    const c = await offered('DIAL_EXTERNAL');
    clock.offsetMs = 70_000;
    await w.connector.endCall(c.call.id, 'CALLER_HUNG_UP');

    await signInAs();
    const cell = (name: string) => queueRow(queue).locator(`td.${name}`);
    await textUntil(cell('queue-answered-by'), (text) => text === '1 / 1');
    expect(await page.locator('#queue-head th[data-period-label]').textContent()).toBe('Today');
    // 1 of the 3 calls whose wait is over was answered by an agent within 20 s, 1 abandoned.
    expect(await cell('queue-sl').textContent()).toBe('33%');
    expect(await cell('queue-abandoned').textContent()).toBe('33%');
    // Waits of about 1 s and 31 s (whole seconds rounded up): about 16 s; handle times 600 s and 0 s: 5:00.
    expect(await cell('queue-asa').textContent()).toMatch(/^0:1[5-7]$/);
    expect(await cell('queue-aht').textContent()).toMatch(/^5:0[01]$/);
    expect(await cell('queue-longest').textContent()).toMatch(/^0:4[01]$/);

    // D, answered by the destination: the queue's live update brings its figures again.
    const d = await offered('DIAL_EXTERNAL');
    await w.connector.outcome(d.attemptId, 'ANSWERED');
    await w.connector.endCall(d.call.id, 'COMPLETED');
    await textUntil(cell('queue-answered-by'), (text) => text === '1 / 2');
    expect(await cell('queue-abandoned').textContent()).toBe('25%');
    expect(await cell('queue-sl').textContent()).toBe('25%');
  });
});

import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway';
import { buildDashboard, dashboardOutDir } from '../../scripts/build-dashboard';
import { dashboardUrlOf } from '../../src/dashboard';
import type { GatewayOverrides } from '../../src/gateway';
import { eventually, routingModes, RoutingWorld } from '../support/telephony';
import type { TestGateway } from '../support/test-gateway';

/**
 * What the dashboard's browser tests and its benchmark share: the system's Chromium driven by
 * playwright-core, signing in through the page, many destinations, and a frame-timing probe.
 */

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function browserAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * `describe` for a browser suite when Chromium is there. Without it the suite is skipped, saying so, or, with
 * REQUIRE_BROWSER=1 (CI), fails with a test that says why: a missing browser never passes for a green run.
 */
export function browserSuite(title: string): jest.Describe {
  if (browserAvailable()) return describe;
  if (process.env.REQUIRE_BROWSER === '1') {
    describe(title, () => {
      it('has a browser to run in', () => {
        throw new Error(`REQUIRE_BROWSER=1 but no Chromium at ${CHROMIUM}`);
      });
    });
  } else {
    process.stdout.write(`\nDashboard browser suite skipped (${title}): no Chromium at ${CHROMIUM} (apt-get install chromium). REQUIRE_BROWSER=1 makes this an error.\n`);
  }
  return describe.skip;
}

/** How long a wait for the page keeps looking (generous: CI is a loaded machine; not a claim about speed). */
export const PAGE_WAIT_MS = 30_000;

/** Waits until the locator's (first match's) text satisfies `check`; answers that text. */
export async function textUntil(locator: Locator, check: (text: string) => boolean, timeoutMs = PAGE_WAIT_MS): Promise<string> {
  let last = '';
  const seen = await eventually(async () => {
    last = (await locator.count()) > 0 ? ((await locator.first().textContent()) ?? '') : '';
    return check(last) && { text: last };
  }, timeoutMs, { what: () => `text never matched; last: ${JSON.stringify(last)}`, everyMs: 50 });
  return seen.text;
}

/** What a dashboard browser suite works with: its gateway and browser (per suite), a company and a page (per test). */
export interface DashboardWorld {
  t: TestGateway;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  w: RoutingWorld;
}

/**
 * The hooks of a dashboard browser suite: the dashboard built, a gateway on the embedded default (with
 * `overrides`) and Chromium for the suite; a fresh company and a fresh page of 1440x900 for each test. `use`
 * receives them as they are made.
 */
export function useDashboardWorld(use: (world: Partial<DashboardWorld>) => void, overrides: GatewayOverrides = {}): void {
  const world: Partial<DashboardWorld> = {};
  beforeAll(async () => {
    await ensureDashboardBuilt();
    [world.t, world.browser] = await Promise.all([routingModes()[0]!.start(overrides), launchBrowser()]);
    use(world);
  });
  afterAll(async () => {
    await world.browser?.close();
    await world.t?.close();
  });
  beforeEach(async () => {
    world.w = await RoutingWorld.create(world.t!);
    world.context = await world.browser!.newContext({ viewport: { width: 1440, height: 900 } });
    world.page = await world.context.newPage();
    use(world);
  });
  afterEach(async () => {
    await world.context?.close();
    await world.w?.close();
  });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

/** Builds the dashboard into dist/dashboard (esbuild takes well under a second), so a test never serves a stale or missing bundle. */
export async function ensureDashboardBuilt(): Promise<string> {
  await buildDashboard();
  return dashboardOutDir();
}

/** The dashboard's address on a gateway whose GraphQL endpoint is `graphqlUrl`. */
export const dashboardUrl = dashboardUrlOf;

/** Opens the dashboard and fills in its sign-in form, without submitting it. */
export async function fillSignIn(page: Page, graphqlUrl: string, company: string, username: string, password: string): Promise<void> {
  await page.goto(dashboardUrl(graphqlUrl));
  await page.getByLabel('Company').fill(company);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(password);
}

/** Opens the dashboard and signs in through its form; resolves once the signed-in page shows. */
export async function signIn(page: Page, graphqlUrl: string, company: string, username: string, password: string): Promise<void> {
  await fillSignIn(page, graphqlUrl, company, username, password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#dashboard').waitFor({ state: 'visible' });
}

type Gql = (query: string, variables: Record<string, unknown>, token: string) => Promise<any>;

export interface CreatedDestination {
  id: string;
  name: string;
  max: number;
}

/** Creates `count` destinations through the API, `chunk` requests at a time. */
export async function createDestinations(gql: Gql, token: string, count: number, prefix = 'Destination', chunk = 25): Promise<CreatedDestination[]> {
  const out: CreatedDestination[] = [];
  for (let i = 0; i < count; i += chunk) {
    const batch = Array.from({ length: Math.min(chunk, count - i) }, (_, j) => i + j);
    const made = await Promise.all(
      batch.map(async (n) => {
        const name = `${prefix} ${String(n + 1).padStart(3, '0')}`;
        const max = 4 + (n % 7);
        const data = await gql(
          'mutation($i: ExternalDestinationInput!) { createExternalDestination(input: $i) { id } }',
          { i: { name, numberMode: 'FULL_NUMBER', number: '+442079460958', maxSimultaneousCalls: max } },
          token,
        );
        return { id: data.createExternalDestination.id as string, name, max };
      }),
    );
    out.push(...made);
  }
  return out;
}

/** The calls a destination is shown with after update `round` (so every update changes what the row shows). */
export function callsAt(d: CreatedDestination, round: number, index: number): { connecting: number; active: number } {
  const k = round + index;
  return { connecting: k % 3, active: (k * 7) % (d.max - 1) };
}

/** The text the dashboard's calls cell shows for those figures. */
export function callsText(d: CreatedDestination, calls: { connecting: number; active: number }): string {
  return `${calls.connecting} connecting · ${calls.active} answered · max ${d.max}`;
}

/**
 * Publishes live updates of every destination `perSecond` times a second for `seconds`, spread evenly
 * over each second (in slices), through the gateway's own event path: the same bus, topics, `seq`
 * counters and per-subscriber authorisation as a routed call's update, with figures that change each
 * round. Resolves with the number of rounds run.
 */
export async function driveUpdates(gateway: Gateway, companyId: string, destinations: CreatedDestination[], seconds: number, slicesPerSecond = 10): Promise<number> {
  const sliceMs = 1000 / slicesPerSecond;
  const perSlice = Math.ceil(destinations.length / slicesPerSecond);
  const started = Date.now();
  for (let round = 0; round < seconds; round += 1) {
    for (let s = 0; s < slicesPerSecond; s += 1) {
      const slice = destinations.slice(s * perSlice, (s + 1) * perSlice);
      await Promise.all(
        slice.map(async (d, j) => {
          const index = s * perSlice + j;
          const seq = await gateway.live.sequences.next(companyId, 'destination', d.id);
          const { connecting, active } = callsAt(d, round, index);
          gateway.services.bus.publishUpdate(companyId, 'destination', d.id, {
            destinationId: d.id, seq, state: connecting + active >= d.max ? 'AT_CAPACITY' : 'AVAILABLE', connectingCalls: connecting, activeCalls: active,
            maxSimultaneousCalls: d.max, backedOffUntil: null, consecutiveFailures: 0, at: Date.now(),
          });
        }),
      );
      const wait = started + (round * slicesPerSecond + s + 1) * sliceMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return seconds;
}

/** Starts recording the gap between animation frames in the page (and resets the dashboard's own pass timings). */
export async function startFrameProbe(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const w = window;
    if (w.__probe) w.__probe.stop = true;
    const probe = { gaps: [], last: 0, stop: false };
    const m = w.__dashboard.metrics;
    probe.base = { passes: m.passes, events: m.events, totalMs: m.totalMs, next: m.next };
    const loop = (t) => {
      if (probe.stop) return;
      if (probe.last) probe.gaps.push(t - probe.last);
      probe.last = t;
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    w.__probe = probe;
  })()`);
}

export interface FrameReport {
  frames: number;
  /** Frames that took more than 50 ms (a visible stutter). */
  over50: number;
  p50: number;
  p99: number;
  maxGap: number;
  /** Dashboard update passes in the window: count, updates received, time spent (ms). */
  passes: number;
  events: number;
  passMsTotal: number;
  passMsP99: number;
  passMsMax: number;
}

/** Stops the probe and summarises the frames and update passes it saw. */
export async function stopFrameProbe(page: Page): Promise<FrameReport> {
  const raw = (await page.evaluate(`(() => {
    const w = window;
    const p = w.__probe;
    p.stop = true;
    const m = w.__dashboard.metrics;
    const n = Math.min(m.next - p.base.next, m.samples.length);
    const passMs = [];
    for (let i = m.next - n; i < m.next; i += 1) passMs.push(m.samples[i % m.samples.length]);
    return { gaps: p.gaps, passes: m.passes - p.base.passes, events: m.events - p.base.events, passMsTotal: m.totalMs - p.base.totalMs, passMs };
  })()`)) as { gaps: number[]; passes: number; events: number; passMsTotal: number; passMs: number[] };
  const gaps = [...raw.gaps].sort((a, b) => a - b);
  const passMs = [...raw.passMs].sort((a, b) => a - b);
  const pct = (list: number[], p: number) => (list.length === 0 ? 0 : list[Math.min(list.length - 1, Math.floor((p / 100) * list.length))]!);
  return {
    frames: gaps.length,
    over50: gaps.filter((g) => g > 50).length,
    p50: pct(gaps, 50),
    p99: pct(gaps, 99),
    maxGap: gaps[gaps.length - 1] ?? 0,
    passes: raw.passes,
    events: raw.events,
    passMsTotal: raw.passMsTotal,
    passMsP99: pct(passMs, 99),
    passMsMax: passMs[passMs.length - 1] ?? 0,
  };
}

export function describeFrames(label: string, r: FrameReport, seconds: number): string {
  return (
    `${label}: ${r.frames} frames, ${r.over50} over 50 ms, gap p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, max ${r.maxGap.toFixed(1)} ms; ` +
    `${r.events} updates in ${r.passes} passes, ${(r.passMsTotal / seconds).toFixed(1)} ms/s in passes, pass p99 ${r.passMsP99.toFixed(2)} ms, max ${r.passMsMax.toFixed(2)} ms`
  );
}

import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import { loadConfig } from '../src/config';
import { createGateway } from '../src/gateway';
import { createLogger } from '../src/logger';
import {
  browserAvailable, CHROMIUM, createDestinations, driveUpdates, ensureDashboardBuilt, launchBrowser, signIn, startFrameProbe, stopFrameProbe, type FrameReport,
} from '../test/browser/harness';

/**
 * The supervisor dashboard in headless Chromium with 500 destinations, each updated once a second over
 * graphql-ws, against a baseline measured in the same run: the same page, signed in, receiving nothing.
 * Frame gaps come from a requestAnimationFrame loop in the page; pass times from the dashboard's own
 * timing of each batched DOM update. Run once as is and once with the CPU slowed 4x (a modest wall-display
 * computer). DASHBOARD_BENCH_SECONDS sets the length of each window (default 10).
 */
const PLATFORM_KEY = 'bench-platform-key-0123456789abcdef';
const DESTINATIONS = 500;
const SECONDS = Number(process.env.DASHBOARD_BENCH_SECONDS ?? 10);

async function gql(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const ms = (v: number) => `${v.toFixed(1)} ms`;
const ratio = (v: number, base: number) => (base > 0 ? `${(v / base).toFixed(2)}x` : '–');

const perSecond = (v: number) => `${(v / SECONDS).toFixed(0)} ms/s`;

function rows(label: string, idle: FrameReport & Browsing, busy: FrameReport & Browsing): string[] {
  const busyTimes = `${perSecond(busy.scriptMs)} | ${perSecond(busy.styleMs)} + ${perSecond(busy.layoutMs)} | ${perSecond(busy.taskMs)}`;
  return [
    `| ${label} | idle (baseline) | ${idle.frames} | ${idle.over50} | ${ms(idle.p50)} | ${ms(idle.p99)} | ${ms(idle.maxGap)} | – | – | – | ${perSecond(idle.scriptMs)} | ${perSecond(idle.styleMs + idle.layoutMs)} | ${perSecond(idle.taskMs)} |`,
    `| ${label} | ${DESTINATIONS} updates/s | ${busy.frames} | ${busy.over50} | ${ms(busy.p50)} | ${ms(busy.p99)} | ${ms(busy.maxGap)} | ${busy.events} | ${(busy.passMsTotal / SECONDS).toFixed(1)} ms/s | ${busy.passMsP99.toFixed(2)} ms | ${busyTimes} |`,
    `| ${label} | load / baseline | ${ratio(busy.frames, idle.frames)} | | ${ratio(busy.p50, idle.p50)} | ${ratio(busy.p99, idle.p99)} | ${ratio(busy.maxGap, idle.maxGap)} | | | | | | ${ratio(busy.taskMs, idle.taskMs)} |`,
  ];
}

type Browsing = { scriptMs: number; styleMs: number; layoutMs: number; taskMs: number };

/** The renderer's own accounting (Performance domain): time in script, style, layout and all tasks. */
async function rendererTimes(cdp: CDPSession): Promise<Browsing> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
  const get = (name: string) => (metrics.find((m) => m.name === name)?.value ?? 0) * 1000;
  return { scriptMs: get('ScriptDuration'), styleMs: get('RecalcStyleDuration'), layoutMs: get('LayoutDuration'), taskMs: get('TaskDuration') };
}

async function measure(page: Page, cdp: CDPSession, run: () => Promise<unknown>): Promise<FrameReport & Browsing> {
  const before = await rendererTimes(cdp);
  await startFrameProbe(page);
  await run();
  const frames = await stopFrameProbe(page);
  const after = await rendererTimes(cdp);
  return { ...frames, scriptMs: after.scriptMs - before.scriptMs, styleMs: after.styleMs - before.styleMs, layoutMs: after.layoutMs - before.layoutMs, taskMs: after.taskMs - before.taskMs };
}

async function main(): Promise<void> {
  if (!browserAvailable()) {
    process.stderr.write(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)\n`);
    process.exit(1);
  }
  await ensureDashboardBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'gw-bench-'));
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: `sqlite:${join(dir, 'bench.sqlite')}`,
    PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET: 'bench-jwt-secret-0123456789abcdef0123456789', LOG_LEVEL: 'silent', SEED_DEMO: 'false',
  });
  const gateway = await createGateway(config, { logger: createLogger('silent') });
  const browser = await launchBrowser();
  try {
    const company = (await gql(gateway.url, 'mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
      i: { name: 'Bench', slug: 'bench', timeZone: 'UTC', adminUsername: 'admin', adminPassword: 'bench-admin-password' },
    }, PLATFORM_KEY)).createCompany.id as string;
    const admin = (await gql(gateway.url, 'mutation { login(companySlug: "bench", username: "admin", password: "bench-admin-password") { token } }', {})).login.token as string;
    const destinations = await createDestinations((q, v, token) => gql(gateway.url, q, v, token), admin, DESTINATIONS, 'Load');

    const lines: string[] = [];
    for (const slowdown of [1, 4]) {
      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      if (slowdown > 1) await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
      await signIn(page, gateway.url, 'bench', 'admin', 'bench-admin-password');
      await page.locator('#sum-total').filter({ hasText: String(DESTINATIONS) }).waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1_000);
      const idle = await measure(page, cdp, () => page.waitForTimeout(SECONDS * 1000));
      const busy = await measure(page, cdp, () => driveUpdates(gateway, company, destinations, SECONDS));
      lines.push(...rows(slowdown === 1 ? 'CPU as is' : `CPU ${slowdown}x slower`, idle, busy));
      await context.close();
    }
    process.stdout.write(
      `\nSupervisor dashboard, ${DESTINATIONS} destinations, each updated once a second for ${SECONDS} s (headless Chromium, 1920x1080)\n\n` +
        '| CPU | window | frames | frames > 50 ms | frame gap p50 | frame gap p99 | longest gap | updates received | time in update passes | pass p99 | script | style + layout | all renderer tasks |\n' +
        '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n' +
        `${lines.join('\n')}\n`,
    );
  } finally {
    await browser.close();
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});

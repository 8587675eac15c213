import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScratchDatabase } from '../support/postgres';
import { spawnSync } from 'node:child_process';
import { ensureBuilt, GATEWAY_MAIN, GatewayProcess, WatchedSubscription } from '../support/processes';
import { redisSuitesOn, TEST_REDIS_URL, uniquePrefix } from '../support/redis';
import { eventually } from '../support/telephony';
import { JWT_SECRET, PLATFORM_KEY } from '../support/test-gateway';

jest.setTimeout(90_000);

/** The bound main.ts gives a stop (and the README states). */
const STOP_BOUND_MS = 10_000;

/*
 * A stop of `node dist/src/main.js` by SIGTERM, started as an operator starts it (no NODE_ENV=test: Apollo
 * Server's own signal handlers would be installed there, and on PostgreSQL they kept the process alive for
 * good), in each mode: it exits by itself with code 0 within the bound, and a live-update socket it held is
 * closed with 1001 (going away).
 */
type Mode = { name: string; env: () => Promise<{ env: Record<string, string>; dispose: () => Promise<void> }> };

const modes: Mode[] = [
  {
    name: 'embedded SQLite',
    env: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gw-stop-'));
      return { env: { DATABASE_URL: `sqlite:${join(dir, 'gateway.sqlite')}` }, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
];
if (process.env.POSTGRES_SUITES === 'on') {
  modes.push({
    name: 'PostgreSQL',
    env: async () => {
      const db = await createScratchDatabase();
      return { env: { DATABASE_URL: db.url }, dispose: db.drop };
    },
  });
  if (redisSuitesOn()) {
    modes.push({
      name: 'PostgreSQL and Redis (cluster mode)',
      env: async () => {
        const db = await createScratchDatabase();
        return { env: { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix() }, dispose: db.drop };
      },
    });
  }
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe.each(modes.map((m) => [m.name, m] as const))('a gateway process stopped with SIGTERM (%s)', (_name, mode) => {
  it('exits by itself with code 0 within the stop bound, at once after its start and (embedded) while it holds a live-update socket, which it closes with 1001', async () => {
    const { env, dispose } = await mode.env();
    const start = () => GatewayProcess.start('stop', { ...env, PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'warn', SEED_DEMO: 'false' });
    const stopped = async (gateway: GatewayProcess) => {
      const started = Date.now();
      const exit = await gateway.kill('SIGTERM');
      return { exit, withinBound: Date.now() - started < STOP_BOUND_MS };
    };
    try {
      // Nothing asked yet (on PostgreSQL this one never ended while Apollo Server's signal handlers stopped it first).
      expect(await stopped(await start())).toEqual({ exit: { code: 0, signal: null }, withinBound: true });
      // The sockets' close is the same code in every mode: checked on the embedded default only.
      if (mode !== modes[0]) return;
      const gateway = await start();
      const created = await gateway.client.gql('mutation($i: CreateCompanyInput!) { createCompany(input: $i) { id } }', {
        i: { name: 'Stop', slug: 'stop', timeZone: 'Europe/London', adminUsername: 'admin', adminPassword: 'stop-admin-password' },
      }, PLATFORM_KEY);
      expect(created.errors).toBeUndefined();
      const login = await gateway.client.gql('mutation { login(companySlug: "stop", username: "admin", password: "stop-admin-password") { token } }', {});
      const token = (login.data as { login: { token: string } }).login.token;
      const updates = await WatchedSubscription.open(gateway.url, token, 'subscription { externalDestinationUpdates { destinationId seq } }', 'externalDestinationUpdates');
      expect(await stopped(gateway)).toEqual({ exit: { code: 0, signal: null }, withinBound: true });
      await eventually(async () => updates.ended, 5_000);
      expect(updates.ended).toBe('socket closed 1001');
    } finally {
      await dispose();
    }
  });
});

describe('a gateway process started on a port already in use', () => {
  it('fails with exit code 1 and one line that names the port, without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-busy-'));
    const env = { PLATFORM_API_KEY: PLATFORM_KEY, JWT_SECRET, LOG_LEVEL: 'info', SEED_DEMO: 'false' };
    const first = await GatewayProcess.start('first', { ...env, DATABASE_URL: `sqlite:${join(dir, 'first.sqlite')}` });
    try {
      const second = spawnSync(process.execPath, [GATEWAY_MAIN], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', ...env, DATABASE_URL: `sqlite:${join(dir, 'second.sqlite')}`, PORT: String(first.port), HOST: '127.0.0.1' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(second.status).toBe(1);
      expect(`${second.stdout}${second.stderr}`.trim()).toBe(`Gateway failed to start: port ${first.port} on 127.0.0.1 is already in use (stop what uses it, or set PORT to another)`);
    } finally {
      await first.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the build every script and these suites start with', () => {
  it('compiles nothing again when no input changed since the last build', async () => {
    // beforeAll built (or found the build current); a second build finds the compiled output current.
    expect(await ensureBuilt()).toBe(false);
  });
});

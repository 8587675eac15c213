import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config';
import { createGateway } from '../../src/gateway';

describe('the embedded database and several instances', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-lock-'));
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'gw.sqlite')}`, LOG_LEVEL: 'silent', SEED_DEMO: 'false', JWT_SECRET: 'x'.repeat(40) });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second instance on the same SQLite file with a clear message, and lets one start once the first stopped', async () => {
    const first = await createGateway(config);
    try {
      await expect(createGateway(config)).rejects.toThrow(/Another gateway instance \(pid \d+\) already uses the embedded database .*DATABASE_URL=postgres/);
    } finally {
      await first.close();
    }
    const again = await createGateway(config);
    await again.close();
  });

  it('refuses Redis with the embedded database at configuration time', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: `sqlite:${join(dir, 'other.sqlite')}`, REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseConfig } from '../../src/config';
import { createScratchDatabase } from './postgres';

export type Dialect = 'sqlite' | 'postgres';

/** The dialects the persistence and API suites run on: SQLite always, PostgreSQL when available. */
export function dialects(): Dialect[] {
  return process.env.POSTGRES_SUITES === 'on' ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh, empty database of one dialect, and how to throw it away. */
export async function scratchDatabase(dialect: Dialect): Promise<{ database: DatabaseConfig; url: string; dispose: () => Promise<void> }> {
  if (dialect === 'postgres') {
    const { url, drop } = await createScratchDatabase();
    return { database: { kind: 'postgres', url }, url, dispose: drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'gw-test-'));
  const path = join(dir, 'gateway.sqlite');
  return { database: { kind: 'sqlite', path }, url: `sqlite:${path}`, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

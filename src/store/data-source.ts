import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { ENTITIES } from '../entities';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

/** How long a request waits at most for a PostgreSQL connection before it is answered SERVICE_UNAVAILABLE. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Builds (does not open) the data source for a database: SQLite (better-sqlite3) for the embedded default,
 * PostgreSQL otherwise. Both run their own dialect's migrations; neither uses `synchronize`.
 */
export function createDataSource(database: DatabaseConfig): DataSource {
  if (database.kind === 'postgres') {
    return new DataSource({
      type: 'postgres',
      url: database.url,
      entities: ENTITIES,
      migrations: POSTGRES_MIGRATIONS,
      migrationsTableName: 'schema_migration',
      uuidExtension: 'pgcrypto',
      synchronize: false,
      logging: false,
      // While the server is down or restarting, a request fails fast rather than hangs: a connection (new, or
      // waiting for a free one of the pool) is given up after CONNECT_TIMEOUT_MS, and a refused or closed one at
      // once; the pool drops broken connections and opens new ones once the server is back (decision 021).
      // Keep-alive probes notice a connection whose server vanished without closing it.
      extra: { max: 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 },
    });
  }
  if (database.path !== ':memory:') mkdirSync(dirname(database.path), { recursive: true });
  return new DataSource({
    type: 'better-sqlite3',
    database: database.path,
    entities: ENTITIES,
    migrations: SQLITE_MIGRATIONS,
    migrationsTableName: 'schema_migration',
    synchronize: false,
    logging: false,
    // WAL lets readers proceed while one writer commits; foreign keys are off by default in SQLite.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      // A page cache of 64 MB (the default is 2 MB): indexes of a million calls stay in memory between reads.
      db.pragma('cache_size = -65536');
    },
  });
}

/** Opens the data source and brings its schema up to date. */
export async function openDataSource(database: DatabaseConfig): Promise<DataSource> {
  const dataSource = createDataSource(database);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return dataSource;
}

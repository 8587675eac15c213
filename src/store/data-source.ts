import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { ENTITIES } from '../entities';
import { POSTGRES_MIGRATIONS } from './migrations/postgres';
import { SQLITE_MIGRATIONS } from './migrations/sqlite';

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
      extra: { max: 10, connectionTimeoutMillis: 5_000 },
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

import { postgresReachable, TEST_DATABASE_URL } from './postgres';

/**
 * Decides once whether the PostgreSQL suites run. Without a server they are skipped with one line saying how
 * to enable them, unless REQUIRE_POSTGRES=1 (CI), where a missing server fails the run.
 */
export default async function globalSetup(): Promise<void> {
  const reachable = await postgresReachable();
  process.env.POSTGRES_SUITES = reachable ? 'on' : 'off';
  if (reachable) return;
  if (process.env.REQUIRE_POSTGRES === '1') {
    throw new Error(`REQUIRE_POSTGRES=1 but no PostgreSQL answers at ${TEST_DATABASE_URL}`);
  }
  process.stdout.write(
    `\nPostgreSQL suites skipped: no server at ${TEST_DATABASE_URL}. Start one (or set TEST_DATABASE_URL) to run them; REQUIRE_POSTGRES=1 makes this an error.\n`,
  );
}

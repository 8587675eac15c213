import { postgresReachable, TEST_DATABASE_URL } from './postgres';
import { redisReachable, TEST_REDIS_URL } from './redis';

/**
 * Decides once whether the PostgreSQL and Redis suites run. Without a server they are skipped with one line
 * saying how to enable them, unless REQUIRE_POSTGRES=1 / REQUIRE_REDIS=1 (CI), where a missing server fails
 * the run.
 */
export default async function globalSetup(): Promise<void> {
  const services = [
    { name: 'PostgreSQL', env: 'POSTGRES_SUITES', require: 'REQUIRE_POSTGRES', url: TEST_DATABASE_URL, urlVar: 'TEST_DATABASE_URL', reachable: await postgresReachable() },
    { name: 'Redis', env: 'REDIS_SUITES', require: 'REQUIRE_REDIS', url: TEST_REDIS_URL, urlVar: 'TEST_REDIS_URL', reachable: await redisReachable() },
  ];
  for (const s of services) {
    process.env[s.env] = s.reachable ? 'on' : 'off';
    if (s.reachable) continue;
    if (process.env[s.require] === '1') throw new Error(`${s.require}=1 but no ${s.name} answers at ${s.url}`);
    process.stdout.write(
      `\n${s.name} suites skipped: no server at ${s.url}. Start one (or set ${s.urlVar}) to run them; ${s.require}=1 makes this an error.\n`,
    );
  }
}

import { postgresReachable, TEST_DATABASE_URL } from './postgres';
import { redisReachable, TEST_REDIS_URL } from './redis';
import { LocalRedisCluster, redisServerInstalled } from './redis-cluster';

/**
 * Decides once whether the PostgreSQL and Redis suites run. Without a server they are skipped with one line
 * saying how to enable them, unless REQUIRE_POSTGRES=1 / REQUIRE_REDIS=1 (CI), where a missing server fails
 * the run. The Redis Cluster suites run wherever redis-server is installed: a three-master cluster of the run
 * starts here in the background (nothing waits for it but the suites that use it) and stops in the teardown.
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
  const installed = redisServerInstalled();
  process.env.REDIS_CLUSTER_SUITES = installed ? 'on' : 'off';
  if (!installed) {
    if (process.env.REQUIRE_REDIS === '1') throw new Error('REQUIRE_REDIS=1 but no redis-server is installed to start the test Redis Cluster');
    process.stdout.write('\nRedis Cluster suites skipped: no redis-server installed to start a local cluster (apt-get install redis-server); REQUIRE_REDIS=1 makes this an error.\n');
    return;
  }
  await LocalRedisCluster.startForRun();
}

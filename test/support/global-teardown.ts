import { LocalRedisCluster } from './redis-cluster';

/** Stops what the global setup started for the run: the local Redis Cluster. */
export default async function globalTeardown(): Promise<void> {
  await LocalRedisCluster.stopForRun();
}

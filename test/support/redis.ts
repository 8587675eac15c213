import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { scanKeys, type RedisClient } from '../../src/store/redis-client';
import { newClusterClient, redisClusterSuitesOn } from './redis-cluster';

/** The Redis the cluster-mode suites use: TEST_REDIS_URL, or the local default. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export async function redisReachable(): Promise<boolean> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function redisSuitesOn(): boolean {
  return process.env.REDIS_SUITES === 'on';
}

/** A unique key prefix, so tests never see each other's keys. */
export function uniquePrefix(): string {
  return `test:${randomBytes(6).toString('hex')}`;
}

export function newRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
}

/** Deletes every key under a prefix (of the test Redis, or of `client`'s, e.g. the test Redis Cluster). */
export async function dropPrefix(prefix: string, client?: RedisClient): Promise<void> {
  await dropMatching(`${prefix}:*`, client);
}

/**
 * Deletes every key matching a SCAN pattern, on every master of a cluster. One DEL per key: on a cluster, a
 * DEL of several keys must not span slots.
 */
export async function dropMatching(pattern: string, client?: RedisClient): Promise<void> {
  const redis = client ?? newRedis();
  try {
    const keys = await scanKeys(redis, pattern);
    await Promise.all(keys.map((key) => redis.del(key)));
  } finally {
    if (client === undefined) redis.disconnect();
  }
}

/** One live-state adapter under contract test: a store, and a second one as another gateway instance has. */
export interface StoreAdapter<S> {
  name: string;
  open(): Promise<{ store: S; other: S; close(): Promise<void> }>;
}

/**
 * The adapters a contract suite runs against: in-memory (one store serves as both instances), when Redis is
 * reachable Redis (two connections, a unique key prefix dropped afterwards), and when redis-server is
 * installed the run's Redis Cluster (the same, over two cluster clients).
 */
export function storeAdapters<S extends { close(): Promise<void> }>(memory: () => S, redis: (client: RedisClient, prefix: string) => S): Array<StoreAdapter<S>> {
  const adapters: Array<StoreAdapter<S>> = [
    {
      name: 'in-memory',
      open: async () => {
        const store = memory();
        return { store, other: store, close: () => store.close() };
      },
    },
  ];
  if (redisSuitesOn()) {
    adapters.push({
      name: 'Redis',
      open: async () => {
        const prefix = uniquePrefix();
        const store = redis(newRedis(), prefix);
        const other = redis(newRedis(), prefix);
        return {
          store,
          other,
          close: async () => {
            await dropPrefix(prefix);
            await Promise.all([store.close(), other.close()]);
          },
        };
      },
    });
  }
  if (redisClusterSuitesOn()) {
    adapters.push({
      name: 'Redis Cluster',
      open: async () => {
        const prefix = uniquePrefix();
        const [first, second, cleaner] = await Promise.all([newClusterClient(), newClusterClient(), newClusterClient()]);
        const store = redis(first, prefix);
        const other = redis(second, prefix);
        return {
          store,
          other,
          close: async () => {
            try {
              await dropPrefix(prefix, cleaner);
            } finally {
              cleaner.disconnect();
            }
            await Promise.all([store.close(), other.close()]);
          },
        };
      },
    });
  }
  return adapters;
}

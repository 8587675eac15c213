import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

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

/** Deletes every key under a prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = newRedis();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}

/** One live-state adapter under contract test: a store, and a second one as another gateway instance has. */
export interface StoreAdapter<S> {
  name: string;
  open(): Promise<{ store: S; other: S; close(): Promise<void> }>;
}

/**
 * The adapters a contract suite runs against: in-memory (one store serves as both instances) and, when
 * Redis is reachable, Redis (two connections, a unique key prefix dropped afterwards).
 */
export function storeAdapters<S extends { close(): Promise<void> }>(memory: () => S, redis: (client: Redis, prefix: string) => S): Array<StoreAdapter<S>> {
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
  return adapters;
}

import Redis, { Cluster } from 'ioredis';

/**
 * A connection to Redis as the stores and the event bus use it: one server (`Redis`) or a Redis Cluster
 * (`Cluster`, which routes each command to the master of its key's slot). Both speak the same commands here;
 * what a cluster needs of the keys (hash tags, decision 030) lives in the one key builder, `redis-keys.ts`.
 */
export type RedisClient = Redis | Cluster;

/** One seed node of a Redis Cluster. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Where Redis is: a `redis://` or `rediss://` URL (one server), or seed nodes of a Redis Cluster (any masters or replicas; the rest is discovered). */
export type RedisTarget = string | readonly RedisNode[];

export interface RedisConnectOptions {
  /** CLIENT SETNAME of every connection, so an operator (and a fault test) can tell them apart in CLIENT LIST. */
  readonly name: string;
  /**
   * Bounded commands: a command fails after one retry instead of waiting for a Redis that is away (and, on a
   * cluster, a command is refused at once while the cluster is not ready, rather than queued). Left out for a
   * subscriber, whose SUBSCRIBE waits for the connection to come back.
   */
  readonly bounded?: boolean;
}

/** Reconnects back off up to 5 s, for ever. */
const retryStrategy = (times: number) => Math.min(100 * 2 ** times, 5_000);

/** A new, not yet connected client of `target` (call `connect()`); a cluster for seed nodes, one server for a URL. */
export function connectRedis(target: RedisTarget, options: RedisConnectOptions): RedisClient {
  const bounded = options.bounded === true;
  if (typeof target === 'string') {
    return new Redis(target, {
      lazyConnect: true,
      retryStrategy,
      connectionName: options.name,
      ...(bounded ? { maxRetriesPerRequest: 1 } : {}),
    });
  }
  return new Cluster(target.map((n) => ({ host: n.host, port: n.port })), {
    lazyConnect: true,
    clusterRetryStrategy: retryStrategy,
    enableOfflineQueue: !bounded,
    redisOptions: { connectionName: options.name, ...(bounded ? { maxRetriesPerRequest: 1 } : {}) },
  });
}

/** Whether a client is a Redis Cluster's. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * Reports a client's errors to `onError`: a cluster's own and those of each of its nodes (which a cluster
 * reports apart, as `node error`).
 */
export function reportErrors(client: RedisClient, onError: (err: unknown) => void): void {
  client.on('error', onError);
  if (isCluster(client)) client.on('node error', onError);
}

/**
 * Every key matching `pattern` (SCAN MATCH): on a cluster, on every master, since each holds only its slots'
 * keys. For tooling and tests; the gateway itself never scans.
 */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const servers: Redis[] = isCluster(client) ? client.nodes('master') : [client];
  const found: string[] = [];
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}

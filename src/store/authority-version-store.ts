import type { RedisClient } from './redis-client';
import { redisKeys, type RedisKeys } from './redis-keys';
import { defineScripts, type ScriptCall } from './redis-scripts';

/**
 * A copy of each company's authority version (the system of record's `company.authorityVersion`), cheap to
 * read every second: in process on the embedded default, in Redis in cluster mode. A copy is only ever
 * raised; one that is missing (never written, or Redis restarted empty) reads as unknown, and the reader
 * falls back to the system of record.
 */
export interface AuthorityVersionStore {
  /** The copies of these companies' versions; a company without one is left out. */
  get(companyIds: readonly string[]): Promise<Map<string, number>>;
  /** Raises a company's copy to at least `version`. */
  raise(companyId: string, version: number): Promise<void>;
  close(): Promise<void>;
}

export class MemoryAuthorityVersionStore implements AuthorityVersionStore {
  private readonly versions = new Map<string, number>();

  async get(companyIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const id of companyIds) {
      const v = this.versions.get(id);
      if (v !== undefined) out.set(id, v);
    }
    return out;
  }

  async raise(companyId: string, version: number): Promise<void> {
    if (version > (this.versions.get(companyId) ?? -1)) this.versions.set(companyId, version);
  }

  async close(): Promise<void> {
    this.versions.clear();
  }
}

export class RedisAuthorityVersionStore implements AuthorityVersionStore {
  private readonly keys: RedisKeys;
  private readonly scripts: Record<'raise', ScriptCall>;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.keys = redisKeys(prefix);
    this.scripts = defineScripts(redis, { raise: 'version-raise-1.lua' });
  }

  async get(companyIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (companyIds.length === 0) return out;
    // One GET per company, written together on the connection (keys of different companies may live on
    // different nodes of a Redis Cluster, where one MGET could not span them).
    const values = await Promise.all(companyIds.map((id) => this.redis.get(this.keys.authorityVersion(id))));
    companyIds.forEach((id, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) out.set(id, Number(v));
    });
    return out;
  }

  async raise(companyId: string, version: number): Promise<void> {
    await this.scripts.raise(this.keys.authorityVersion(companyId), version);
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

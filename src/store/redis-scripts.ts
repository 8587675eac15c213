import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RedisClient } from './redis-client';

export type ScriptCall = (...args: Array<string | number>) => Promise<unknown>;

/**
 * Loads Lua scripts from `lua/` and defines them on a connection. A script's file name ends with its number
 * of keys (`lease-answer-2.lua` takes two), which is its contract header's first line too.
 */
export function defineScripts<K extends string>(redis: RedisClient, files: Record<K, string>): Record<K, ScriptCall> {
  const calls = {} as Record<K, ScriptCall>;
  for (const [name, file] of Object.entries(files) as Array<[K, string]>) {
    const keys = /-(\d+)\.lua$/.exec(file);
    if (!keys) throw new Error(`Lua script ${file} does not end with -<number of keys>.lua`);
    const command = `gw_${name}`;
    redis.defineCommand(command, { numberOfKeys: Number(keys[1]), lua: readFileSync(join(__dirname, 'lua', file), 'utf8') });
    const fn = (redis as unknown as Record<string, ScriptCall>)[command]!;
    calls[name] = fn.bind(redis);
  }
  return calls;
}

/** An HGETALL-style flat list of field, value pairs as an object. */
export function pairsToObject(flat: readonly string[]): Record<string, string> {
  const hash: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) hash[flat[i]!] = flat[i + 1]!;
  return hash;
}

/**
 * HGETALL of many keys in one round trip (missing keys read as empty hashes). One pipeline: on a Redis Cluster
 * the keys must share a slot (one company's, by their hash tag: decision 030).
 */
export async function hgetallMany(redis: RedisClient, keys: readonly string[]): Promise<Array<Record<string, string>>> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const results = (await pipeline.exec()) ?? [];
  return keys.map((_, i) => (results[i]?.[1] as Record<string, string> | undefined) ?? {});
}

import type { RedisClient } from './redis-client';
import type { AgentActivity } from '../routing/state-machine';
import type { AgentStatus } from '../routing/types';
import { redisKeys, type RedisKeys } from './redis-keys';
import { defineScripts, hgetallMany, pairsToObject, type ScriptCall } from './redis-scripts';

/** A regular agent's live state; `seq` increases by one per change. */
export interface AgentLive {
  status: AgentStatus;
  activity: AgentActivity;
  /** The call the agent is reserved for, ringing with or talking on. */
  callId: string | null;
  idleSince: number;
  wrapUpUntil: number | null;
  notBefore: number | null;
  seq: number;
}

/** What a compare-and-set expects the agent to be; fields left out match anything. */
export interface AgentExpectation {
  status?: AgentStatus;
  activity?: readonly AgentActivity[];
  /** null: on no call; a string: on that call; undefined: any. */
  callId?: string | null;
}

export type AgentChange = Partial<Omit<AgentLive, 'seq'>>;

/** An agent never seen: logged out, idle since the epoch. */
export const INITIAL_AGENT: AgentLive = { status: 'LOGGED_OUT', activity: 'IDLE', callId: null, idleSince: 0, wrapUpUntil: null, notBefore: null, seq: 0 };

/**
 * Live state of regular agents, shared by every gateway instance. Every change is a compare-and-set, so two
 * instances can never reserve one agent for two calls.
 */
export interface AgentStateStore {
  get(companyId: string, agentId: string): Promise<AgentLive>;
  getMany(companyId: string, agentIds: readonly string[]): Promise<Map<string, AgentLive>>;
  /** Applies `change` only when the agent matches `expect`; the new state, or null when it did not match. */
  compareAndSet(companyId: string, agentId: string, expect: AgentExpectation, change: AgentChange): Promise<AgentLive | null>;
  close(): Promise<void>;
}

function matches(agent: AgentLive, expect: AgentExpectation): boolean {
  if (expect.status !== undefined && agent.status !== expect.status) return false;
  if (expect.activity !== undefined && !expect.activity.includes(agent.activity)) return false;
  if (expect.callId !== undefined && agent.callId !== expect.callId) return false;
  return true;
}

export class MemoryAgentStateStore implements AgentStateStore {
  private readonly agents = new Map<string, AgentLive>();

  async get(companyId: string, agentId: string): Promise<AgentLive> {
    return { ...(this.agents.get(`${companyId}/${agentId}`) ?? INITIAL_AGENT) };
  }

  async getMany(companyId: string, agentIds: readonly string[]): Promise<Map<string, AgentLive>> {
    return new Map(await Promise.all(agentIds.map(async (id) => [id, await this.get(companyId, id)] as const)));
  }

  async compareAndSet(companyId: string, agentId: string, expect: AgentExpectation, change: AgentChange): Promise<AgentLive | null> {
    const current = this.agents.get(`${companyId}/${agentId}`) ?? INITIAL_AGENT;
    if (!matches(current, expect)) return null;
    const next = { ...current, ...change, seq: current.seq + 1 };
    this.agents.set(`${companyId}/${agentId}`, next);
    return { ...next };
  }

  async close(): Promise<void> {
    this.agents.clear();
  }
}

const FIELDS = ['status', 'activity', 'callId', 'idleSince', 'wrapUpUntil', 'notBefore'] as const;

function fromHash(hash: Record<string, string>): AgentLive {
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  return {
    status: (hash.status as AgentStatus | undefined) ?? INITIAL_AGENT.status,
    activity: (hash.activity as AgentActivity | undefined) ?? INITIAL_AGENT.activity,
    callId: hash.callId ?? null,
    idleSince: num(hash.idleSince) ?? 0,
    wrapUpUntil: num(hash.wrapUpUntil),
    notBefore: num(hash.notBefore),
    seq: num(hash.seq) ?? 0,
  };
}

/** Agents in Redis hashes; changes through one compare-and-set Lua script. */
export class RedisAgentStateStore implements AgentStateStore {
  private readonly keys: RedisKeys;
  private readonly commands: Record<'agentCas', ScriptCall>;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.keys = redisKeys(prefix);
    this.commands = defineScripts(redis, { agentCas: 'agent-cas-1.lua' });
  }

  async get(companyId: string, agentId: string): Promise<AgentLive> {
    return fromHash(await this.redis.hgetall(this.keys.agent(companyId, agentId)));
  }

  async getMany(companyId: string, agentIds: readonly string[]): Promise<Map<string, AgentLive>> {
    const hashes = await hgetallMany(this.redis, agentIds.map((id) => this.keys.agent(companyId, id)));
    return new Map(agentIds.map((id, i) => [id, fromHash(hashes[i]!)]));
  }

  async compareAndSet(companyId: string, agentId: string, expect: AgentExpectation, change: AgentChange): Promise<AgentLive | null> {
    const pairs: string[] = [];
    for (const field of FIELDS) {
      if (!(field in change)) continue;
      const value = change[field];
      pairs.push(field, value === null || value === undefined ? '' : String(value));
    }
    const callId = expect.callId === undefined ? '*' : (expect.callId ?? '');
    const flat = (await this.commands.agentCas(this.keys.agent(companyId, agentId), expect.status ?? '', (expect.activity ?? []).join(','), callId, ...pairs)) as string[] | null;
    return flat === null ? null : fromHash(pairsToObject(flat));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

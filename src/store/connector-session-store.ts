import type { RedisClient } from './redis-client';
import { redisKeys, type RedisKeys } from './redis-keys';
import { defineScripts, type ScriptCall } from './redis-scripts';
import { systemScheduler } from '../platform/scheduler';

/** A live connector session: a `telephonyInstructions` subscription, and the key it authenticated with. */
export interface ConnectorSession {
  sessionId: string;
  keyId: string;
  /**
   * Whether it declared that it acknowledges its instructions explicitly (`telephonyInstructions(acknowledges:
   * true)`): then its CANCEL_ATTEMPT, DISCONNECT and PLAY_MESSAGE stay outstanding until it does (decision 023).
   * Absent is false.
   */
  acknowledges?: boolean;
}

/**
 * The live connector sessions of each company, shared by every instance, so that each instruction is
 * addressed to one of them in turn. A session holds a lease its instance renews; a session whose instance
 * died drops out when the lease runs out.
 */
export interface ConnectorSessionStore {
  /** Registers a session, or renews its lease. */
  register(companyId: string, session: ConnectorSession, leaseMs: number): Promise<void>;
  remove(companyId: string, sessionId: string): Promise<void>;
  /** The company's live sessions ordered by id, and the next turn of its round robin (1, 2, ...). */
  candidates(companyId: string): Promise<{ turn: number; sessions: ConnectorSession[] }>;
  /** The company's live sessions ordered by id, taking no turn (an operator's or a test's look). */
  live(companyId: string): Promise<ConnectorSession[]>;
  close(): Promise<void>;
}

/** A session as the stores answer it: `acknowledges` only when it declared it (absent is false). */
function sessionOf(sessionId: string, keyId: string, acknowledges: boolean): ConnectorSession {
  return acknowledges ? { sessionId, keyId, acknowledges } : { sessionId, keyId };
}

export class MemoryConnectorSessionStore implements ConnectorSessionStore {
  private readonly companies = new Map<string, { turn: number; sessions: Map<string, { keyId: string; acknowledges: boolean; until: number }> }>();

  constructor(private readonly now: () => number = systemScheduler.now) {}

  private of(companyId: string) {
    let company = this.companies.get(companyId);
    if (company === undefined) this.companies.set(companyId, (company = { turn: 0, sessions: new Map() }));
    return company;
  }

  async register(companyId: string, session: ConnectorSession, leaseMs: number): Promise<void> {
    this.of(companyId).sessions.set(session.sessionId, { keyId: session.keyId, acknowledges: session.acknowledges === true, until: this.now() + leaseMs });
  }

  async remove(companyId: string, sessionId: string): Promise<void> {
    this.companies.get(companyId)?.sessions.delete(sessionId);
  }

  async candidates(companyId: string): Promise<{ turn: number; sessions: ConnectorSession[] }> {
    const company = this.of(companyId);
    const now = this.now();
    const sessions: ConnectorSession[] = [];
    for (const [sessionId, s] of company.sessions) {
      if (s.until <= now) company.sessions.delete(sessionId);
      else sessions.push(sessionOf(sessionId, s.keyId, s.acknowledges));
    }
    company.turn += 1;
    return { turn: company.turn, sessions: sessions.sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1)) };
  }

  async live(companyId: string): Promise<ConnectorSession[]> {
    const now = this.now();
    return [...(this.companies.get(companyId)?.sessions ?? new Map<string, { keyId: string; acknowledges: boolean; until: number }>())]
      .filter(([, s]) => s.until > now)
      .map(([sessionId, s]) => sessionOf(sessionId, s.keyId, s.acknowledges))
      .sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
  }

  async close(): Promise<void> {
    this.companies.clear();
  }
}

export class RedisConnectorSessionStore implements ConnectorSessionStore {
  private readonly keys: RedisKeys;
  private readonly scripts: Record<'register' | 'candidates' | 'live', ScriptCall>;

  constructor(private readonly redis: RedisClient, prefix: string) {
    this.keys = redisKeys(prefix);
    this.scripts = defineScripts(redis, { register: 'session-register-3.lua', candidates: 'session-candidates-4.lua', live: 'session-live-3.lua' });
  }

  async register(companyId: string, session: ConnectorSession, leaseMs: number): Promise<void> {
    await this.scripts.register(
      this.keys.connectorSessions(companyId), this.keys.connectorSessionKeys(companyId), this.keys.connectorSessionAcks(companyId),
      session.sessionId, session.keyId, leaseMs, session.acknowledges === true ? '1' : '0',
    );
  }

  async remove(companyId: string, sessionId: string): Promise<void> {
    await this.redis.multi()
      .zrem(this.keys.connectorSessions(companyId), sessionId)
      .hdel(this.keys.connectorSessionKeys(companyId), sessionId)
      .hdel(this.keys.connectorSessionAcks(companyId), sessionId)
      .exec();
  }

  async candidates(companyId: string): Promise<{ turn: number; sessions: ConnectorSession[] }> {
    const flat = (await this.scripts.candidates(
      this.keys.connectorSessions(companyId), this.keys.connectorSessionKeys(companyId), this.keys.connectorTurn(companyId),
      this.keys.connectorSessionAcks(companyId),
    )) as Array<string | number>;
    const sessions: ConnectorSession[] = [];
    for (let i = 1; i < flat.length; i += 3) sessions.push(sessionOf(String(flat[i]), String(flat[i + 1]), String(flat[i + 2]) === '1'));
    return { turn: Number(flat[0]), sessions: sessions.sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1)) };
  }

  async live(companyId: string): Promise<ConnectorSession[]> {
    const flat = (await this.scripts.live(
      this.keys.connectorSessions(companyId), this.keys.connectorSessionKeys(companyId), this.keys.connectorSessionAcks(companyId),
    )) as string[];
    const sessions: ConnectorSession[] = [];
    for (let i = 0; i < flat.length; i += 3) sessions.push(sessionOf(String(flat[i]), String(flat[i + 1]), String(flat[i + 2]) === '1'));
    return sessions.sort((a, b) => (a.sessionId < b.sessionId ? -1 : 1));
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

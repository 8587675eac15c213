import { In, type EntityManager } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import type { AttemptRecord, QueueCallRecord, RefusalRecord } from '../statistics/figures';

/*
 * The records statistics are derived from, as the pure figures take them: one reading of each record for the
 * statistics service's record path (the reference) and for the buckets (src/store/stat-buckets.ts).
 */

const toMs = (d: Date | null) => (d === null ? null : d.getTime());

export function attemptRecord(a: Pick<CallAttempt, 'callId' | 'startedAt' | 'answeredAt' | 'endedAt' | 'outcome' | 'backoffUntil' | 'wrapUpSec' | 'state'>): AttemptRecord {
  return {
    callId: a.callId, startedAt: a.startedAt.getTime(), answeredAt: toMs(a.answeredAt), endedAt: toMs(a.endedAt),
    outcome: a.outcome, backoffUntil: toMs(a.backoffUntil), wrapUpSec: a.wrapUpSec, returned: a.state === 'RETURNED',
  };
}

export const ATTEMPT_COLUMNS = ['a.id', 'a.callId', 'a.startedAt', 'a.answeredAt', 'a.endedAt', 'a.outcome', 'a.backoffUntil', 'a.wrapUpSec', 'a.state'];

/**
 * How far back an attempt that still overlaps a time can have started: `longestMs` covers those whose end (or
 * back-off's end) lies in a sealed quarter hour, and those ending from `unsealedFrom` on are looked for by
 * their end (src/store/stat-seal.ts keeps the longest span).
 */
export interface LookBack {
  longestMs: number;
  unsealedFrom: number;
}

/**
 * A destination's attempts that started before `from` and still count at or after it: still open, ended after
 * it, or backed off past it (decision 008: peaks and time backed off of a range count whatever overlaps it,
 * however long before it started). With `lookBack`, the ended ones are looked for only that far back along
 * the index (company, destination, start), and by their end from `unsealedFrom` on; without it, along the
 * indexes of endedAt and backoffUntil, all of them (cheap for a recent `from`).
 */
export async function destinationAttemptsBefore(m: EntityManager, companyId: string, destinationId: string, from: number, lookBack: LookBack | null = null): Promise<AttemptRecord[]> {
  const at = new Date(from);
  // Each query along one index: by end (open, ended after, backed off after) or by start (the look back). The
  // start of those read by end is a filter the index of starts must not serve: SQLite's planner would walk a
  // destination's whole history by start to find a few by end (`+column` keeps a column off any index there).
  const startedBefore = m.connection.options.type === 'postgres' ? 'a.startedAt < :at' : '+a.startedAt < :at';
  const base = () => m.getRepository(CallAttempt).createQueryBuilder('a').select(ATTEMPT_COLUMNS)
    .where('a.companyId = :companyId AND a.destinationId = :destinationId AND a.targetKind = :kind', { companyId, destinationId, kind: 'DESTINATION' });
  const byEnd = () => base().andWhere(startedBefore, { at });
  // One after another: in a transaction they share one connection.
  const found: CallAttempt[][] = [await byEnd().andWhere('a.endedAt IS NULL').getMany()];
  if (lookBack !== null && lookBack.unsealedFrom > from) {
    const since = new Date(from - lookBack.longestMs - 1000);
    const unsealed = new Date(lookBack.unsealedFrom);
    found.push(await base().andWhere('a.startedAt >= :since AND a.startedAt < :at', { since, at }).andWhere('(a.endedAt > :at OR a.backoffUntil > :at)', { at }).getMany());
    found.push(await byEnd().andWhere('a.endedAt >= :unsealed', { unsealed }).getMany());
    found.push(await byEnd().andWhere('a.backoffUntil >= :unsealed', { unsealed }).getMany());
  } else {
    found.push(await byEnd().andWhere('a.endedAt > :at', { at }).getMany());
    found.push(await byEnd().andWhere('a.backoffUntil > :at', { at }).getMany());
  }
  const byId = new Map<string, CallAttempt>();
  for (const list of found) for (const a of list) byId.set(a.id, a);
  return [...byId.values()].sort((x, y) => x.startedAt.getTime() - y.startedAt.getTime() || (x.id < y.id ? -1 : 1)).map(attemptRecord);
}

/** Refusals for capacity of destinations in [from, to). */
export async function refusalsIn(m: EntityManager, companyId: string, destinationId: string, from: number, to: number): Promise<RefusalRecord[]> {
  const rows = await m.getRepository(CapacityRefusal).createQueryBuilder('r').select(['r.id', 'r.callId', 'r.at'])
    .where('r.companyId = :companyId AND r.destinationId = :destinationId', { companyId, destinationId })
    .andWhere('r.at >= :from AND r.at < :to', { from: new Date(from), to: new Date(to) })
    .orderBy('r.at', 'ASC').addOrderBy('r.id', 'ASC').getMany();
  return rows.map((r) => ({ callId: r.callId, at: r.at.getTime() }));
}

/** Calls as a queue's figures count them, with who answered them and whether a destination was offered them (from their attempts). */
export function queueCallRecords(
  calls: ReadonlyArray<Pick<Call, 'id' | 'enqueuedAt' | 'answeredAt' | 'endedAt' | 'state'>>,
  attempts: ReadonlyArray<Pick<CallAttempt, 'callId' | 'targetKind' | 'answeredAt' | 'wrapUpSec'>>,
): QueueCallRecord[] {
  const byCall = new Map<string, Array<Pick<CallAttempt, 'callId' | 'targetKind' | 'answeredAt' | 'wrapUpSec'>>>();
  for (const a of attempts) {
    const list = byCall.get(a.callId);
    if (list) list.push(a);
    else byCall.set(a.callId, [a]);
  }
  return calls.map((c) => {
    const own = byCall.get(c.id) ?? [];
    const answered = own.find((a) => a.answeredAt !== null);
    return {
      callId: c.id, enqueuedAt: c.enqueuedAt.getTime(), answeredAt: toMs(c.answeredAt), endedAt: toMs(c.endedAt), state: c.state,
      answeredBy: answered?.targetKind ?? null, offeredExternal: own.some((a) => a.targetKind === 'DESTINATION'),
      wrapUpSec: answered?.targetKind === 'AGENT' ? answered.wrapUpSec : null,
    };
  });
}

/**
 * The attempts of calls that a queue's figures read (who answered, whether a destination was offered): by call
 * id alone (the calls are the company's), as a company's index would scan all its attempts.
 */
export function attemptsOfCalls(m: EntityManager, callIds: readonly string[]): Promise<Array<Pick<CallAttempt, 'id' | 'callId' | 'targetKind' | 'answeredAt' | 'wrapUpSec'>>> {
  if (callIds.length === 0) return Promise.resolve([]);
  return m.getRepository(CallAttempt).find({
    where: { callId: In([...callIds]) }, select: { id: true, callId: true, targetKind: true, answeredAt: true, wrapUpSec: true }, order: { startedAt: 'ASC', id: 'ASC' },
  });
}

/** A queue's calls that entered it in [from, to). */
export async function queueCallsIn(m: EntityManager, companyId: string, queueId: string, from: number, to: number): Promise<QueueCallRecord[]> {
  const calls = await m.getRepository(Call).createQueryBuilder('c')
    .select(['c.id', 'c.enqueuedAt', 'c.answeredAt', 'c.endedAt', 'c.state'])
    .where('c.companyId = :companyId AND c.queueId = :queueId', { companyId, queueId })
    .andWhere('c.enqueuedAt >= :from AND c.enqueuedAt < :to', { from: new Date(from), to: new Date(to) })
    .orderBy('c.enqueuedAt', 'ASC').addOrderBy('c.id', 'ASC').getMany();
  return queueCallRecords(calls, await attemptsOfCalls(m, calls.map((c) => c.id)));
}

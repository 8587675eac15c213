import type { DataSource, EntityManager } from 'typeorm';
import { Call, CallTraceEntry, TelephonyEvent } from '../entities/call.entity';
import { errors } from '../errors';
import { CALL_STATE, transition, type CallEvent } from '../routing/state-machine';
import { plainTrace, type TraceFacts } from '../routing/trace-words';
import { deleteInBatches, inTransaction, isConcurrentChange } from '../store/persistence';
import type { TraceInput } from './types';
import { recordCapacityRefusals } from '../store/capacity-refusals';
import { touchQuarterHours } from '../store/stat-buckets';

/** Changes of a call that no queue figure reads: they touch no statistics bucket. */
const NOT_COUNTED = new Set<string>(['eligiblePriorities', 'flowNodeId', 'context']);

/*
 * The call record's primitives: every change of a call is a compare-and-set on its revision, written with its
 * trace entries in one transaction; a telephony event is applied once per event id.
 */

/** Another change of the call committed first: re-read and decide again. */
export class StaleCall extends Error {}

/** Compare-and-set of a call row on its revision; StaleCall when another change got there first. */
export async function updateCall(m: EntityManager, call: Call, change: Partial<Call>): Promise<void> {
  const result = await m.createQueryBuilder().update(Call)
    .set({ ...change, revision: () => '"revision" + 1' } as never)
    .where('id = :id AND "revision" = :revision', { id: call.id, revision: call.revision })
    .execute();
  if (result.affected !== 1) throw new StaleCall();
  // A queue's figures count the call in the quarter hour it entered the queue: that one before and after the
  // change (a flow call may enter another queue, or leave one).
  if (Object.keys(change).some((k) => !NOT_COUNTED.has(k))) {
    if (call.queueId !== null) touchQuarterHours(m, call.companyId, call.enqueuedAt.getTime());
    const queueId = change.queueId === undefined ? call.queueId : change.queueId;
    if (queueId !== null) touchQuarterHours(m, call.companyId, (change.enqueuedAt ?? call.enqueuedAt).getTime());
  }
  Object.assign(call, change);
  call.revision += 1;
}

/** Appends one entry to the call's trace: its words kept as facts (rendered per reader), its summary for the database. */
export async function trace(m: EntityManager, call: Call, entry: TraceInput): Promise<void> {
  const last = await m.getRepository(CallTraceEntry).createQueryBuilder('t').select('MAX(t.seq)', 'seq').where('t.callId = :id', { id: call.id }).getRawOne<{ seq: number | null }>();
  const facts: TraceFacts = entry.facts ?? { words: [entry.summary ?? ''] };
  await m.getRepository(CallTraceEntry).insert({
    companyId: call.companyId, callId: call.id, seq: Number(last?.seq ?? 0) + 1, at: new Date(entry.at), step: entry.step, summary: entry.summary ?? plainTrace(facts),
    considered: entry.considered ?? [], skipped: entry.skipped ?? [], chosen: entry.chosen ?? null, facts,
  });
  // The destinations this decision found full, as records the statistics count (in the same transaction).
  await recordCapacityRefusals(m, call, entry);
}

/**
 * Runs `work` once per event id, in one transaction with the event's record: a repeated event (also one
 * sent many times at once) finds the record and changes nothing; the same id with other content is refused.
 */
export async function once<T>(dataSource: DataSource, companyId: string, eventId: string, fingerprint: string, now: number, work: (m: EntityManager) => Promise<T>): Promise<{ effects: T | null }> {
  const run = () =>
    inTransaction(dataSource, async (m) => {
      const seen = await m.getRepository(TelephonyEvent).findOneBy({ companyId, eventId });
      if (seen !== null) {
        if (seen.fingerprint !== fingerprint) throw errors.conflict('This eventId was already used for a different event', { field: 'input.eventId' });
        return { effects: null };
      }
      await m.getRepository(TelephonyEvent).insert({ companyId, eventId, fingerprint, receivedAt: new Date(now) });
      return { effects: await work(m) };
    });
  for (let tries = 0; ; tries += 1) {
    try {
      return await run();
    } catch (error) {
      if ((error instanceof StaleCall || isConcurrentChange(error)) && tries < 5) continue;
      if (error instanceof StaleCall) throw errors.conflict('The call changed at the same moment; retry');
      throw error;
    }
  }
}

/** How long an applied telephony event id is remembered (ms): a repeat within it changes nothing (decision 039). */
export const TELEPHONY_EVENT_RETENTION_MS = 30 * 86_400_000;

/**
 * Deletes the records of telephony events applied before `before`, in short statements (deleteInBatches);
 * answers how many. A repeat of a pruned event is then judged by the records alone (the attempt or call already
 * ended: CONFLICT).
 */
export function pruneTelephonyEvents(dataSource: DataSource, before: Date): Promise<number> {
  return deleteInBatches(dataSource, 'telephony_event', '"receivedAt" < :before', { before });
}

/** Runs `work` in a transaction on a fresh copy of the call's row state (re-read when another change won). */
export async function withCall<T>(dataSource: DataSource, call: Call, work: (m: EntityManager) => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries += 1) {
    try {
      return await inTransaction(dataSource, work);
    } catch (error) {
      if (!(error instanceof StaleCall) || tries >= 3) throw error;
      Object.assign(call, await dataSource.getRepository(Call).findOneByOrFail({ id: call.id }));
    }
  }
}

/** Runs `work` in a transaction if the call is still at the revision it was read at: false (nothing written) when it moved on. */
export async function ifUnchanged(dataSource: DataSource, work: (m: EntityManager) => Promise<void>): Promise<boolean> {
  try {
    await inTransaction(dataSource, work);
    return true;
  } catch (error) {
    if (error instanceof StaleCall) return false;
    throw error;
  }
}

/** The call's state after `event`, or CONFLICT when it cannot change that way now. */
export function callTransition(call: Call, event: CallEvent): Call['state'] {
  const next = transition(CALL_STATE, call.state, event);
  if (!next.ok) throw errors.conflict(`The call cannot change now: ${next.reason}`);
  return next.to;
}

export function isCoded(error: unknown, code: string): boolean {
  return (error as { extensions?: { reason?: unknown; code?: string } } | null)?.extensions?.code === code;
}

/**
 * Per call: what its last "still waiting" trace entry said, so a sweep does not repeat it every second. The
 * queue pass writes it; an offer and the end of a call forget it.
 */
export class WaitingNotes {
  private readonly said = new Map<string, string>();

  has(callId: string): boolean {
    return this.said.has(callId);
  }

  /** Whether the call's last waiting entry said `key`. */
  same(callId: string, key: string): boolean {
    return this.said.get(callId) === key;
  }

  note(callId: string, key: string): void {
    if (this.said.size > 100_000) this.said.clear(); // calls ended on other instances
    this.said.set(callId, key);
  }

  forget(callId: string): void {
    this.said.delete(callId);
  }
}

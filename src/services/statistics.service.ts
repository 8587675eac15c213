import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import { Between, In, type DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { UserPrincipal } from '../auth/principal';
import { Agent } from '../entities/agent.entity';
import { Call, CallAttempt, CallTraceEntry } from '../entities/call.entity';
import { Company } from '../entities/company.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import {
  agentFigures, destinationFigures, INTERVAL_MS, queueFigures,
  type AgentFigures, type AttemptRecord, type Breakdown, type DestinationFigures, type QueueFigures, type Range, type RefusalRecord,
} from '../statistics/figures';
import { findAllOwned } from '../store/persistence';
import { InputChecker } from './input-checker';

/** The longest range one question may cover. */
export const MAX_RANGE_DAYS = 93;
/** How far before a range attempts are read for what they still cover in it (a back-off, a long call). */
const LOOKBACK_MS = 24 * 3_600_000;
/** The answer time within which a call counts toward the service level, unless the question says. */
export const DEFAULT_SERVICE_LEVEL_SEC = 20;

export interface Named<F> {
  id: string;
  name: string;
  figures: Breakdown<F>;
}

export type StatisticsKind = 'DESTINATIONS' | 'AGENTS' | 'QUEUES';

/** How a NOT_FOUND names the bad id: `ids[i]` for a list, or the one argument's name. */
type IdField = string | ((index: number) => string);

const toMs = (d: Date | null) => (d === null ? null : d.getTime());

function attemptRecord(a: CallAttempt): AttemptRecord {
  return {
    callId: a.callId, startedAt: a.startedAt.getTime(), answeredAt: toMs(a.answeredAt), endedAt: toMs(a.endedAt),
    outcome: a.outcome, backoffUntil: toMs(a.backoffUntil), wrapUpSec: a.wrapUpSec,
  };
}

function groupBy<T>(items: readonly T[], key: (t: T) => string | null): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === null) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/**
 * Statistics of external destinations, agents and queues, derived from the durable call, attempt and trace
 * records every time they are asked for (see statistics/figures.ts). A destination's figures come from its
 * own attempts only and an agent's from its own only: the two never mix. Each question reads its records in
 * a few queries, however many resources it covers.
 */
/** Up to this many destinations, the refusals read matches their ids. */
const REFUSAL_ID_FILTER_MAX = 20;

export class StatisticsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A checked range; BAD_USER_INPUT names `from` or `to`. */
  range(from: Date, to: Date): Range {
    const c = new InputChecker('');
    if (Number.isNaN(from.getTime())) c.fail('from', 'must be a date and time');
    if (Number.isNaN(to.getTime())) c.fail('to', 'must be a date and time');
    else if (to.getTime() <= from.getTime()) c.fail('to', 'must be after from');
    else if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) c.fail('to', `must be at most ${MAX_RANGE_DAYS} days after from`);
    c.done();
    return { from: from.getTime(), to: to.getTime(), now: this.clock() };
  }

  /** Today in the company's time zone: from its last local midnight to now. */
  async today(companyId: string): Promise<Range> {
    const company = await this.dataSource.getRepository(Company).findOneByOrFail({ id: companyId });
    const now = this.clock();
    const midnight = DateTime.fromMillis(now, { zone: company.timeZone }).startOf('day').toMillis();
    return { from: midnight, to: now + 1, now };
  }

  /**
   * External destinations the user may see (`ids` null: all of them, by name); another company's or a hidden
   * id is NOT_FOUND naming it by `field` (the `ids` argument, or `id` for one).
   */
  async destinations(user: UserPrincipal, ids: readonly string[] | null, range: Range, field: IdField = 'ids'): Promise<Array<Named<DestinationFigures>>> {
    const scope = DestinationScope.of(user);
    const rows = ids === null
      ? (await this.allOf(ExternalDestination, user.companyId)).filter((d) => scope.canSee(d))
      : await findAllOwned(this.dataSource.manager, ExternalDestination, user.companyId, ids, 'External destination', field, (d) => scope.canSee(d));
    return this.destinationFigures(user.companyId, rows, range);
  }

  /** Figures of destinations already known to be visible (also the loaders' batch). */
  async destinationFigures(companyId: string, rows: ReadonlyArray<Pick<ExternalDestination, 'id' | 'name'>>, range: Range): Promise<Array<Named<DestinationFigures>>> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const [attempts, refusals] = await Promise.all([
      this.dataSource.getRepository(CallAttempt).find({
        where: { companyId, targetKind: 'DESTINATION', destinationId: In(ids), startedAt: Between(new Date(range.from - LOOKBACK_MS), new Date(range.to - 1)) },
      }),
      this.refusals(companyId, range, ids),
    ]);
    const byDestination = groupBy(attempts, (a) => a.destinationId);
    return rows.map((d) => ({
      id: d.id, name: d.name,
      figures: destinationFigures((byDestination.get(d.id) ?? []).map(attemptRecord), refusals.get(d.id) ?? [], range),
    }));
  }

  /**
   * Refusals for capacity per destination: the skips that queue routing and flow nodes record in call traces.
   * For a few destinations the read also matches their ids in the skips; for many, the company's refusals
   * of the range are read once and sorted out here.
   */
  private async refusals(companyId: string, range: Range, ids: readonly string[]): Promise<Map<string, RefusalRecord[]>> {
    const query = this.dataSource.getRepository(CallTraceEntry).createQueryBuilder('t')
      .where('t.companyId = :companyId', { companyId })
      .andWhere('t.at >= :from AND t.at < :to', { from: new Date(range.from), to: new Date(range.to) })
      .andWhere('t.skipped LIKE :reason', { reason: '%DESTINATION_AT_CAPACITY%' });
    if (ids.length <= REFUSAL_ID_FILTER_MAX) {
      const params = Object.fromEntries(ids.map((id, i) => [`id${i}`, `%${id}%`]));
      query.andWhere(`(${ids.map((_, i) => `t.skipped LIKE :id${i}`).join(' OR ')})`, params);
    }
    const entries = await query.getMany();
    const out = new Map<string, RefusalRecord[]>();
    for (const entry of entries) {
      for (const skip of entry.skipped) {
        if (skip.kind !== 'DESTINATION' || skip.reason !== 'DESTINATION_AT_CAPACITY') continue;
        const list = out.get(skip.resourceId) ?? [];
        list.push({ callId: entry.callId, at: entry.at.getTime() });
        out.set(skip.resourceId, list);
      }
    }
    return out;
  }

  /** Regular agents of the user's company (`ids` null: all); from their own attempts only. */
  async agents(user: UserPrincipal, ids: readonly string[] | null, range: Range, field: IdField = 'ids'): Promise<Array<Named<AgentFigures>>> {
    const rows = ids === null
      ? await this.allOf(Agent, user.companyId)
      : await findAllOwned(this.dataSource.manager, Agent, user.companyId, ids, 'Agent', field);
    return this.agentFigures(user.companyId, rows, range);
  }

  async agentFigures(companyId: string, rows: ReadonlyArray<Pick<Agent, 'id' | 'name'>>, range: Range): Promise<Array<Named<AgentFigures>>> {
    if (rows.length === 0) return [];
    const attempts = await this.dataSource.getRepository(CallAttempt).find({
      where: { companyId, targetKind: 'AGENT', agentId: In(rows.map((r) => r.id)), startedAt: Between(new Date(range.from), new Date(range.to - 1)) },
    });
    const byAgent = groupBy(attempts, (a) => a.agentId);
    return rows.map((a) => ({ id: a.id, name: a.name, figures: agentFigures((byAgent.get(a.id) ?? []).map(attemptRecord), range) }));
  }

  /** Queues of the user's company (`ids` null: all). */
  async queues(user: UserPrincipal, ids: readonly string[] | null, range: Range, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC, field: IdField = 'ids'): Promise<Array<Named<QueueFigures>>> {
    const rows = ids === null
      ? await this.allOf(Queue, user.companyId)
      : await findAllOwned(this.dataSource.manager, Queue, user.companyId, ids, 'Queue', field);
    return this.queueFigures(user.companyId, rows, range, serviceLevelSec);
  }

  async queueFigures(companyId: string, rows: ReadonlyArray<Pick<Queue, 'id' | 'name'>>, range: Range, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<Array<Named<QueueFigures>>> {
    if (rows.length === 0) return [];
    const calls = await this.dataSource.getRepository(Call).find({
      where: { companyId, queueId: In(rows.map((r) => r.id)), enqueuedAt: Between(new Date(range.from), new Date(range.to - 1)) },
      select: { id: true, queueId: true, enqueuedAt: true, answeredAt: true, endedAt: true, state: true },
    });
    const attempts = calls.length === 0 ? [] : await this.dataSource.getRepository(CallAttempt).find({
      where: { companyId, callId: In(calls.map((c) => c.id)) },
      select: { id: true, callId: true, targetKind: true, answeredAt: true },
    });
    const byCall = groupBy(attempts, (a) => a.callId);
    const byQueue = groupBy(calls, (c) => c.queueId);
    return rows.map((q) => ({
      id: q.id, name: q.name,
      figures: queueFigures((byQueue.get(q.id) ?? []).map((c) => {
        const own = byCall.get(c.id) ?? [];
        const answered = own.find((a) => a.answeredAt !== null);
        return {
          callId: c.id, enqueuedAt: c.enqueuedAt.getTime(), answeredAt: toMs(c.answeredAt), endedAt: toMs(c.endedAt), state: c.state,
          answeredBy: answered?.targetKind ?? null, offeredExternal: own.some((a) => a.targetKind === 'DESTINATION'),
        };
      }), range, serviceLevelSec),
    }));
  }

  /** Every row of a company's resources of one kind, by name. */
  private allOf<T extends typeof ExternalDestination | typeof Agent | typeof Queue>(entity: T, companyId: string): Promise<Array<InstanceType<T>>> {
    return this.dataSource.getRepository<InstanceType<T>>(entity).find({ where: { companyId } as never, order: { name: 'ASC' } as never });
  }

  /** The figures as CSV for a user: what `kind` the user may see, one row per resource (or per resource and interval). */
  async csv(user: UserPrincipal, kind: StatisticsKind, range: Range, perInterval: boolean, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<string> {
    const rows: Array<Named<object>> =
      kind === 'DESTINATIONS' ? await this.destinations(user, null, range)
        : kind === 'AGENTS' ? await this.agents(user, null, range)
          : await this.queues(user, null, range, serviceLevelSec);
    return this.asCsv(user.companyId, rows, range, perInterval);
  }

  /** The same CSV of every resource of a company, for the operator (the rebuild command): no reader's visibility applies. */
  async companyCsv(companyId: string, kind: StatisticsKind, range: Range, perInterval: boolean, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<string> {
    const rows: Array<Named<object>> =
      kind === 'DESTINATIONS' ? await this.destinationFigures(companyId, await this.allOf(ExternalDestination, companyId), range)
        : kind === 'AGENTS' ? await this.agentFigures(companyId, await this.allOf(Agent, companyId), range)
          : await this.queueFigures(companyId, await this.allOf(Queue, companyId), range, serviceLevelSec);
    return this.asCsv(companyId, rows, range, perInterval);
  }

  private async asCsv(companyId: string, rows: Array<Named<object>>, range: Range, perInterval: boolean): Promise<string> {
    const company = await this.dataSource.getRepository(Company).findOneByOrFail({ id: companyId });
    return toCsv(rows as Array<Named<Record<string, number | null>>>, range, company.timeZone, perInterval);
  }
}

/** CSV (RFC 4180) with a header; interval bounds in the company's local time with their UTC offset. */
export function toCsv(rows: Array<Named<Record<string, number | null>>>, range: Range, timeZone: string, perInterval: boolean): string {
  const local = (ms: number) => DateTime.fromMillis(ms, { zone: timeZone }).toISO({ suppressMilliseconds: true })!;
  const fields = Object.keys(rows[0]?.figures.total ?? {});
  const records: Array<Array<string | number | null>> = [];
  for (const row of rows) {
    const parts = perInterval
      ? row.figures.intervals.map((i) => ({ from: Math.max(i.start, range.from), to: Math.min(i.start + INTERVAL_MS, range.to), values: i as Record<string, number | null> }))
      : [{ from: range.from, to: Math.min(range.to, range.now), values: row.figures.total }];
    for (const p of parts) records.push([row.id, row.name, local(p.from), local(p.to), ...fields.map((f) => p.values[f] ?? null)]);
  }
  return stringify(records, { header: true, columns: ['id', 'name', 'from', 'to', ...fields], record_delimiter: 'windows' });
}

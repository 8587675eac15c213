import { DateTime } from 'luxon';
import type { DataSource } from 'typeorm';
import { DestinationScope } from '../auth/destination-scope';
import type { Principal, UserPrincipal } from '../auth/principal';
import type { StatisticsLimits } from '../config';
import { errors } from '../errors';
import { csvTooLarge, type StatisticsResourceKind, type StatisticsSizes } from '../limits';
import type { LiveModels } from '../live/live-models';
import { TimeSlicer } from '../platform/time-slice';
import { StatisticsCsvWriter } from '../statistics/csv';
import { Agent } from '../entities/agent.entity';
import { Call, CallAttempt } from '../entities/call.entity';
import { CapacityRefusal } from '../entities/capacity-refusal.entity';
import { Company } from '../entities/company.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { Queue } from '../entities/queue.entity';
import {
  agentFigures, destinationFigures, intervalStarts, queueFigures,
  type AgentFigures, type AttemptRecord, type Breakdown, type DestinationFigures, type IntervalPage, type QueueCallRecord, type QueueFigures, type Range, type RefusalRecord,
  pageOf, pageRange,
} from '../statistics/figures';
import { findAllOwned } from '../store/persistence';
import { agentFromBuckets, bucketOf, destinationFromBuckets, queueFromBuckets, splitRange, type RangeSplit } from '../statistics/buckets';
import { DEFAULT_SERVICE_LEVEL_SEC, queueTallies, type QueueTally } from '../statistics/figures';
import {
  agentRows, agentRowsTotal, callsWithRecordsIn, destinationDistinct, destinationRows, destinationRowsTotal, queueRows, queueRowsTotal,
} from '../store/stat-buckets';
import { longestSpanMs, StatisticsSealer } from '../store/stat-seal';
import { attemptRecord, attemptsOfCalls, destinationAttemptsBefore, queueCallRecords, refusalsIn, ATTEMPT_COLUMNS, type LookBack } from '../store/statistics-records';
import { InputChecker } from '../input-checker';
import { systemScheduler } from '../platform/scheduler';

/** The longest range one question may cover. */
export const MAX_RANGE_DAYS = 93;
/** The answer time within which a call counts toward the service level, unless the question says. */

export interface Named<F> {
  id: string;
  name: string;
  figures: Breakdown<F>;
}

export type StatisticsKind = StatisticsResourceKind;

/** How much of the figures a question wants. */
export interface FigureOptions {
  /** The 15-minute intervals too (false: totals only, and no interval is made). */
  intervals?: boolean;
  /** Only a page of the intervals (the totals still cover the whole range). */
  page?: IntervalPage | null;
}

/**
 * Figures with a page of intervals: the totals over the whole range without intervals, and the intervals of
 * the page's part of the range only (so a page costs what its intervals cost, whatever the range).
 */
async function paged<F>(range: Range, options: FigureOptions, run: (range: Range, options: FigureOptions) => Promise<Array<Named<F>>>): Promise<Array<Named<F>>> {
  const page = options.page ?? null;
  if (options.intervals === false || page === null || (page.first === null && page.after === null)) return run(range, options);
  const part = pageRange(range, page);
  const totals = await run(range, { intervals: false });
  const pages = part === null ? null : await run(part, { intervals: true });
  return totals.map((t, i) => ({ ...t, figures: { total: t.figures.total, intervals: pageOf(pages?.[i]!.figures.intervals ?? [], page) } }));
}

/** Records read per query: one page stays far under a slice of the event loop (SQLite's reads block it). */
const PAGE = 250;
/**
 * Resources whose records are read at once on PostgreSQL (round trips overlap); SQLite's reads are
 * synchronous, so there one at a time (several would only run back to back between two turns of the loop).
 */
const READS_IN_FLIGHT = 4;
/**
 * The event loop is given a turn once work has held it this long (decision 016: never more than 50 ms). 5 ms:
 * with a statistics export streaming, a request that needs a few turns of the loop (a new connection, its
 * request, its answer) still answers within tens of milliseconds.
 */
export const STATISTICS_SLICE_MS = 5;
/** Destinations whose refusals for capacity one query reads. */
const REFUSAL_IDS_PER_READ = 100;

/**
 * The work of one statistics question: its slices of the event loop and the records it may still read
 * (`maxRecords`; null: unbounded, for the operator's rebuild command).
 */
class Work {
  readonly slicer = new TimeSlicer(STATISTICS_SLICE_MS);
  private read = 0;

  constructor(private readonly maxRecords: number | null) {}

  /** Counts records read; QUERY_TOO_COMPLEX, saying how to narrow the question, past the limit. */
  take(n: number): void {
    this.read += n;
    if (this.maxRecords !== null && this.read > this.maxRecords) {
      throw errors.tooComplex(
        `This statistics question reads more than ${this.maxRecords} call records: narrow from/to, or ask for fewer resources (ids)`,
        { maxRecords: this.maxRecords },
      );
    }
  }
}

/** Runs `task` for every item with at most `limit` at once, in order of the items; answers the results in that order. */
async function eachLimited<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

/**
 * How many statistics resources of each kind a caller may see, from the company held in memory: what the
 * cost of a statistics list without `ids` and of a CSV export counts (decision 016).
 */
export async function statisticsSizes(principal: Principal | null, models: LiveModels, limits: StatisticsLimits): Promise<StatisticsSizes> {
  if (principal === null || principal.kind !== 'user') return { resources: () => 0, limits };
  const model = models.peek(principal.companyId) ?? (await models.get(principal.companyId));
  return {
    limits,
    resources: (kind) =>
      kind === 'DESTINATIONS' ? DestinationScope.of(principal).visibleIn(model).length : kind === 'AGENTS' ? model.agents.size : model.queues.size,
  };
}

/** How a NOT_FOUND names the bad id: `ids[i]` for a list, or the one argument's name. */
type IdField = string | ((index: number) => string);

/**
 * Where figures come from: `buckets` (the API: the 15-minute buckets kept with the records, and the records of
 * a range's partial edges), or `records` (the reference the buckets are checked against: every record of the
 * range, each time).
 */
export type FigureSource = 'buckets' | 'records';

/**
 * Statistics of external destinations, agents and queues, derived from the durable call, attempt and
 * capacity refusal records every time they are asked for (see statistics/figures.ts). A destination's
 * figures come from its own attempts and refusals only and an agent's from its own attempts only: the two
 * never mix.
 *
 * Bounded (decision 016): records are read resource by resource in pages of PAGE rows along their indexes,
 * at most `maxRecords` per question (QUERY_TOO_COMPLEX past it), and the work gives the event loop a turn
 * every STATISTICS_SLICE_MS, so one large question never stalls the other requests of the instance.
 */
export class StatisticsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: () => number = systemScheduler.now,
    private readonly limits: StatisticsLimits | null = null,
    private readonly source: FigureSource = 'buckets',
    sealer?: StatisticsSealer,
  ) {
    this.sealer = sealer ?? new StatisticsSealer(dataSource, { now: () => this.clock(), every: () => () => undefined });
  }

  /** Seals the quarter hours a question reads from buckets (they are over; the periodic sealer is usually ahead). */
  readonly sealer: StatisticsSealer;

  /**
   * How a range is read for a company: its whole quarter hours that may be sealed from the buckets (sealed
   * first if they are not yet, with every quarter hour from the range's start up to the sealing horizon, so
   * the longest span of an attempt ending before the horizon is known), the rest from the records; null: all
   * from the records.
   */
  private async split(companyId: string, range: Range): Promise<RangeSplit | null> {
    if (this.source === 'records') return null;
    const split = splitRange(range.from, range.to, this.sealer.sealedBefore());
    if (split === null) return null;
    // Writes kept moving a quarter hour while it was sealed (rare): this question reads the records.
    if (!(await this.sealer.ensure(companyId, bucketOf(range.from), this.sealer.horizon()))) return null;
    return split;
  }

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

  private get readsInFlight(): number {
    return this.dataSource.options.type === 'postgres' ? READS_IN_FLIGHT : 1;
  }

  private work(): Work {
    return new Work(this.limits?.maxRecords ?? null);
  }

  /**
   * External destinations the user may see (`ids` null: all of them, by name); another company's or a hidden
   * id is NOT_FOUND naming it by `field` (the `ids` argument, or `id` for one).
   */
  async destinations(
    user: UserPrincipal, ids: readonly string[] | null, range: Range, field: IdField = 'ids', options: FigureOptions = {},
  ): Promise<Array<Named<DestinationFigures>>> {
    const scope = DestinationScope.of(user);
    const rows = ids === null
      ? (await this.allOf(ExternalDestination, user.companyId)).filter((d) => scope.canSee(d))
      : await findAllOwned(this.dataSource.manager, ExternalDestination, user.companyId, ids, 'External destination', field, (d) => scope.canSee(d));
    return this.destinationFigures(user.companyId, rows, range, options);
  }

  /** Figures of destinations already known to be visible (also the loaders' batch). */
  destinationFigures(
    companyId: string, rows: ReadonlyArray<Pick<ExternalDestination, 'id' | 'name'>>, range: Range, options: FigureOptions = {},
  ): Promise<Array<Named<DestinationFigures>>> {
    const work = this.work();
    return paged(range, options, (r, o) => this.destinationFiguresOf(work, companyId, rows, r, o));
  }

  private async destinationFiguresOf(
    work: Work, companyId: string, rows: ReadonlyArray<Pick<ExternalDestination, 'id' | 'name'>>, range: Range, options: FigureOptions,
  ): Promise<Array<Named<DestinationFigures>>> {
    if (rows.length === 0) return [];
    const split = await this.split(companyId, range);
    if (split !== null) {
      return eachLimited(rows, this.readsInFlight, async (d) => {
        const figures = await this.destinationFromBuckets(work, companyId, d.id, range, split, options.intervals !== false);
        await work.slicer.pause();
        return { id: d.id, name: d.name, figures };
      });
    }
    const refusals = await this.refusals(work, companyId, range, rows.map((r) => r.id));
    return eachLimited(rows, this.readsInFlight, async (d) => {
      const attempts = await this.destinationAttempts(work, companyId, d.id, range.from, range.to);
      await work.slicer.pause();
      const figures = destinationFigures(attempts, refusals.get(d.id) ?? [], range, options.intervals !== false);
      await work.slicer.pause();
      return { id: d.id, name: d.name, figures };
    });
  }

  /** A destination's attempts that started in [from, to), and those before it that still overlap it (open, or backed off). */
  private async destinationAttempts(work: Work, companyId: string, destinationId: string, from: number, to: number, lookBack: LookBack | null = null): Promise<AttemptRecord[]> {
    const before = await destinationAttemptsBefore(this.dataSource.manager, companyId, destinationId, from, lookBack);
    work.take(before.length);
    return [...before, ...(await this.attemptsOf(work, companyId, 'DESTINATION', destinationId, from, to))];
  }

  /** One destination's figures from its buckets inside the range and the records of the range's edges. */
  private async destinationFromBuckets(work: Work, companyId: string, destinationId: string, range: Range, split: RangeSplit, withIntervals: boolean): Promise<Breakdown<DestinationFigures>> {
    const ds = this.dataSource;
    const first = bucketOf(split.innerFrom);
    const last = bucketOf(split.innerTo);
    // Without intervals, the database sums the buckets (one row back, whatever the range).
    const rows = await (withIntervals ? destinationRows : destinationRowsTotal)(ds, companyId, destinationId, first, last);
    work.take(rows.length);
    const offered = new Set<string>();
    const refused = new Set<string>();
    // What started before the left edge and still overlaps it is looked for as far back as the destination's
    // longest attempt (the right edge is recent: looked for by its end).
    const longestMs = split.left === null ? null : await longestSpanMs(ds.manager, companyId, destinationId);
    const lookBack = longestMs === null ? null : { longestMs, unsealedFrom: this.sealer.sealedBefore() };
    const edge = async (part: { from: number; to: number } | null) => {
      if (part === null) return null;
      const attempts = await this.destinationAttempts(work, companyId, destinationId, part.from, part.to, part === split.left ? lookBack : null);
      const refusals = await refusalsIn(ds.manager, companyId, destinationId, part.from, part.to);
      work.take(refusals.length);
      for (const a of attempts) if (a.startedAt >= part.from && a.startedAt < part.to) offered.add(a.callId);
      for (const r of refusals) refused.add(r.callId);
      return destinationFigures(attempts, refusals, { ...part, now: range.now }, withIntervals);
    };
    const left = await edge(split.left);
    const right = await edge(split.right);
    const inner = await destinationDistinct(ds, companyId, destinationId, first, last, rows);
    const alsoInner = async (kind: 'OFFER' | 'REFUSAL', ids: Set<string>) =>
      ids.size - (await callsWithRecordsIn(ds, companyId, destinationId, kind, [...ids], split.innerFrom, split.innerTo));
    return destinationFromBuckets({
      split, left, right, rows, withIntervals,
      callsHandled: inner.callsHandled + (await alsoInner('OFFER', offered)),
      limitReached: inner.limitReached + (await alsoInner('REFUSAL', refused)),
    });
  }

  /**
   * One resource's attempts that started in [from, to), page by page along the index of its kind (company,
   * resource, start), each page counted against the question's records.
   */
  private async attemptsOf(work: Work, companyId: string, kind: 'DESTINATION' | 'AGENT', resourceId: string, from: number, to: number): Promise<AttemptRecord[]> {
    const column = kind === 'DESTINATION' ? 'destinationId' : 'agentId';
    const out: AttemptRecord[] = [];
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const query = this.dataSource.getRepository(CallAttempt).createQueryBuilder('a')
        .select(ATTEMPT_COLUMNS)
        .where(`a.companyId = :companyId AND a.${column} = :resourceId AND a.targetKind = :kind`, { companyId, resourceId, kind })
        .andWhere('a.startedAt >= :from AND a.startedAt < :to', { from: new Date(from), to: new Date(to) });
      if (after !== null) query.andWhere('a.startedAt >= :at AND (a.startedAt > :at OR a.id > :afterId)', { at: after.at, afterId: after.id });
      const page = await query.orderBy('a.startedAt', 'ASC').addOrderBy('a.id', 'ASC').limit(PAGE).getMany();
      work.take(page.length);
      for (const a of page) out.push(attemptRecord(a));
      if (page.length < PAGE) return out;
      const last = page[page.length - 1]!;
      after = { at: last.startedAt, id: last.id };
      await work.slicer.pause();
    }
  }

  /**
   * Refusals for capacity per destination, from their own records (written with the trace entry that skips a
   * full destination): read for up to REFUSAL_IDS_PER_READ destinations at once along the index (company,
   * destination, time), page by page, each page counted against the question's records.
   */
  private async refusals(work: Work, companyId: string, range: Range, ids: readonly string[]): Promise<Map<string, RefusalRecord[]>> {
    const out = new Map<string, RefusalRecord[]>();
    for (let i = 0; i < ids.length; i += REFUSAL_IDS_PER_READ) {
      const batch = ids.slice(i, i + REFUSAL_IDS_PER_READ);
      let after: { at: Date; id: string } | null = null;
      for (;;) {
        const query = this.dataSource.getRepository(CapacityRefusal).createQueryBuilder('r')
          .select(['r.id', 'r.callId', 'r.destinationId', 'r.at'])
          .where('r.companyId = :companyId AND r.destinationId IN (:...ids)', { companyId, ids: batch })
          .andWhere('r.at >= :from AND r.at < :to', { from: new Date(range.from), to: new Date(range.to) });
        if (after !== null) query.andWhere('r.at >= :at AND (r.at > :at OR r.id > :afterId)', { at: after.at, afterId: after.id });
        const page = await query.orderBy('r.at', 'ASC').addOrderBy('r.id', 'ASC').limit(PAGE).getMany();
        work.take(page.length);
        for (const r of page) {
          const list = out.get(r.destinationId);
          const record = { callId: r.callId, at: r.at.getTime() };
          if (list) list.push(record);
          else out.set(r.destinationId, [record]);
        }
        await work.slicer.pause();
        if (page.length < PAGE) break;
        const last = page[page.length - 1]!;
        after = { at: last.at, id: last.id };
      }
    }
    return out;
  }

  /** Regular agents of the user's company (`ids` null: all); from their own attempts only. */
  async agents(user: UserPrincipal, ids: readonly string[] | null, range: Range, field: IdField = 'ids', options: FigureOptions = {}): Promise<Array<Named<AgentFigures>>> {
    const rows = ids === null
      ? await this.allOf(Agent, user.companyId)
      : await findAllOwned(this.dataSource.manager, Agent, user.companyId, ids, 'Agent', field);
    return this.agentFigures(user.companyId, rows, range, options);
  }

  agentFigures(companyId: string, rows: ReadonlyArray<Pick<Agent, 'id' | 'name'>>, range: Range, options: FigureOptions = {}): Promise<Array<Named<AgentFigures>>> {
    const work = this.work();
    return paged(range, options, (r, o) => this.agentFiguresOf(work, companyId, rows, r, o));
  }

  private async agentFiguresOf(work: Work, companyId: string, rows: ReadonlyArray<Pick<Agent, 'id' | 'name'>>, range: Range, options: FigureOptions): Promise<Array<Named<AgentFigures>>> {
    const split = rows.length === 0 ? null : await this.split(companyId, range);
    const withIntervals = options.intervals !== false;
    if (split !== null) {
      return eachLimited(rows, this.readsInFlight, async (a) => {
        const buckets = await (withIntervals ? agentRows : agentRowsTotal)(this.dataSource, companyId, a.id, bucketOf(split.innerFrom), bucketOf(split.innerTo));
        work.take(buckets.length);
        const edge = async (part: { from: number; to: number } | null) =>
          part === null ? null : agentFigures(await this.attemptsOf(work, companyId, 'AGENT', a.id, part.from, part.to), { ...part, now: range.now }, withIntervals);
        const figures = agentFromBuckets(split, await edge(split.left), await edge(split.right), buckets, withIntervals);
        await work.slicer.pause();
        return { id: a.id, name: a.name, figures };
      });
    }
    return eachLimited(rows, this.readsInFlight, async (a) => {
      const attempts = await this.attemptsOf(work, companyId, 'AGENT', a.id, range.from, range.to);
      await work.slicer.pause();
      const figures = agentFigures(attempts, range, options.intervals !== false);
      await work.slicer.pause();
      return { id: a.id, name: a.name, figures };
    });
  }

  /** Queues of the user's company (`ids` null: all). */
  async queues(
    user: UserPrincipal, ids: readonly string[] | null, range: Range, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC, field: IdField = 'ids', options: FigureOptions = {},
  ): Promise<Array<Named<QueueFigures>>> {
    const rows = ids === null
      ? await this.allOf(Queue, user.companyId)
      : await findAllOwned(this.dataSource.manager, Queue, user.companyId, ids, 'Queue', field);
    return this.queueFigures(user.companyId, rows, range, serviceLevelSec, options);
  }

  queueFigures(
    companyId: string, rows: ReadonlyArray<Pick<Queue, 'id' | 'name'>>, range: Range, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC, options: FigureOptions = {},
  ): Promise<Array<Named<QueueFigures>>> {
    const work = this.work();
    return paged(range, options, (r, o) => this.queueFiguresOf(work, companyId, rows, r, serviceLevelSec, o));
  }

  private async queueFiguresOf(
    work: Work, companyId: string, rows: ReadonlyArray<Pick<Queue, 'id' | 'name'>>, range: Range, serviceLevelSec: number, options: FigureOptions,
  ): Promise<Array<Named<QueueFigures>>> {
    const split = rows.length === 0 ? null : await this.split(companyId, range);
    const withIntervals = options.intervals !== false;
    if (split !== null) {
      return eachLimited(rows, this.readsInFlight, async (q) => {
        const buckets = await (withIntervals ? queueRows : queueRowsTotal)(this.dataSource, companyId, q.id, bucketOf(split.innerFrom), bucketOf(split.innerTo), serviceLevelSec);
        work.take(buckets.length);
        const edge = async (part: { from: number; to: number } | null): Promise<Breakdown<QueueTally> | null> =>
          part === null ? null : queueTallies(await this.queueCallsOf(work, companyId, q.id, { ...part, now: range.now }), { ...part, now: range.now }, serviceLevelSec, withIntervals);
        const figures = queueFromBuckets(split, await edge(split.left), await edge(split.right), buckets, withIntervals);
        await work.slicer.pause();
        return { id: q.id, name: q.name, figures };
      });
    }
    return eachLimited(rows, this.readsInFlight, async (q) => {
      const calls = await this.queueCallsOf(work, companyId, q.id, range);
      await work.slicer.pause();
      const figures = queueFigures(calls, range, serviceLevelSec, options.intervals !== false);
      await work.slicer.pause();
      return { id: q.id, name: q.name, figures };
    });
  }

  /** A queue's calls that entered it in the range, with who answered them: page by page, with each page's attempts. */
  private async queueCallsOf(work: Work, companyId: string, queueId: string, range: Range): Promise<QueueCallRecord[]> {
    const out: QueueCallRecord[] = [];
    let after: { at: Date; id: string } | null = null;
    for (;;) {
      const query = this.dataSource.getRepository(Call).createQueryBuilder('c')
        .select(['c.id', 'c.enqueuedAt', 'c.answeredAt', 'c.endedAt', 'c.state'])
        .where('c.companyId = :companyId AND c.queueId = :queueId', { companyId, queueId })
        .andWhere('c.enqueuedAt >= :from AND c.enqueuedAt < :to', { from: new Date(range.from), to: new Date(range.to) });
      if (after !== null) query.andWhere('c.enqueuedAt >= :at AND (c.enqueuedAt > :at OR c.id > :afterId)', { at: after.at, afterId: after.id });
      const calls = await query.orderBy('c.enqueuedAt', 'ASC').addOrderBy('c.id', 'ASC').limit(PAGE).getMany();
      work.take(calls.length);
      const attempts = await attemptsOfCalls(this.dataSource.manager, calls.map((c) => c.id));
      work.take(attempts.length);
      out.push(...queueCallRecords(calls, attempts));
      if (calls.length < PAGE) return out;
      const last = calls[calls.length - 1]!;
      after = { at: last.enqueuedAt, id: last.id };
      await work.slicer.pause();
    }
  }

  /** Every row of a company's resources of one kind, by name. */
  private allOf<T extends typeof ExternalDestination | typeof Agent | typeof Queue>(entity: T, companyId: string): Promise<Array<InstanceType<T>>> {
    return this.dataSource.getRepository<InstanceType<T>>(entity).find({ where: { companyId } as never, order: { name: 'ASC' } as never });
  }

  /**
   * The figures as CSV for a user: what `kind` the user may see, one row per resource (or per resource and
   * interval, at most `maxCsvRows` rows: QUERY_TOO_COMPLEX otherwise, saying how to narrow it).
   */
  async csv(user: UserPrincipal, kind: StatisticsKind, range: Range, perInterval: boolean, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<string> {
    const options = { intervals: perInterval };
    const scope = DestinationScope.of(user);
    const resources = kind === 'DESTINATIONS' ? (await this.allOf(ExternalDestination, user.companyId)).filter((d) => scope.canSee(d))
      : kind === 'AGENTS' ? await this.allOf(Agent, user.companyId)
        : await this.allOf(Queue, user.companyId);
    const intervals = intervalStarts(range).length;
    const maxRows = this.limits?.maxCsvRows ?? Infinity;
    if (perInterval && resources.length * intervals > maxRows) throw csvTooLarge(resources.length, intervals, maxRows);
    const work = this.work();
    const rows: Array<Named<object>> =
      kind === 'DESTINATIONS' ? await this.destinationFiguresOf(work, user.companyId, resources, range, options)
        : kind === 'AGENTS' ? await this.agentFiguresOf(work, user.companyId, resources, range, options)
          : await this.queueFiguresOf(work, user.companyId, resources, range, serviceLevelSec, options);
    return this.asCsv(user.companyId, rows, range, perInterval, work.slicer);
  }

  /** The same CSV of every resource of a company, for the operator (the rebuild command): no reader's visibility applies, no bound. */
  async companyCsv(companyId: string, kind: StatisticsKind, range: Range, perInterval: boolean, serviceLevelSec = DEFAULT_SERVICE_LEVEL_SEC): Promise<string> {
    const work = new Work(null);
    const options = { intervals: perInterval };
    const rows: Array<Named<object>> =
      kind === 'DESTINATIONS' ? await this.destinationFiguresOf(work, companyId, await this.allOf(ExternalDestination, companyId), range, options)
        : kind === 'AGENTS' ? await this.agentFiguresOf(work, companyId, await this.allOf(Agent, companyId), range, options)
          : await this.queueFiguresOf(work, companyId, await this.allOf(Queue, companyId), range, serviceLevelSec, options);
    return this.asCsv(companyId, rows, range, perInterval, work.slicer);
  }

  private async asCsv(companyId: string, rows: Array<Named<object>>, range: Range, perInterval: boolean, slicer: TimeSlicer): Promise<string> {
    const company = await this.dataSource.getRepository(Company).findOneByOrFail({ id: companyId });
    return toCsv(rows, range, company.timeZone, perInterval, slicer);
  }
}

/**
 * The statistics as one CSV text (src/statistics/csv.ts writes it, the streaming export too), giving the event
 * loop a turn between pieces when `slicer` says so.
 */
export async function toCsv(
  rows: ReadonlyArray<Named<object>>, range: Range, timeZone: string, perInterval: boolean, slicer = new TimeSlicer(STATISTICS_SLICE_MS),
): Promise<string> {
  const writer = new StatisticsCsvWriter(range, timeZone, perInterval);
  const pieces: string[] = [];
  for (const piece of writer.pieces(rows)) {
    pieces.push(piece);
    await slicer.pause();
  }
  pieces.push(writer.end());
  return pieces.join('');
}

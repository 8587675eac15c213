import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { errors } from '../errors';
import type { FigureOptions, StatisticsKind } from '../services/statistics.service';
import { DEFAULT_SERVICE_LEVEL_SEC, pageOf, type IntervalPage } from '../statistics/figures';
import { actor, type GatewayContext } from './context';
import { argumentsAt } from './selection';
import {
  AgentStats, agentStats, AgentStatsInterval, destinationStats, ExternalDestinationStats, ExternalDestinationStatsInterval, QueueStats, queueStats,
  QueueStatsInterval, STATISTICS_KINDS,
} from './types/statistics.types';

const FROM = { description: 'Start of the range (inclusive).' };
const TO = {
  description:
    'End of the range (exclusive); at most 93 days after `from`. The cost limit counts each 15-minute interval of each resource asked for in `intervals` as an object: over it, QUERY_TOO_COMPLEX (narrow the range, pass fewer ids, or leave `intervals` out).',
};
const IDS = { nullable: true, description: 'Only these, each listed once (each must exist and be visible, otherwise NOT_FOUND naming it as ids[i]); all you may see when left out.' };
const SERVICE_LEVEL = { defaultValue: DEFAULT_SERVICE_LEVEL_SEC, description: 'Answer time, in seconds, that counts as within the service level (0-3600).' };
/** The most intervals a page may hold: 93 days of them. */
const MAX_PAGE = 8928;

/** A page of intervals from the `intervals` field's arguments (BAD_USER_INPUT naming a bad one). */
function pageArguments(args: Record<string, unknown>): IntervalPage | null {
  const problems: Array<{ field: string; message: string }> = [];
  const first = args.first ?? null;
  if (first !== null && (!Number.isInteger(first) || (first as number) < 1 || (first as number) > MAX_PAGE)) {
    problems.push({ field: 'intervals.first', message: `must be a whole number from 1 to ${MAX_PAGE}` });
  }
  const after = args.after === undefined || args.after === null ? null : args.after instanceof Date ? args.after : new Date(String(args.after));
  if (after !== null && Number.isNaN(after.getTime())) problems.push({ field: 'intervals.after', message: 'must be a date and time' });
  if (problems.length > 0) throw errors.badInput(problems);
  return first === null && after === null ? null : { first: first as number | null, after: after === null ? null : after.getTime() };
}

/**
 * How much the question asks for: the 15-minute intervals or not (a question for totals keeps none), and
 * which page of them (the totals still cover the whole range).
 */
function withIntervals(info: GraphQLResolveInfo): FigureOptions {
  const args = argumentsAt(info, ['intervals']);
  return { intervals: args !== null, page: args === null ? null : pageArguments(args) };
}

const PAGE_FIRST = { nullable: true, description: `At most this many intervals (1-${MAX_PAGE}); all of them when left out.` };
const PAGE_AFTER = {
  nullable: true,
  description: 'Only the intervals that start after this instant (the `start` of the last interval of the page before); from the first when left out. The totals still cover the whole range.',
};
const INTERVALS = 'The 15-minute intervals overlapping the range, oldest first (empty ones included); a page of them with `first` and `after`: ask again with `after` set to the last `start` until fewer than `first` come back.';

/** The `intervals` of each statistics type, a page of them when asked (the figures computed only for that page). */
@Resolver(() => ExternalDestinationStats)
export class DestinationIntervalsResolver {
  @FieldResolver(() => [ExternalDestinationStatsInterval], { description: INTERVALS })
  intervals(@Root() stats: ExternalDestinationStats, @Arg('first', () => Int, PAGE_FIRST) first?: number | null, @Arg('after', () => Date, PAGE_AFTER) after?: Date | null): ExternalDestinationStatsInterval[] {
    return pageOfStats(stats.intervals, first, after);
  }
}

@Resolver(() => AgentStats)
export class AgentIntervalsResolver {
  @FieldResolver(() => [AgentStatsInterval], { description: INTERVALS })
  intervals(@Root() stats: AgentStats, @Arg('first', () => Int, PAGE_FIRST) first?: number | null, @Arg('after', () => Date, PAGE_AFTER) after?: Date | null): AgentStatsInterval[] {
    return pageOfStats(stats.intervals, first, after);
  }
}

@Resolver(() => QueueStats)
export class QueueIntervalsResolver {
  @FieldResolver(() => [QueueStatsInterval], { description: INTERVALS })
  intervals(@Root() stats: QueueStats, @Arg('first', () => Int, PAGE_FIRST) first?: number | null, @Arg('after', () => Date, PAGE_AFTER) after?: Date | null): QueueStatsInterval[] {
    return pageOfStats(stats.intervals, first, after);
  }
}

/** The page of intervals asked for (already the page when the parent computed only that; today's list is short). */
function pageOfStats<I extends { start: Date }>(intervals: I[], first?: number | null, after?: Date | null): I[] {
  const page = pageArguments({ first, after });
  if (page === null) return intervals;
  return pageOf(intervals.map((i) => ({ i, start: i.start.getTime() })), page).map((x) => x.i);
}

/**
 * Statistics (the `statistics` privilege; destination figures also follow the destination visibility
 * rules). Figures are derived from the durable call and attempt records each time they are asked for.
 */
@Resolver()
export class StatisticsResolver {
  @Authorized('statistics:VIEW')
  @Query(() => ExternalDestinationStats, { description: 'One external destination\'s figures over [from, to), with 15-minute intervals.' })
  async externalDestinationStats(
    @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID) id: string, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date,
  ): Promise<ExternalDestinationStats> {
    const range = ctx.services.statistics.range(from, to);
    const [one] = await ctx.services.statistics.destinations(actor(ctx), [id], range, () => 'id', withIntervals(info));
    return destinationStats(one!, range);
  }

  @Authorized('statistics:VIEW')
  @Query(() => [ExternalDestinationStats], { description: 'Figures of every external destination you may see (or of `ids`), by name, in one round trip.' })
  async externalDestinationStatsList(
    @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date, @Arg('ids', () => [ID], IDS) ids?: string[] | null,
  ): Promise<ExternalDestinationStats[]> {
    const range = ctx.services.statistics.range(from, to);
    return (await ctx.services.statistics.destinations(actor(ctx), ids ?? null, range, 'ids', withIntervals(info))).map((n) => destinationStats(n, range));
  }

  @Authorized('statistics:VIEW')
  @Query(() => AgentStats, { description: 'One regular agent\'s figures over [from, to), with 15-minute intervals.' })
  async agentStats(
    @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID) id: string, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date,
  ): Promise<AgentStats> {
    const range = ctx.services.statistics.range(from, to);
    const [one] = await ctx.services.statistics.agents(actor(ctx), [id], range, () => 'id', withIntervals(info));
    return agentStats(one!, range);
  }

  @Authorized('statistics:VIEW')
  @Query(() => [AgentStats], { description: 'Figures of every agent of the company (or of `ids`), by name, in one round trip.' })
  async agentStatsList(
    @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date, @Arg('ids', () => [ID], IDS) ids?: string[] | null,
  ): Promise<AgentStats[]> {
    const range = ctx.services.statistics.range(from, to);
    return (await ctx.services.statistics.agents(actor(ctx), ids ?? null, range, 'ids', withIntervals(info))).map((n) => agentStats(n, range));
  }

  @Authorized('statistics:VIEW')
  @Query(() => QueueStats, { description: 'One queue\'s figures over [from, to), with 15-minute intervals.' })
  async queueStats(
    @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Arg('id', () => ID) id: string, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date,
    @Arg('serviceLevelSec', () => Int, SERVICE_LEVEL) serviceLevelSec: number,
  ): Promise<QueueStats> {
    const range = ctx.services.statistics.range(from, to);
    const [one] = await ctx.services.statistics.queues(actor(ctx), [id], range, serviceLevelSec, () => 'id', withIntervals(info));
    return queueStats(one!, range, serviceLevelSec);
  }

  @Authorized('statistics:VIEW')
  @Query(() => [QueueStats], { description: 'Figures of every queue of the company (or of `ids`), by name, in one round trip.' })
  async queueStatsList(
    @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date,
    @Arg('ids', () => [ID], IDS) ids: string[] | null | undefined, @Arg('serviceLevelSec', () => Int, SERVICE_LEVEL) serviceLevelSec: number,
  ): Promise<QueueStats[]> {
    const range = ctx.services.statistics.range(from, to);
    return (await ctx.services.statistics.queues(actor(ctx), ids ?? null, range, serviceLevelSec, 'ids', withIntervals(info))).map((n) => queueStats(n, range, serviceLevelSec));
  }

  @Authorized('statistics:VIEW')
  @Query(() => String, {
    description:
      'The same figures as CSV text for spreadsheets: a header, then one row per resource (or per resource and 15-minute interval), with the bounds in the company\'s local time. Cells a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage return) are written as text behind an apostrophe. With `perInterval` at most STATISTICS_MAX_CSV_ROWS rows (50 000 by default: resources x intervals), otherwise QUERY_TOO_COMPLEX saying how to narrow it.',
  })
  async statisticsCsv(
    @Ctx() ctx: GatewayContext, @Arg('kind', () => STATISTICS_KINDS) kind: StatisticsKind, @Arg('from', FROM) from: Date, @Arg('to', TO) to: Date,
    @Arg('perInterval', { defaultValue: false }) perInterval: boolean, @Arg('serviceLevelSec', () => Int, SERVICE_LEVEL) serviceLevelSec: number,
  ): Promise<string> {
    const range = ctx.services.statistics.range(from, to);
    return ctx.services.statistics.csv(actor(ctx), kind, range, perInterval, serviceLevelSec);
  }
}

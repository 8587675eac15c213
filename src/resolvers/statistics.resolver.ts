import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Int, Query, Resolver } from 'type-graphql';
import { DEFAULT_SERVICE_LEVEL_SEC, type StatisticsKind } from '../services/statistics.service';
import { actor, type GatewayContext } from './context';
import { selects } from './selection';
import {
  AgentStats, agentStats, destinationStats, ExternalDestinationStats, QueueStats, queueStats, STATISTICS_KINDS,
} from './types/statistics.types';

const FROM = { description: 'Start of the range (inclusive).' };
const TO = {
  description:
    'End of the range (exclusive); at most 93 days after `from`. The cost limit counts each 15-minute interval of each resource asked for in `intervals` as an object: over it, QUERY_TOO_COMPLEX (narrow the range, pass fewer ids, or leave `intervals` out).',
};
const IDS = { nullable: true, description: 'Only these, each listed once (each must exist and be visible, otherwise NOT_FOUND naming it as ids[i]); all you may see when left out.' };
const SERVICE_LEVEL = { defaultValue: DEFAULT_SERVICE_LEVEL_SEC, description: 'Answer time, in seconds, that counts as within the service level (0-3600).' };
/** Whether the question asks for the 15-minute intervals (a question for totals keeps none). */
const withIntervals = (info: GraphQLResolveInfo) => ({ intervals: selects(info, ['intervals']) });

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

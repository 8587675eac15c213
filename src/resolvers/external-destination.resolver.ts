import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { AgentGroup } from '../entities/agent-group.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import { actor, companyModel, type GatewayContext } from './context';
import { selects } from './selection';
import { ExternalDestinationStats, destinationStats } from './types/statistics.types';
import { PageArgsInput } from './types/connection';
import {
  DestinationProbeSettings, DestinationProbeStatistics, DestinationProbeStatus, ExternalDestinationConnection, ExternalDestinationFilter, ExternalDestinationInput,
  ExternalDestinationLiveView,
} from './types/external-destination.types';

@Resolver(() => ExternalDestination)
export class ExternalDestinationResolver {
  @Authorized('externalDestinations:VIEW')
  @Query(() => ExternalDestinationConnection, {
    description: 'The external destinations the caller may see (its profile: all, or the selected ones), by name.',
  })
  async externalDestinations(
    @Ctx() ctx: GatewayContext,
    @Info() info: GraphQLResolveInfo,
    @Args() page: PageArgsInput,
    @Arg('filter', () => ExternalDestinationFilter, { nullable: true }) filter?: ExternalDestinationFilter,
  ): Promise<ExternalDestinationConnection> {
    const list = await ctx.services.destinations.list(actor(ctx), filter, page);
    // The page's live states in one batch now, so each node's `live` is answered at once (no promise per node).
    if (list.nodes.length > 0 && selects(info, ['nodes', 'live'])) await ctx.loaders.prefetchDestinationLive(list.nodes);
    return list;
  }

  @Authorized('externalDestinations:VIEW')
  @Query(() => ExternalDestination, { nullable: true, description: 'One destination; NOT_FOUND when missing or not visible to the caller.' })
  externalDestination(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<ExternalDestination> {
    return ctx.services.destinations.get(actor(ctx), id);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => ExternalDestination, {
    description: 'Defines a destination (company administrators and supervisors with Modify). A user with a SELECTED profile sees it through its profile.',
  })
  createExternalDestination(@Ctx() ctx: GatewayContext, @Arg('input') input: ExternalDestinationInput): Promise<ExternalDestination> {
    return ctx.services.destinations.create(actor(ctx), input);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => ExternalDestination, { description: 'Changes a destination; CONFLICT when `expectedVersion` is given and stale.' })
  updateExternalDestination(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ExternalDestinationInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<ExternalDestination> {
    return ctx.services.destinations.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a destination and returns its id; CONFLICT while agent groups or call flows (a draft, the published version, or a version a call in progress runs) use it, naming them as extensions.groups and extensions.callFlows [{id, name}].' })
  deleteExternalDestination(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.destinations.delete(actor(ctx), id);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => ExternalDestination, { description: 'Puts a destination back in the pool: clears a suspension, any back-off and its failure count.' })
  resumeExternalDestination(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<ExternalDestination> {
    return ctx.services.destinations.resume(actor(ctx), id);
  }

  @FieldResolver(() => ExternalDestinationLiveView, { description: 'Live state (not configuration): calls connecting and active, back-off, failures.' })
  live(@Root() destination: ExternalDestination, @Ctx() ctx: GatewayContext): ExternalDestinationLiveView | Promise<ExternalDestinationLiveView> {
    return ctx.loaders.destinationLiveRead.get(destination.id) ?? ctx.loaders.destinationLive.load(destination);
  }

  @Authorized('agentGroups:VIEW', 'queues:VIEW')
  @FieldResolver(() => [AgentGroup], {
    nullable: true,
    description: 'The agent groups this destination is a member of; null with FORBIDDEN without VIEW on agent groups or queues.',
  })
  async groups(@Root() destination: ExternalDestination, @Ctx() ctx: GatewayContext): Promise<AgentGroup[]> {
    return (await companyModel(ctx)).groupsOfDestination(destination.id);
  }

  @FieldResolver(() => DestinationProbeSettings, { nullable: true, description: 'Its health probe while backed off or suspended; null when it has none.' })
  probe(@Root() destination: ExternalDestination): DestinationProbeSettings | null {
    if (destination.probeIntervalSec === null) return null;
    return { intervalSec: destination.probeIntervalSec, timeoutSec: destination.probeTimeoutSec!, successesToResume: destination.probeSuccessesToResume!, number: destination.probeNumber };
  }

  @FieldResolver(() => DestinationProbeStatus, { description: 'Live: whether probes are being sent, the latest probe and the successes in a row.' })
  probeStatus(@Root() destination: ExternalDestination, @Ctx() ctx: GatewayContext): Promise<DestinationProbeStatus> {
    return ctx.services.destinations.probeStatus(actor(ctx).companyId, destination);
  }

  @Authorized('statistics:VIEW')
  @FieldResolver(() => DestinationProbeStatistics, { nullable: true, description: 'Statistics: its health probes sent in [from, to) (at most 93 days, as statistics), by outcome; null with FORBIDDEN without VIEW on statistics.' })
  probeStatistics(@Root() destination: ExternalDestination, @Ctx() ctx: GatewayContext, @Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date): Promise<DestinationProbeStatistics> {
    // The range is checked by the one rule of statistics (BAD_USER_INPUT naming from or to).
    return ctx.services.destinations.probeStatistics(actor(ctx).companyId, destination.id, ctx.services.statistics.range(from, to));
  }

  @Authorized('statistics:VIEW')
  @FieldResolver(() => ExternalDestinationStats, { nullable: true, description: "Today's figures of this destination (since midnight in the company's time zone, up to now), as externalDestinationStats gives them; null with FORBIDDEN without VIEW on statistics." })
  async todayStats(@Root() destination: ExternalDestination, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationStats> {
    const { named, range } = await ctx.loaders.todayDestinationStats.load(destination);
    return destinationStats(named, range);
  }
}

import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agent } from '../entities/agent.entity';
import { AgentGroup } from '../entities/agent-group.entity';
import { actor, companyModel, type GatewayContext } from './context';
import { destinationRefs } from './destination-refs';
import { orderedDestinations } from '../routing/distribution';
import { PageArgsInput } from './types/connection';
import { AgentGroupConnection, AgentGroupInput, ExternalDestinationShare, GroupShareHistory } from './types/agent.types';
import { ExternalDestinationRef } from './types/external-destination.types';

/** The group's window of recent offers, read once per request: its total and its split always agree in one answer. */
function windowOffers(ctx: GatewayContext, group: AgentGroup) {
  return ctx.loaders.once(`window:${group.id}`, () => ctx.services.agentGroups.windowOffers(actor(ctx), group));
}

@Resolver(() => AgentGroup)
export class AgentGroupResolver {
  @Authorized('agentGroups:VIEW')
  @Query(() => AgentGroupConnection, { description: 'The company\'s agent groups, by name.' })
  agentGroups(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<AgentGroupConnection> {
    return ctx.services.agentGroups.list(actor(ctx), page);
  }

  @Authorized('agentGroups:VIEW')
  @Query(() => AgentGroup, { nullable: true, description: 'One agent group; NOT_FOUND when missing.' })
  agentGroup(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<AgentGroup> {
    return ctx.services.agentGroups.get(actor(ctx), id);
  }

  @Authorized('agentGroups:MODIFY')
  @Mutation(() => AgentGroup, { description: 'Creates an agent group of agents and external destinations the caller can see.' })
  createAgentGroup(@Ctx() ctx: GatewayContext, @Arg('input') input: AgentGroupInput): Promise<AgentGroup> {
    return ctx.services.agentGroups.create(actor(ctx), input);
  }

  @Authorized('agentGroups:MODIFY')
  @Mutation(() => AgentGroup, {
    description: 'Replaces a group\'s name, agents and visible destinations (hidden ones stay); CONFLICT when `expectedVersion` is stale.',
  })
  updateAgentGroup(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AgentGroupInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<AgentGroup> {
    return ctx.services.agentGroups.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('agentGroups:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a group and returns its id; CONFLICT (naming them) while queues use it.' })
  deleteAgentGroup(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.agentGroups.delete(actor(ctx), id);
  }

  @FieldResolver(() => [Agent], { description: 'The regular agents of the group, by name.' })
  async agents(@Root() group: AgentGroup, @Ctx() ctx: GatewayContext): Promise<Agent[]> {
    return (await companyModel(ctx)).agentsOfGroup(group.id);
  }

  @FieldResolver(() => [ExternalDestinationRef], {
    description: 'The external destinations of the group; those the caller may not see appear as `hidden: true` without details.',
  })
  async externalDestinations(@Root() group: AgentGroup, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationRef[]> {
    return destinationRefs(ctx, (await companyModel(ctx)).destinationsOfGroup(group.id));
  }

  @FieldResolver(() => [ExternalDestinationShare], {
    description: 'WEIGHTED_SHARE targets, as `externalDestinations` lists the members (hidden ones without their target).',
  })
  async externalDestinationShares(@Root() group: AgentGroup, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationShare[]> {
    const members = (await companyModel(ctx)).destinationsOfGroup(group.id).filter((d) => group.destinationShares[d.id] !== undefined);
    const { byDestination } = await windowOffers(ctx, group);
    return destinationRefs(ctx, members).map((ref) => ref.destination === null
      ? { ...ref, percent: null, recentOffers: null }
      : { ...ref, percent: group.destinationShares[ref.destination.id]!, recentOffers: byDestination.get(ref.destination.id) ?? 0 });
  }

  @Authorized('statistics:VIEW')
  @FieldResolver(() => GroupShareHistory, {
    description: 'Statistics: how many offers the group gave each external destination in [from, to) (at most 93 days), against the targets it has now. Needs the statistics VIEW privilege.',
  })
  async shareHistory(
    @Root() group: AgentGroup, @Ctx() ctx: GatewayContext, @Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date,
  ): Promise<GroupShareHistory> {
    // The range is checked by the one rule of statistics (BAD_USER_INPUT naming from or to).
    const range = ctx.services.statistics.range(from, to);
    const { total, byDestination } = await ctx.services.agentGroups.offersBetween(actor(ctx), group, range);
    const model = await companyModel(ctx);
    const members = model.destinationsOfGroup(group.id);
    const known = [...members, ...[...byDestination.keys()].flatMap((id) => {
      const d = model.destinations.get(id);
      return d === undefined || members.some((m) => m.id === id) ? [] : [d];
    })];
    const destinations = destinationRefs(ctx, known).map((ref) => ref.destination === null
      ? { ...ref, offers: null, percent: null }
      : { ...ref, offers: byDestination.get(ref.destination.id) ?? 0, percent: group.destinationShares[ref.destination.id] ?? null });
    return { offers: total, destinations };
  }

  @FieldResolver(() => Int, { description: 'How many of the group\'s most recent offers to its destinations its distribution counts now (at most `shareWindow`).' })
  async shareWindowOffers(@Root() group: AgentGroup, @Ctx() ctx: GatewayContext): Promise<number> {
    return (await windowOffers(ctx, group)).total;
  }

  @FieldResolver(() => [ExternalDestinationRef], {
    description: 'The group\'s order of its destinations (PRIORITY_ORDER, ROUND_ROBIN follow it); those the caller may not see appear as `hidden: true`, after the others.',
  })
  async externalDestinationOrder(@Root() group: AgentGroup, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationRef[]> {
    const members = (await companyModel(ctx)).destinationsOfGroup(group.id);
    return destinationRefs(ctx, orderedDestinations(members, group.destinationOrder));
  }
}

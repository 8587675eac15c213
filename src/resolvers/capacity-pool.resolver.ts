import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { CapacityPool } from '../entities/capacity-pool.entity';
import { ExternalDestination } from '../entities/external-destination.entity';
import type { PoolLive } from '../services/capacity-pool.service';
import { actor, companyModel, currentUser, type GatewayContext } from './context';
import { destinationRefs } from './destination-refs';
import { CapacityPoolConnection, CapacityPoolInput, CapacityPoolLiveView, CapacityPoolStats } from './types/capacity-pool.types';
import { PageArgsInput } from './types/connection';
import { ExternalDestinationRef } from './types/external-destination.types';

@Resolver(() => CapacityPool)
export class CapacityPoolResolver {
  @Authorized('externalDestinations:VIEW')
  @Query(() => CapacityPoolConnection, { description: 'The company\'s capacity pools, by name.' })
  capacityPools(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<CapacityPoolConnection> {
    return ctx.services.capacityPools.list(actor(ctx), page);
  }

  @Authorized('externalDestinations:VIEW')
  @Query(() => CapacityPool, { nullable: true, description: 'One capacity pool; NOT_FOUND when missing (or another company\'s).' })
  capacityPool(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<CapacityPool> {
    return ctx.services.capacityPools.get(actor(ctx), id);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => CapacityPool, { description: 'Defines a capacity pool over destinations you may see (External destinations Modify). A destination in another pool answers CONFLICT.' })
  createCapacityPool(@Ctx() ctx: GatewayContext, @Arg('input') input: CapacityPoolInput): Promise<CapacityPool> {
    return ctx.services.capacityPools.create(actor(ctx), input);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => CapacityPool, { description: 'Changes a pool: its name, maximum and the members you may see (the others stay); CONFLICT when `expectedVersion` is stale or a destination is in another pool. A lower maximum refuses new calls only: calls in progress keep their slots.' })
  updateCapacityPool(
    @Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('input') input: CapacityPoolInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<CapacityPool> {
    return ctx.services.capacityPools.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('externalDestinations:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a pool and returns its id; its destinations keep their own limits.' })
  deleteCapacityPool(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.capacityPools.delete(actor(ctx), id);
  }

  @FieldResolver(() => [ExternalDestinationRef], { description: 'Its destinations: those you may see by name, then the others as hidden references.' })
  async externalDestinations(@Root() pool: CapacityPool, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationRef[]> {
    return destinationRefs(ctx, await ctx.services.capacityPools.members(actor(ctx).companyId, pool.id));
  }

  @FieldResolver(() => CapacityPoolLiveView, { description: 'Live: the slots its destinations hold now, across every instance.' })
  async live(@Root() pool: CapacityPool, @Ctx() ctx: GatewayContext): Promise<CapacityPoolLiveView> {
    const [state] = await ctx.services.capacityPools.liveStates(actor(ctx).companyId, [pool]);
    return state!;
  }

  @Authorized('statistics:VIEW')
  @FieldResolver(() => CapacityPoolStats, { nullable: true, description: 'Statistics over [from, to) (at most 93 days, as statistics): offers, answers, calls refused for its limit, peak; null with FORBIDDEN without VIEW on statistics.' })
  statistics(@Root() pool: CapacityPool, @Ctx() ctx: GatewayContext, @Arg('from', () => Date) from: Date, @Arg('to', () => Date) to: Date): Promise<CapacityPoolStats> {
    // The range is checked by the one rule of statistics (BAD_USER_INPUT naming from or to).
    return ctx.services.capacityPools.figures(actor(ctx).companyId, pool.id, ctx.services.statistics.range(from, to));
  }

  @Authorized('externalDestinations:VIEW')
  @Subscription(() => CapacityPoolLiveView, {
    description: 'Live state of capacity pools (all, or the given ids), on every change of a member\'s slots or of the pool.',
    subscribe: ({ args, context }) => (context as GatewayContext).services.liveUpdates.poolUpdates(() => currentUser(context as GatewayContext), (args as { ids?: string[] | null }).ids ?? null),
  })
  capacityPoolUpdates(@Root() update: PoolLive, @Arg('ids', () => [ID], { nullable: true, description: 'Only these pools (NOT_FOUND for an unknown one).' }) _ids?: string[] | null): CapacityPoolLiveView {
    return update;
  }
}

@Resolver(() => ExternalDestination)
export class DestinationPoolResolver {
  @FieldResolver(() => CapacityPool, { nullable: true, description: 'The capacity pool it belongs to; null when none.' })
  async capacityPool(@Root() destination: ExternalDestination, @Ctx() ctx: GatewayContext): Promise<CapacityPool | null> {
    return destination.capacityPoolId === null ? null : (await companyModel(ctx)).pools.get(destination.capacityPoolId) ?? null;
  }
}

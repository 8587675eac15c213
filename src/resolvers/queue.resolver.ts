import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Queue } from '../entities/queue.entity';
import { QueueLiveView } from './live.resolver';
import { actor, companyModel, type GatewayContext } from './context';
import { QueueStats, queueStats } from './types/statistics.types';
import { DEFAULT_SERVICE_LEVEL_SEC } from '../statistics/figures';
import { PageArgsInput } from './types/connection';
import { QueueConnection, QueueGroupEntry, QueueInput } from './types/agent.types';

@Resolver(() => Queue)
export class QueueResolver {
  @Authorized('queues:VIEW')
  @Query(() => QueueConnection, { description: 'The company\'s queues, by name.' })
  queues(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<QueueConnection> {
    return ctx.services.queues.list(actor(ctx), page);
  }

  @Authorized('queues:VIEW')
  @Query(() => Queue, { nullable: true, description: 'One queue; NOT_FOUND when missing.' })
  queue(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Queue> {
    return ctx.services.queues.get(actor(ctx), id);
  }

  @Authorized('queues:MODIFY')
  @Mutation(() => Queue, { description: 'Creates a queue with 1-5 groups in priority order.' })
  createQueue(@Ctx() ctx: GatewayContext, @Arg('input') input: QueueInput): Promise<Queue> {
    return ctx.services.queues.create(actor(ctx), input);
  }

  @Authorized('queues:MODIFY')
  @Mutation(() => Queue, { description: 'Changes a queue (its groups are replaced); CONFLICT when `expectedVersion` is stale.' })
  updateQueue(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: QueueInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Queue> {
    return ctx.services.queues.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('queues:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a queue and returns its id; CONFLICT while call flows (a draft, the published version, or a version a call in progress runs) use it, naming them as extensions.callFlows [{id, name}].' })
  deleteQueue(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.queues.delete(actor(ctx), id);
  }

  @FieldResolver(() => [QueueGroupEntry], { description: 'The queue\'s groups in priority order, with their overflow conditions.' })
  async groups(@Root() queue: Queue, @Ctx() ctx: GatewayContext): Promise<QueueGroupEntry[]> {
    const model = await companyModel(ctx);
    return model.groupsOfQueue(queue.id).map((e) => ({
      priority: e.priority,
      group: model.groups.get(e.groupId)!.row,
      overflow: e.priority === 1 ? null : { queueLengthAbove: e.queueLengthAbove, oldestWaitAboveSec: e.oldestWaitAboveSec, noAgentsLoggedIn: e.noAgentsLoggedIn },
    }));
  }

  @FieldResolver(() => QueueLiveView, { description: 'Live state (the queueUpdates subscription\'s shape): re-read it after a gap in `seq`.' })
  async live(@Root() queue: Queue, @Ctx() ctx: GatewayContext): Promise<QueueLiveView> {
    const [state] = await ctx.services.liveUpdates.queueStates(queue.companyId, [queue.id]);
    return state!;
  }

  @Authorized('statistics:VIEW')
  @FieldResolver(() => QueueStats, { nullable: true, description: "Today's figures of this queue (since midnight in the company's time zone, up to now; service level within 20 s), as queueStats gives them; null with FORBIDDEN without VIEW on statistics." })
  async todayStats(@Root() queue: Queue, @Ctx() ctx: GatewayContext): Promise<QueueStats> {
    const { named, range } = await ctx.loaders.todayQueueStats.load(queue);
    return queueStats(named, range, DEFAULT_SERVICE_LEVEL_SEC);
  }
}

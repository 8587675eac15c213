import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DestinationScope } from '../auth/destination-scope';
import { CallFlow } from '../entities/call-flow.entity';
import { routesToHidden } from '../services/flow-references';
import { actor, type GatewayContext } from './context';
import { PageArgsInput } from './types/connection';
import { CallFlowConnection, CallFlowInput, CallFlowNode } from './types/flow.types';

@Resolver(() => CallFlow)
export class CallFlowResolver {
  @Authorized('callFlows:VIEW')
  @Query(() => CallFlowConnection, { description: 'The company\'s call flows, by name.' })
  callFlows(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<CallFlowConnection> {
    return ctx.services.callFlows.list(actor(ctx), page);
  }

  @Authorized('callFlows:VIEW')
  @Query(() => CallFlow, { nullable: true, description: 'One call flow; NOT_FOUND when missing.' })
  callFlow(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<CallFlow> {
    return ctx.services.callFlows.get(actor(ctx), id);
  }

  @Authorized('callFlows:MODIFY')
  @Mutation(() => CallFlow, { description: 'Creates a draft call flow (not yet used by calls: publish it).' })
  createCallFlow(@Ctx() ctx: GatewayContext, @Arg('input') input: CallFlowInput): Promise<CallFlow> {
    return ctx.services.callFlows.create(actor(ctx), input);
  }

  @Authorized('callFlows:MODIFY')
  @Mutation(() => CallFlow, { description: 'Replaces the draft (calls keep running the published version); CONFLICT when `expectedVersion` is stale. A node routing to a destination the caller cannot see keeps it (see CallFlowNode.externalDestinationHidden).' })
  updateCallFlow(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('input') input: CallFlowInput, @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number): Promise<CallFlow> {
    return ctx.services.callFlows.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('callFlows:MODIFY')
  @Mutation(() => CallFlow, { description: 'Validates the draft and publishes it as the next version; BAD_USER_INPUT lists every problem as extensions.problems [{nodeId, message}]. Calls in progress keep their version. FORBIDDEN when the current published version routes to a destination the caller cannot see.' })
  publishCallFlow(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<CallFlow> {
    return ctx.services.callFlows.publish(actor(ctx), id);
  }

  @Authorized('callFlows:MODIFY')
  @Mutation(() => ID, { description: 'Deletes a call flow and its service numbers; calls in progress finish on their version. FORBIDDEN when its draft or published version routes to a destination the caller cannot see.' })
  deleteCallFlow(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.callFlows.delete(actor(ctx), id);
  }

  @FieldResolver(() => [String], { description: 'The service numbers (E.164) that enter this flow.' })
  serviceNumbers(@Root() flow: CallFlow, @Ctx() ctx: GatewayContext): Promise<string[]> {
    return ctx.services.callFlows.serviceNumbers(flow.id);
  }

  @FieldResolver(() => [CallFlowNode], { description: 'The draft\'s nodes (what publishCallFlow would publish).' })
  nodes(@Root() flow: CallFlow, @Ctx() ctx: GatewayContext): CallFlowNode[] {
    const scope = DestinationScope.of(actor(ctx));
    const canSee = (id: string) => scope.canSee({ id, companyId: flow.companyId });
    return flow.draftNodes.map((n) => {
      const hidden = routesToHidden(n, canSee);
      return { ...n, externalDestinationId: hidden ? null : n.externalDestinationId, externalDestinationHidden: hidden };
    });
  }
}

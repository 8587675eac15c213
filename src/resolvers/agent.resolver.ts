import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Agent } from '../entities/agent.entity';
import { actor, type GatewayContext } from './context';
import { AgentStats, agentStats } from './types/statistics.types';
import { PageArgsInput } from './types/connection';
import { AgentConnection, AgentInput, AgentLiveView } from './types/agent.types';
import { AGENT_STATUSES, type AgentStatus } from '../routing/types';
import type { AgentLive } from '../store/agent-state-store';
import { agentLiveUpdate } from '../services/live-updates.service';

@Resolver(() => Agent)
export class AgentResolver {
  @Authorized('agents:VIEW')
  @Query(() => AgentConnection, { description: 'The company\'s regular agents, by name.' })
  agents(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<AgentConnection> {
    return ctx.services.agents.list(actor(ctx), page);
  }

  @Authorized('agents:VIEW')
  @Query(() => Agent, { nullable: true, description: 'One agent; NOT_FOUND when missing.' })
  agent(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Agent> {
    return ctx.services.agents.get(actor(ctx), id);
  }

  @Authorized('agents:MODIFY')
  @Mutation(() => Agent, { description: 'Creates a regular agent.' })
  createAgent(@Ctx() ctx: GatewayContext, @Arg('input') input: AgentInput): Promise<Agent> {
    return ctx.services.agents.create(actor(ctx), input);
  }

  @Authorized('agents:MODIFY')
  @Mutation(() => Agent, { description: 'Changes an agent; CONFLICT when `expectedVersion` is stale.' })
  updateAgent(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AgentInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Agent> {
    return ctx.services.agents.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('agents:MODIFY')
  @Mutation(() => ID, { description: 'Deletes an agent (it leaves every group) and returns its id.' })
  deleteAgent(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.agents.delete(actor(ctx), id);
  }

  @Authorized('USER')
  @Mutation(() => Agent, { description: 'Sets an agent\'s status (LOGGED_OUT, AVAILABLE, ON_BREAK): Modify on agents, or the agent\'s own login.' })
  async setAgentStatus(
    @Ctx() ctx: GatewayContext,
    @Arg('agentId', () => ID) agentId: string,
    @Arg('status', () => AGENT_STATUSES) status: AgentStatus,
  ): Promise<Agent> {
    const { agent, live } = await ctx.services.agents.setStatus(actor(ctx), agentId, status);
    ctx.loaders.agentLive.clear(agent.id).prime(agent.id, live);
    return agent;
  }

  @FieldResolver(() => AgentLiveView, { description: 'Live status and activity (not configuration), with its sequence number.' })
  async live(@Root() agent: Agent, @Ctx() ctx: GatewayContext): Promise<AgentLiveView> {
    const state: AgentLive = await ctx.loaders.agentLive.load(agent.id);
    return agentLiveUpdate(agent.id, state, ctx.services.clock.now());
  }

  @FieldResolver(() => ID, { nullable: true, description: 'The user login the agent signs in as, if any.' })
  userLoginId(@Root() agent: Agent): string | null {
    return agent.userLoginId;
  }

  @Authorized('statistics:VIEW')
  @FieldResolver(() => AgentStats, { nullable: true, description: "Today's figures of this agent (since midnight in the company's time zone, up to now), as agentStats gives them; null with FORBIDDEN without VIEW on statistics." })
  async todayStats(@Root() agent: Agent, @Ctx() ctx: GatewayContext): Promise<AgentStats> {
    const { named, range } = await ctx.loaders.todayAgentStats.load(agent);
    return agentStats(named, range);
  }
}

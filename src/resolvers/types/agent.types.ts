import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Agent } from '../../entities/agent.entity';
import { AGENT_ACTIVITIES, type AgentActivity } from '../../routing/state-machine';
import { AGENT_STATUSES, type AgentStatus } from '../../routing/types';
import { AgentGroup } from '../../entities/agent-group.entity';
import { Queue } from '../../entities/queue.entity';
import { ExternalDestination } from '../../entities/external-destination.entity';
import { EXTERNAL_DISTRIBUTIONS, type ExternalDistribution } from '../../routing/distribution';
import { Connection } from './connection';

@ObjectType({ simpleResolvers: true, description: 'A page of agents.' })
export class AgentConnection extends Connection(Agent) {}

@ObjectType({ simpleResolvers: true, description: 'A page of agent groups.' })
export class AgentGroupConnection extends Connection(AgentGroup) {}

@ObjectType({ simpleResolvers: true, description: 'A page of queues.' })
export class QueueConnection extends Connection(Queue) {}

@InputType({ description: 'An agent.' })
export class AgentInput {
  @Field({ description: 'Display name, 1-100 characters.' })
  name: string;

  @Field(() => ID, { nullable: true, description: 'The user login the agent signs in as (at most one agent per login); null for none.' })
  userLoginId?: string | null;
}

@InputType({ description: 'An agent group: its agents and external destinations.' })
export class AgentGroupInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => [ID], { description: 'The regular agents of the group.' })
  agentIds: string[];

  @Field(() => [ID], {
    description:
      'The external destinations of the group that the caller can see, in the group\'s order (PRIORITY_ORDER and ROUND_ROBIN follow it). Members the caller cannot see are kept unchanged, after these.',
  })
  externalDestinationIds: string[];

  @Field(() => EXTERNAL_DISTRIBUTIONS, { nullable: true, description: 'How the group spreads calls over its destinations; left out: unchanged (MOST_SPARE for a new group).' })
  externalDistribution?: ExternalDistribution | null;

  @Field(() => [ExternalDestinationShareInput], {
    nullable: true,
    description: 'WEIGHTED_SHARE targets of the destinations the caller can see (those of hidden members are kept); every member needs one and they add up to 100. Left out: unchanged.',
  })
  externalDestinationShares?: ExternalDestinationShareInput[] | null;

  @Field(() => Int, { nullable: true, description: 'WEIGHTED_SHARE: over how many of the group\'s most recent offers the shares are counted, 10-10000; left out: unchanged (100 for a new group).' })
  shareWindow?: number | null;
}

@InputType({ description: 'A destination\'s target share of its group\'s offers (WEIGHTED_SHARE).' })
export class ExternalDestinationShareInput {
  @Field(() => ID, { description: 'One of the group\'s externalDestinationIds.' })
  destinationId: string;

  @Field(() => Int, { description: 'Whole percent, 0-100.' })
  percent: number;
}

@ObjectType({ simpleResolvers: true, description: 'The offers a group gave its external destinations over a range, against the targets it has now.' })
export class GroupShareHistory {
  @Field(() => Int, { description: 'The group\'s offers to destinations in the range (those to destinations deleted since included).' })
  offers: number;

  @Field(() => [ExternalDestinationShareCount], { description: 'Per destination that still exists, member or not: its offers and its target; hidden ones after the others, without either.' })
  destinations: ExternalDestinationShareCount[];
}

@ObjectType({ simpleResolvers: true, description: 'One destination\'s offers from a group over a range.' })
export class ExternalDestinationShareCount {
  @Field({ description: 'True when the caller may not see this destination.' })
  hidden: boolean;

  @Field(() => ExternalDestination, { nullable: true, description: 'The destination, or null when hidden.' })
  destination: ExternalDestination | null;

  @Field(() => Int, { nullable: true, description: 'Its offers from the group in the range; null when hidden.' })
  offers: number | null;

  @Field(() => Int, { nullable: true, description: 'Its WEIGHTED_SHARE target now, in percent; null when it has none or is hidden.' })
  percent: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A destination\'s target share of its group\'s offers (WEIGHTED_SHARE); hidden destinations show neither themselves nor their target.' })
export class ExternalDestinationShare {
  @Field({ description: 'True when the caller may not see this destination.' })
  hidden: boolean;

  @Field(() => ExternalDestination, { nullable: true, description: 'The destination, or null when hidden.' })
  destination: ExternalDestination | null;

  @Field(() => Int, { nullable: true, description: 'Its target in percent, or null when hidden.' })
  percent: number | null;

  @Field(() => Int, { nullable: true, description: 'How many of the group\'s counted offers (`shareWindowOffers`) went to it: its live share is this over those; null when hidden.' })
  recentOffers: number | null;
}

@InputType({ description: 'When a group of priority 2-5 becomes eligible for a waiting call (any one condition suffices).' })
export class OverflowInput {
  @Field(() => Int, { nullable: true, description: 'More than this many calls are waiting in the queue.' })
  queueLengthAbove?: number | null;

  @Field(() => Int, { nullable: true, description: 'The oldest waiting call has waited more than this many seconds.' })
  oldestWaitAboveSec?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'No agent of the earlier groups is logged in.' })
  noAgentsLoggedIn?: boolean | null;
}

@ObjectType({ simpleResolvers: true, description: 'When a group of priority 2-5 becomes eligible (any one condition suffices).' })
export class Overflow {
  @Field(() => Int, { nullable: true, description: 'More than this many calls are waiting in the queue.' })
  queueLengthAbove: number | null;

  @Field(() => Int, { nullable: true, description: 'The oldest waiting call has waited more than this many seconds.' })
  oldestWaitAboveSec: number | null;

  @Field({ description: 'No agent of the earlier groups is logged in.' })
  noAgentsLoggedIn: boolean;
}

@InputType({ description: 'One group of a queue, in priority order.' })
export class QueueGroupInput {
  @Field(() => ID, { description: 'The agent group.' })
  groupId: string;

  @Field(() => OverflowInput, { nullable: true, description: 'Required for groups 2-5; not allowed for the first group.' })
  overflow?: OverflowInput | null;
}

@ObjectType({ simpleResolvers: true, description: 'One group of a queue at one priority.' })
export class QueueGroupEntry {
  @Field(() => Int, { description: '1 (always receives calls) to 5.' })
  priority: number;

  @Field(() => AgentGroup, { description: 'The agent group.' })
  group: AgentGroup;

  @Field(() => Overflow, { nullable: true, description: 'When this group becomes eligible; null for priority 1.' })
  overflow: Overflow | null;
}

@InputType({ description: 'A queue. Settings left out keep their current value on update, or take their default on create.' })
export class QueueInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => [QueueGroupInput], { description: '1-5 groups in priority order.' })
  groups: QueueGroupInput[];

  @Field(() => Int, { nullable: true, description: 'Seconds an agent rings, 5-300 (default 15).' })
  agentRingTimeoutSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds before an agent who missed a call is offered one again, 0-3600 (default 5).' })
  agentRetrySec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Wrap-up seconds after an agent call, 0-3600 (default 0).' })
  wrapUpSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Most calls waiting, 0 (no limit) to 100000 (default 0).' })
  maxQueueLength?: number | null;

  @Field(() => Int, { nullable: true, description: 'Most seconds waiting, 0 (no limit) to 86400 (default 0).' })
  maxWaitSec?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether calls external destinations hand back (returnCall) may go to external destinations again (default false: agents only).' })
  returnedCallsToExternal?: boolean | null;
}

@ObjectType('AgentLive', { simpleResolvers: true, description: 'A regular agent\'s live state, as the agentUpdates subscription streams it. Never mixed with destinations.' })
export class AgentLiveView {
  @Field(() => ID, { description: 'The agent.' })
  agentId: string;

  @Field(() => Int, { description: 'Increases by one per change of this agent; a gap means an update was missed.' })
  seq: number;

  @Field(() => AGENT_STATUSES, { description: 'Whether the agent takes calls.' })
  status: AgentStatus;

  @Field(() => AGENT_ACTIVITIES, { description: 'What the agent is doing with calls.' })
  activity: AgentActivity;

  @Field(() => Date, { nullable: true, description: 'When the wrap-up ends (UTC), while the agent is in a wrap-up that has an end; null otherwise.' })
  wrapUpUntil: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the agent, idle, may be offered a call again after a missed one (UTC), while that wait lasts; null otherwise.' })
  retryWaitUntil: Date | null;

  @Field({ description: 'When this state was read (UTC).' })
  at: Date;
}

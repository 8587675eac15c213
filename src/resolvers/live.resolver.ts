import { Arg, Authorized, Field, ID, Int, ObjectType, Resolver, Root, Subscription } from 'type-graphql';
import type { DestinationLive } from '../services/external-destination.service';
import type { AgentLiveUpdate, QueueLive } from '../services/live-updates.service';
import { currentUser, type GatewayContext } from './context';
import { AgentLiveView } from './types/agent.types';
import { ExternalDestinationLiveView } from './types/external-destination.types';

@ObjectType('QueueAgentCounts', { simpleResolvers: true, description: 'A queue\'s regular agents by what they can do now; an agent in several of its groups counts once.' })
export class QueueAgentCountsView {
  @Field(() => Int, { description: 'Can be offered a call now.' })
  free: number;

  @Field(() => Int, { description: 'Available, finishing their last call (wrap-up).' })
  wrapUp: number;

  @Field(() => Int, { description: 'Available and idle, held back after a missed call until their retry wait ends.' })
  retryWait: number;

  @Field(() => Int, { description: 'Reserved for a call, ringing, or on a call.' })
  busy: number;

  @Field(() => Int, { description: 'On break.' })
  onBreak: number;

  @Field(() => Int, { description: 'Logged out.' })
  loggedOut: number;
}

@ObjectType('QueueLive', { simpleResolvers: true, description: 'A queue\'s live state, as the queueUpdates subscription streams it.' })
export class QueueLiveView {
  @Field(() => ID, { description: 'The queue.' })
  queueId: string;

  @Field(() => Int, { description: 'Increases by one per published change of this queue; a gap means an update was missed (re-read with a query).' })
  seq: number;

  @Field(() => Int, { description: 'Calls waiting or ringing in the queue.' })
  waitingCalls: number;

  @Field(() => Int, { description: 'Seconds the oldest of them has waited; 0 when none waits.' })
  oldestWaitSec: number;

  @Field(() => Int, { description: 'Regular agents of the queue\'s groups that can be offered a call now: available, idle, and neither in wrap-up nor waiting after a missed call (agents.free; never destinations).' })
  availableAgents: number;

  @Field(() => QueueAgentCountsView, { description: 'The queue\'s agents by what they can do now, each counted once, by the rule routing follows.' })
  agents: QueueAgentCountsView;

  @Field({ description: 'When this state was read (UTC).' })
  at: Date;
}

const ids = { nullable: true, description: 'Only these, each listed once (each must exist and be visible: otherwise NOT_FOUND at subscribe time); all you may see when left out.' };

/**
 * Live updates for dashboards (users only). Each event is routed by topic and authorised for the
 * subscriber at delivery, against its socket's current principal: a privilege or profile change applies to
 * the next event, and a stream of what is no longer visible ends with an error (see ws-server).
 */
@Resolver()
export class LiveResolver {
  @Authorized('externalDestinations:VIEW')
  @Subscription(() => ExternalDestinationLiveView, {
    description: 'Live state of the external destinations you may see, on every change (slots, back-off, suspension, configuration). Agent state never appears here.',
    subscribe: ({ args, context }) => (context as GatewayContext).services.liveUpdates.destinationUpdates(() => currentUser(context as GatewayContext), (args as { ids?: string[] | null }).ids ?? null),
  })
  externalDestinationUpdates(@Root() update: DestinationLive, @Arg('ids', () => [ID], ids) _ids?: string[] | null): ExternalDestinationLiveView {
    return update;
  }

  @Authorized('queues:VIEW')
  @Subscription(() => QueueLiveView, {
    description: 'Live state of queues: waiting calls, oldest wait, available agents.',
    subscribe: ({ args, context }) => (context as GatewayContext).services.liveUpdates.queueUpdates(() => currentUser(context as GatewayContext), (args as { ids?: string[] | null }).ids ?? null),
  })
  queueUpdates(@Root() update: QueueLive, @Arg('ids', () => [ID], ids) _ids?: string[] | null): QueueLiveView {
    return update;
  }

  @Authorized('agents:VIEW')
  @Subscription(() => AgentLiveView, {
    description: 'Live status and activity of regular agents. Destinations never appear here.',
    subscribe: ({ args, context }) => (context as GatewayContext).services.liveUpdates.agentUpdates(() => currentUser(context as GatewayContext), (args as { ids?: string[] | null }).ids ?? null),
  })
  agentUpdates(@Root() update: AgentLiveUpdate, @Arg('ids', () => [ID], ids) _ids?: string[] | null): AgentLiveView {
    return update;
  }
}

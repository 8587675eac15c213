import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { CapacityPool } from '../../entities/capacity-pool.entity';
import { Connection } from './connection';

@ObjectType({ simpleResolvers: true, description: 'A page of capacity pools.' })
export class CapacityPoolConnection extends Connection(CapacityPool) {}

@InputType({ description: 'A capacity pool: a maximum of simultaneous calls shared by its external destinations.' })
export class CapacityPoolInput {
  @Field({ description: '1-100 readable characters, unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => Int, { description: 'Most calls connecting or connected at once over all its destinations, 1-10000.' })
  maxSimultaneousCalls: number;

  @Field(() => [ID], { description: 'Its destinations you may see (at most 100); each belongs to at most one pool (CONFLICT for one in another pool). Members you may not see are kept as they are.' })
  externalDestinationIds: string[];
}

@ObjectType('CapacityPoolLive', { simpleResolvers: true, description: 'A capacity pool\'s live state: the slots its destinations hold, across every gateway instance; the capacityPoolUpdates subscription streams this shape.' })
export class CapacityPoolLiveView {
  @Field(() => ID, { description: 'The pool.' })
  poolId: string;

  @Field(() => Int, { description: 'Increases by one per published change of the pool\'s live state; a gap means a missed update: re-read it with a query.' })
  seq: number;

  @Field(() => Int, { description: 'Calls ringing at its destinations now.' })
  connectingCalls: number;

  @Field(() => Int, { description: 'Calls answered by its destinations and still connected.' })
  activeCalls: number;

  @Field(() => Int, { description: 'Its maximum (0 in the update of a deleted pool).' })
  maxSimultaneousCalls: number;

  @Field({ description: 'True in the last update of a pool that was deleted (drop it); false otherwise.' })
  deleted: boolean;

  @Field({ description: 'When this state was read (UTC).' })
  at: Date;
}

@ObjectType({ simpleResolvers: true, description: 'Statistics of a capacity pool over a range, from its records.' })
export class CapacityPoolStats {
  @Field(() => Int, { description: 'Offers to its destinations that took a slot of it (attempts started in the range).' })
  offered: number;

  @Field(() => Int, { description: 'Of those, the answered ones.' })
  answered: number;

  @Field(() => Int, { description: 'Distinct calls refused because the pool was at its maximum while the destination had a slot (passed over by queue routing, or LimitReached at a flow node).' })
  refused: number;

  @Field(() => Int, { description: 'The most offers holding a slot of it at the same time within the range.' })
  peakSimultaneousCalls: number;
}

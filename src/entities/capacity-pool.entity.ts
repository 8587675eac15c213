import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Unique } from 'typeorm';
import { CompanyOwned } from './base';

/** Ranges of a pool's settings; validation and the schema read them here. */
export const POOL_LIMITS = { maxSimultaneousCalls: { min: 1, max: 10_000 }, destinations: { max: 100 } } as const;

/**
 * A capacity pool (decision 038): a maximum of simultaneous calls shared by its external destinations (an AI
 * vendor's limit per organisation over several numbers). A destination belongs to at most one pool
 * (`ExternalDestination.capacityPoolId`); a call to it needs a slot of the destination and one of the pool,
 * taken together, atomically across instances.
 */
@ObjectType({ simpleResolvers: true, description: 'A maximum of simultaneous calls shared by several external destinations (a vendor\'s limit across its numbers). A call to a member needs a free slot of the member and of the pool.' })
@Entity('capacity_pool')
@Unique('uq_capacity_pool_company_name', ['companyId', 'name'])
export class CapacityPool extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => Int, { description: 'Most calls connecting or connected at once over all its destinations, across every gateway instance (1-10000).' })
  @Column({ type: 'integer' })
  maxSimultaneousCalls: number;
}

import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, JoinTable, ManyToMany, Unique } from 'typeorm';
import { Agent } from './agent.entity';
import { CompanyOwned } from './base';
import { ExternalDestination } from './external-destination.entity';
import { EXTERNAL_DISTRIBUTIONS, type ExternalDistribution } from '../routing/distribution';

registerEnumType(EXTERNAL_DISTRIBUTIONS, {
  name: 'ExternalDistribution',
  description: 'How a group spreads the calls it gives to external destinations over them.',
  valuesConfig: {
    MOST_SPARE: { description: 'The destination with the most spare capacity (unlimited first); the default.' },
    PRIORITY_ORDER: { description: 'The first destination, in the group\'s order, that can take the call.' },
    ROUND_ROBIN: { description: 'The next destination, in the group\'s order, after the one the group offered its last call to.' },
    WEIGHTED_SHARE: {
      description: 'The destination furthest below its target share (`externalDestinationShares`) of the group\'s last `shareWindow` offers: counted, not random.',
    },
  },
});

@ObjectType({ simpleResolvers: true, description: 'A set of regular agents and external destinations that queues send calls to.' })
@Entity('agent_group')
@Unique('uq_agent_group_company_name', ['companyId', 'name'])
export class AgentGroup extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @ManyToMany(() => Agent)
  @JoinTable({ name: 'agent_group_agent', joinColumn: { name: 'groupId' }, inverseJoinColumn: { name: 'agentId' } })
  agents: Agent[];

  /** A destination in a group cannot be deleted (the delete answers CONFLICT naming the groups). */
  @ManyToMany(() => ExternalDestination)
  @JoinTable({
    name: 'agent_group_destination',
    joinColumn: { name: 'groupId' },
    inverseJoinColumn: { name: 'destinationId' },
  })
  externalDestinations: ExternalDestination[];

  @Field(() => EXTERNAL_DISTRIBUTIONS, { description: 'How the group spreads its calls over its external destinations.' })
  @Column({ type: 'varchar', length: 20, default: 'MOST_SPARE' })
  externalDistribution: ExternalDistribution;

  /** The group's order of its destinations (PRIORITY_ORDER, ROUND_ROBIN); members missing from it come after, by id. */
  @Column({ type: 'simple-json', default: '[]' })
  destinationOrder: string[];

  /** WEIGHTED_SHARE targets, in percent, by destination id (they add up to 100 over the members). */
  @Column({ type: 'simple-json', default: '{}' })
  destinationShares: Record<string, number>;

  @Field(() => Int, { description: 'WEIGHTED_SHARE: over how many of the group\'s most recent offers the shares are counted (10-10000).' })
  @Column({ type: 'int', default: 100 })
  shareWindow: number;
}

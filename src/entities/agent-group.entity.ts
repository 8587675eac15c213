import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, JoinTable, ManyToMany, Unique } from 'typeorm';
import { Agent } from './agent.entity';
import { CompanyOwned } from './base';
import { ExternalDestination } from './external-destination.entity';

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
}

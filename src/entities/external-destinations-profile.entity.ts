import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, JoinTable, ManyToMany, Unique } from 'typeorm';
import { CompanyOwned } from './base';
import { ProfileScope } from './enums';
import { ExternalDestination } from './external-destination.entity';

@ObjectType({
  simpleResolvers: true,
  description:
    'Which of the company\'s external destinations a user login may see: all of them, or only the selected ones. Assigned by company administrators.',
})
@Entity('external_destinations_profile')
@Unique('uq_profile_company_name', ['companyId', 'name'])
export class ExternalDestinationsProfile extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => ProfileScope, { description: 'ALL destinations of the company, or only SELECTED ones.' })
  @Column({ type: 'varchar', length: 10 })
  scope: ProfileScope;

  /** For SELECTED: the destinations listed. Deleting a destination removes it from every profile. */
  @ManyToMany(() => ExternalDestination)
  @JoinTable({
    name: 'profile_destination',
    joinColumn: { name: 'profileId' },
    inverseJoinColumn: { name: 'destinationId' },
  })
  destinations: ExternalDestination[];
}

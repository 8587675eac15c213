import { Field, ID, ObjectType } from 'type-graphql';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

@ObjectType({ simpleResolvers: true, description: 'A tenant. Every other object belongs to exactly one company.' })
@Entity('company')
export class Company {
  @Field(() => ID, { description: 'Opaque identifier.' })
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field({ description: 'Display name, 1-100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field({ description: 'Short unique key used to sign in (lowercase letters, digits and dashes).' })
  @Column({ type: 'varchar', length: 50, unique: true })
  slug: string;

  @Field({ description: 'IANA time zone used for schedules and statistics intervals, e.g. Europe/London.' })
  @Column({ type: 'varchar', length: 64 })
  timeZone: string;

  @Field({ description: 'When the company was provisioned (UTC).' })
  @CreateDateColumn()
  createdAt: Date;

  /**
   * The company's authority version: moved by every committed change of what decides who may do and see
   * what (users, roles, profiles, connector keys) and of the configuration reads are served from
   * (destinations, groups, queues, agents). Instances compare it with the version of what they hold in
   * memory and drop what they hold when it moved (docs/decisions/011-authority-as-live-state.md).
   */
  @Column({ type: 'integer', default: 0 })
  authorityVersion: number;
}

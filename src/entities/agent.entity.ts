import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, JoinColumn, OneToOne } from 'typeorm';
import { CompanyOwned } from './base';
import { UserLogin } from './user-login.entity';

@ObjectType({ simpleResolvers: true, description: 'A regular (human) agent: takes one call at a time. Counted apart from external destinations.' })
@Entity('agent')
export class Agent extends CompanyOwned {
  @Field({ description: 'Display name, 1-100 characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ type: 'uuid', nullable: true })
  userLoginId: string | null;

  @OneToOne(() => UserLogin, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'userLoginId' })
  userLogin: UserLogin | null;
}

import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, Unique } from 'typeorm';
import { CompanyOwned } from './base';
import { UserKind } from './enums';
import { ExternalDestinationsProfile } from './external-destinations-profile.entity';
import { Role } from './role.entity';

@ObjectType({ simpleResolvers: true, description: 'A person who signs in to the company: administrator, supervisor or agent.' })
@Entity('user_login')
@Unique('uq_user_login_company_username', ['companyId', 'username'])
export class UserLogin extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  username: string;

  /** scrypt hash with its parameters and salt; never leaves the service layer. */
  @Column({ type: 'varchar', length: 200 })
  passwordHash: string;

  @Field(() => UserKind, { description: 'Administrator, supervisor or agent.' })
  @Column({ type: 'varchar', length: 20 })
  kind: UserKind;

  @Field({ description: 'An inactive login cannot sign in, and its tokens stop working at once.' })
  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Bumped when the password changes or the login is deactivated; tokens carry it, so older ones stop working. */
  @Column({ type: 'integer', default: 0 })
  tokenVersion: number;

  @Column({ type: 'uuid', nullable: true })
  externalDestinationsProfileId: string | null;

  @ManyToOne(() => ExternalDestinationsProfile, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'externalDestinationsProfileId' })
  externalDestinationsProfile: ExternalDestinationsProfile | null;

  @ManyToMany(() => Role)
  @JoinTable({ name: 'user_login_role', joinColumn: { name: 'userLoginId' }, inverseJoinColumn: { name: 'roleId' } })
  roles: Role[];
}

import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Unique } from 'typeorm';
import { CompanyOwned } from './base';
import { PrivilegeLevel } from './enums';

const level = () => PrivilegeLevel;
const col = { type: 'varchar', length: 8, default: PrivilegeLevel.NONE } as const;

@ObjectType({ simpleResolvers: true, description: 'Privilege level per area. A user\'s effective level is the highest among its roles.' })
export class Privileges {
  @Field(level, { description: 'External destinations: see (with a profile) or define them.' })
  @Column(col)
  externalDestinations: PrivilegeLevel;

  @Field(level, { description: 'Queues.' })
  @Column(col)
  queues: PrivilegeLevel;

  @Field(level, { description: 'Agent groups.' })
  @Column(col)
  agentGroups: PrivilegeLevel;

  @Field(level, { description: 'Agents.' })
  @Column(col)
  agents: PrivilegeLevel;

  @Field(level, { description: 'Call flows.' })
  @Column(col)
  callFlows: PrivilegeLevel;

  @Field(level, { description: 'Time ranges and holiday lists.' })
  @Column(col)
  schedules: PrivilegeLevel;

  @Field(level, { description: 'Statistics.' })
  @Column(col)
  statistics: PrivilegeLevel;

  @Field(level, { description: 'User logins and roles (read access; changes are for company administrators).' })
  @Column(col)
  users: PrivilegeLevel;

  @Field(level, { description: 'The audit log: VIEW reads the company\'s audit log (`auditLog`); MODIFY grants nothing more, the log cannot be changed.' })
  @Column(col)
  auditLog: PrivilegeLevel;
}

@ObjectType({ simpleResolvers: true, description: 'A named set of privileges within a company, assigned to user logins.' })
@Entity('role')
@Unique('uq_role_company_name', ['companyId', 'name'])
export class Role extends CompanyOwned {
  @Field({ description: 'Unique within the company ignoring letter case and Unicode variants, 1-100 readable characters.' })
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => Privileges, { description: 'Level granted in each area.' })
  @Column(() => Privileges, { prefix: 'priv' })
  privileges: Privileges;
}

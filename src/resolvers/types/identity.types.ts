import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { Company } from '../../entities/company.entity';
import { ConnectorApiKey } from '../../entities/connector-api-key.entity';
import { PrivilegeLevel, ProfileScope, UserKind } from '../../entities/enums';
import { ExternalDestinationsProfile } from '../../entities/external-destinations-profile.entity';
import { Role } from '../../entities/role.entity';
import { UserLogin } from '../../entities/user-login.entity';
import { Connection } from './connection';

@ObjectType({ simpleResolvers: true, description: 'A page of roles.' })
export class RoleConnection extends Connection(Role) {}

@ObjectType({ simpleResolvers: true, description: 'A page of user logins.' })
export class UserLoginConnection extends Connection(UserLogin) {}

@ObjectType({ simpleResolvers: true, description: 'A page of External Destinations profiles.' })
export class ExternalDestinationsProfileConnection extends Connection(ExternalDestinationsProfile) {}

@ObjectType({ simpleResolvers: true, description: 'A page of connector API keys.' })
export class ConnectorApiKeyConnection extends Connection(ConnectorApiKey) {}

@InputType({ description: 'A new company and its first administrator (platform operator only).' })
export class CreateCompanyInput {
  @Field({ description: 'Display name, 1-100 characters.' })
  name: string;

  @Field({ description: 'Sign-in key: 1-50 lowercase letters, digits and dashes; unique.' })
  slug: string;

  @Field({ description: 'IANA time zone, e.g. Europe/London.' })
  timeZone: string;

  @Field({ description: 'Username of the first company administrator.' })
  adminUsername: string;

  @Field({ description: 'Password of the first company administrator, 8-200 characters.' })
  adminPassword: string;
}

@ObjectType({ simpleResolvers: true, description: 'A signed-in session.' })
export class AuthPayload {
  @Field({ description: 'Send as `Authorization: Bearer <token>`.' })
  token: string;

  @Field({ description: 'When the token stops working (UTC).' })
  expiresAt: Date;

  @Field(() => UserLogin, { description: 'Who signed in.' })
  user: UserLogin;
}

@InputType({ description: 'Privilege level per area; areas left out are NONE.' })
export class PrivilegesInput {
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in externalDestinations (default NONE).' }) externalDestinations?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in queues (default NONE).' }) queues?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in agentGroups (default NONE).' }) agentGroups?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in agents (default NONE).' }) agents?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in callFlows (default NONE).' }) callFlows?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in schedules (default NONE).' }) schedules?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in statistics (default NONE).' }) statistics?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in users (default NONE).' }) users?: PrivilegeLevel | null;
  @Field(() => PrivilegeLevel, { nullable: true, description: 'Level in auditLog (default NONE).' }) auditLog?: PrivilegeLevel | null;
}

@InputType({ description: 'A role.' })
export class RoleInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => PrivilegesInput, { nullable: true, description: 'Levels per area; left out: NONE everywhere.' })
  privileges?: PrivilegesInput | null;
}

@InputType({ description: 'A new user login.' })
export class CreateUserLoginInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  username: string;

  @Field({ description: '8-200 characters; stored only as a slow salted hash.' })
  password: string;

  @Field(() => UserKind, { description: 'Administrator, supervisor or agent.' })
  kind: UserKind;

  @Field(() => [ID], { nullable: true, description: 'Roles held (default none).' })
  roleIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'External Destinations profile (default none: no destination visible).' })
  externalDestinationsProfileId?: string | null;
}

@InputType({ description: 'Changes to a user login; fields left out stay as they are.' })
export class UpdateUserLoginInput {
  @Field(() => String, { nullable: true, description: 'A new password (8-200 characters); ends every token issued before.' })
  password?: string | null;

  @Field(() => UserKind, { nullable: true, description: 'A new kind.' })
  kind?: UserKind | null;

  @Field(() => [ID], { nullable: true, description: 'Replaces the roles held.' })
  roleIds?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'A new profile; null removes it (then no destination is visible).' })
  externalDestinationsProfileId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'false deactivates the login and ends its tokens.' })
  active?: boolean | null;
}

@InputType({ description: 'An External Destinations profile.' })
export class ExternalDestinationsProfileInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => ProfileScope, { description: 'ALL or SELECTED destinations.' })
  scope: ProfileScope;

  @Field(() => [ID], { nullable: true, description: 'SELECTED: the destinations shown. Must be empty for ALL.' })
  destinationIds?: string[] | null;
}

@ObjectType({ simpleResolvers: true, description: 'Who a connector is: the key it authenticated with (never its secret) and its company.' })
export class ConnectorSelf {
  @Field(() => ConnectorApiKey, { description: 'The key of this request.' })
  key: ConnectorApiKey;

  @Field(() => Company, { description: 'The company whose calls it carries.' })
  company: Company;
}

@ObjectType({ simpleResolvers: true, description: 'A new connector API key. `apiKey` is shown only here, once.' })
export class ConnectorApiKeyCreated {
  @Field({ description: 'The full key: send as `Authorization: Bearer <apiKey>`. Not retrievable later.' })
  apiKey: string;

  @Field(() => ConnectorApiKey, { description: 'The key\'s public record.' })
  key: ConnectorApiKey;
}

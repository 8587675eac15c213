import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { effectivePrivileges } from '../auth/principal';
import { errors } from '../errors';
import { Company } from '../entities/company.entity';
import { ConnectorApiKey } from '../entities/connector-api-key.entity';
import { ExternalDestinationsProfile } from '../entities/external-destinations-profile.entity';
import { Privileges, Role } from '../entities/role.entity';
import { UserLogin } from '../entities/user-login.entity';
import { actor, companyModel, platformActor, type GatewayContext } from './context';
import { destinationRefs } from './destination-refs';
import { PageArgsInput } from './types/connection';
import { ExternalDestinationRef } from './types/external-destination.types';
import {
  AuthPayload, ConnectorApiKeyConnection, ConnectorApiKeyCreated, ConnectorSelf, CreateCompanyInput, CreateUserLoginInput,
  ExternalDestinationsProfileConnection, ExternalDestinationsProfileInput, RoleConnection, RoleInput, UpdateUserLoginInput,
  UserLoginConnection,
} from './types/identity.types';

/** Tenancy and people: companies, sign-in, roles, user logins, profiles, connector keys. */
@Resolver()
export class IdentityResolver {
  @Authorized('PLATFORM')
  @Mutation(() => Company, { description: 'Provisions a company with its first administrator (platform operator only).' })
  createCompany(@Ctx() ctx: GatewayContext, @Arg('input') input: CreateCompanyInput): Promise<Company> {
    return ctx.services.companies.create(input, platformActor(ctx));
  }

  @Mutation(() => AuthPayload, {
    description: 'Signs in; UNAUTHENTICATED with one message for every wrong company, user or password. The answer is resolved as the signed-in user. Failed sign-ins are throttled per company+username and per client address: past a few, TOO_MANY_REQUESTS (HTTP 429) with `extensions.retryAfterSec`, even for the right password, until the block ends; blocks grow with each further failure and a success starts again from zero.',
  })
  async login(
    @Ctx() ctx: GatewayContext,
    @Arg('companySlug') companySlug: string,
    @Arg('username') username: string,
    @Arg('password') password: string,
  ): Promise<AuthPayload> {
    const session = await ctx.services.sessions.login(companySlug, username, password, ctx.clientAddress, ctx.requestId);
    // Whatever the caller sent as a credential, the payload's nested fields are the new user's to see.
    ctx.principal = session.principal;
    return session;
  }

  @Authorized('USER')
  @Query(() => UserLogin, { description: 'The signed-in user.' })
  me(@Ctx() ctx: GatewayContext): Promise<UserLogin> {
    const user = actor(ctx);
    return ctx.services.userLogins.get(user, user.userId);
  }

  @Authorized('CONNECTOR')
  @Query(() => ConnectorSelf, { description: 'Connector only: the key this request authenticated with (never its secret) and its company, to check a deployment\'s key and company at start.' })
  connectorSelf(@Ctx() ctx: GatewayContext): Promise<ConnectorSelf> {
    if (ctx.principal?.kind !== 'connector') throw errors.forbidden();
    return ctx.services.connectorKeys.self(ctx.principal);
  }

  @Authorized('ADMIN', 'users:VIEW')
  @Query(() => RoleConnection, { description: 'The company\'s roles, by name (administrators, or `users` VIEW).' })
  roles(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<RoleConnection> {
    return ctx.services.roles.list(actor(ctx), page);
  }

  @Authorized('ADMIN', 'users:VIEW')
  @Query(() => Role, { nullable: true, description: 'One role; NOT_FOUND when missing.' })
  role(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<Role> {
    return ctx.services.roles.get(actor(ctx), id);
  }

  @Authorized('ADMIN')
  @Mutation(() => Role, { description: 'Creates a role (company administrators).' })
  createRole(@Ctx() ctx: GatewayContext, @Arg('input') input: RoleInput): Promise<Role> {
    return ctx.services.roles.create(actor(ctx), input);
  }

  @Authorized('ADMIN')
  @Mutation(() => Role, { description: 'Changes a role; takes effect on the holders\' next request and on their running subscriptions (a stream they may no longer read ends with an error).' })
  updateRole(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: RoleInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Role> {
    return ctx.services.roles.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('ADMIN')
  @Mutation(() => ID, { description: 'Deletes a role; CONFLICT (naming them) while user logins hold it.' })
  deleteRole(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.roles.delete(actor(ctx), id);
  }

  @Authorized('ADMIN', 'users:VIEW')
  @Query(() => UserLoginConnection, { description: 'The company\'s user logins, by username.' })
  userLogins(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<UserLoginConnection> {
    return ctx.services.userLogins.list(actor(ctx), page);
  }

  @Authorized('ADMIN', 'users:VIEW')
  @Query(() => UserLogin, { nullable: true, description: 'One user login; NOT_FOUND when missing.' })
  userLogin(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<UserLogin> {
    return ctx.services.userLogins.get(actor(ctx), id);
  }

  @Authorized('ADMIN')
  @Mutation(() => UserLogin, { description: 'Creates a user login (company administrators).' })
  createUserLogin(@Ctx() ctx: GatewayContext, @Arg('input') input: CreateUserLoginInput): Promise<UserLogin> {
    return ctx.services.userLogins.create(actor(ctx), input);
  }

  @Authorized('ADMIN')
  @Mutation(() => UserLogin, { description: 'Changes a user login; the company always keeps one active administrator (else CONFLICT). A new password or a deactivation ends its tokens and closes its open sockets (4403) on every instance; other changes apply to its next request and to its running subscriptions.' })
  updateUserLogin(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateUserLoginInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<UserLogin> {
    return ctx.services.userLogins.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('ADMIN')
  @Mutation(() => ID, {
    description: 'Deletes a user login and returns its id: its tokens stop working at once and its open sockets are closed (4403); an agent it signed in as stays, without a login. CONFLICT when it is the company\'s last active administrator.',
  })
  deleteUserLogin(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.userLogins.delete(actor(ctx), id);
  }

  @Authorized('ADMIN')
  @Mutation(() => UserLogin, { description: 'Assigns an External Destinations profile to a login; null removes it.' })
  assignExternalDestinationsProfile(
    @Ctx() ctx: GatewayContext,
    @Arg('userLoginId', () => ID) userLoginId: string,
    @Arg('profileId', () => ID, { nullable: true }) profileId: string | null,
  ): Promise<UserLogin> {
    return ctx.services.userLogins.assignProfile(actor(ctx), userLoginId, profileId ?? null);
  }

  @Authorized('ADMIN')
  @Query(() => ExternalDestinationsProfileConnection, { description: 'The company\'s External Destinations profiles (administrators).' })
  externalDestinationsProfiles(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<ExternalDestinationsProfileConnection> {
    return ctx.services.profiles.list(actor(ctx), page);
  }

  @Authorized('ADMIN')
  @Query(() => ExternalDestinationsProfile, { nullable: true, description: 'One profile; NOT_FOUND when missing.' })
  externalDestinationsProfile(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<ExternalDestinationsProfile> {
    return ctx.services.profiles.get(actor(ctx), id);
  }

  @Authorized('ADMIN')
  @Mutation(() => ExternalDestinationsProfile, { description: 'Creates an External Destinations profile (administrators).' })
  createExternalDestinationsProfile(@Ctx() ctx: GatewayContext, @Arg('input') input: ExternalDestinationsProfileInput): Promise<ExternalDestinationsProfile> {
    return ctx.services.profiles.create(actor(ctx), input);
  }

  @Authorized('ADMIN')
  @Mutation(() => ExternalDestinationsProfile, { description: 'Changes a profile; takes effect on its users\' next request and on their running subscriptions (a stream of a destination no longer visible ends with NOT_FOUND).' })
  updateExternalDestinationsProfile(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ExternalDestinationsProfileInput,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<ExternalDestinationsProfile> {
    return ctx.services.profiles.update(actor(ctx), id, input, expectedVersion);
  }

  @Authorized('ADMIN')
  @Mutation(() => ID, { description: 'Deletes a profile; CONFLICT (naming them) while user logins hold it.' })
  deleteExternalDestinationsProfile(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<string> {
    return ctx.services.profiles.delete(actor(ctx), id);
  }

  @Authorized('ADMIN')
  @Query(() => ConnectorApiKeyConnection, { description: 'The company\'s connector API keys (never their secrets).' })
  connectorApiKeys(@Ctx() ctx: GatewayContext, @Args() page: PageArgsInput): Promise<ConnectorApiKeyConnection> {
    return ctx.services.connectorKeys.list(actor(ctx), page);
  }

  @Authorized('ADMIN')
  @Mutation(() => ConnectorApiKeyCreated, { description: 'Creates a connector API key; the secret is in this answer only.' })
  createConnectorApiKey(@Ctx() ctx: GatewayContext, @Arg('name') name: string): Promise<ConnectorApiKeyCreated> {
    return ctx.services.connectorKeys.create(actor(ctx), name);
  }

  @Authorized('ADMIN')
  @Mutation(() => ConnectorApiKey, { description: 'Revokes a connector API key at once.' })
  revokeConnectorApiKey(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<ConnectorApiKey> {
    return ctx.services.connectorKeys.revoke(actor(ctx), id);
  }
}

@Resolver(() => UserLogin)
export class UserLoginFieldsResolver {
  @FieldResolver(() => [Role], { description: 'Roles held, by name.' })
  async roles(@Root() user: UserLogin, @Ctx() ctx: GatewayContext): Promise<Role[]> {
    return (await companyModel(ctx)).rolesOfUser(user.id);
  }

  @FieldResolver(() => Privileges, { description: 'The effective level per area: the highest among the roles (agents never above VIEW).' })
  async effectivePrivileges(@Root() user: UserLogin, @Ctx() ctx: GatewayContext): Promise<Privileges> {
    return effectivePrivileges(user.kind, (await companyModel(ctx)).rolesOfUser(user.id)) as Privileges;
  }

  @FieldResolver(() => ExternalDestinationsProfile, { nullable: true, description: 'The assigned External Destinations profile; null: no destination visible.' })
  async externalDestinationsProfile(@Root() user: UserLogin, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationsProfile | null> {
    return user.externalDestinationsProfileId ? ((await companyModel(ctx)).profiles.get(user.externalDestinationsProfileId)?.row ?? null) : null;
  }

  @FieldResolver(() => Company, { description: 'The company of the login.' })
  company(@Root() user: UserLogin, @Ctx() ctx: GatewayContext): Promise<Company> {
    return ctx.services.companies.get(user.companyId);
  }
}

@Resolver(() => ExternalDestinationsProfile)
export class ProfileFieldsResolver {
  @FieldResolver(() => [ExternalDestinationRef], {
    description: 'SELECTED: the destinations shown (as the caller may see them); empty for ALL.',
  })
  async destinations(@Root() profile: ExternalDestinationsProfile, @Ctx() ctx: GatewayContext): Promise<ExternalDestinationRef[]> {
    return destinationRefs(ctx, (await companyModel(ctx)).destinationsOfProfile(profile.id));
  }
}

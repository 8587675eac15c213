import { Arg, Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { actor, type GatewayContext } from './context';
import { AuditEntryConnection, AuditLogFilter } from './types/audit.types';
import { PageArgsInput } from './types/connection';

/** The company's audit log (decision 031). */
@Resolver()
export class AuditLogResolver {
  @Authorized('auditLog:VIEW')
  @Query(() => AuditEntryConnection, {
    description: 'The company\'s audit log, newest first: every configuration change (who, when, what, before and after) and security event (sign-in failures, connector keys created or revoked, logins deactivated or reactivated, privileges and profiles changed, passwords changed). Needs `auditLog` VIEW (else FORBIDDEN); entries are kept AUDIT_RETENTION_DAYS days.',
  })
  auditLog(
    @Ctx() ctx: GatewayContext,
    @Args() page: PageArgsInput,
    @Arg('filter', () => AuditLogFilter, { nullable: true }) filter?: AuditLogFilter | null,
  ): Promise<AuditEntryConnection> {
    return ctx.services.auditLog.list(actor(ctx), filter ?? {}, page);
  }
}

import type { AuthChecker } from 'type-graphql';
import { authorize, userOf, type Requirement } from '../auth/authorize';
import type { PlatformPrincipal, Principal, UserPrincipal } from '../auth/principal';
import type { Services } from '../services';
import type { Loaders } from '../services/loaders';
import type { CompanyModel } from '../live/company-model';
import { errors } from '../errors';

/** What every resolver receives: who calls, the services, and this request's loaders. */
export interface GatewayContext {
  principal: Principal | null;
  services: Services;
  loaders: Loaders;
  requestId: string;
  /** The client's address (the TCP peer; `trust proxy` is off), for throttling and logs; null when unknown. */
  clientAddress: string | null;
}

/** type-graphql's hook into THE authorisation check (`@Authorized('queues:VIEW')` etc.). */
export const authChecker: AuthChecker<GatewayContext> = ({ context }, requirements) => {
  authorize(context.principal, requirements as Requirement[]);
  return true;
};

/** The acting principal of each context, with its request, and the principal it was made from. */
const acting = new WeakMap<GatewayContext, { of: Principal; as: Principal }>();

/**
 * The caller as services receive it: its principal with the request it acts in (`request`, which the audit log
 * records), made once per request and principal.
 */
function actingAs<P extends UserPrincipal | PlatformPrincipal>(ctx: GatewayContext, principal: P): P {
  const known = acting.get(ctx);
  if (known?.of === principal) return known.as as P;
  const as = { ...principal, request: { id: ctx.requestId, clientAddress: ctx.clientAddress } } as P;
  acting.set(ctx, { of: principal, as });
  return as;
}

/** The calling user of an operation that required one (with its request: see actingAs). */
export function actor(ctx: GatewayContext): UserPrincipal {
  return actingAs(ctx, userOf(ctx.principal));
}

/** The platform operator of an operation that required it (with its request: see actingAs). */
export function platformActor(ctx: GatewayContext): PlatformPrincipal {
  if (ctx.principal?.kind !== 'platform') throw errors.forbidden();
  return actingAs(ctx, ctx.principal);
}

/** The calling user now, or null (a subscription's principal can change or go while it runs). */
export function currentUser(ctx: GatewayContext): UserPrincipal | null {
  const principal = ctx.principal;
  return principal?.kind === 'user' ? principal : null;
}

/** The caller's company as held in memory (current; waits for a change in progress). */
export function companyModel(ctx: GatewayContext): CompanyModel | Promise<CompanyModel> {
  const principal = ctx.principal;
  if (principal === null || principal.kind === 'platform') throw errors.forbidden();
  return ctx.services.models.peek(principal.companyId) ?? ctx.services.models.get(principal.companyId);
}

import type { AuthChecker } from 'type-graphql';
import { authorize, userOf, type Requirement } from '../auth/authorize';
import type { Principal, UserPrincipal } from '../auth/principal';
import type { Services } from '../services';
import type { Loaders } from '../services/loaders';

/** What every resolver receives: who calls, the services, and this request's loaders. */
export interface GatewayContext {
  principal: Principal | null;
  services: Services;
  loaders: Loaders;
  requestId: string;
}

/** type-graphql's hook into THE authorisation check (`@Authorized('queues:VIEW')` etc.). */
export const authChecker: AuthChecker<GatewayContext> = ({ context }, requirements) => {
  authorize(context.principal, requirements as Requirement[]);
  return true;
};

/** The calling user of an operation that required one. */
export function actor(ctx: GatewayContext): UserPrincipal {
  return userOf(ctx.principal);
}

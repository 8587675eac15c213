import { DestinationScope } from '../auth/destination-scope';
import type { ExternalDestination } from '../entities/external-destination.entity';
import { actor, type GatewayContext } from './context';
import type { ExternalDestinationRef } from './types/external-destination.types';

/** References to destinations as the caller may see them: hidden ones keep their place, not their details. */
export function destinationRefs(ctx: GatewayContext, destinations: ExternalDestination[]): ExternalDestinationRef[] {
  const scope = DestinationScope.of(actor(ctx));
  const refs = destinations.map((d) => (scope.canSee(d) ? { hidden: false, destination: d } : { hidden: true, destination: null }));
  // Visible ones first (by name, as loaded); hidden ones after, so their order reveals nothing.
  return [...refs.filter((r) => !r.hidden), ...refs.filter((r) => r.hidden)];
}

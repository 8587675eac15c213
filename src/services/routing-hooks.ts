/**
 * What configuration services tell the router: a resource became usable (an agent available, a destination
 * resumed), so waiting calls are routed at once instead of at the next sweep. Failing to route never fails
 * the change that triggered it.
 */
export interface RoutingHooks {
  resourcesFreed(companyId: string): Promise<void>;
}

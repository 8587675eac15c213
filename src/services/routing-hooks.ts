import type { AgentLive } from '../store/agent-state-store';

/**
 * What configuration services tell the router and the live updates: a resource became usable (an agent
 * available, a destination resumed), so waiting calls are routed at once instead of at the next sweep;
 * a resource's live state changed, so subscribers hear of it. Failing to route or to publish never fails
 * the change that triggered it.
 */
export interface RoutingHooks {
  /** The queues that can use these resources are routed (not every queue of the company). */
  resourcesFreed(companyId: string, resources: { agentIds?: readonly string[]; destinationIds?: readonly string[] }): Promise<void>;
  destinationChanged(companyId: string, destinationId: string): Promise<void>;
  /** A capacity pool's maximum or members changed: its live state is published. */
  poolChanged(companyId: string, poolId: string): Promise<void>;
  /** A destination's configuration changed: a health probe given to a destination held back now starts. */
  destinationConfigured(companyId: string, destinationId: string): Promise<void>;
  agentChanged(companyId: string, agentId: string, live: AgentLive): void;
}

import type { GroupDistribution } from './distribution';
import type { AgentActivity } from './state-machine';

/** Milliseconds since the epoch: the router never reads a clock, time arrives as `now`. */
export type Millis = number;

/** Whether a regular agent takes calls; the API's AgentStatus enum is built from this list. */
export const AGENT_STATUSES = { LOGGED_OUT: 'LOGGED_OUT', AVAILABLE: 'AVAILABLE', ON_BREAK: 'ON_BREAK' } as const;
export type AgentStatus = keyof typeof AGENT_STATUSES;

/** What the router needs to know of a regular agent at one instant. */
export interface AgentSnapshot {
  readonly id: string;
  readonly status: AgentStatus;
  readonly activity: AgentActivity;
  /** Since when the agent has been idle (for longest-idle-first). */
  readonly idleSince: Millis;
  /** While in WRAP_UP: when it ends. */
  readonly wrapUpUntil: Millis | null;
  /** After a missed call: not offered another before this (the queue's agentRetrySec). */
  readonly notBefore: Millis | null;
}

/** A destination's configuration and live state at one instant. */
export interface DestinationSnapshot {
  readonly id: string;
  readonly enabled: boolean;
  readonly suspended: boolean;
  /** null = unlimited */
  readonly maxSimultaneousCalls: number | null;
  readonly connectingCalls: number;
  readonly activeCalls: number;
  readonly backedOffUntil: Millis | null;
  readonly consecutiveFailures: number;
  readonly retryIntervalSec: number;
  /** Its capacity pool (decision 038): the pool's maximum and the slots its destinations hold now; absent when none. */
  readonly pool?: PoolSnapshot | null;
}

/** A capacity pool as routing sees it: its maximum and the slots held over all its destinations. */
export interface PoolSnapshot {
  readonly id: string;
  readonly max: number;
  readonly used: number;
}

export interface OverflowRule {
  readonly queueLengthAbove: number | null;
  readonly oldestWaitAboveSec: number | null;
  readonly noAgentsLoggedIn: boolean;
}

export interface QueueGroupSnapshot {
  readonly priority: number;
  readonly groupId: string;
  /** null for priority 1, which always receives calls */
  readonly overflow: OverflowRule | null;
  readonly agentIds: readonly string[];
  /** In the group's order (which PRIORITY_ORDER and ROUND_ROBIN follow). */
  readonly destinationIds: readonly string[];
  /** How the group spreads calls over its destinations (MOST_SPARE when left out). */
  readonly distribution?: GroupDistribution;
}

export interface QueueSnapshot {
  readonly id: string;
  /** In priority order, 1 first. */
  readonly groups: readonly QueueGroupSnapshot[];
  /** Calls waiting now (this one included). */
  readonly waitingCalls: number;
  /** When the oldest waiting call arrived; null when none waits. */
  readonly oldestWaitingSince: Millis | null;
  /** 0 = no limit */
  readonly maxQueueLength: number;
  /** 0 = no limit */
  readonly maxWaitSec: number;
}

/** A waiting call, as far as routing is concerned. */
export interface WaitingCall {
  readonly id: string;
  readonly enqueuedAt: Millis;
  /** Priorities that became eligible for this call earlier: once eligible, a group stays eligible. */
  readonly eligiblePriorities: readonly number[];
  /** When this call's last unanswered offer to each destination ended (for the destination's retryIntervalSec). */
  readonly lastOfferEndedAt: Readonly<Record<string, Millis>>;
  /** An external destination handed the call back and its queue keeps such calls for regular agents (returnedCallsToExternal false). */
  readonly agentsOnly?: boolean;
}

/** What a routing decision looks at; the API's RoutingResourceKind enum is built from this list. */
export const RESOURCE_KINDS = { GROUP: 'GROUP', AGENT: 'AGENT', DESTINATION: 'DESTINATION' } as const;
export type ResourceKind = keyof typeof RESOURCE_KINDS;

export type SkipReason =
  | 'GROUP_NOT_ELIGIBLE'
  | 'AGENT_LOGGED_OUT'
  | 'AGENT_ON_BREAK'
  | 'AGENT_BUSY'
  | 'AGENT_WRAP_UP'
  | 'AGENT_RETRY_WAIT'
  | 'DESTINATION_DISABLED'
  | 'DESTINATION_SUSPENDED'
  | 'DESTINATION_BACKED_OFF'
  | 'DESTINATION_AT_CAPACITY'
  | 'DESTINATION_RETRY_WAIT'
  | 'AGENT_AVAILABLE_FIRST'
  | 'LESS_SPARE_CAPACITY'
  /** The group's distribution (priority order, round robin, weighted share) gave the call to another of its destinations. */
  | 'DISTRIBUTION'
  /** The destination has a slot, but its capacity pool is at its maximum. */
  | 'POOL_AT_CAPACITY'
  /** An external destination handed the call back, and the queue offers such calls to regular agents only. */
  | 'RETURNED_TO_AGENTS'
  | 'LONGER_IDLE_AGENT_FIRST';

/** Why a regular agent cannot be offered a call now (the agent subset of SkipReason). */
export type AgentBlockReason = Extract<SkipReason, 'AGENT_LOGGED_OUT' | 'AGENT_ON_BREAK' | 'AGENT_BUSY' | 'AGENT_WRAP_UP' | 'AGENT_RETRY_WAIT'>;

/** One resource passed over, and why, in words a supervisor understands (`detail`). */
export interface Skip {
  readonly kind: ResourceKind;
  readonly resourceId: string;
  readonly reason: SkipReason;
  readonly detail: string;
}

export interface Choice {
  readonly kind: 'AGENT' | 'DESTINATION';
  readonly id: string;
  /** The priority of the group it was chosen from. */
  readonly priority: number;
  readonly detail: string;
}

/** The explained result of one routing step: the raw material of a call's trace. */
export interface RoutingDecision {
  readonly at: Millis;
  readonly step: string;
  readonly eligiblePriorities: readonly number[];
  /** Ids looked at: every agent of the eligible groups on a scan; with an agent index only the agents the trace names and the chosen one. */
  readonly considered: readonly string[];
  readonly skipped: readonly Skip[];
  readonly chosen: Choice | null;
  readonly summary: string;
}

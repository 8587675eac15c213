/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** IDLE: free; RESERVED: chosen for a call; RINGING: being offered it; ON_CALL: talking; WRAP_UP: finishing after a call. */
export type AgentActivity =
  | 'IDLE'
  | 'ON_CALL'
  | 'RESERVED'
  | 'RINGING'
  | 'WRAP_UP';

/** LOGGED_OUT: takes no calls; AVAILABLE: may be offered calls; ON_BREAK: logged in, takes no calls. */
export type AgentStatus =
  | 'AVAILABLE'
  | 'LOGGED_OUT'
  | 'ON_BREAK';

/** What an alert is about. */
export type AlertKind =
  /** A destination backed off destinationBackoffs times or more within destinationBackoffWindowMin minutes. */
  | 'DESTINATION_BACKOFFS'
  /** A queue's oldest waiting call waited longer than queueOldestWaitSec. */
  | 'QUEUE_OLDEST_WAIT'
  /** A queue's service level today (answered within 20 s) fell below queueServiceLevelBelow. */
  | 'QUEUE_SERVICE_LEVEL';

/** AVAILABLE: may take a call; AT_CAPACITY: connecting + active calls reached maxSimultaneousCalls; BACKED_OFF: no calls until backedOffUntil; SUSPENDED: too many consecutive failures, until someone resumes it; DISABLED: switched off in its configuration. */
export type DestinationState =
  | 'AT_CAPACITY'
  | 'AVAILABLE'
  | 'BACKED_OFF'
  | 'DISABLED'
  | 'SUSPENDED';

/** How a group spreads the calls it gives to external destinations over them. */
export type ExternalDistribution =
  /** The destination with the most spare capacity (unlimited first); the default. */
  | 'MOST_SPARE'
  /** The first destination, in the group's order, that can take the call. */
  | 'PRIORITY_ORDER'
  /** The next destination, in the group's order, after the one the group offered its last call to. */
  | 'ROUND_ROBIN'
  /** The destination furthest below its target share (`externalDestinationShares`) of the group's last `shareWindow` offers: counted, not random. */
  | 'WEIGHTED_SHARE';

/** Access in one area: NONE (nothing), VIEW (read), MODIFY (read and change). */
export type PrivilegeLevel =
  | 'MODIFY'
  | 'NONE'
  | 'VIEW';

/** How a health probe ended: SUCCEEDED (the far end answered), FAILED (busy, refused, no route...), TIMED_OUT (no outcome within its timeout; the gateway reports it itself). */
export type ProbeOutcome =
  | 'FAILED'
  | 'SUCCEEDED'
  | 'TIMED_OUT';

/** What a user login is. COMPANY_ADMIN manages users, roles, profiles and keys; SUPERVISOR and COMPANY_ADMIN may change resources their roles allow; AGENT never changes configuration. */
export type UserKind =
  | 'AGENT'
  | 'COMPANY_ADMIN'
  | 'SUPERVISOR';

export type LoginMutationVariables = Exact<{
  s: string;
  u: string;
  p: string;
}>;


export type LoginMutation = { login: { token: string, expiresAt: string } };

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { username: string, kind: UserKind, company: { name: string, slug: string, timeZone: string }, effectivePrivileges: { externalDestinations: PrivilegeLevel, queues: PrivilegeLevel, agents: PrivilegeLevel, agentGroups: PrivilegeLevel, statistics: PrivilegeLevel } } };

export type DestinationsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type DestinationsQuery = { externalDestinations: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, name: string, probe: { intervalSec: number, timeoutSec: number, successesToResume: number } | null, live: { destinationId: string, seq: number, state: DestinationState, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number | null, backedOffUntil: string | null, consecutiveFailures: number, at: string } }> } };

export type QueuesQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type QueuesQuery = { queues: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, name: string, live: { queueId: string, seq: number, waitingCalls: number, oldestWaitSec: number, availableAgents: number, at: string, agents: { free: number, wrapUp: number, retryWait: number, busy: number, onBreak: number, loggedOut: number } } }> } };

export type AgentsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type AgentsQuery = { agents: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, name: string, live: { agentId: string, seq: number, status: AgentStatus, activity: AgentActivity, wrapUpUntil: string | null, retryWaitUntil: string | null, at: string } }> } };

export type CapacityPoolsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type CapacityPoolsQuery = { capacityPools: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, name: string, externalDestinations: Array<{ hidden: boolean, destination: { id: string, name: string } | null }>, live: { poolId: string, seq: number, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number, at: string } }> } };

export type FiguresQueryVariables = Exact<{
  from: string;
  to: string;
  ids?: Array<string | number> | string | number | null | undefined;
}>;


export type FiguresQuery = { list: Array<{ destinationId: string, name: string, offered: number, answered: number, busy: number, noAnswer: number, failed: number, limitReached: number }> };

export type FiguresAndChartQueryVariables = Exact<{
  from: string;
  to: string;
  ids?: Array<string | number> | string | number | null | undefined;
  list: boolean;
  chart: string | number;
}>;


export type FiguresAndChartQuery = { list?: Array<{ destinationId: string, name: string, offered: number, answered: number, busy: number, noAnswer: number, failed: number, limitReached: number }>, chart: { destinationId: string, name: string, offered: number, answered: number, busy: number, noAnswer: number, failed: number, limitReached: number, peakSimultaneousCalls: number, intervals: Array<{ start: string, end: string, offered: number, answered: number, busy: number, noAnswer: number, failed: number, cancelledByCaller: number }> } };

export type QueueFiguresQueryVariables = Exact<{
  from: string;
  to: string;
  ids?: Array<string | number> | string | number | null | undefined;
}>;


export type QueueFiguresQuery = { list: Array<{ queueId: string, name: string, offered: number, answeredByAgents: number, answeredByExternal: number, serviceLevel: number | null, abandonRate: number | null, averageSpeedOfAnswerSec: number | null, averageHandleTimeSec: number | null, longestWaitSec: number }> };

export type ResumeMutationVariables = Exact<{
  id: string | number;
}>;


export type ResumeMutation = { resumeExternalDestination: { id: string, live: { destinationId: string, seq: number, state: DestinationState, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number | null, backedOffUntil: string | null, consecutiveFailures: number, at: string } } };

export type DestinationUpdatesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type DestinationUpdatesSubscription = { externalDestinationUpdates: { destinationId: string, seq: number, state: DestinationState, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number | null, backedOffUntil: string | null, consecutiveFailures: number, at: string } };

export type QueueUpdatesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type QueueUpdatesSubscription = { queueUpdates: { queueId: string, seq: number, waitingCalls: number, oldestWaitSec: number, availableAgents: number, at: string, agents: { free: number, wrapUp: number, retryWait: number, busy: number, onBreak: number, loggedOut: number } } };

export type AgentUpdatesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AgentUpdatesSubscription = { agentUpdates: { agentId: string, seq: number, status: AgentStatus, activity: AgentActivity, wrapUpUntil: string | null, retryWaitUntil: string | null, at: string } };

export type PoolUpdatesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type PoolUpdatesSubscription = { capacityPoolUpdates: { poolId: string, seq: number, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number, at: string } };

export type PoolDetailsQueryVariables = Exact<{
  id: string | number;
  from: string;
  to: string;
  figures: boolean;
}>;


export type PoolDetailsQuery = { pool: { id: string, name: string, externalDestinations: Array<{ hidden: boolean, destination: { id: string, name: string } | null }>, live: { poolId: string, seq: number, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number, at: string }, statistics?: { offered: number, answered: number, refused: number, peakSimultaneousCalls: number } | null } | null };

export type ProbeStatusQueryVariables = Exact<{
  id: string | number;
}>;


export type ProbeStatusQuery = { destination: { id: string, probe: { intervalSec: number, timeoutSec: number, successesToResume: number } | null, probeStatus: { probing: boolean, consecutiveSuccesses: number, lastProbe: { outcome: ProbeOutcome | null, sentAt: string } | null }, live: { destinationId: string, seq: number, state: DestinationState, connectingCalls: number, activeCalls: number, maxSimultaneousCalls: number | null, backedOffUntil: string | null, consecutiveFailures: number, at: string } } | null };

export type AlertsNowQueryVariables = Exact<{ [key: string]: never; }>;


export type AlertsNowQuery = { alertThresholds: { queueOldestWaitSec: number | null, queueServiceLevelBelow: number | null, destinationBackoffs: number | null, destinationBackoffWindowMin: number | null }, activeAlerts: Array<{ kind: AlertKind, queueId: string | null, destinationId: string | null, raised: boolean, value: number, threshold: number, at: string }> };

export type AlertUpdatesSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type AlertUpdatesSubscription = { alerts: { kind: AlertKind, queueId: string | null, destinationId: string | null, raised: boolean, value: number, threshold: number, at: string } };

export type ShareGroupsQueryVariables = Exact<{
  first: number;
  after?: string | null | undefined;
}>;


export type ShareGroupsQuery = { agentGroups: { pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, name: string, externalDistribution: ExternalDistribution }> } };

export type GroupSharesQueryVariables = Exact<{
  id: string | number;
  from: string;
  to: string;
  history: boolean;
}>;


export type GroupSharesQuery = { group: { id: string, name: string, externalDistribution: ExternalDistribution, shareWindow: number, shareWindowOffers: number, externalDestinationShares: Array<{ hidden: boolean, percent: number | null, recentOffers: number | null, destination: { id: string, name: string } | null }>, shareHistory?: { offers: number, destinations: Array<{ hidden: boolean, offers: number | null, percent: number | null, destination: { id: string, name: string } | null }> } } | null };

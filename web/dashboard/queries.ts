/**
 * The operations the dashboard sends: the public API only. Constant texts, so the gateway can share work between
 * dashboards.
 *
 * Every template literal marked as GraphQL below is a document `npm run codegen` reads (codegen.ts): it checks
 * them against schema.graphql and generates, into generated/graphql.ts, the result and variable types of each
 * operation. Each operation is declared with the generated types of its own name (`typed<FooQuery,
 * FooQueryVariables>` for `query Foo`), so `request`, `ok` and the subscriptions take the right variables and
 * answer the right shape. The shapes the rest of the dashboard works with are parts of those generated types,
 * under shorter names (the end of this file); none is written by hand. After changing a text here or
 * schema.graphql, run `npm run codegen` (a unit test fails until the generated file matches).
 *
 * The texts are written out in full, without named fragments: the gateway's cost limit counts a fragment spread
 * as one level deeper, so the full reads of 200 resources would cost too much with them. Where several operations
 * select the same thing (a destination's live state in its read, its update and its resume), a unit test checks
 * that they select it alike (test/unit/codegen.test.ts).
 */
import type {
  AgentsQuery, AgentsQueryVariables, CapacityPoolsQuery, CapacityPoolsQueryVariables, PoolDetailsQuery, PoolDetailsQueryVariables, PoolUpdatesSubscription,
  PoolUpdatesSubscriptionVariables, ProbeStatusQuery, ProbeStatusQueryVariables, AgentUpdatesSubscription, AgentUpdatesSubscriptionVariables, AlertsNowQuery, AlertsNowQueryVariables, AlertUpdatesSubscription,
  AlertUpdatesSubscriptionVariables, DestinationsQuery, DestinationsQueryVariables, DestinationState, DestinationUpdatesSubscription, DestinationUpdatesSubscriptionVariables,
  FiguresAndChartQuery, FiguresAndChartQueryVariables, FiguresQuery, FiguresQueryVariables, GroupSharesQuery, GroupSharesQueryVariables, LoginMutation, LoginMutationVariables,
  MeQuery, MeQueryVariables, QueueFiguresQuery, QueueFiguresQueryVariables, QueuesQuery, QueuesQueryVariables, QueueUpdatesSubscription, QueueUpdatesSubscriptionVariables,
  ResumeMutation, ResumeMutationVariables, ShareGroupsQuery, ShareGroupsQueryVariables,
} from './generated/graphql';

declare const types: unique symbol;

/**
 * An operation's text carrying its result and variables types (nothing at run time: it is the string). The
 * variables sit in a parameter position, so an operation asks at least what its caller gives.
 */
export type Operation<Result, Variables> = string & { readonly [types]?: (variables: Variables) => Result };

/** Variables of an operation that takes none. */
export type NoVariables = Record<string, never>;

/** Declares an operation with its generated types (only a type assertion: the text is unchanged). */
function typed<Result, Variables>(text: string): Operation<Result, Variables> {
  return text as Operation<Result, Variables>;
}

// ------------------------------------------------------------------ operations

export const LOGIN = typed<LoginMutation, LoginMutationVariables>(/* GraphQL */ `mutation Login($s: String!, $u: String!, $p: String!) {
  login(companySlug: $s, username: $u, password: $p) { token expiresAt }
}`);

export const ME = typed<MeQuery, MeQueryVariables>(/* GraphQL */ `query Me {
  me { username kind company { name slug timeZone } effectivePrivileges { externalDestinations queues agents agentGroups statistics } }
}`);

/** Page size of the full reads (the API allows up to 500). */
export const PAGE_SIZE = 200;

/**
 * Figures are not part of the destination reads: they come from one figures read with the chart (see app.ts). Nor
 * is a probe's status (a read of the probe records per destination): only its settings, which say whether the
 * destination has one; the status is read by PROBE_STATUS for those that do.
 */
export const DESTINATIONS = typed<DestinationsQuery, DestinationsQueryVariables>(/* GraphQL */ `query Destinations($first: Int!, $after: String) {
  externalDestinations(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name probe { intervalSec timeoutSec successesToResume } live { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures at } }
  }
}`);

export const QUEUES = typed<QueuesQuery, QueuesQueryVariables>(/* GraphQL */ `query Queues($first: Int!, $after: String) {
  queues(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name live { queueId seq waitingCalls oldestWaitSec availableAgents agents { free wrapUp retryWait busy onBreak loggedOut } at } }
  }
}`);

export const AGENTS = typed<AgentsQuery, AgentsQueryVariables>(/* GraphQL */ `query Agents($first: Int!, $after: String) {
  agents(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name live { agentId seq status activity wrapUpUntil retryWaitUntil at } }
  }
}`);

/**
 * The capacity pools (decision 038): each with its members (those the user may not see as hidden references,
 * nothing but that they are there) and its live use. Its live state streams as POOL_UPDATES.
 */
export const CAPACITY_POOLS = typed<CapacityPoolsQuery, CapacityPoolsQueryVariables>(/* GraphQL */ `query CapacityPools($first: Int!, $after: String) {
  capacityPools(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name externalDestinations { hidden destination { id name } } live { poolId seq connectingCalls activeCalls maxSimultaneousCalls at } }
  }
}`);

/** What a re-read by id answers for each kind: a node as its full read gives it. */
export interface RereadNodes {
  destination: Destination;
  queue: Queue;
  agent: Agent;
  pool: Pool;
}

/** The selection that follows `after` in an operation's text: from its opening brace to the matching closing one. */
function selectionAfter(text: string, after: string): string {
  const open = text.indexOf('{', text.indexOf(after));
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '{') depth += 1;
    else if (text[i] === '}' && (depth -= 1) === 0) return text.slice(open, i + 1);
  }
  throw new Error(`no selection after ${after}`);
}

/** The selection of one node in a full read's text: from `nodes` to its closing brace, braces included. */
const nodeSelection = (listQuery: string): string => selectionAfter(listQuery, 'nodes {');

const REREAD: { [K in keyof RereadNodes]: { field: string; selection: string } } = {
  destination: { field: 'externalDestination', selection: nodeSelection(DESTINATIONS) },
  queue: { field: 'queue', selection: nodeSelection(QUEUES) },
  agent: { field: 'agent', selection: nodeSelection(AGENTS) },
  pool: { field: 'capacityPool', selection: nodeSelection(CAPACITY_POOLS) },
};

/**
 * `count` fields reading one resource each by id (aliases r0, r1, ... with variables i0, i1, ...), all with one
 * selection, in one query; `shared` declares further variables every field may use.
 */
function byIds(name: string, field: string, selection: string, count: number, shared = ''): string {
  const vars = [...Array.from({ length: count }, (_, i) => `$i${i}: ID!`), ...(shared ? [shared] : [])].join(', ');
  const fields = Array.from({ length: count }, (_, i) => `r${i}: ${field}(id: $i${i}) ${selection}`).join(' ');
  return `query ${name}(${vars}) { ${fields} }`;
}

/**
 * One query re-reading `count` resources of a kind by id (aliases r0, r1, ... with variables i0, i1, ...), each
 * with the selection of the kind's full read. Its text depends on the count, so codegen does not read it; a unit
 * test validates it against schema.graphql.
 */
export function rereadQuery<K extends keyof RereadNodes>(kind: K, count: number): Operation<Partial<Record<string, RereadNodes[K] | null>>, Record<string, string>> {
  const { field, selection } = REREAD[kind];
  return typed(byIds('Reread', field, selection, count));
}

/** At most this many resources per re-read (the gateway limits aliases per operation). */
export const REREAD_BATCH = 10;

/**
 * The figures of a period: of every destination (no `ids`) or of some. The table's figures and the chart come
 * from one such read (FIGURES_AND_CHART), the charted destination's row from the chart's own field, so the two
 * can never disagree.
 */
export const FIGURES = typed<FiguresQuery, FiguresQueryVariables>(/* GraphQL */ `query Figures($from: DateTime!, $to: DateTime!, $ids: [ID!]) {
  list: externalDestinationStatsList(from: $from, to: $to, ids: $ids) { destinationId name offered answered busy noAnswer failed limitReached }
}`);

export const FIGURES_AND_CHART = typed<FiguresAndChartQuery, FiguresAndChartQueryVariables>(/* GraphQL */ `query FiguresAndChart($from: DateTime!, $to: DateTime!, $ids: [ID!], $list: Boolean!, $chart: ID!) {
  list: externalDestinationStatsList(from: $from, to: $to, ids: $ids) @include(if: $list) { destinationId name offered answered busy noAnswer failed limitReached }
  chart: externalDestinationStats(id: $chart, from: $from, to: $to) {
    destinationId name offered answered busy noAnswer failed limitReached peakSimultaneousCalls
    intervals { start end offered answered busy noAnswer failed cancelledByCaller }
  }
}`);

/**
 * A queue's figures for the period shown (service level, abandon rate, average speed of answer, average handle
 * time, longest wait, answered by agents and by external destinations).
 */
export const QUEUE_FIGURES = typed<QueueFiguresQuery, QueueFiguresQueryVariables>(/* GraphQL */ `query QueueFigures($from: DateTime!, $to: DateTime!, $ids: [ID!]) {
  list: queueStatsList(from: $from, to: $to, ids: $ids) {
    queueId name offered answeredByAgents answeredByExternal serviceLevel abandonRate averageSpeedOfAnswerSec averageHandleTimeSec longestWaitSec
  }
}`);

export const RESUME = typed<ResumeMutation, ResumeMutationVariables>(/* GraphQL */ `mutation Resume($id: ID!) {
  resumeExternalDestination(id: $id) {
    id live { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures at }
  }
}`);

export const DESTINATION_UPDATES = typed<DestinationUpdatesSubscription, DestinationUpdatesSubscriptionVariables>(/* GraphQL */ `subscription DestinationUpdates {
  externalDestinationUpdates { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures at }
}`);

export const QUEUE_UPDATES = typed<QueueUpdatesSubscription, QueueUpdatesSubscriptionVariables>(/* GraphQL */ `subscription QueueUpdates {
  queueUpdates { queueId seq waitingCalls oldestWaitSec availableAgents agents { free wrapUp retryWait busy onBreak loggedOut } at }
}`);

export const AGENT_UPDATES = typed<AgentUpdatesSubscription, AgentUpdatesSubscriptionVariables>(/* GraphQL */ `subscription AgentUpdates {
  agentUpdates { agentId seq status activity wrapUpUntil retryWaitUntil at }
}`);

export const POOL_UPDATES = typed<PoolUpdatesSubscription, PoolUpdatesSubscriptionVariables>(/* GraphQL */ `subscription PoolUpdates {
  capacityPoolUpdates { poolId seq connectingCalls activeCalls maxSimultaneousCalls at }
}`);

/**
 * One pool read again when its live update arrives: its name, members and live use as the full read gives them
 * and, with `figures` (statistics VIEW), its figures over the period shown, all from one read so they never
 * disagree. Batched by poolDetailsQuery.
 */
export const POOL_DETAILS = typed<PoolDetailsQuery, PoolDetailsQueryVariables>(/* GraphQL */ `query PoolDetails($id: ID!, $from: DateTime!, $to: DateTime!, $figures: Boolean!) {
  pool: capacityPool(id: $id) {
    id name externalDestinations { hidden destination { id name } } live { poolId seq connectingCalls activeCalls maxSimultaneousCalls at }
    statistics(from: $from, to: $to) @include(if: $figures) { offered answered refused peakSimultaneousCalls }
  }
}`);

/**
 * Where a destination's health probe stands (decision 037), with its settings and its live state from the same
 * read: asked for a destination with a probe (or one held back, which may just have been given one) when its live
 * update arrives. Batched by probeStatusQuery.
 */
export const PROBE_STATUS = typed<ProbeStatusQuery, ProbeStatusQueryVariables>(/* GraphQL */ `query ProbeStatus($id: ID!) {
  destination: externalDestination(id: $id) {
    id probe { intervalSec timeoutSec successesToResume }
    probeStatus { probing consecutiveSuccesses lastProbe { outcome sentAt } }
    live { destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures at }
  }
}`);

/** POOL_DETAILS for `count` pools in one query (aliases r0, r1, ... with variables i0, i1, ...; from, to and figures shared). */
export function poolDetailsQuery(count: number): Operation<Partial<Record<string, PoolDetails | null>>, Record<string, string | boolean>> {
  return typed(byIds('PoolDetailsBatch', 'capacityPool', selectionAfter(POOL_DETAILS, 'capacityPool(id: $id)'), count, '$from: DateTime!, $to: DateTime!, $figures: Boolean!'));
}

/** PROBE_STATUS for `count` destinations in one query (aliases r0, r1, ... with variables i0, i1, ...). */
export function probeStatusQuery(count: number): Operation<Partial<Record<string, ProbeRead | null>>, Record<string, string>> {
  return typed(byIds('ProbeStatusBatch', 'externalDestination', selectionAfter(PROBE_STATUS, 'externalDestination(id: $id)'), count));
}

/** The thresholds and the alerts raised now, in one read (at start and after a reconnect). */
export const ALERTS_NOW = typed<AlertsNowQuery, AlertsNowQueryVariables>(/* GraphQL */ `query AlertsNow {
  alertThresholds { queueOldestWaitSec queueServiceLevelBelow destinationBackoffs destinationBackoffWindowMin }
  activeAlerts { kind queueId destinationId raised value threshold at }
}`);

export const ALERT_UPDATES = typed<AlertUpdatesSubscription, AlertUpdatesSubscriptionVariables>(/* GraphQL */ `subscription AlertUpdates {
  alerts { kind queueId destinationId raised value threshold at }
}`);

/**
 * The agent groups and how each spreads its calls over its external destinations (decision 034): the shares
 * panel shows those with WEIGHTED_SHARE. From the gateway's memory, so cheap to read again.
 */
export const SHARE_GROUPS = typed<ShareGroupsQuery, ShareGroupsQueryVariables>(/* GraphQL */ `query ShareGroups($first: Int!, $after: String) {
  agentGroups(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { id name externalDistribution }
  }
}`);

/**
 * One WEIGHTED_SHARE group's shares: now (the offers its window counts, per destination against its target) and,
 * with `history` (statistics VIEW), over the period shown, in one read so the two never disagree. A destination
 * the user may not see comes as `hidden: true` without its id, name, target or counts.
 */
export const GROUP_SHARES = typed<GroupSharesQuery, GroupSharesQueryVariables>(/* GraphQL */ `query GroupShares($id: ID!, $from: DateTime!, $to: DateTime!, $history: Boolean!) {
  group: agentGroup(id: $id) {
    id name externalDistribution shareWindow shareWindowOffers
    externalDestinationShares { hidden percent recentOffers destination { id name } }
    shareHistory(from: $from, to: $to) @include(if: $history) { offers destinations { hidden offers percent destination { id name } } }
  }
}`);

// ------------------------------------------------------------------ the generated shapes, by the names the dashboard uses

export type {
  AgentActivity, AgentStatus, AlertKind, DestinationState, PrivilegeLevel as Level,
} from './generated/graphql';

/** Every state of an external destination, in the order the page shows them. */
export const DESTINATION_STATES = ['AVAILABLE', 'AT_CAPACITY', 'BACKED_OFF', 'SUSPENDED', 'DISABLED'] as const satisfies readonly DestinationState[];

/** The signed-in user: who, which company (its time zone), and the privileges that decide the sections shown. */
export type Me = MeQuery['me'];
/** What `login` answers (kept for the tab's session). */
export type Session = LoginMutation['login'];
export type Destination = DestinationsQuery['externalDestinations']['nodes'][number];
/** A destination's live state: as read, as streamed (DESTINATION_UPDATES) and as a resume answers it. */
export type DestinationLive = Destination['live'];
/** A destination's figures of the period, as the table shows them. */
export type DestinationFigureRow = FiguresQuery['list'][number];
export type TodayFigures = Omit<DestinationFigureRow, 'destinationId' | 'name'>;
/** The charted destination: its row's figures and the chart, from one field. */
export type DestinationStats = FiguresAndChartQuery['chart'];
export type StatsInterval = DestinationStats['intervals'][number];
export type Queue = QueuesQuery['queues']['nodes'][number];
export type QueueLive = Queue['live'];
export type QueueFigures = QueueFiguresQuery['list'][number];
export type Agent = AgentsQuery['agents']['nodes'][number];
export type AgentLive = Agent['live'];
/** A company's alert thresholds (decision 028): each null is off. */
export type AlertThresholds = AlertsNowQuery['alertThresholds'];
/** An alert raised, or cleared (`raised: false`), for one queue or one destination. */
export type Alert = AlertsNowQuery['activeAlerts'][number];
/** An agent group as the shares panel lists it (its rule decides whether it is shown). */
export type ShareGroup = ShareGroupsQuery['agentGroups']['nodes'][number];
/** One WEIGHTED_SHARE group's shares now and (when asked) over the period. */
export type GroupShares = NonNullable<GroupSharesQuery['group']>;
/** The group's offers per destination over the period, against the targets it has now. */
export type ShareHistory = NonNullable<GroupShares['shareHistory']>;
/** A capacity pool: its name, its members (hidden ones as references without name or id) and its live use. */
export type Pool = CapacityPoolsQuery['capacityPools']['nodes'][number];
/** A pool's live use: as read and as streamed (POOL_UPDATES). */
export type PoolLive = Pool['live'];
/** One pool as its details read gives it: the full read's node and, when asked, the period's figures. */
export type PoolDetails = NonNullable<PoolDetailsQuery['pool']>;
export type PoolFigures = NonNullable<PoolDetails['statistics']>;
/** A destination's probe settings (null: it has none). */
export type ProbeSettings = Destination['probe'];
/** A destination's probe read: its settings, where probing stands, and its live state from the same read. */
export type ProbeRead = NonNullable<ProbeStatusQuery['destination']>;
export type ProbeStatus = ProbeRead['probeStatus'];

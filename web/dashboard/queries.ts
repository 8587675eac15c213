/** The operations the dashboard sends: the public API only. Constant texts, so the gateway can share work between dashboards. */
import { QUEUE_FIGURES_FIELDS } from './queue-figures';

export type Level = 'NONE' | 'VIEW' | 'MODIFY';
/** Every state of an external destination, in the order the page shows them. */
export const DESTINATION_STATES = ['AVAILABLE', 'AT_CAPACITY', 'BACKED_OFF', 'SUSPENDED', 'DISABLED'] as const;
export type DestinationState = (typeof DESTINATION_STATES)[number];

export interface Me {
  username: string;
  kind: 'COMPANY_ADMIN' | 'SUPERVISOR' | 'AGENT';
  company: { name: string; slug: string; timeZone: string };
  effectivePrivileges: { externalDestinations: Level; queues: Level; agents: Level; statistics: Level };
}

export interface DestinationLive {
  destinationId: string;
  seq: number;
  state: DestinationState;
  connectingCalls: number;
  activeCalls: number;
  maxSimultaneousCalls: number | null;
  backedOffUntil: string | null;
  consecutiveFailures: number;
  at: string;
}

export interface TodayFigures {
  offered: number;
  answered: number;
  busy: number;
  noAnswer: number;
  failed: number;
  limitReached: number;
}

export interface Destination {
  id: string;
  name: string;
  live: DestinationLive;
}

export interface QueueLive {
  queueId: string;
  seq: number;
  waitingCalls: number;
  oldestWaitSec: number;
  /** Agents routing would offer a call now (the same count as `agents.free`). */
  availableAgents: number;
  /** Every agent of the queue once, by what it can do now (decision 026). */
  agents: QueueAgentCounts;
  at: string;
}

export interface QueueAgentCounts {
  free: number;
  wrapUp: number;
  retryWait: number;
  busy: number;
  onBreak: number;
  loggedOut: number;
}

export interface Queue {
  id: string;
  name: string;
  live: QueueLive;
}

export interface AgentLive {
  agentId: string;
  seq: number;
  status: 'LOGGED_OUT' | 'AVAILABLE' | 'ON_BREAK';
  activity: 'IDLE' | 'RESERVED' | 'RINGING' | 'ON_CALL' | 'WRAP_UP';
  /** While a wrap-up with an end lasts (null once it is over). */
  wrapUpUntil: string | null;
  /** While the wait after a missed call lasts. */
  retryWaitUntil: string | null;
  at: string;
}

export interface Agent {
  id: string;
  name: string;
  live: AgentLive;
}

export interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface StatsInterval {
  start: string;
  end: string;
  offered: number;
  answered: number;
  busy: number;
  noAnswer: number;
  failed: number;
  cancelledByCaller: number;
}

export interface DestinationStats extends TodayFigures {
  destinationId: string;
  name: string;
  peakSimultaneousCalls: number;
  intervals: StatsInterval[];
}

export const LOGIN = `mutation Login($s: String!, $u: String!, $p: String!) {
  login(companySlug: $s, username: $u, password: $p) { token expiresAt }
}`;

export const ME = `query Me { me { username kind company { name slug timeZone } effectivePrivileges { externalDestinations queues agents statistics } } }`;

const DESTINATION_LIVE = 'destinationId seq state connectingCalls activeCalls maxSimultaneousCalls backedOffUntil consecutiveFailures at';
const TODAY = 'offered answered busy noAnswer failed limitReached';
/** Figures are not part of the destination reads: they come from one figures read with the chart (see app.ts). */
const DESTINATION = `id name live { ${DESTINATION_LIVE} }`;
const QUEUE_LIVE = 'queueId seq waitingCalls oldestWaitSec availableAgents agents { free wrapUp retryWait busy onBreak loggedOut } at';
const AGENT_LIVE = 'agentId seq status activity wrapUpUntil retryWaitUntil at';

/** Page size of the full reads (the API allows up to 500). */
export const PAGE_SIZE = 200;

export const DESTINATIONS = `query Destinations($first: Int!, $after: String) {
  externalDestinations(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { ${DESTINATION} } }
}`;

export const QUEUES = `query Queues($first: Int!, $after: String) {
  queues(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name live { ${QUEUE_LIVE} } } }
}`;

export const AGENTS = `query Agents($first: Int!, $after: String) {
  agents(first: $first, after: $after) { pageInfo { hasNextPage endCursor } nodes { id name live { ${AGENT_LIVE} } } }
}`;

/** One query re-reading up to `ids.length` resources of a kind by id (aliases r0, r1, ...). */
export function rereadQuery(kind: 'destination' | 'queue' | 'agent', count: number): string {
  const field = kind === 'destination' ? 'externalDestination' : kind;
  const selection = kind === 'destination' ? DESTINATION : kind === 'queue' ? `id name live { ${QUEUE_LIVE} }` : `id name live { ${AGENT_LIVE} }`;
  const vars = Array.from({ length: count }, (_, i) => `$i${i}: ID!`).join(', ');
  const fields = Array.from({ length: count }, (_, i) => `r${i}: ${field}(id: $i${i}) { ${selection} }`).join(' ');
  return `query Reread(${vars}) { ${fields} }`;
}

/** At most this many resources per re-read (the gateway limits aliases per operation). */
export const REREAD_BATCH = 10;

const CHART = `destinationId name ${TODAY} peakSimultaneousCalls intervals { start end offered answered busy noAnswer failed cancelledByCaller }`;

/**
 * The figures of a period: of every destination (no `ids`) or of some. The table's figures and the chart come
 * from one such read (FIGURES_AND_CHART), the charted destination's row from the chart's own field, so the two
 * can never disagree.
 */
export const FIGURES = `query Figures($from: DateTime!, $to: DateTime!, $ids: [ID!]) {
  list: externalDestinationStatsList(from: $from, to: $to, ids: $ids) { destinationId name ${TODAY} }
}`;

export const FIGURES_AND_CHART = `query FiguresAndChart($from: DateTime!, $to: DateTime!, $ids: [ID!], $list: Boolean!, $chart: ID!) {
  list: externalDestinationStatsList(from: $from, to: $to, ids: $ids) @include(if: $list) { destinationId name ${TODAY} }
  chart: externalDestinationStats(id: $chart, from: $from, to: $to) { ${CHART} }
}`;

export const QUEUE_FIGURES = `query QueueFigures($from: DateTime!, $to: DateTime!, $ids: [ID!]) {
  list: queueStatsList(from: $from, to: $to, ids: $ids) { ${QUEUE_FIGURES_FIELDS} }
}`;

export const RESUME = `mutation Resume($id: ID!) { resumeExternalDestination(id: $id) { id live { ${DESTINATION_LIVE} } } }`;

export const DESTINATION_UPDATES = `subscription DestinationUpdates { externalDestinationUpdates { ${DESTINATION_LIVE} } }`;
export const QUEUE_UPDATES = `subscription QueueUpdates { queueUpdates { ${QUEUE_LIVE} } }`;
export const AGENT_UPDATES = `subscription AgentUpdates { agentUpdates { ${AGENT_LIVE} } }`;

/** A company's alert thresholds (decision 028): each null is off. */
export interface AlertThresholds {
  queueOldestWaitSec: number | null;
  queueServiceLevelBelow: number | null;
  destinationBackoffs: number | null;
  destinationBackoffWindowMin: number | null;
}

export type AlertKind = 'QUEUE_OLDEST_WAIT' | 'QUEUE_SERVICE_LEVEL' | 'DESTINATION_BACKOFFS';

/** An alert raised, or cleared (`raised: false`), for one queue or one destination. */
export interface Alert {
  kind: AlertKind;
  queueId: string | null;
  destinationId: string | null;
  raised: boolean;
  value: number;
  threshold: number;
  at: string;
}

const ALERT = 'kind queueId destinationId raised value threshold at';

/** The thresholds and the alerts raised now, in one read (at start and after a reconnect). */
export const ALERTS_NOW = `query AlertsNow {
  alertThresholds { queueOldestWaitSec queueServiceLevelBelow destinationBackoffs destinationBackoffWindowMin }
  activeAlerts { ${ALERT} }
}`;

export const ALERT_UPDATES = `subscription AlertUpdates { alerts { ${ALERT} } }`;

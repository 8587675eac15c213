import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { CallFlowVersion } from '../entities/call-flow.entity';
import type { Call, CallAttempt, CallTraceEntry } from '../entities/call.entity';
import type { ExternalDestination } from '../entities/external-destination.entity';
import type { Meter } from '../platform/meter';
import type { Scheduler } from '../platform/scheduler';
import type { FlowEvent } from '../routing/call-flow';
import type { OutcomeEffect } from '../routing/destination-state';
import type { AttemptOutcome } from '../routing/state-machine';
import type { TraceFacts } from '../routing/trace-words';
import type { AgentLive } from '../store/agent-state-store';
import type { LiveState } from '../store/live-state';

// ---------------------------------------------------------------- what the connector API takes

export interface EnqueueCallFields {
  connectorCallId: string;
  queueId: string;
  callerNumber?: string | null;
  serviceNumber?: string | null;
  priority?: number | null;
  context?: ReadonlyArray<{ key: string; value: string }> | null;
}

export interface AttemptOutcomeFields {
  eventId: string;
  attemptId: string;
  outcome: AttemptOutcome;
}

export interface EndCallFields {
  eventId: string;
  callId: string;
  reason: 'COMPLETED' | 'CALLER_HUNG_UP';
}

export interface ReturnCallFields {
  eventId: string;
  attemptId: string;
  reason: string;
  context?: ReadonlyArray<{ key: string; value: string }> | null;
  queueId?: string | null;
}

export interface ProbeOutcomeFields {
  eventId: string;
  probeId: string;
  outcome: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
}

export interface StartCallFields {
  connectorCallId: string;
  serviceNumber: string;
  callerNumber?: string | null;
  context?: ReadonlyArray<{ key: string; value: string }> | null;
}

// ---------------------------------------------------------------- what the engine needs from outside

/** Where the engine announces live changes (subscriptions of dashboards). */
export interface LivePublisher {
  destinationChanged(companyId: string, destinationId: string): Promise<void>;
  agentChanged(companyId: string, agentId: string, live: AgentLive): void;
  queueChanged(companyId: string, queueId: string): Promise<void>;
}

/** What the engine needs of call flows: the published version a service number enters. */
export interface PublishedFlows {
  publishedFor(companyId: string, serviceNumber: string): Promise<CallFlowVersion | null>;
}

export interface CallRouterOptions {
  logger: Logger;
  /** The engine's clock and scheduler: every instant it writes, its loops and its timers' delays (the system's when left out). */
  scheduler?: Scheduler;
  /** Reads instants from this clock instead of the scheduler's, whose loops still run (tests that set instants). */
  clock?: () => number;
  /** How often due timers are claimed (ms). */
  tickMs?: number;
  /** How often every queue with waiting calls is routed again (ms): time-based overflow, wrap-up ends. */
  sweepMs?: number;
  /** How often slot leases of attempts still in progress are renewed (ms); well under the lease time. */
  renewMs?: number;
  /** The most times one call may arrive at one flow node (MAX_NODE_VISITS when left out). */
  maxNodeVisits?: number;
  /** How often agent reservations and slot leases that no open attempt explains are looked for (ms; REPAIR_EVERY_MS when left out). */
  repairMs?: number;
  /** How long one must stay unexplained before it is repaired (ms; REPAIR_GRACE_MS when left out): longer than any offer between claim and commit. */
  repairGraceMs?: number;
  /** Where decisions, offers, outcomes, timers and leases are counted (nowhere when left out). */
  meter?: Meter;
}

/** What every part of the engine works over: the system of record, the live state, the one clock, the log. */
export interface EngineContext {
  readonly dataSource: DataSource;
  readonly live: LiveState;
  /** The one clock and scheduler: no part of the engine reads the time any other way. */
  readonly time: Scheduler;
  readonly logger: Logger;
  /** Where the engine counts what it does (metrics). */
  readonly meter: Meter;
}

// ---------------------------------------------------------------- shared shapes

export type TimerPayload =
  | { t: 'ring'; companyId: string; attemptId: string }
  | { t: 'wait'; companyId: string; callId: string }
  | { t: 'pump'; companyId: string; queueId: string }
  /** A WAIT node's pause is over: the call goes on if it is still where it was (same node, same revision). */
  | { t: 'flow'; companyId: string; callId: string; nodeId: string; revision: number }
  /** A destination's next health probe is due (sent only while it is backed off or suspended). */
  | { t: 'probe'; companyId: string; destinationId: string }
  /** A probe had no outcome within its timeout: it counts as failed. */
  | { t: 'probeTimeout'; companyId: string; probeId: string };

/** An entry to write: its words as `facts` (references rendered per reader), or as a `summary` that names no resource. */
export type TraceInput = Pick<CallTraceEntry, 'step'> & { at: number; summary?: string; facts?: TraceFacts } & Partial<Pick<CallTraceEntry, 'considered' | 'skipped' | 'chosen'>>;

/** How an attempt ended: an outcome the connector (or the ring timeout) reported, or the call moving on. */
export type ClosedOutcome = AttemptOutcome | 'CANCELLED' | 'COMPLETED' | 'RETURNED';

/** One attempt a committed change closed, with what its live effects need (read once, in that change's transaction). */
export interface ClosedAttempt {
  readonly attempt: CallAttempt;
  readonly outcome: ClosedOutcome;
  /** A destination attempt closed by an outcome: the destination's row and what the outcome does to it, worked out once. */
  readonly destination?: { readonly row: ExternalDestination; readonly effect: OutcomeEffect } | null;
  /** An agent attempt missed: how long the agent is held back (the queue's agentRetrySec). */
  readonly agentRetrySec?: number;
  /** A destination that handed the call back: how long before it may take the call again (its retryIntervalSec). */
  readonly callRetrySec?: number;
}

/** What one committed change of a call closed, for the effects outside the database that follow it. */
export interface Closure {
  readonly call: Call;
  readonly closed: readonly ClosedAttempt[];
  /** The gateway's own ring timeout closed the attempt: the connector is told to stop ringing. */
  readonly ringTimedOut?: boolean;
  /** A flow call goes on by this event once the effects are applied (its destination did not answer, its queue's wait ran out). */
  readonly flowEvent?: FlowEvent | null;
}

export const OPEN_ATTEMPT = ['RINGING', 'CONNECTED'] as const;
export const WAITING_STATES = ['QUEUED', 'OFFERING'] as const;

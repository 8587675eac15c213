import { Column, Entity, Index, JoinColumn, ManyToOne, Unique } from 'typeorm';
import type { ContextEntry } from '../routing/vocabulary';
import type { AttemptOutcome, AttemptState, CallState } from '../routing/state-machine';
import type { TraceFacts } from '../routing/trace-words';
import type { CallEndReason } from '../routing/vocabulary';
import { CompanyScoped } from './base';
import { Queue } from './queue.entity';

/** Why a call ends is the core's vocabulary (src/routing/vocabulary.ts); re-exported for the modules that take it from here. */
export { CALL_END_REASONS, type CallEndReason } from '../routing/vocabulary';

/**
 * A call the telephony platform handed to the gateway: the durable record of where it is. `revision` is a
 * compare-and-set counter: every change is `UPDATE … WHERE revision = :seen`, so two instances routing the
 * same call cannot both move it.
 */
@Entity('call')
@Unique('uq_call_company_connector_call', ['companyId', 'connectorCallId'])
// A queue's waiting calls (the queue pass: count, oldest, next in order) and the queues with calls waiting
// (the sweeps): found among the calls in those states, never along a queue's or the company's whole history.
@Index('idx_call_queue_waiting', ['companyId', 'queueId', 'state', 'priority', 'enqueuedAt'])
@Index('idx_call_state_queue', ['state', 'companyId', 'queueId'])
@Index('idx_call_queue_enqueued', ['companyId', 'queueId', 'enqueuedAt'])
export class Call extends CompanyScoped {
  @Column({ type: 'varchar', length: 200 })
  connectorCallId: string;

  @Column({ type: 'uuid', nullable: true })
  queueId: string | null;

  @ManyToOne(() => Queue, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'queueId' })
  queue?: Queue;

  /**
   * The caller id as the network presented it (`anonymous`, a national number, a SIP URI...; 1-200 characters),
   * null when none was given. The column keeps its first name, from when only E.164 numbers were accepted.
   */
  @Column({ name: 'callerNumber', type: 'varchar', length: 200, nullable: true })
  callerId: string | null;

  /** The caller id's E.164 form when it parses as a telephone number; null otherwise. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  callerE164: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  serviceNumber: string | null;

  /** Higher is served first; equal priorities keep arrival order. */
  @Column({ type: 'integer', default: 0 })
  priority: number;

  @Column({ type: 'varchar', length: 16 })
  state: CallState;

  @Column({ type: 'varchar', length: 32, nullable: true })
  endReason: CallEndReason | null;

  @Column({ type: Date })
  enqueuedAt: Date;

  @Column({ type: Date, nullable: true })
  answeredAt: Date | null;

  @Column({ type: Date, nullable: true })
  endedAt: Date | null;

  /** The context the connector gave the call (enqueueCall, startCall), in its order: key-value text, never interpreted. */
  @Column({ type: 'simple-json', default: '[]' })
  context: ContextEntry[];

  /** How many times external destinations handed the call back (returnCall); bounded by MAX_CALL_RETURNS. */
  @Column({ type: 'integer', default: 0 })
  returnCount: number;

  /** Why the last external destination handed the call back (null when none did). */
  @Column({ type: 'varchar', length: 200, nullable: true })
  returnReason: string | null;

  /** When an external destination last handed the call back: its queue's maximum wait runs from there (null: from enqueuedAt). */
  @Column({ type: Date, nullable: true })
  returnedAt: Date | null;

  /** Queue group priorities that became eligible for this call (eligibility is sticky per call). */
  @Column({ type: 'simple-json' })
  eligiblePriorities: number[];

  /** Per destination id: when this call's last unanswered offer to it ended (its retryIntervalSec runs from there). */
  @Column({ type: 'simple-json' })
  lastOfferEndedAt: Record<string, number>;

  @Column({ type: 'integer', default: 0 })
  revision: number;

  /** The published flow version the call runs (null for calls enqueued straight into a queue). */
  @Column({ type: 'uuid', nullable: true })
  flowVersionId: string | null;

  /** The flow node the call is at (a Queue or RouteToExternalDestination node while it waits there). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  flowNodeId: string | null;
}

/** One offer of a call to a regular agent or an external destination. */
@Entity('call_attempt')
@Index('idx_call_attempt_open', ['state', 'targetKind'])
@Index('idx_call_attempt_destination_started', ['companyId', 'destinationId', 'startedAt'])
@Index('idx_call_attempt_group_started', ['companyId', 'groupId', 'startedAt'])
@Index('idx_call_attempt_pool_started', ['companyId', 'poolId', 'startedAt'])
@Index('idx_call_attempt_agent_started', ['companyId', 'agentId', 'startedAt'])
// What still overlaps a range though it started before it (open, or its back-off running): statistics' edges and buckets.
@Index('idx_call_attempt_destination_ended', ['companyId', 'destinationId', 'endedAt'])
@Index('idx_call_attempt_destination_backoff', ['companyId', 'destinationId', 'backoffUntil'])
// A company's attempts of a quarter hour at once, agents and destinations together: sealing its buckets.
@Index('idx_call_attempt_company_started', ['companyId', 'startedAt'])
export class CallAttempt extends CompanyScoped {
  @Index()
  @Column({ type: 'uuid' })
  callId: string;

  @ManyToOne(() => Call, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'callId' })
  call?: Call;

  @Column({ type: 'varchar', length: 16 })
  targetKind: 'AGENT' | 'DESTINATION';

  /** The agent rung (no foreign key: history outlives a deleted agent). */
  @Column({ type: 'uuid', nullable: true })
  agentId: string | null;

  /** The destination dialled (no foreign key: history outlives a deleted destination). */
  @Column({ type: 'uuid', nullable: true })
  destinationId: string | null;

  /** The agent group a queue's offer to a destination came from (its distribution counts it); null otherwise. */
  @Column({ type: 'uuid', nullable: true })
  groupId: string | null;

  /** The capacity pool whose slot the offer holds besides the destination's (decision 038); null when none. */
  @Column({ type: 'uuid', nullable: true })
  poolId: string | null;

  /** The E.164 number dialled for this call; null for agents and for a number that could not be resolved. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  number: string | null;

  @Column({ type: 'varchar', length: 16 })
  state: AttemptState;

  @Column({ type: 'varchar', length: 16, nullable: true })
  outcome: AttemptOutcome | 'CANCELLED' | null;

  @Column({ type: 'integer' })
  ringTimeoutSec: number;

  @Column({ type: Date })
  startedAt: Date;

  @Column({ type: Date, nullable: true })
  answeredAt: Date | null;

  @Column({ type: Date, nullable: true })
  endedAt: Date | null;

  /** Destinations: when the back-off this attempt's outcome started ends (null when it started none). */
  @Column({ type: Date, nullable: true })
  backoffUntil: Date | null;

  /** Destinations: why the destination handed the call back (state RETURNED); null otherwise. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  returnReason: string | null;

  /** Agents: the wrap-up time the agent got after this answered call, in seconds (null otherwise). */
  @Column({ type: 'integer', nullable: true })
  wrapUpSec: number | null;
}

/** One entry of a call's routing trace: a decision or an event, with its reasons. */
@Entity('call_trace_entry')
@Unique('uq_call_trace_entry_seq', ['callId', 'seq'])
@Index('idx_call_trace_entry_company_at', ['companyId', 'at'])
export class CallTraceEntry extends CompanyScoped {
  @Column({ type: 'uuid' })
  callId: string;

  @ManyToOne(() => Call, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'callId' })
  call?: Call;

  @Column({ type: 'integer' })
  seq: number;

  @Column({ type: Date })
  at: Date;

  @Column({ type: 'varchar', length: 32 })
  step: string;

  @Column({ type: 'text' })
  summary: string;

  /** Resources looked at: [{kind, id}]. */
  @Column({ type: 'simple-json' })
  considered: Array<{ kind: string; id: string }>;

  /** Resources passed over: [{kind, resourceId, reason, detail}]. */
  @Column({ type: 'simple-json' })
  skipped: Array<{ kind: string; resourceId: string; reason: string; detail: string }>;

  /** What was chosen: {kind, id, priority, detail}, or null. */
  @Column({ type: 'simple-json', nullable: true })
  chosen: { kind: string; id: string; priority: number | null; detail: string } | null;

  /**
   * What the entry says as facts (the flow node, the words with the resources they name as references),
   * rendered per reader when read; `summary` keeps the same sentence with ids. Null in entries written before
   * facts were kept: those are read through a scrub (src/routing/trace-words.ts).
   */
  @Column({ type: 'simple-json', nullable: true })
  facts: TraceFacts | null;
}

/**
 * A telephony event already applied (an attempt outcome or a call end), by the connector's event id: a
 * repeated event finds its record and changes nothing. Written in the same transaction as its effect.
 */
@Entity('telephony_event')
@Unique('uq_telephony_event_company_event', ['companyId', 'eventId'])
// Pruning by age, over every company (decision 039).
@Index('idx_telephony_event_received', ['receivedAt'])
export class TelephonyEvent extends CompanyScoped {
  @Column({ type: 'varchar', length: 200 })
  eventId: string;

  /** What the event was, e.g. `OUTCOME:<attemptId>:BUSY` or `END:<callId>:COMPLETED`: the same id with other content is refused. */
  @Column({ type: 'varchar', length: 120 })
  fingerprint: string;

  @Column({ type: Date })
  receivedAt: Date;
}

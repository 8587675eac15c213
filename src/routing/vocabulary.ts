/**
 * The gateway's vocabulary with the telephony platform (pure): what a connector is told to do, with the
 * fields each kind of instruction carries, and why a call ends. The API's enums, the event bus and the
 * entities take these lists from here; attempt states and outcomes are in ./state-machine (re-exported).
 */

export { ATTEMPT_OUTCOMES, type AttemptOutcome } from './state-machine';

/** The kinds of instruction; the API's TelephonyInstructionKind enum is built from this list. */
export const INSTRUCTION_KINDS = {
  RING_AGENT: 'RING_AGENT', DIAL_EXTERNAL: 'DIAL_EXTERNAL', CANCEL_ATTEMPT: 'CANCEL_ATTEMPT', PLAY_MESSAGE: 'PLAY_MESSAGE', DISCONNECT: 'DISCONNECT', PROBE_DESTINATION: 'PROBE_DESTINATION',
} as const;
export type InstructionKind = keyof typeof INSTRUCTION_KINDS;

/** Ring a regular agent; the connector reports the attempt's outcome (NO_ANSWER is counted at the ring timeout otherwise). */
export interface RingAgentInstruction {
  readonly kind: 'RING_AGENT';
  readonly callId: string;
  readonly attemptId: string;
  readonly agentId: string;
  /** The queue's agentRingTimeoutSec. */
  readonly ringTimeoutSec: number;
  /** The call's context and the gateway's facts (hand-off). */
  readonly context?: readonly ContextEntry[];
}

/** Dial an external destination's number, resolved for this call from the destination's number mode. */
export interface DialExternalInstruction {
  readonly kind: 'DIAL_EXTERNAL';
  readonly callId: string;
  readonly attemptId: string;
  readonly destinationId: string;
  /** E.164. */
  readonly number: string;
  /** The destination's outdialTimeoutSec. */
  readonly ringTimeoutSec: number;
  /** The call's context and the gateway's facts (hand-off). */
  readonly context?: readonly ContextEntry[];
}

/** Stop ringing an attempt (the caller hung up, the call moved on, the ring timed out). */
export interface CancelAttemptInstruction {
  readonly kind: 'CANCEL_ATTEMPT';
  readonly callId: string;
  readonly attemptId: string;
}

/** Play a message to the caller (a call flow's PLAY_MESSAGE node). */
export interface PlayMessageInstruction {
  readonly kind: 'PLAY_MESSAGE';
  readonly callId: string;
  readonly message: string;
}

/** Hang up on the caller, with the reason when there is one. */
export interface DisconnectInstruction {
  readonly kind: 'DISCONNECT';
  readonly callId: string;
  readonly message?: string | null;
  /** Why, as the code the call ended with (QUEUE_FULL, MAX_WAIT, DISCONNECTED); absent in instructions logged before it was given. */
  readonly endReason?: CallEndReason | null;
}

/**
 * Place a test call to a destination that is backed off or suspended (its health probe); the connector reports
 * reportProbeOutcome. A probe is no caller's: its `callId` and `attemptId` are the probe's own id.
 */
export interface ProbeDestinationInstruction {
  readonly kind: 'PROBE_DESTINATION';
  /** The probe's id (also the attemptId). */
  readonly callId: string;
  readonly destinationId: string;
  /** E.164. */
  readonly number: string;
  /** Seconds the probe may take before it counts as failed. */
  readonly ringTimeoutSec: number;
}

/** An instruction with exactly the fields its kind carries. */
export type InstructionPayload = RingAgentInstruction | DialExternalInstruction | CancelAttemptInstruction | PlayMessageInstruction | DisconnectInstruction | ProbeDestinationInstruction;

/** The payload of one kind. */
export type InstructionPayloadOf<K extends InstructionKind> = Extract<InstructionPayload, { kind: K }>;

/**
 * What a telephony connector is told to do, as it travels (the event bus, Redis, the API's TelephonyInstruction):
 * plain data with every field, null where the kind does not use it.
 */
export interface TelephonyInstructionEvent {
  instructionId: string;
  kind: InstructionKind;
  callId: string;
  attemptId: string | null;
  agentId: string | null;
  destinationId: string | null;
  number: string | null;
  ringTimeoutSec: number | null;
  message: string | null;
  /** RING_AGENT, DIAL_EXTERNAL: the call's context and what the gateway knows of it (hand-off); null otherwise. */
  context: readonly ContextEntry[] | null;
  /** DISCONNECT: why, as the call's end reason; null otherwise. */
  endReason: CallEndReason | null;
  /** When the gateway issued it (ms since the epoch). */
  issuedAt: number;
}

/** One key-value pair of a call's context: text, never interpreted. */
export interface ContextEntry {
  key: string;
  value: string;
}

/** The instruction as it travels: the payload's fields, null for those its kind does not carry. */
export function instructionEvent(payload: InstructionPayload, instructionId: string, issuedAt: number): TelephonyInstructionEvent {
  const event: TelephonyInstructionEvent = {
    instructionId, kind: payload.kind, callId: payload.callId, attemptId: null, agentId: null, destinationId: null, number: null, ringTimeoutSec: null, message: null, context: null, endReason: null, issuedAt,
  };
  switch (payload.kind) {
    case 'RING_AGENT':
      return { ...event, attemptId: payload.attemptId, agentId: payload.agentId, ringTimeoutSec: payload.ringTimeoutSec, context: payload.context ?? null };
    case 'DIAL_EXTERNAL':
      return { ...event, attemptId: payload.attemptId, destinationId: payload.destinationId, number: payload.number, ringTimeoutSec: payload.ringTimeoutSec, context: payload.context ?? null };
    case 'CANCEL_ATTEMPT':
      return { ...event, attemptId: payload.attemptId };
    case 'PLAY_MESSAGE':
      return { ...event, message: payload.message };
    case 'DISCONNECT':
      return { ...event, message: payload.message ?? null, endReason: payload.endReason ?? null };
    case 'PROBE_DESTINATION':
      return { ...event, attemptId: payload.callId, destinationId: payload.destinationId, number: payload.number, ringTimeoutSec: payload.ringTimeoutSec };
    default:
      return unknownKind(payload);
  }
}

/**
 * The payload an instruction that travelled carries, or null when a field its kind needs is missing (or the
 * kind is unknown): what a connector reads it as.
 */
export function instructionPayload(event: TelephonyInstructionEvent): InstructionPayload | null {
  const { kind, callId, attemptId, agentId, destinationId, number, ringTimeoutSec, message } = event;
  // An instruction logged before contexts travelled has none.
  const context = event.context ?? null;
  const handed = context === null ? {} : { context };
  switch (kind) {
    case 'RING_AGENT':
      return attemptId !== null && agentId !== null && ringTimeoutSec !== null ? { kind, callId, attemptId, agentId, ringTimeoutSec, ...handed } : null;
    case 'DIAL_EXTERNAL':
      return attemptId !== null && destinationId !== null && number !== null && ringTimeoutSec !== null
        ? { kind, callId, attemptId, destinationId, number, ringTimeoutSec, ...handed }
        : null;
    case 'CANCEL_ATTEMPT':
      return attemptId !== null ? { kind, callId, attemptId } : null;
    case 'PLAY_MESSAGE':
      return message !== null ? { kind, callId, message } : null;
    case 'DISCONNECT':
      return { kind, callId, message, ...(event.endReason === null || event.endReason === undefined ? {} : { endReason: event.endReason }) };
    case 'PROBE_DESTINATION':
      return attemptId === callId && destinationId !== null && number !== null && ringTimeoutSec !== null ? { kind, callId, destinationId, number, ringTimeoutSec } : null;
    default:
      return null;
  }
}

function unknownKind(payload: never): never {
  throw new Error(`unknown instruction kind ${(payload as { kind?: unknown }).kind}`);
}

/** Why a call ended (or was refused), kept beside its state; the API's CallEndReason enum is built from this list. */
export const CALL_END_REASONS = { COMPLETED: 'COMPLETED', CALLER_HUNG_UP: 'CALLER_HUNG_UP', QUEUE_FULL: 'QUEUE_FULL', MAX_WAIT: 'MAX_WAIT', DISCONNECTED: 'DISCONNECTED' } as const;
export type CallEndReason = keyof typeof CALL_END_REASONS;

/** The end reasons a connector reports (endCall); the gateway sets the others itself. */
export const REPORTED_END_REASONS = ['COMPLETED', 'CALLER_HUNG_UP'] as const satisfies readonly CallEndReason[];
export type ReportedEndReason = (typeof REPORTED_END_REASONS)[number];

/** The kinds of thing a change of a company's authority or configuration names; the first five are authority, the rest configuration. */
export const CHANGE_KINDS = ['company', 'user', 'role', 'profile', 'connectorKey', 'destination', 'group', 'queue', 'agent', 'pool'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface Change {
  readonly kind: ChangeKind;
  readonly id: string;
}

/** A committed change of a company's authority or configuration, at the authority version it moved to. */
export interface ModelChangeEvent {
  readonly companyId: string;
  readonly version: number;
  readonly changes: readonly Change[];
}

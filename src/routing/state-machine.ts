/**
 * Explicit transition tables for the states the router tracks. Each table is the spec: a state lists the
 * events it accepts and where each leads; anything else is refused with a reason (never a silent change).
 */
export type TransitionTable<S extends string, E extends string> = Readonly<Record<S, Readonly<Partial<Record<E, S>>>>>;

export type Transition<S> = { ok: true; to: S } | { ok: false; reason: string };

/** The state after `event` in `from`, or why the event is not accepted there. */
export function transition<S extends string, E extends string>(table: TransitionTable<S, E>, from: S, event: E): Transition<S> {
  const to = table[from][event];
  return to === undefined ? { ok: false, reason: `${event} is not possible while ${from}` } : { ok: true, to };
}

/** A regular agent's activity; the API's AgentActivity enum is built from this list. */
export const AGENT_ACTIVITIES = { IDLE: 'IDLE', RESERVED: 'RESERVED', RINGING: 'RINGING', ON_CALL: 'ON_CALL', WRAP_UP: 'WRAP_UP' } as const;
export type AgentActivity = keyof typeof AGENT_ACTIVITIES;
export type AgentActivityEvent = 'reserve' | 'release' | 'ring' | 'answer' | 'miss' | 'hangUp' | 'finishWrapUp';

/**
 * A regular agent's activity (one call at a time):
 * IDLE --reserve--> RESERVED --ring--> RINGING --answer--> ON_CALL --hangUp--> WRAP_UP --finishWrapUp--> IDLE;
 * a reservation is released, a ring is missed (no answer, rejected, caller gone) back to IDLE.
 */
export const AGENT_ACTIVITY: TransitionTable<AgentActivity, AgentActivityEvent> = {
  IDLE: { reserve: 'RESERVED' },
  RESERVED: { ring: 'RINGING', release: 'IDLE' },
  RINGING: { answer: 'ON_CALL', miss: 'IDLE' },
  ON_CALL: { hangUp: 'WRAP_UP' },
  WRAP_UP: { finishWrapUp: 'IDLE' },
};

/** A call's state; the API's CallState enum is built from this list. */
export const CALL_STATES = { QUEUED: 'QUEUED', OFFERING: 'OFFERING', CONNECTED: 'CONNECTED', ENDED: 'ENDED', ABANDONED: 'ABANDONED', FAILED: 'FAILED' } as const;
export type CallState = keyof typeof CALL_STATES;
export type CallEvent = 'offer' | 'attemptEnded' | 'answered' | 'completed' | 'callerHungUp' | 'timedOut' | 'refused' | 'returned';

/**
 * A call: QUEUED --offer--> OFFERING --answered--> CONNECTED --completed|callerHungUp--> ENDED.
 * An offer that ends unanswered puts the call back (QUEUED, its place kept). The caller hanging up before
 * an answer abandons it; the queue's maximum wait or a full queue fails it.
 */
export const CALL_STATE: TransitionTable<CallState, CallEvent> = {
  QUEUED: { offer: 'OFFERING', callerHungUp: 'ABANDONED', timedOut: 'FAILED', refused: 'FAILED' },
  OFFERING: { answered: 'CONNECTED', attemptEnded: 'QUEUED', callerHungUp: 'ABANDONED', timedOut: 'FAILED' },
  CONNECTED: { completed: 'ENDED', callerHungUp: 'ENDED', returned: 'QUEUED' },
  ENDED: {},
  ABANDONED: {},
  FAILED: {},
};

/** An attempt's state; the API's AttemptState enum is built from this list. */
export const ATTEMPT_STATES = {
  RINGING: 'RINGING', CONNECTED: 'CONNECTED', COMPLETED: 'COMPLETED', RETURNED: 'RETURNED', BUSY: 'BUSY', NO_ANSWER: 'NO_ANSWER', REJECTED: 'REJECTED', FAILED: 'FAILED', CANCELLED: 'CANCELLED',
} as const;
export type AttemptState = keyof typeof ATTEMPT_STATES;
/** What the telephony platform reports for an attempt; the API's AttemptOutcome enum is built from this list. */
export const ATTEMPT_OUTCOMES = { ANSWERED: 'ANSWERED', BUSY: 'BUSY', NO_ANSWER: 'NO_ANSWER', REJECTED: 'REJECTED', FAILED: 'FAILED' } as const;
export type AttemptOutcome = keyof typeof ATTEMPT_OUTCOMES;
export type AttemptEvent = AttemptOutcome | 'CANCEL' | 'CALL_ENDED' | 'RETURN';

/**
 * One offer of a call to an agent or a destination: RINGING until an outcome; ANSWERED connects it until the
 * call ends (COMPLETED) or an external destination hands it back (RETURNED); every other outcome, or a cancel
 * (the caller hung up, the call moved on), is final.
 */
export const ATTEMPT_STATE: TransitionTable<AttemptState, AttemptEvent> = {
  RINGING: { ANSWERED: 'CONNECTED', BUSY: 'BUSY', NO_ANSWER: 'NO_ANSWER', REJECTED: 'REJECTED', FAILED: 'FAILED', CANCEL: 'CANCELLED' },
  CONNECTED: { CALL_ENDED: 'COMPLETED', RETURN: 'RETURNED' },
  COMPLETED: {},
  RETURNED: {},
  BUSY: {},
  NO_ANSWER: {},
  REJECTED: {},
  FAILED: {},
  CANCELLED: {},
};

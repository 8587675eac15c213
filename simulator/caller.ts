import type { CallEndReason } from './connector-client';

/*
 * What one simulated call does, as a table: for each state of the call, the events it reacts to, the state it
 * goes to and what the simulator does then. The probabilities (answer, busy, reject, fail, ring out) and the
 * times (ring, quick outcome, talk, patience) come from the options; the table says when each applies. An event
 * a state does not list changes nothing. In short: a caller waits until answered or out of patience; answered,
 * they talk, then end the call (COMPLETED); out of patience, they hang up (CALLER_HUNG_UP), and when the gateway
 * refuses that because an answer won, they hang up on the connected call instead. An external destination that
 * answered may hand the caller back (returnCall) after a conversation: accepted, the caller waits again (with their
 * patience from then on); refused, the caller stays with the destination and talks to the end.
 */

/** States of a simulated call. */
export type CallerState =
  /** enqueueCall or startCall sent; no answer from the gateway yet. */
  | 'DIALLING'
  /** The caller waits for an agent or a destination, until their patience runs out. */
  | 'WAITING'
  /** Answered: the conversation lasts the talk time (or, with a destination that hands the call back, until it does). */
  | 'CONNECTED'
  /** The destination that answered hands the call back: returnCall sent, no answer from the gateway yet. */
  | 'RETURNING'
  /** Out of patience: endCall CALLER_HUNG_UP sent. */
  | 'HANGING_UP'
  /** An answer was accepted while the hang-up was on its way. */
  | 'HANGING_UP_ANSWERED'
  /** The hang-up was refused (CONFLICT, NOT_FOUND): settled once no answer report is in flight. */
  | 'HANG_UP_RACED'
  /** As HANG_UP_RACED, an answer having won: the caller hangs up on the connected call. */
  | 'HANG_UP_RACED_ANSWERED'
  /** The conversation is over: endCall COMPLETED sent. */
  | 'COMPLETING'
  /** Counted and forgotten: later instructions for the call are late. */
  | 'ENDED';

/** Events of a simulated call: instructions of the gateway, answers to the simulator's requests, its timers. */
export type CallerEventType =
  /** The gateway accepted the call (enqueueCall or startCall answered). */
  | 'ACCEPTED'
  /** RING_AGENT or DIAL_EXTERNAL: an attempt to plan. */
  | 'RING'
  /** CANCEL_ATTEMPT. */
  | 'CANCEL_ATTEMPT'
  /** PLAY_MESSAGE. */
  | 'PLAY_MESSAGE'
  /** The planned outcome of an attempt is due (after its ring or quick time). */
  | 'OUTCOME_DUE'
  /** The gateway accepted an ANSWERED outcome. */
  | 'ANSWERED'
  /** The caller's patience ran out. */
  | 'PATIENCE_OUT'
  /** The talk time is over. */
  | 'TALK_OVER'
  /** The destination that answered has talked long enough and hands the call back. */
  | 'HAND_BACK_DUE'
  /** returnCall accepted: the call waits in a queue again (or goes on in its call flow). */
  | 'RETURN_ACCEPTED'
  /** returnCall refused (or failed): the call stays with the destination. */
  | 'RETURN_REFUSED'
  /** The gateway ended the call: a DISCONNECT instruction, or the call came back already ended. */
  | 'GATEWAY_ENDED'
  /** endCall accepted. */
  | 'END_ACCEPTED'
  /** endCall refused with CONFLICT or NOT_FOUND: the gateway had ended the call, or an answer won. */
  | 'END_RACED'
  /** endCall failed otherwise: the call's state on the gateway is unknown. */
  | 'END_FAILED'
  /** No ANSWERED report is in flight any more (after a refused hang-up), while the simulator runs. */
  | 'SETTLED'
  /** The same, while the simulator stops: it sends nothing new. */
  | 'SETTLED_STOPPING';

/**
 * How a call left the simulator: an accepted endCall (COMPLETED, CALLER_HUNG_UP), the gateway ending it first
 * (DISCONNECTED: a DISCONNECT instruction or a refused endCall), or LOST (endCall failed; its state on the gateway
 * is unknown).
 */
export type CallEnd = CallEndReason | 'DISCONNECTED' | 'LOST';

/** What the simulator does on a transition that any event may cause. */
export type CallerAction =
  /** Starts the patience timer (callers of patience 0 never hang up). */
  | 'startPatience'
  /**
   * Starts the conversation: the talk timer (TALK_OVER), or, when the destination that answered plans to hand the
   * call back, the time until it does (HAND_BACK_DUE).
   */
  | 'startTalk'
  /** Sends returnCall for the destination's connected attempt, with its reason and the summary of the conversation. */
  | 'sendReturn'
  /** Stops the patience, talk and outcome timers. */
  | 'stopTimers'
  /** Stops the timers and sends endCall CALLER_HUNG_UP. */
  | 'sendHangUp'
  /** Stops the timers and sends endCall COMPLETED. */
  | 'sendCompleted'
  /** Forgets the call, counted by how it ended. */
  | `finish:${CallEnd}`;

/** Actions that read the event that caused them (its instruction, attempt or answer). */
export interface CallerEventActions {
  /** Plans the attempt (outcome and delay from the seeded draws) and starts its timer. */
  RING: 'ring';
  /** Stops the attempt's timer, counting it as cancelled when its outcome was still to come. */
  CANCEL_ATTEMPT: 'cancelAttempt';
  /** Logs the message. */
  PLAY_MESSAGE: 'playMessage';
  /** Reports the outcome with reportAttemptOutcome. */
  OUTCOME_DUE: 'report';
  /** Counts who answered (an agent or a destination; once per call) and stops the patience timer. */
  ANSWERED: 'countAnswer';
}

export type ActionOf<E extends CallerEventType> = CallerAction | (E extends keyof CallerEventActions ? CallerEventActions[E] : never);

export interface CallerTransition<E extends CallerEventType = CallerEventType> {
  to: CallerState;
  do: ReadonlyArray<ActionOf<E>>;
}

export type CallerTable = {
  readonly [S in CallerState]: { readonly [E in CallerEventType]?: CallerTransition<E> };
};

/**
 * Everything a simulated call does. While no endCall is on its way the phones it rings answer to their
 * instructions; once one is sent, no new attempt starts and no outcome is reported (cancels and messages still
 * apply), and a DISCONNECT only stops the timers: the answer to that endCall decides how the call is counted.
 */
export const CALLER: CallerTable = {
  DIALLING: {
    ACCEPTED: { to: 'WAITING', do: ['startPatience'] },
  },
  WAITING: {
    RING: { to: 'WAITING', do: ['ring'] },
    CANCEL_ATTEMPT: { to: 'WAITING', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'WAITING', do: ['playMessage'] },
    OUTCOME_DUE: { to: 'WAITING', do: ['report'] },
    ANSWERED: { to: 'CONNECTED', do: ['countAnswer', 'startTalk'] },
    PATIENCE_OUT: { to: 'HANGING_UP', do: ['sendHangUp'] },
    GATEWAY_ENDED: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
  },
  CONNECTED: {
    RING: { to: 'CONNECTED', do: ['ring'] },
    CANCEL_ATTEMPT: { to: 'CONNECTED', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'CONNECTED', do: ['playMessage'] },
    OUTCOME_DUE: { to: 'CONNECTED', do: ['report'] },
    TALK_OVER: { to: 'COMPLETING', do: ['sendCompleted'] },
    HAND_BACK_DUE: { to: 'RETURNING', do: ['sendReturn'] },
    GATEWAY_ENDED: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
  },
  RETURNING: {
    // The gateway may route the call again before returnCall's answer arrives: its instructions are acted on.
    RING: { to: 'RETURNING', do: ['ring'] },
    CANCEL_ATTEMPT: { to: 'RETURNING', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'RETURNING', do: ['playMessage'] },
    OUTCOME_DUE: { to: 'RETURNING', do: ['report'] },
    // An agent answered even before that answer: the caller talks to them.
    ANSWERED: { to: 'CONNECTED', do: ['countAnswer', 'startTalk'] },
    // Waiting again, the caller's patience runs from the return.
    RETURN_ACCEPTED: { to: 'WAITING', do: ['startPatience'] },
    RETURN_REFUSED: { to: 'CONNECTED', do: ['startTalk'] },
    GATEWAY_ENDED: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
  },
  HANGING_UP: {
    CANCEL_ATTEMPT: { to: 'HANGING_UP', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'HANGING_UP', do: ['playMessage'] },
    ANSWERED: { to: 'HANGING_UP_ANSWERED', do: ['countAnswer'] },
    GATEWAY_ENDED: { to: 'HANGING_UP', do: ['stopTimers'] },
    END_ACCEPTED: { to: 'ENDED', do: ['finish:CALLER_HUNG_UP'] },
    END_RACED: { to: 'HANG_UP_RACED', do: [] },
    END_FAILED: { to: 'ENDED', do: ['finish:LOST'] },
  },
  HANGING_UP_ANSWERED: {
    CANCEL_ATTEMPT: { to: 'HANGING_UP_ANSWERED', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'HANGING_UP_ANSWERED', do: ['playMessage'] },
    GATEWAY_ENDED: { to: 'HANGING_UP_ANSWERED', do: ['stopTimers'] },
    END_ACCEPTED: { to: 'ENDED', do: ['finish:CALLER_HUNG_UP'] },
    END_RACED: { to: 'HANG_UP_RACED_ANSWERED', do: [] },
    END_FAILED: { to: 'ENDED', do: ['finish:LOST'] },
  },
  HANG_UP_RACED: {
    CANCEL_ATTEMPT: { to: 'HANG_UP_RACED', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'HANG_UP_RACED', do: ['playMessage'] },
    ANSWERED: { to: 'HANG_UP_RACED_ANSWERED', do: ['countAnswer'] },
    GATEWAY_ENDED: { to: 'HANG_UP_RACED', do: ['stopTimers'] },
    // No answer won: the gateway had ended the call.
    SETTLED: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
    SETTLED_STOPPING: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
  },
  HANG_UP_RACED_ANSWERED: {
    CANCEL_ATTEMPT: { to: 'HANG_UP_RACED_ANSWERED', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'HANG_UP_RACED_ANSWERED', do: ['playMessage'] },
    GATEWAY_ENDED: { to: 'HANG_UP_RACED_ANSWERED', do: ['stopTimers'] },
    // An answer won: the caller hangs up on the connected call.
    SETTLED: { to: 'COMPLETING', do: ['sendCompleted'] },
    SETTLED_STOPPING: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
  },
  COMPLETING: {
    CANCEL_ATTEMPT: { to: 'COMPLETING', do: ['cancelAttempt'] },
    PLAY_MESSAGE: { to: 'COMPLETING', do: ['playMessage'] },
    GATEWAY_ENDED: { to: 'COMPLETING', do: ['stopTimers'] },
    END_ACCEPTED: { to: 'ENDED', do: ['finish:COMPLETED'] },
    // The gateway had ended the call first.
    END_RACED: { to: 'ENDED', do: ['finish:DISCONNECTED'] },
    END_FAILED: { to: 'ENDED', do: ['finish:LOST'] },
  },
  ENDED: {
    // An answer the gateway accepted before the call ended still counts (once) as the call's answer.
    ANSWERED: { to: 'ENDED', do: ['countAnswer'] },
  },
};

/** The transition of `state` on `event`; null when the state ignores it. */
export function callerStep<E extends CallerEventType>(state: CallerState, event: E): CallerTransition<E> | null {
  return (CALLER[state][event] as CallerTransition<E> | undefined) ?? null;
}

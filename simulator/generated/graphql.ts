/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** LOGGED_OUT: takes no calls; AVAILABLE: may be offered calls; ON_BREAK: logged in, takes no calls. */
export type AgentStatus =
  | 'AVAILABLE'
  | 'LOGGED_OUT'
  | 'ON_BREAK';

/** What the telephony platform reports for one attempt. */
export type AttemptOutcome =
  | 'ANSWERED'
  | 'BUSY'
  | 'FAILED'
  | 'NO_ANSWER'
  | 'REJECTED';

/** The outcome of one attempt, reported once per event id. */
export type AttemptOutcomeInput = {
  /** The attemptId of the RING_AGENT or DIAL_EXTERNAL instruction. */
  attemptId: string | number;
  /** Unique per event (1-200 characters): the same event sent again changes nothing and returns the same attempt. */
  eventId: string;
  /** What happened. */
  outcome: AttemptOutcome;
};

/** RINGING until an outcome; CONNECTED after ANSWERED until the call ends (COMPLETED) or the external destination hands it back (RETURNED, returnCall); BUSY, NO_ANSWER, REJECTED, FAILED as reported (or NO_ANSWER at the ring timeout); CANCELLED when the caller hung up or the call left the queue while it rang. */
export type AttemptState =
  | 'BUSY'
  | 'CANCELLED'
  | 'COMPLETED'
  | 'CONNECTED'
  | 'FAILED'
  | 'NO_ANSWER'
  | 'REJECTED'
  | 'RETURNED'
  | 'RINGING';

/** One key-value pair of a call's context (text, never interpreted). */
export type CallContextEntryInput = {
  /** 1-64 characters: a letter, then letters, digits, _ . or -; unique in the call; not starting with `gateway.` (the gateway's own entries). */
  key: string;
  /** Readable text, up to 500 characters. */
  value: string;
};

/** Why a call ended. A connector reports COMPLETED or CALLER_HUNG_UP; the gateway itself sets QUEUE_FULL (refused at entry), MAX_WAIT (the queue's maxWaitSec passed) and DISCONNECTED (a call flow disconnected it). */
export type CallEndReason =
  | 'CALLER_HUNG_UP'
  | 'COMPLETED'
  | 'DISCONNECTED'
  | 'MAX_WAIT'
  | 'QUEUE_FULL';

/** QUEUED: waiting for an agent or destination; OFFERING: ringing one; CONNECTED: answered; ENDED: finished after an answer; ABANDONED: the caller hung up before an answer; FAILED: refused (queue full), left the queue at its maximum wait, or disconnected by a call flow. */
export type CallState =
  | 'ABANDONED'
  | 'CONNECTED'
  | 'ENDED'
  | 'FAILED'
  | 'OFFERING'
  | 'QUEUED';

/** The end of a call, reported once per event id. */
export type EndCallInput = {
  /** The call's id (from enqueueCall or an instruction). */
  callId: string | number;
  /** Unique per event (1-200 characters): the same event sent again changes nothing and returns the same call. */
  eventId: string;
  /** COMPLETED (after an answer) or CALLER_HUNG_UP. */
  reason: CallEndReason;
};

/** A call handed straight to a queue by the telephony platform. */
export type EnqueueCallInput = {
  /** The caller id as the network presented it (optional): a number in any form (`+447911123456`, national `07911123456`), `anonymous`, `Unavailable`, a SIP or tel URI... A call is never refused for its caller id: it is kept as presented (up to 200 characters; characters nobody can read are shown as U+FFFD, a longer one is cut), with its E.164 form when it is a telephone number (see Call.callerId and Call.callerE164). */
  callerNumber?: string | null | undefined;
  /** The platform's own call id (1-200 characters): sending it again returns the same call. */
  connectorCallId: string;
  /** The call's context, handed to whoever takes it (RING_AGENT and DIAL_EXTERNAL carry it): at most 32 entries and 8 000 characters in all; sending the call again does not change it. */
  context?: Array<CallContextEntryInput> | null | undefined;
  /** 0-1000, default 0: higher is served first; equal priorities keep arrival order. */
  priority?: number | null | undefined;
  /** The queue the call waits in. */
  queueId: string | number;
  /** The service number the caller dialled, E.164; the PREFIX_* number modes of destinations build the dialled number from it. */
  serviceNumber?: string | null | undefined;
};

/** How a health probe ended: SUCCEEDED (the far end answered), FAILED (busy, refused, no route...), TIMED_OUT (no outcome within its timeout; the gateway reports it itself). */
export type ProbeOutcome =
  | 'FAILED'
  | 'SUCCEEDED'
  | 'TIMED_OUT';

/** The outcome of a health probe (PROBE_DESTINATION). */
export type ProbeOutcomeInput = {
  /** Unique per event (1-200 characters): the same event sent again changes nothing and returns the same probe. */
  eventId: string;
  /** SUCCEEDED when the far end answered (then hang up), FAILED otherwise; TIMED_OUT is also accepted. */
  outcome: ProbeOutcome;
  /** The probe's id: the callId (and attemptId) of its PROBE_DESTINATION. */
  probeId: string | number;
};

/** An external destination that answered a call hands it back (an AI virtual agent returning the caller to a person). */
export type ReturnCallInput = {
  /** The connected attempt of an external destination (from its DIAL_EXTERNAL). */
  attemptId: string | number;
  /** Entries to add to the call's context (what the destination learnt): a key already there takes the new value, a new key goes last; the same bounds as the call's context. */
  context?: Array<CallContextEntryInput> | null | undefined;
  /** Unique per event (1-200 characters): the same event sent again changes nothing and returns the same call. */
  eventId: string;
  /** The queue the call goes to (it then leaves its call flow). Left out: the queue it was offered from, or, for a call flow's ROUTE_TO_EXTERNAL_DESTINATION node, that node's Returned branch. */
  queueId?: string | number | null | undefined;
  /** Why the call comes back, in words (1-200 readable characters): kept on the attempt, shown in the trace and handed on as `gateway.returnReason`. */
  reason: string;
};

/** A new call to a service number: it runs that number's published call flow. */
export type StartCallInput = {
  /** The caller id as the network presented it (optional): a number in any form (`+447911123456`, national `07911123456`), `anonymous`, `Unavailable`, a SIP or tel URI... A call is never refused for its caller id: it is kept as presented (up to 200 characters; characters nobody can read are shown as U+FFFD, a longer one is cut), with its E.164 form when it is a telephone number (see Call.callerId and Call.callerE164). */
  callerNumber?: string | null | undefined;
  /** The platform's own call id (1-200 characters): sending it again returns the same call. */
  connectorCallId: string;
  /** The call's context, handed to whoever takes it (RING_AGENT and DIAL_EXTERNAL carry it): at most 32 entries and 8 000 characters in all; sending the call again does not change it. */
  context?: Array<CallContextEntryInput> | null | undefined;
  /** The number the caller dialled (E.164): it selects the call flow. */
  serviceNumber: string;
};

/** What the connector is told to do. */
export type TelephonyInstructionKind =
  | 'CANCEL_ATTEMPT'
  | 'DIAL_EXTERNAL'
  | 'DISCONNECT'
  | 'PLAY_MESSAGE'
  | 'PROBE_DESTINATION'
  | 'RING_AGENT';

export type LoginMutationVariables = Exact<{
  companySlug: string;
  username: string;
  password: string;
}>;


export type LoginMutation = { login: { token: string, expiresAt: string } };

export type CreateConnectorApiKeyMutationVariables = Exact<{
  name: string;
}>;


export type CreateConnectorApiKeyMutation = { createConnectorApiKey: { apiKey: string } };

export type QueuesQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type QueuesQuery = { queues: { nodes: Array<{ id: string, name: string }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type AgentsQueryVariables = Exact<{
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type AgentsQuery = { agents: { nodes: Array<{ id: string, name: string }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type SetAgentStatusMutationVariables = Exact<{
  agentId: string | number;
  status: AgentStatus;
}>;


export type SetAgentStatusMutation = { setAgentStatus: { id: string } };

export type EnqueueCallMutationVariables = Exact<{
  input: EnqueueCallInput;
}>;


export type EnqueueCallMutation = { enqueueCall: { id: string, connectorCallId: string, state: CallState } };

export type StartCallMutationVariables = Exact<{
  input: StartCallInput;
}>;


export type StartCallMutation = { startCall: { id: string, connectorCallId: string, state: CallState } };

export type ReportAttemptOutcomeMutationVariables = Exact<{
  input: AttemptOutcomeInput;
}>;


export type ReportAttemptOutcomeMutation = { reportAttemptOutcome: { id: string, state: AttemptState, outcome: AttemptOutcome | null } };

export type ReturnCallMutationVariables = Exact<{
  input: ReturnCallInput;
}>;


export type ReturnCallMutation = { returnCall: { id: string, connectorCallId: string, state: CallState, returnCount: number } };

export type ReportProbeOutcomeMutationVariables = Exact<{
  input: ProbeOutcomeInput;
}>;


export type ReportProbeOutcomeMutation = { reportProbeOutcome: { id: string, destinationId: string, outcome: ProbeOutcome | null } };

export type EndCallMutationVariables = Exact<{
  input: EndCallInput;
}>;


export type EndCallMutation = { endCall: { id: string, connectorCallId: string, state: CallState } };

export type TelephonyInstructionsSubscriptionVariables = Exact<{
  afterSeq?: number | null | undefined;
  acknowledges?: boolean | null | undefined;
}>;


export type TelephonyInstructionsSubscription = { telephonyInstructions: { instructionId: string, seq: number, kind: TelephonyInstructionKind, callId: string, attemptId: string | null, agentId: string | null, destinationId: string | null, number: string | null, ringTimeoutSec: number | null, message: string | null, endReason: CallEndReason | null, context: Array<{ key: string, value: string }> | null } };

export type AcknowledgeTelephonyInstructionsMutationVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type AcknowledgeTelephonyInstructionsMutation = { acknowledgeTelephonyInstructions: number };

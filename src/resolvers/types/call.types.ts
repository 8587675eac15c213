import { Field, ID, InputType, Int, ObjectType, createUnionType, registerEnumType } from 'type-graphql';
import { Agent } from '../../entities/agent.entity';
import { CALL_END_REASONS, type CallEndReason } from '../../entities/call.entity';
import { ExternalDestination } from '../../entities/external-destination.entity';
import { INSTRUCTION_KINDS, type TelephonyInstructionEvent } from '../../realtime/event-bus';
import { ATTEMPT_OUTCOMES, ATTEMPT_STATES, CALL_STATES, type AttemptOutcome, type AttemptState, type CallState } from '../../routing/state-machine';
import { RESOURCE_KINDS, type ResourceKind } from '../../routing/types';

registerEnumType(CALL_STATES, {
  name: 'CallState',
  description: 'QUEUED: waiting for an agent or destination; OFFERING: ringing one; CONNECTED: answered; ENDED: finished after an answer; ABANDONED: the caller hung up before an answer; FAILED: refused (queue full), left the queue at its maximum wait, or disconnected by a call flow.',
});
registerEnumType(ATTEMPT_STATES, {
  name: 'AttemptState',
  description: 'RINGING until an outcome; CONNECTED after ANSWERED until the call ends (COMPLETED) or the external destination hands it back (RETURNED, returnCall); BUSY, NO_ANSWER, REJECTED, FAILED as reported (or NO_ANSWER at the ring timeout); CANCELLED when the caller hung up or the call left the queue while it rang.',
});
registerEnumType(ATTEMPT_OUTCOMES, { name: 'AttemptOutcome', description: 'What the telephony platform reports for one attempt.' });
registerEnumType(CALL_END_REASONS, {
  name: 'CallEndReason',
  description: 'Why a call ended. A connector reports COMPLETED or CALLER_HUNG_UP; the gateway itself sets QUEUE_FULL (refused at entry), MAX_WAIT (the queue\'s maxWaitSec passed) and DISCONNECTED (a call flow disconnected it).',
});
registerEnumType(INSTRUCTION_KINDS, { name: 'TelephonyInstructionKind', description: 'What the connector is told to do.' });
registerEnumType(RESOURCE_KINDS, { name: 'RoutingResourceKind', description: 'What a routing decision looked at: a queue group, a regular agent or an external destination.' });

const CALLER_INPUT = 'The caller id as the network presented it (optional): a number in any form (`+447911123456`, national `07911123456`), `anonymous`, `Unavailable`, a SIP or tel URI... A call is never refused for its caller id: it is kept as presented (up to 200 characters; characters nobody can read are shown as U+FFFD, a longer one is cut), with its E.164 form when it is a telephone number (see Call.callerId and Call.callerE164).';

@InputType({ description: 'One key-value pair of a call\'s context (text, never interpreted).' })
export class CallContextEntryInput {
  @Field({ description: '1-64 characters: a letter, then letters, digits, _ . or -; unique in the call; not starting with `gateway.` (the gateway\'s own entries).' })
  key: string;

  @Field({ description: 'Readable text, up to 500 characters.' })
  value: string;
}

@ObjectType({ simpleResolvers: true, description: 'One key-value pair of a call\'s context (text, never interpreted).' })
export class CallContextEntry {
  @Field({ description: 'The key; those the gateway adds to a hand-off start with `gateway.`.' })
  key: string;

  @Field({ description: 'The value, as given.' })
  value: string;
}

const CONTEXT_INPUT = 'The call\'s context, handed to whoever takes it (RING_AGENT and DIAL_EXTERNAL carry it): at most 32 entries and 8 000 characters in all; sending the call again does not change it.';

@InputType({ description: 'A call handed straight to a queue by the telephony platform.' })
export class EnqueueCallInput {
  @Field({ description: 'The platform\'s own call id (1-200 characters): sending it again returns the same call.' })
  connectorCallId: string;

  @Field(() => ID, { description: 'The queue the call waits in.' })
  queueId: string;

  @Field(() => String, { nullable: true, description: CALLER_INPUT })
  callerNumber?: string | null;

  @Field(() => String, { nullable: true, description: 'The service number the caller dialled, E.164; the PREFIX_* number modes of destinations build the dialled number from it.' })
  serviceNumber?: string | null;

  @Field(() => [CallContextEntryInput], { nullable: true, description: CONTEXT_INPUT })
  context?: CallContextEntryInput[] | null;

  @Field(() => Int, { nullable: true, description: '0-1000, default 0: higher is served first; equal priorities keep arrival order.' })
  priority?: number | null;
}

@InputType({ description: 'A new call to a service number: it runs that number\'s published call flow.' })
export class StartCallInput {
  @Field({ description: 'The platform\'s own call id (1-200 characters): sending it again returns the same call.' })
  connectorCallId: string;

  @Field(() => [CallContextEntryInput], { nullable: true, description: CONTEXT_INPUT })
  context?: CallContextEntryInput[] | null;

  @Field({ description: 'The number the caller dialled (E.164): it selects the call flow.' })
  serviceNumber: string;

  @Field(() => String, { nullable: true, description: CALLER_INPUT })
  callerNumber?: string | null;
}

@InputType({ description: 'The outcome of one attempt, reported once per event id.' })
export class AttemptOutcomeInput {
  @Field({ description: 'Unique per event (1-200 characters): the same event sent again changes nothing and returns the same attempt.' })
  eventId: string;

  @Field(() => ID, { description: 'The attemptId of the RING_AGENT or DIAL_EXTERNAL instruction.' })
  attemptId: string;

  @Field(() => ATTEMPT_OUTCOMES, { description: 'What happened.' })
  outcome: AttemptOutcome;
}

@InputType({ description: 'The end of a call, reported once per event id.' })
export class EndCallInput {
  @Field({ description: 'Unique per event (1-200 characters): the same event sent again changes nothing and returns the same call.' })
  eventId: string;

  @Field(() => ID, { description: 'The call\'s id (from enqueueCall or an instruction).' })
  callId: string;

  @Field(() => CALL_END_REASONS, { description: 'COMPLETED (after an answer) or CALLER_HUNG_UP.' })
  reason: CallEndReason;
}

@InputType({ description: 'An external destination that answered a call hands it back (an AI virtual agent returning the caller to a person).' })
export class ReturnCallInput {
  @Field({ description: 'Unique per event (1-200 characters): the same event sent again changes nothing and returns the same call.' })
  eventId: string;

  @Field(() => ID, { description: 'The connected attempt of an external destination (from its DIAL_EXTERNAL).' })
  attemptId: string;

  @Field({ description: 'Why the call comes back, in words (1-200 readable characters): kept on the attempt, shown in the trace and handed on as `gateway.returnReason`.' })
  reason: string;

  @Field(() => [CallContextEntryInput], { nullable: true, description: 'Entries to add to the call\'s context (what the destination learnt): a key already there takes the new value, a new key goes last; the same bounds as the call\'s context.' })
  context?: CallContextEntryInput[] | null;

  @Field(() => ID, { nullable: true, description: 'The queue the call goes to (it then leaves its call flow). Left out: the queue it was offered from, or, for a call flow\'s ROUTE_TO_EXTERNAL_DESTINATION node, that node\'s Returned branch.' })
  queueId?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'What the connector must do now. Fields that do not apply to the kind are null.' })
export class TelephonyInstruction {
  @Field(() => ID, { description: 'Unique per instruction.' })
  instructionId: string;

  @Field(() => INSTRUCTION_KINDS, { description: 'What to do.' })
  kind: TelephonyInstructionEvent['kind'];

  @Field(() => ID, { description: 'The call it is about.' })
  callId: string;

  @Field(() => ID, { nullable: true, description: 'RING_AGENT, DIAL_EXTERNAL, CANCEL_ATTEMPT: the attempt to report the outcome of (or to stop).' })
  attemptId: string | null;

  @Field(() => ID, { nullable: true, description: 'RING_AGENT: the agent to ring.' })
  agentId: string | null;

  @Field(() => ID, { nullable: true, description: 'DIAL_EXTERNAL: the destination dialled.' })
  destinationId: string | null;

  @Field(() => String, { nullable: true, description: 'DIAL_EXTERNAL: the E.164 number to dial, resolved for this call from the destination\'s number mode.' })
  number: string | null;

  @Field(() => Int, { nullable: true, description: 'RING_AGENT: the queue\'s agentRingTimeoutSec; DIAL_EXTERNAL: the destination\'s outdialTimeoutSec. With no outcome by then the gateway counts NO_ANSWER.' })
  ringTimeoutSec: number | null;

  @Field(() => String, { nullable: true, description: 'PLAY_MESSAGE and DISCONNECT: the message or the reason.' })
  message: string | null;

  @Field(() => [CallContextEntry], {
    nullable: true,
    description: 'RING_AGENT and DIAL_EXTERNAL: the call\'s context (enqueueCall, startCall, SET_CONTEXT nodes, returnCall) followed by what the gateway knows, under `gateway.`: callerId, callerE164, serviceNumber (when known), waitedSec since it arrived, attempts so far with this one, flowPath for a call flow\'s call, and returns with returnReason once an external destination handed the call back. Pass it on to the agent\'s desktop or the external destination (SIP headers, an AI agent\'s prompt). Null for the other kinds.',
  })
  context: CallContextEntry[] | null;

  @Field(() => CALL_END_REASONS, { nullable: true, description: 'DISCONNECT: why, as the code the call ended with: QUEUE_FULL (refused at entry), MAX_WAIT (the queue\'s maximum wait), DISCONNECTED (a call flow\'s DISCONNECT node or dead end); map it to your hang-up cause. Null for the other kinds (and in instructions logged before it was given).' })
  endReason: CallEndReason | null;

  @Field({ description: 'When the gateway issued it (UTC).' })
  issuedAt: Date;

  @Field(() => Int, { description: 'Its place in the company\'s instruction log: increasing in the order the gateway issued them (0 when it could not be logged). Pass the last one seen as telephonyInstructions(afterSeq) to resume.' })
  seq: number;
}

@ObjectType({ simpleResolvers: true, description: 'An external destination the caller may not see: that one was used is shown, never which or its number.' })
export class HiddenExternalDestination {
  @Field({ description: 'Always true.' })
  hidden: boolean;
}

/** Which type an attempt's target is, by name (synchronous: compiled execution calls it without awaiting). */
export function attemptTargetTypeName(value: object): 'HiddenExternalDestination' | 'ExternalDestination' | 'Agent' {
  return 'hidden' in value ? 'HiddenExternalDestination' : 'numberMode' in value ? 'ExternalDestination' : 'Agent';
}

export const AttemptTarget = createUnionType({
  name: 'AttemptTarget',
  description: 'Who an attempt offered the call to.',
  types: () => [Agent, ExternalDestination, HiddenExternalDestination] as const,
  resolveType: attemptTargetTypeName,
});

@ObjectType('CallAttempt', { simpleResolvers: true, description: 'One offer of a call to a regular agent or an external destination.' })
export class CallAttemptView {
  @Field(() => ID, { description: 'Opaque identifier: the attemptId of instructions and outcomes.' })
  id: string;

  @Field(() => ATTEMPT_STATES, { description: 'Where the attempt is now.' })
  state: AttemptState;

  @Field(() => ATTEMPT_OUTCOMES, { nullable: true, description: 'The reported (or timed-out) outcome; null while ringing and for cancelled attempts.' })
  outcome: AttemptOutcome | null;

  @Field(() => RESOURCE_KINDS, { description: 'AGENT or DESTINATION.' })
  targetKind: ResourceKind;

  /** Not fields: `target` and `number` are resolved under the caller's destination visibility. */
  companyId: string;
  agentId: string | null;
  destinationId: string | null;
  dialledNumber: string | null;

  @Field(() => Int, { description: 'Seconds it could ring before counting as NO_ANSWER.' })
  ringTimeoutSec: number;

  @Field({ description: 'When the gateway offered the call (UTC).' })
  startedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When it was answered (UTC); null if it was not.' })
  answeredAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When it ended (UTC); null while ringing or connected.' })
  endedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the external destination handed the call back (returnCall); null unless the state is RETURNED.' })
  returnReason: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A resource a routing decision looked at.' })
export class RoutingResource {
  @Field(() => RESOURCE_KINDS, { description: 'What it is.' })
  kind: ResourceKind;

  @Field(() => ID, { nullable: true, description: 'null for an external destination the caller may not see.' })
  id: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A resource passed over, and why.' })
export class RoutingSkip {
  @Field(() => RESOURCE_KINDS, { description: 'What it is.' })
  kind: ResourceKind;

  @Field(() => ID, { nullable: true, description: 'null for a destination the caller may not see, and for a count of further agents ("12 more agents").' })
  resourceId: string | null;

  @Field({ description: 'A stable code, e.g. AGENT_BUSY, DESTINATION_BACKED_OFF, DESTINATION_AT_CAPACITY, GROUP_NOT_ELIGIBLE.' })
  reason: string;

  @Field({ description: 'In words, e.g. "backed off until 14:03:10 UTC", "at capacity 3/3".' })
  detail: string;
}

@ObjectType({ simpleResolvers: true, description: 'What a decision chose.' })
export class RoutingChoice {
  @Field(() => RESOURCE_KINDS, { description: 'AGENT or DESTINATION.' })
  kind: ResourceKind;

  @Field(() => ID, { nullable: true, description: 'null for a destination the caller may not see.' })
  resourceId: string | null;

  @Field(() => Int, { nullable: true, description: 'The priority of the queue group it was chosen from.' })
  priority: number | null;

  @Field({ description: 'Why this one, e.g. "agent idle for 42 s", "3 spare".' })
  detail: string;
}

@ObjectType('RoutingDecision', { simpleResolvers: true, description: 'One step of a call\'s routing: a decision or an event, with its reasons in words a supervisor understands.' })
export class RoutingDecisionView {
  @Field({ description: 'When (UTC).' })
  at: Date;

  @Field({ description: 'ENQUEUED, REFUSED, ROUTED, WAITING, NUMBER_FAILED, OUTCOME, RING_TIMEOUT, RETURNED, ENDED or MAX_WAIT; STARTED, FLOW and EXTERNAL for call flows.' })
  step: string;

  @Field({ description: 'The decision in one sentence.' })
  summary: string;

  @Field(() => [RoutingResource], { description: 'The agents and destinations it looked at (the named ones when there are many agents).' })
  considered: RoutingResource[];

  @Field(() => [RoutingSkip], { description: 'What it passed over, and why.' })
  skipped: RoutingSkip[];

  @Field(() => RoutingChoice, { nullable: true, description: 'What it chose; null when nothing was free.' })
  chosen: RoutingChoice | null;
}

@ObjectType('Call', { simpleResolvers: true, description: 'A call the gateway routes, with its attempts and the routing trace.' })
export class CallView {
  @Field(() => ID, { description: 'Opaque identifier.' })
  id: string;

  @Field({ description: 'The telephony platform\'s own id of the call.' })
  connectorCallId: string;

  @Field(() => CALL_STATES, { description: 'Where the call is now.' })
  state: CallState;

  @Field(() => CALL_END_REASONS, { nullable: true, description: 'Why it ended; null while it is not over.' })
  endReason: CallEndReason | null;

  /** Not fields: the queue is resolved for readers who may see queues; the company scopes the trace. */
  queueId: string | null;
  companyId: string;

  @Field(() => String, { nullable: true, description: 'The number the caller dialled (E.164), when the platform gave it.' })
  serviceNumber: string | null;

  @Field(() => String, { nullable: true, description: 'The caller id as the network presented it (`anonymous`, `07911123456`, `sip:alice@example.com`, `+447911123456`...), up to 200 characters; null when the platform gave none. Characters nobody can read are shown as U+FFFD and a longer one ends with an ellipsis.' })
  callerId: string | null;

  @Field(() => String, { nullable: true, description: 'The caller id in E.164 when it is a telephone number: international, or national read in the country of the dialled service number, also inside a sip:/tel: URI; null otherwise (`anonymous`, a SIP name, a national number without a service number).' })
  callerE164: string | null;

  @Field(() => String, { nullable: true, description: 'The caller\'s number in E.164: the same as callerE164, kept for clients written before caller ids were kept as presented.', deprecationReason: 'Use callerE164 (or callerId for the caller id as presented).' })
  callerNumber: string | null;

  @Field(() => Int, { description: '0-1000: higher is served first.' })
  priority: number;

  @Field(() => [CallContextEntry], { description: 'The context the connector gave the call, in its order (empty when none).' })
  context: CallContextEntry[];

  @Field({ description: 'When it entered the queue (UTC).' })
  enqueuedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When an agent or destination first answered (UTC); null if none did. A call handed back (returnCall) keeps its first answer.' })
  answeredAt: Date | null;

  @Field(() => Int, { description: 'How many times external destinations handed the call back (returnCall); at most 3.' })
  returnCount: number;

  @Field(() => Date, { nullable: true, description: 'When it ended (UTC); null while it is not over.' })
  endedAt: Date | null;

}

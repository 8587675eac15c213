import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PROBE_OUTCOMES, type ProbeOutcome } from '../../entities/destination-probe.entity';
import { ExternalDestination } from '../../entities/external-destination.entity';
import { NumberMode } from '../../entities/enums';
import { DESTINATION_STATES, type DestinationState } from '../../routing/destination-state';
import { Connection } from './connection';


registerEnumType(PROBE_OUTCOMES, {
  name: 'ProbeOutcome',
  description: 'How a health probe ended: SUCCEEDED (the far end answered), FAILED (busy, refused, no route...), TIMED_OUT (no outcome within its timeout; the gateway reports it itself).',
});

@InputType({ description: 'A health probe: while the destination is backed off or suspended, the connector is asked (PROBE_DESTINATION) to place a test call at this interval.' })
export class DestinationProbeInput {
  @Field(() => Int, { nullable: true, description: 'Seconds between probes, 5-3600 (default 30); the first comes one interval after the back-off or suspension starts.' })
  intervalSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds a probe may take before it counts as failed, 1-300 and shorter than the interval (default 10, or the interval less one).' })
  timeoutSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Successful probes in a row that resume a suspended destination, 1-20 (default 2). One success ends a back-off.' })
  successesToResume?: number | null;

  @Field(() => String, { nullable: true, description: 'The E.164 number a probe dials; required for the PREFIX_* number modes, the destination\'s number for FULL_NUMBER when left out.' })
  number?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A destination\'s health probe settings.' })
export class DestinationProbeSettings {
  @Field(() => Int, { description: 'Seconds between probes while the destination is backed off or suspended.' })
  intervalSec: number;

  @Field(() => Int, { description: 'Seconds a probe may take before it counts as failed.' })
  timeoutSec: number;

  @Field(() => Int, { description: 'Successful probes in a row that resume it when suspended.' })
  successesToResume: number;

  @Field(() => String, { nullable: true, description: 'The number a probe dials (null: the destination\'s own number).' })
  number: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One health probe: a test call the connector placed, never a caller\'s.' })
export class DestinationProbeView {
  @Field(() => ID, { description: 'The probe\'s id (the callId and attemptId of its PROBE_DESTINATION).' })
  id: string;

  @Field(() => ID, { description: 'The destination probed.' })
  destinationId: string;

  @Field({ description: 'The E.164 number dialled.' })
  number: string;

  @Field({ description: 'When it was sent (UTC).' })
  sentAt: Date;

  @Field(() => PROBE_OUTCOMES, { nullable: true, description: 'How it ended; null while it is out.' })
  outcome: ProbeOutcome | null;

  @Field(() => Date, { nullable: true, description: 'When it ended (UTC); null while it is out.' })
  endedAt: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'Where a destination\'s health probing stands.' })
export class DestinationProbeStatus {
  @Field({ description: 'Whether probes are being sent: the destination has a probe and is backed off or suspended.' })
  probing: boolean;

  @Field(() => DestinationProbeView, { nullable: true, description: 'The latest probe, if any.' })
  lastProbe: DestinationProbeView | null;

  @Field(() => Int, { description: 'Successful probes in a row since the suspension (while suspended; since the last failed one otherwise).' })
  consecutiveSuccesses: number;
}

@ObjectType({ simpleResolvers: true, description: 'Statistics: a destination\'s health probes sent in a range, by how they ended (counted by the time sent).' })
export class DestinationProbeStatistics {
  @Field(() => Int, { description: 'Probes sent.' })
  sent: number;

  @Field(() => Int, { description: 'Probes that succeeded.' })
  succeeded: number;

  @Field(() => Int, { description: 'Probes reported failed.' })
  failed: number;

  @Field(() => Int, { description: 'Probes with no outcome within their timeout.' })
  timedOut: number;

  @Field(() => Int, { description: 'Probes still out.' })
  pending: number;
}

@InputType({ description: 'The outcome of a health probe (PROBE_DESTINATION).' })
export class ProbeOutcomeInput {
  @Field({ description: 'Unique per event (1-200 characters): the same event sent again changes nothing and returns the same probe.' })
  eventId: string;

  @Field(() => ID, { description: 'The probe\'s id: the callId (and attemptId) of its PROBE_DESTINATION.' })
  probeId: string;

  @Field(() => PROBE_OUTCOMES, { description: 'SUCCEEDED when the far end answered (then hang up), FAILED otherwise; TIMED_OUT is also accepted.' })
  outcome: ProbeOutcome;
}

@ObjectType({ simpleResolvers: true, description: 'A page of external destinations.' })
export class ExternalDestinationConnection extends Connection(ExternalDestination) {}

@InputType({
  description:
    'Configuration of an external destination. On update, a field left out keeps its current value; on create it takes its default.',
})
export class ExternalDestinationInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'Up to 250 characters; null or empty clears it.' })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Default true.' })
  enabled?: boolean | null;

  @Field(() => NumberMode, { description: 'How the dialled number is built; decides which number fields apply.' })
  numberMode: NumberMode;

  @Field(() => String, { nullable: true, description: 'FULL_NUMBER only: an international number (+ and country code), stored as E.164.' })
  number?: string | null;

  @Field(() => String, { nullable: true, description: 'PREFIX_* modes only: + followed by 1-15 digits.' })
  prefix?: string | null;

  @Field(() => Int, { nullable: true, description: 'PREFIX_PLUS_LAST_DIGITS only: 1-15.' })
  lastDigits?: number | null;

  @Field(() => String, { nullable: true, description: 'PREFIX_REPLACING_MATCHED_PREFIX only: 1-15 digits, optionally after +.' })
  matchPrefix?: string | null;

  @Field(() => Int, { nullable: true, description: '1-10000; null means unlimited.' })
  maxSimultaneousCalls?: number | null;

  @Field(() => Int, { nullable: true, description: 'Ring time in seconds, 5-300 (default 30).' })
  outdialTimeoutSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Back-off after busy, seconds, 0-86400 (default 60).' })
  busyBackoffSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Back-off after no answer, seconds, 0-86400 (default 0).' })
  noAnswerBackoffSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Back-off after failure, seconds, 1-86400 (default 5).' })
  failureBackoffSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Seconds before the same call may be offered again, 1-86400 (default 5).' })
  retryIntervalSec?: number | null;

  @Field(() => Int, { nullable: true, description: 'Consecutive failures that suspend the destination, 0 (never) to 1000 (default 0).' })
  maxConsecutiveFailures?: number | null;

  @Field(() => DestinationProbeInput, { nullable: true, description: 'A health probe while backed off or suspended; left out keeps the current one, null removes it (default none).' })
  probe?: DestinationProbeInput | null;
}

@InputType({ description: 'Narrows a list of external destinations.' })
export class ExternalDestinationFilter {
  @Field(() => String, { nullable: true, description: 'Only names containing this text (case-insensitive for ASCII letters).' })
  nameContains?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only enabled (true) or disabled (false) destinations.' })
  enabled?: boolean | null;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'A reference from a visible object (a group, a profile) to an external destination. When the caller may not see the destination, `hidden` is true and `destination` is null: its existence shows, never its name, number or settings.',
})
export class ExternalDestinationRef {
  @Field({ description: 'True when the caller may not see this destination.' })
  hidden: boolean;

  @Field(() => ExternalDestination, { nullable: true, description: 'The destination, or null when hidden.' })
  destination: ExternalDestination | null;
}


@ObjectType('ExternalDestinationLive', {
  simpleResolvers: true,
  description: 'A destination\'s live state (not configuration), kept apart from agent state; the externalDestinationUpdates subscription streams this shape.',
})
export class ExternalDestinationLiveView {
  @Field(() => ID, { description: 'The destination.' })
  destinationId: string;

  @Field(() => Int, { description: 'Increases by one per published change of the destination\'s live state (slots, back-off, suspension, configuration); a gap means a missed update: re-read it with a query.' })
  seq: number;

  @Field(() => DESTINATION_STATES, { description: 'The one state a dashboard shows, most important first.' })
  state: DestinationState;

  @Field(() => Int, { description: 'Calls being connected (ringing) to the destination now, across every gateway instance.' })
  connectingCalls: number;

  @Field(() => Int, { description: 'Answered calls in progress at the destination now, across every gateway instance.' })
  activeCalls: number;

  @Field(() => Int, { nullable: true, description: 'The configured maximum; null means unlimited.' })
  maxSimultaneousCalls: number | null;

  @Field(() => Date, { nullable: true, description: 'No call is sent before this instant (UTC); null when not backed off.' })
  backedOffUntil: Date | null;

  @Field(() => Int, { description: 'Unanswered attempts in a row since the last answer or resume.' })
  consecutiveFailures: number;

  @Field({ description: 'When this state was read (UTC).' })
  at: Date;
}

import { Field, Float, ID, Int, InterfaceType, ObjectType, registerEnumType } from 'type-graphql';
import type { Named, StatisticsKind } from '../../services/statistics.service';
import { INTERVAL_MS, type AgentFigures, type DestinationFigures, type QueueFigures, type Range } from '../../statistics/figures';

export const STATISTICS_KINDS: Record<StatisticsKind, StatisticsKind> = { DESTINATIONS: 'DESTINATIONS', AGENTS: 'AGENTS', QUEUES: 'QUEUES' };
registerEnumType(STATISTICS_KINDS, { name: 'StatisticsKind', description: 'Which resources a statistics export covers.' });

const byStart = 'Counted in the interval in which the attempt started';

@InterfaceType('ExternalDestinationFigures', { description: 'The figures of an external destination, over a range or one interval.' })
abstract class DestinationCounters implements DestinationFigures {
  @Field(() => Int, { description: `Attempts to reach the destination (each offer of a call counts, a re-offer of the same call again). ${byStart}.` })
  offered: number;

  @Field(() => Int, { description: 'Distinct calls offered to the destination (a call offered twice counts once; distinct within the interval, or within the whole range for the totals).' })
  callsHandled: number;

  @Field(() => Int, { description: `Attempts the destination answered. ${byStart}.` })
  answered: number;

  @Field(() => Int, { description: `Attempts that ended busy. ${byStart}.` })
  busy: number;

  @Field(() => Int, { description: `Attempts not answered within the ring time (reported no answer, or the gateway's ring timeout). ${byStart}.` })
  noAnswer: number;

  @Field(() => Int, { description: `Attempts that were rejected or failed. ${byStart}.` })
  failed: number;

  @Field(() => Int, { description: 'Distinct calls refused because the destination was at its maximum of simultaneous calls: passed over by queue routing or sent down LimitReached by a flow node. Counted in the interval of the refusal, once per call (distinct within the interval, or within the whole range for the totals).' })
  limitReached: number;

  @Field(() => Int, { description: `Attempts cancelled because the caller hung up while the destination rang. ${byStart}.` })
  cancelledByCaller: number;

  @Field(() => Int, { description: `Answered attempts the destination handed back to the gateway (returnCall: an AI virtual agent returning the caller to a person). ${byStart}.` })
  returned: number;

  @Field(() => Int, { description: `Seconds of answered attempts from answer to end (attempts that have ended). ${byStart}.` })
  talkTimeSec: number;

  @Field(() => Int, { description: `Seconds from the start of ringing to the answer, summed over answered attempts (divide by answered for the average). ${byStart}.` })
  timeToAnswerSumSec: number;

  @Field(() => Int, { description: 'The longest time to answer, in seconds.' })
  timeToAnswerMaxSec: number;

  @Field(() => Float, { nullable: true, description: `The average time to answer (the destination's speed of answer): timeToAnswerSumSec / answered, in seconds; null when none was answered. ${byStart}.` })
  averageTimeToAnswerSec: number | null;

  @Field(() => Int, { description: 'Seconds the destination spent backed off after busy, no-answer or failed attempts (overlapping back-offs count once; a resume ends one early), within the interval or range and up to now. Time suspended is not back-off and is not counted.' })
  backedOffSec: number;

  @Field(() => Int, { description: 'The most attempts (ringing or answered) open at the same time at any instant of the interval or range.' })
  peakSimultaneousCalls: number;
}

@ObjectType('ExternalDestinationStatsInterval', { simpleResolvers: true, implements: DestinationCounters, description: 'One 15-minute interval of a destination\'s figures.' })
export class ExternalDestinationStatsInterval extends DestinationCounters {
  @Field({ description: 'Start of the interval (UTC; a quarter hour of the company\'s local time too).' })
  start: Date;

  @Field({ description: 'End of the interval (exclusive).' })
  end: Date;
}

@ObjectType('ExternalDestinationStats', { simpleResolvers: true, implements: DestinationCounters, description: 'One external destination\'s figures over [from, to), never mixed with agents\' figures.' })
export class ExternalDestinationStats extends DestinationCounters {
  @Field(() => ID, { description: 'The external destination.' })
  destinationId: string;

  @Field({ description: 'Its name now.' })
  name: string;

  @Field({ description: 'Start of the range (inclusive).' })
  from: Date;

  @Field({ description: 'End of the range (exclusive).' })
  to: Date;

  /** Resolved with its page arguments by StatisticsIntervalsResolvers (src/resolvers/statistics.resolver.ts). */
  intervals: ExternalDestinationStatsInterval[];
}

@InterfaceType('AgentFigures', { description: 'The figures of a regular agent, over a range or one interval.' })
abstract class AgentCounters implements AgentFigures {
  @Field(() => Int, { description: `Calls offered to (rung at) the agent. ${byStart}. Never an external destination's attempt.` })
  offered: number;

  @Field(() => Int, { description: `Offers the agent answered. ${byStart}.` })
  answered: number;

  @Field(() => Int, { description: `Offers the agent did not take (no answer, busy, rejected, failed); a caller hanging up while it rang is not a miss. ${byStart}.` })
  missed: number;

  @Field(() => Int, { description: `Seconds from answer to end of the agent's answered calls that have ended. ${byStart}.` })
  talkTimeSec: number;

  @Field(() => Int, { description: `Seconds of wrap-up the agent got after its answered calls. ${byStart}.` })
  wrapUpSec: number;
}

@ObjectType('AgentStatsInterval', { simpleResolvers: true, implements: AgentCounters, description: 'One 15-minute interval of an agent\'s figures.' })
export class AgentStatsInterval extends AgentCounters {
  @Field({ description: 'Start of the interval (UTC; a quarter hour of the company\'s local time too).' })
  start: Date;

  @Field({ description: 'End of the interval (exclusive).' })
  end: Date;
}

@ObjectType('AgentStats', { simpleResolvers: true, implements: AgentCounters, description: 'One regular agent\'s figures over [from, to), from its own attempts only.' })
export class AgentStats extends AgentCounters {
  @Field(() => ID, { description: 'The agent.' })
  agentId: string;

  @Field({ description: 'Its name now.' })
  name: string;

  @Field({ description: 'Start of the range (inclusive).' })
  from: Date;

  @Field({ description: 'End of the range (exclusive).' })
  to: Date;

  /** Resolved with its page arguments by StatisticsIntervalsResolvers (src/resolvers/statistics.resolver.ts). */
  intervals: AgentStatsInterval[];
}

const byEntry = 'Counted in the interval in which the call entered the queue';

@InterfaceType('QueueFigures', { description: 'The figures of a queue, over a range or one interval.' })
abstract class QueueCounters implements QueueFigures {
  @Field(() => Int, { description: `Calls that entered the queue. ${byEntry}.` })
  offered: number;

  @Field(() => Int, { description: `Calls answered by a regular agent. ${byEntry}.` })
  answeredByAgents: number;

  @Field(() => Int, { description: `Calls answered by an external destination. ${byEntry}.` })
  answeredByExternal: number;

  @Field(() => Int, { description: `Calls offered to an external destination at least once (whatever the outcome). ${byEntry}.` })
  overflowedToExternal: number;

  @Field(() => Int, { description: `Calls whose caller hung up before any answer. ${byEntry}.` })
  abandoned: number;

  @Field(() => Int, { description: 'Calls answered by a regular agent within serviceLevelSec of entering the queue.' })
  answeredByAgentsWithinServiceLevel: number;

  @Field(() => Int, { description: 'Calls answered by an agent or an external destination within serviceLevelSec.' })
  answeredWithinServiceLevel: number;

  @Field(() => Float, { nullable: true, description: 'answeredByAgentsWithinServiceLevel / calls whose wait is over (answered or ended), 0..1; null when there are none.' })
  serviceLevel: number | null;

  @Field(() => Float, { nullable: true, description: 'answeredWithinServiceLevel / calls whose wait is over, counting external answers as answered; null when there are none.' })
  serviceLevelWithExternal: number | null;

  @Field(() => Float, { nullable: true, description: `Average speed of answer: the mean wait of the answered calls (agents and external destinations), each in whole seconds rounded up; null when none was answered. ${byEntry}.` })
  averageSpeedOfAnswerSec: number | null;

  @Field(() => Float, { nullable: true, description: `Average handle time: the mean talk time plus the answering agent's wrap-up of the answered calls that ended, in seconds; null when there are none. ${byEntry}.` })
  averageHandleTimeSec: number | null;

  @Field(() => Int, { description: `The longest wait of a call whose wait is over (answered, or ended unanswered), in seconds; 0 when there is none. ${byEntry}.` })
  longestWaitSec: number;

  @Field(() => Float, { nullable: true, description: 'abandoned / calls whose wait is over, 0..1; null when there are none.' })
  abandonRate: number | null;
}

@ObjectType('QueueStatsInterval', { simpleResolvers: true, implements: QueueCounters, description: 'One 15-minute interval of a queue\'s figures.' })
export class QueueStatsInterval extends QueueCounters {
  @Field({ description: 'Start of the interval (UTC; a quarter hour of the company\'s local time too).' })
  start: Date;

  @Field({ description: 'End of the interval (exclusive).' })
  end: Date;
}

@ObjectType('QueueStats', { simpleResolvers: true, implements: QueueCounters, description: 'One queue\'s figures over [from, to).' })
export class QueueStats extends QueueCounters {
  @Field(() => ID, { description: 'The queue.' })
  queueId: string;

  @Field({ description: 'Its name now.' })
  name: string;

  @Field({ description: 'Start of the range (inclusive).' })
  from: Date;

  @Field({ description: 'End of the range (exclusive).' })
  to: Date;

  @Field(() => Int, { description: 'The answer time, in seconds, that counts as within the service level.' })
  serviceLevelSec: number;

  /** Resolved with its page arguments by StatisticsIntervalsResolvers (src/resolvers/statistics.resolver.ts). */
  intervals: QueueStatsInterval[];
}

/** The GraphQL shape of one resource's figures over a range. */
function shaped<F extends object>(named: Named<F>, range: Range) {
  return {
    name: named.name,
    from: new Date(range.from),
    to: new Date(range.to),
    ...named.figures.total,
    intervals: named.figures.intervals.map((i) => ({ ...i, start: new Date(i.start), end: new Date(i.start + INTERVAL_MS) })),
  };
}

/** A destination's figures with the averages worked out from them. */
const averaged = <F extends DestinationFigures>(f: F) => ({ ...f, averageTimeToAnswerSec: f.answered === 0 ? null : f.timeToAnswerSumSec / f.answered });

export const destinationStats = (n: Named<DestinationFigures>, range: Range): ExternalDestinationStats => {
  const shape = shaped({ ...n, figures: { total: averaged(n.figures.total), intervals: n.figures.intervals.map(averaged) } }, range);
  return { destinationId: n.id, ...shape };
};
export const agentStats = (n: Named<AgentFigures>, range: Range): AgentStats => ({ agentId: n.id, ...shaped(n, range) });
export const queueStats = (n: Named<QueueFigures>, range: Range, serviceLevelSec: number): QueueStats => ({ queueId: n.id, serviceLevelSec, ...shaped(n, range) });

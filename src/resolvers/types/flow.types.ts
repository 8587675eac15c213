import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { CallContextEntry, CallContextEntryInput } from './call.types';
import { CallFlow } from '../../entities/call-flow.entity';
import { DateScalar, HolidayList, TimeRange } from '../../entities/schedule.entity';
import { FLOW_NODE_TYPES, type FlowNodeType } from '../../routing/call-flow';
import { Connection } from './connection';

registerEnumType(FLOW_NODE_TYPES, {
  name: 'CallFlowNodeType',
  description: 'START (branch next); BRANCH_ON_TIME_RANGES (Match1..MatchN in timeRangeIds order, NotMatched); BRANCH_ON_HOLIDAY (Holiday, NotHoliday); QUEUE (Timeout, Full, NoAgents); ROUTE_TO_EXTERNAL_DESTINATION (LimitReached mandatory, Busy, Timeout, Failure, Returned: the destination handed the call back); PLAY_MESSAGE (next); SET_CONTEXT (next: adds its entries to the call\'s context); WAIT (next: after waitSec seconds); DISCONNECT. Every loop must pass a WAIT node (publishing refuses one that does not), and a call arrives at one node at most 20 times: the next arrival ends it.',
});

@InputType({ description: 'A rule of a time range. With neither daysOfWeek nor dates it applies every day.' })
export class TimeRangeRuleInput {
  @Field(() => [Int], { nullable: true, description: 'ISO days, 1 = Monday .. 7 = Sunday.' })
  daysOfWeek?: number[] | null;

  @Field(() => [DateScalar], { nullable: true, description: 'Particular dates, YYYY-MM-DD.' })
  dates?: string[] | null;

  @Field({ description: 'Local start, HH:MM (inclusive).' })
  startTime: string;

  @Field({ description: 'Local end, HH:MM (exclusive); 24:00 is the end of the day. An overnight range is two rules.' })
  endTime: string;
}

@InputType({ description: 'Opening hours in an IANA time zone.' })
export class TimeRangeInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field({ description: 'IANA time zone, e.g. Europe/London.' })
  timeZone: string;

  @Field(() => [TimeRangeRuleInput], { description: '1-50 rules; the range is open when any applies.' })
  rules: TimeRangeRuleInput[];
}

@InputType({ description: 'One holiday: all day, or the hours given.' })
export class HolidayInput {
  @Field(() => DateScalar, { description: 'YYYY-MM-DD.' })
  date: string;

  @Field(() => String, { nullable: true, description: 'e.g. Christmas Day (up to 100 characters).' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Local start HH:MM; leave out with endTime for all day.' })
  startTime?: string | null;

  @Field(() => String, { nullable: true, description: 'Local end HH:MM (exclusive).' })
  endTime?: string | null;
}

@InputType({ description: 'Holidays in an IANA time zone.' })
export class HolidayListInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field({ description: 'IANA time zone, e.g. Europe/London.' })
  timeZone: string;

  @Field(() => [HolidayInput], { description: 'Up to 1 000 holidays.' })
  holidays: HolidayInput[];
}

@InputType({ description: 'A wire from a node to another by branch name.' })
export class CallFlowBranchInput {
  @Field({ description: 'next | Match1..Match30 | NotMatched | Holiday | NotHoliday | Timeout | Full | NoAgents | LimitReached | Busy | Failure | Returned.' })
  name: string;

  @Field({ description: 'The id of the node it leads to.' })
  to: string;
}

@InputType({ description: 'One node of a call flow.' })
export class CallFlowNodeInput {
  @Field({ description: 'Unique within the flow (1-64 characters).' })
  id: string;

  @Field(() => FLOW_NODE_TYPES, { description: 'What the node does; decides which fields and branches apply.' })
  type: FlowNodeType;

  @Field(() => ID, { nullable: true, description: 'QUEUE: the queue.' })
  queueId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ROUTE_TO_EXTERNAL_DESTINATION: the destination.' })
  externalDestinationId?: string | null;

  @Field(() => ID, { nullable: true, description: 'BRANCH_ON_HOLIDAY: the holiday list.' })
  holidayListId?: string | null;

  @Field(() => [ID], { nullable: true, description: 'BRANCH_ON_TIME_RANGES: the ranges, in the order of Match1..MatchN.' })
  timeRangeIds?: string[] | null;

  @Field(() => String, { nullable: true, description: 'PLAY_MESSAGE: what to play (up to 500 characters).' })
  message?: string | null;

  @Field(() => Int, { nullable: true, description: 'WAIT: how long the call pauses before it goes on by next, in whole seconds from 1 to 3600.' })
  waitSec?: number | null;

  @Field(() => [CallContextEntryInput], { nullable: true, description: 'SET_CONTEXT: the entries it adds to the call\'s context (a key already there takes the new value), with the bounds of enqueueCall\'s context.' })
  context?: CallContextEntryInput[] | null;

  @Field(() => [CallFlowBranchInput], { nullable: true, description: 'Where each branch leads.' })
  branches?: CallFlowBranchInput[] | null;
}

@InputType({ description: 'A call flow draft.' })
export class CallFlowInput {
  @Field({ description: '1-100 readable characters (no control, format or surrogate characters), unique within the company ignoring letter case and Unicode variants.' })
  name: string;

  @Field(() => [String], { description: 'Service numbers (E.164) that enter this flow; each unique within the company.' })
  serviceNumbers: string[];

  @Field(() => [CallFlowNodeInput], { description: 'The nodes; exactly one START when published.' })
  nodes: CallFlowNodeInput[];
}

@ObjectType({ simpleResolvers: true, description: 'A wire of a node.' })
export class CallFlowBranch {
  @Field({ description: 'The branch name.' })
  name: string;

  @Field({ description: 'The node it leads to.' })
  to: string;
}

@ObjectType({ simpleResolvers: true, description: 'One node of a call flow.' })
export class CallFlowNode {
  @Field({ description: 'Unique within the flow.' })
  id: string;

  @Field(() => FLOW_NODE_TYPES, { description: 'What the node does.' })
  type: FlowNodeType;

  @Field(() => ID, { nullable: true, description: 'QUEUE: the queue.' })
  queueId: string | null;

  @Field(() => ID, { nullable: true, description: 'ROUTE_TO_EXTERNAL_DESTINATION: the destination (null when the reader may not see it: see externalDestinationHidden).' })
  externalDestinationId: string | null;

  @Field({
    description: 'ROUTE_TO_EXTERNAL_DESTINATION: true when the node routes to a destination the reader may not see (externalDestinationId is then null). '
      + 'Send the node back with the same id and type and externalDestinationId null to keep that destination; re-pointing the node, changing its type or leaving it out is FORBIDDEN to such a reader, and so are deleting the flow and publishing over a version that routes to it.',
  })
  externalDestinationHidden: boolean;

  @Field(() => ID, { nullable: true, description: 'BRANCH_ON_HOLIDAY: the holiday list.' })
  holidayListId: string | null;

  @Field(() => [ID], { nullable: true, description: 'BRANCH_ON_TIME_RANGES: the ranges in Match order.' })
  timeRangeIds: string[] | null;

  @Field(() => String, { nullable: true, description: 'PLAY_MESSAGE: what is played.' })
  message: string | null;

  @Field(() => Int, { nullable: true, description: 'WAIT: seconds the call pauses.' })
  waitSec?: number | null;

  @Field(() => [CallContextEntry], { nullable: true, description: 'SET_CONTEXT: the entries it adds to the call\'s context.' })
  context?: CallContextEntry[] | null;

  @Field(() => [CallFlowBranch], { description: 'Where each branch leads.' })
  branches: CallFlowBranch[];
}

@ObjectType({ simpleResolvers: true, description: 'A page of time ranges.' })
export class TimeRangeConnection extends Connection(TimeRange) {}

@ObjectType({ simpleResolvers: true, description: 'A page of holiday lists.' })
export class HolidayListConnection extends Connection(HolidayList) {}

@ObjectType({ simpleResolvers: true, description: 'A page of call flows.' })
export class CallFlowConnection extends Connection(CallFlow) {}

import { Arg, Args, ArgsType, Authorized, Ctx, Field, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { ConnectorPrincipal } from '../auth/principal';
import type { Call, CallAttempt } from '../entities/call.entity';
import { Queue } from '../entities/queue.entity';
import { errors } from '../errors';
import type { SequencedInstruction } from '../services/instruction-delivery';
import type { CallReader } from '../services/call.service';
import { atLeast } from '../auth/principal';
import { PrivilegeLevel } from '../entities/enums';
import type { GatewayContext } from './context';
import { DestinationProbeView, ProbeOutcomeInput } from './types/external-destination.types';
import {
  AttemptOutcomeInput, AttemptTarget, CallAttemptView, CallView, EndCallInput, EnqueueCallInput, ReturnCallInput, StartCallInput, RoutingDecisionView, TelephonyInstruction,
} from './types/call.types';

/** The telephony connector of the principal's company (operations that required CONNECTOR). */
function connector(ctx: GatewayContext): ConnectorPrincipal {
  if (ctx.principal?.kind !== 'connector') throw errors.forbidden();
  return ctx.principal;
}

/** A reader of calls: a user or the company's connector. */
function reader(ctx: GatewayContext): CallReader {
  const p = ctx.principal;
  if (p?.kind !== 'user' && p?.kind !== 'connector') throw errors.forbidden();
  return p;
}

export function toCallView(call: Call): CallView {
  return Object.assign(new CallView(), {
    id: call.id, connectorCallId: call.connectorCallId, state: call.state, endReason: call.endReason,
    queueId: call.queueId, serviceNumber: call.serviceNumber, callerId: call.callerId, callerE164: call.callerE164, callerNumber: call.callerE164, priority: call.priority, context: call.context ?? [], returnCount: call.returnCount ?? 0,
    enqueuedAt: call.enqueuedAt, answeredAt: call.answeredAt, endedAt: call.endedAt, companyId: call.companyId,
  });
}

export function toAttemptView(a: CallAttempt): CallAttemptView {
  return Object.assign(new CallAttemptView(), {
    id: a.id, companyId: a.companyId, state: a.state, outcome: a.outcome === 'CANCELLED' ? null : a.outcome,
    targetKind: a.targetKind, agentId: a.agentId, destinationId: a.destinationId, dialledNumber: a.number,
    ringTimeoutSec: a.ringTimeoutSec, startedAt: a.startedAt, answeredAt: a.answeredAt, endedAt: a.endedAt, returnReason: a.returnReason ?? null,
  });
}

@ArgsType()
class TelephonyInstructionsArgs {
  @Field(() => Int, { nullable: true, description: 'Resume: the highest seq already handled; only outstanding instructions logged after it are sent first (without it, every outstanding one).' })
  afterSeq?: number | null;

  @Field(() => Boolean, {
    nullable: true,
    defaultValue: false,
    description: 'Declares that this connector acknowledges (acknowledgeTelephonyInstructions) the CANCEL_ATTEMPT, DISCONNECT and PLAY_MESSAGE it acts on: those delivered to this session are then delivered again until acknowledged, even when the attempt or the call already ended. Without it (false) the records acknowledge them: the end of the attempt (CANCEL_ATTEMPT) or of the call (DISCONNECT, PLAY_MESSAGE).',
  })
  acknowledges?: boolean | null;
}

@Resolver(() => CallView)
export class CallResolver {
  @Authorized('queues:VIEW', 'CONNECTOR')
  @Query(() => CallView, { nullable: true, description: 'One call with its attempts and routing trace; NOT_FOUND when missing (or another company\'s).' })
  async call(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<CallView> {
    return toCallView(await ctx.services.calls.get(reader(ctx), id));
  }

  @Authorized('CONNECTOR')
  @Mutation(() => CallView, { description: 'Connector only: a new call to a service number runs its published call flow (NOT_FOUND when no published flow has the number). The same connectorCallId again returns the same call; with another serviceNumber it answers CONFLICT.' })
  async startCall(@Ctx() ctx: GatewayContext, @Arg('input') input: StartCallInput): Promise<CallView> {
    return toCallView(await ctx.services.router.startCall(connector(ctx).companyId, input));
  }

  @Authorized('CONNECTOR')
  @Mutation(() => CallView, { description: 'Connector only: puts a call straight into a queue and routes it. The same connectorCallId again returns the same call; a full queue answers a FAILED call (endReason QUEUE_FULL) and a DISCONNECT instruction.' })
  async enqueueCall(@Ctx() ctx: GatewayContext, @Arg('input') input: EnqueueCallInput): Promise<CallView> {
    return toCallView(await ctx.services.router.enqueue(connector(ctx).companyId, input));
  }

  @Authorized('CONNECTOR')
  @Mutation(() => CallAttemptView, { description: 'Connector only: the outcome of an attempt. Once per eventId (a repeat returns the same attempt); NOT_FOUND for an unknown attempt; CONFLICT when the attempt already ended.' })
  async reportAttemptOutcome(@Ctx() ctx: GatewayContext, @Arg('input') input: AttemptOutcomeInput): Promise<CallAttemptView> {
    const { companyId } = connector(ctx);
    const attempt = await ctx.services.router.reportOutcome(companyId, input);
    // The outcome acknowledges the RING_AGENT or DIAL_EXTERNAL that asked for it (and what else is now done).
    await ctx.services.instructions.settle(companyId);
    return toAttemptView(attempt);
  }

  @Authorized('CONNECTOR')
  @Mutation(() => CallView, { description: 'Connector only: the call ended (COMPLETED after an answer) or the caller hung up (CALLER_HUNG_UP), which cancels a ringing attempt with no back-off. Once per eventId; CONFLICT when it already ended.' })
  async endCall(@Ctx() ctx: GatewayContext, @Arg('input') input: EndCallInput): Promise<CallView> {
    if (input.reason !== 'COMPLETED' && input.reason !== 'CALLER_HUNG_UP') {
      throw errors.badInput([{ field: 'input.reason', message: 'a connector reports COMPLETED or CALLER_HUNG_UP' }]);
    }
    const { companyId } = connector(ctx);
    const call = await ctx.services.router.endCall(companyId, { ...input, reason: input.reason });
    await ctx.services.instructions.settle(companyId);
    return toCallView(call);
  }

  @Authorized('CONNECTOR')
  @Mutation(() => CallView, { description: 'Connector only: an external destination that answered a call hands it back to a person (an AI virtual agent escalating). The attempt ends RETURNED (its slot freed, no back-off) and the call waits again with its history, its trace and its original arrival time (so it keeps its place), in the queue it came from (or queueId), offered to regular agents only unless the queue\'s returnedCallsToExternal says otherwise; a call a flow\'s ROUTE_TO_EXTERNAL_DESTINATION node dialled takes the node\'s Returned branch. Once per eventId (a repeat returns the call as it is now); NOT_FOUND for an unknown attempt or queue; CONFLICT when the attempt is not connected, is an agent\'s, or the call was already handed back 3 times (it then stays with the destination).' })
  async returnCall(@Ctx() ctx: GatewayContext, @Arg('input') input: ReturnCallInput): Promise<CallView> {
    const { companyId } = connector(ctx);
    const call = await ctx.services.router.returnCall(companyId, input);
    await ctx.services.instructions.settle(companyId);
    return toCallView(call);
  }

  @Authorized('CONNECTOR')
  @Mutation(() => DestinationProbeView, { description: 'Connector only: how a health probe (PROBE_DESTINATION) ended. SUCCEEDED ends the destination\'s back-off at once, and the destination\'s successesToResume in a row resume it when suspended; FAILED changes nothing but the count. Once per eventId (a repeat returns the probe as it is now); NOT_FOUND for an unknown probe; CONFLICT when the probe already ended (also by its timeout).' })
  async reportProbeOutcome(@Ctx() ctx: GatewayContext, @Arg('input') input: ProbeOutcomeInput): Promise<DestinationProbeView> {
    const { companyId } = connector(ctx);
    const probe = await ctx.services.router.reportProbeOutcome(companyId, input);
    // The outcome acknowledges the PROBE_DESTINATION that asked for it.
    await ctx.services.instructions.settle(companyId);
    return probe;
  }

  @Authorized('CONNECTOR')
  @Mutation(() => Int, { description: 'Connector only: the instructions it has acted on (by instructionId), which are then never delivered again. Idempotent; ids of another company, or unknown, are ignored. Answers how many of the ids are the company\'s instructions. An instruction is also acknowledged by the outcome it asks for: RING_AGENT and DIAL_EXTERNAL by their attempt\'s outcome; CANCEL_ATTEMPT by the attempt ending, PLAY_MESSAGE and DISCONNECT by the call ending, unless delivered to a subscription that declared telephonyInstructions(acknowledges: true), which acknowledges them here only.' })
  async acknowledgeTelephonyInstructions(@Ctx() ctx: GatewayContext, @Arg('ids', () => [ID]) ids: string[]): Promise<number> {
    return ctx.services.instructions.acknowledge(connector(ctx).companyId, ids);
  }

  @Authorized('CONNECTOR')
  @Subscription(() => TelephonyInstruction, {
    description: 'Connector only: what to do for the company\'s calls (ring an agent, dial a destination, cancel an attempt, play a message, disconnect). Each instruction goes to one of the company\'s subscribed connector sessions in turn (round robin over every instance), so every session of the company must be able to act on any of its calls. At least once: an instruction not acknowledged (acknowledgeTelephonyInstructions, or the outcome it asks for; only the former for CANCEL_ATTEMPT, DISCONNECT and PLAY_MESSAGE on a subscription with acknowledges: true) within 5 s is delivered again with the same instructionId, to another session when there is one; a new subscription first receives the company\'s outstanding instructions in seq order (after afterSeq when given). Drop an instructionId already handled. A revoked key\'s sessions get nothing more and are closed (4403).',
    subscribe: ({ args, context }) => {
      const ctx = context as GatewayContext;
      const { afterSeq, acknowledges } = args as TelephonyInstructionsArgs;
      return ctx.services.instructions.session(connector(ctx), afterSeq ?? null, acknowledges === true);
    },
  })
  telephonyInstructions(@Root() instruction: SequencedInstruction, @Args() _args: TelephonyInstructionsArgs): TelephonyInstruction {
    return { ...instruction, context: instruction.context === null || instruction.context === undefined ? null : [...instruction.context], issuedAt: new Date(instruction.issuedAt) };
  }

  @FieldResolver(() => Queue, { nullable: true, description: 'The queue it waited in: for readers who may see queues (and the connector); null when deleted since.' })
  async queue(@Root() call: CallView, @Ctx() ctx: GatewayContext): Promise<Queue | null> {
    const r = reader(ctx);
    if (call.queueId === null || (r.kind === 'user' && !atLeast(r.privileges.queues, PrivilegeLevel.VIEW))) return null;
    return ctx.services.calls.queue(r.companyId, call.queueId);
  }

  @FieldResolver(() => [CallAttemptView], { description: 'Every attempt, oldest first.' })
  async attempts(@Root() call: CallView, @Ctx() ctx: GatewayContext): Promise<CallAttemptView[]> {
    return (await ctx.services.calls.attempts(call.id)).map(toAttemptView);
  }

  @FieldResolver(() => [RoutingDecisionView], { description: 'The routing trace, oldest first: every decision and event with its reasons. Destinations the reader may not see appear without their ids.' })
  async trace(@Root() call: CallView, @Ctx() ctx: GatewayContext): Promise<RoutingDecisionView[]> {
    return (await ctx.services.calls.trace(reader(ctx), call)) as RoutingDecisionView[];
  }
}

@Resolver(() => CallAttemptView)
export class CallAttemptResolver {
  @FieldResolver(() => AttemptTarget, { nullable: true, description: 'The agent or destination offered the call; a HiddenExternalDestination when the reader may not see it; null when deleted since.' })
  target(@Root() attempt: CallAttemptView, @Ctx() ctx: GatewayContext): Promise<typeof AttemptTarget | null> {
    return ctx.services.calls.target(reader(ctx), attempt) as Promise<typeof AttemptTarget | null>;
  }

  @FieldResolver(() => String, { nullable: true, description: 'The E.164 number dialled: destinations the reader may see only.' })
  number(@Root() attempt: CallAttemptView, @Ctx() ctx: GatewayContext): string | null {
    return ctx.services.calls.number(reader(ctx), { ...attempt, number: attempt.dialledNumber });
  }
}

import type { DataSource } from 'typeorm';
import { Call, CallAttempt } from '../entities/call.entity';
import { DestinationProbe } from '../entities/destination-probe.entity';
import type { ModelChanges } from '../live/model-changes';
import { noMeter } from '../platform/meter';
import { systemScheduler } from '../platform/scheduler';
import { callerIdentity, type CallerIdentity } from '../routing/phone-number';
import type { LiveState } from '../store/live-state';
import { InputChecker } from '../input-checker';
import { checkContext } from './call-context';
import { isCoded, once, pruneTelephonyEvents, TELEPHONY_EVENT_RETENTION_MS, WaitingNotes } from './call-records';
import { Closing } from './closing';
import { Effects, type InstructionSender } from './effects';
import type { EngineEvents } from './events';
import { FlowRunner } from './flow-runner';
import { PROBE_TIMEOUT_EVENT, Probes } from './probes';
import { queuesUsing, queuesWithWaitingCalls } from './lookups';
import { Offers } from './offer';
import { QueuePass, type QueueLoader } from './queue-pass';
import { repairSweep, REPAIR_EVERY_MS } from './repair';
import { clocked, overdueAttempts, renewLeases, timerId, Timers } from './timers';
import type {
  AttemptOutcomeFields, CallRouterOptions, EndCallFields, EngineContext, EnqueueCallFields, LivePublisher, ProbeOutcomeFields, PublishedFlows, ReturnCallFields, StartCallFields, TimerPayload,
} from './types';

/** How often records kept for a while only (probes, applied telephony event ids) are pruned (ms). */
export const PRUNE_EVERY_MS = 3_600_000;

/** The prefix of the event ids of the gateway's own ring timeouts (reported through reportOutcome, once each). */
const RING_TIMEOUT_EVENT = 'ring-timeout:';

/**
 * An event id as a connector gives it (1-200 characters): none may take the form of the gateway's own timeouts
 * (ring and probe), in any mutation, since every event id of a company shares one record. Problems go to `c`.
 */
function eventIdOf(c: InputChecker, given: string, byGateway = false): string {
  const eventId = c.name('eventId', given, 200);
  const reserved = byGateway ? undefined : [RING_TIMEOUT_EVENT, PROBE_TIMEOUT_EVENT].find((prefix) => eventId.startsWith(prefix));
  if (reserved !== undefined) c.fail('eventId', `must not start with "${reserved}": the gateway's own timeouts use it`);
  return eventId;
}

/** A timeout reported by the gateway itself: what it would end already ended (CONFLICT) or is gone (NOT_FOUND), which is fine. */
async function unlessEnded(report: Promise<unknown>): Promise<void> {
  try {
    await report;
  } catch (error) {
    if (!isCoded(error, 'CONFLICT') && !isCoded(error, 'NOT_FOUND')) throw error;
  }
}

/**
 * The engine's front: the connector API (enqueue, reportOutcome, endCall, startCall), routing on request
 * (pump, pumpCompany), the loops (due timers, the sweep, overdue attempts, lease renewal) and the dispatch of
 * timers. It builds the parts and wires what closing emits to what is routed next: the queues that can use
 * what was freed (now, or by a timer when it becomes usable later), the queue a call went back to, and the
 * flow node a call goes on from.
 */
export class CallRouter {
  private readonly ctx: EngineContext;
  private readonly timers: Timers;
  private readonly queues: QueuePass;
  private readonly closing: Closing;
  private readonly flowRunner: FlowRunner;
  /** Health probes of destinations held back (backed off or suspended). */
  private readonly probes: Probes;
  /** What follows a commit (instructions, live announcements); the repair sweep announces through it too. */
  private readonly effects: Effects;
  private readonly loops: Array<() => void> = [];
  /** Per company: the queues and freed resources that changes being settled give to route. */
  private readonly routeNext = new Map<string, { queueIds: Set<string>; agentIds: Set<string>; destinationIds: Set<string> }>();
  private stopped = false;

  constructor(
    dataSource: DataSource,
    live: LiveState,
    instructions: InstructionSender,
    changes: ModelChanges,
    flows: PublishedFlows,
    updates: LivePublisher,
    /** `loadQueue`: how a pass loads its queue's view (from the database and live state when left out). */
    private readonly options: CallRouterOptions & { loadQueue?: QueueLoader },
  ) {
    const scheduler = options.scheduler ?? systemScheduler;
    this.ctx = { dataSource, live, time: options.clock ? clocked(scheduler, options.clock) : scheduler, logger: options.logger, meter: options.meter ?? noMeter };
    const notes = new WaitingNotes();
    const effects = (this.effects = new Effects(this.ctx, instructions, updates));
    this.timers = new Timers(this.ctx);
    const offers = new Offers(this.ctx, effects, this.timers, notes);
    this.queues = new QueuePass(this.ctx, offers, effects, this.timers, notes, options.loadQueue);
    this.closing = new Closing(this.ctx, effects, this.timers, notes, changes);
    this.flowRunner = new FlowRunner(this.ctx, this.queues, offers, this.closing, effects, this.timers, flows, options.maxNodeVisits);
    this.closing.events.on('attemptEnded', (event) => this.onAttemptEnded(event));
    this.closing.events.on('resourcesFreed', (event) => this.onResourcesFreed(event));
    this.closing.events.on('settled', (event) => this.onSettled(event));
    this.closing.events.on('flowBranch', ({ call, event }) => this.flowRunner.continueFlow(call, event));
    this.probes = new Probes(this.ctx, effects, this.timers, changes, (companyId, destinationIds) => this.pumpUsing(companyId, { destinationIds }));
    this.closing.events.on('destinationHeld', ({ companyId, row }) => this.probes.watch(companyId, row));
  }

  /** Starts the timer loop, the sweep, the check of overdue attempts and lease renewal, on the engine's scheduler. */
  start(): void {
    const every = (ms: number, work: () => Promise<void>) => {
      this.loops.push(this.ctx.time.every(ms, () => {
        if (!this.stopped) work().catch((err) => this.ctx.logger.error({ err }, 'routing loop failed'));
      }));
    };
    every(this.options.tickMs ?? 50, () => this.fireDueTimers());
    every(this.options.sweepMs ?? 1_000, () => this.sweep());
    every((this.options.sweepMs ?? 1_000) * 5, () => this.expireOverdueAttempts());
    every(this.options.renewMs ?? 20_000, () => this.renewLeases());
    every(PRUNE_EVERY_MS, async () => void (await this.pruneRecords()));
    every(this.options.repairMs ?? REPAIR_EVERY_MS, repairSweep(this.ctx, this.effects, (companyId, freed) => this.pumpUsing(companyId, freed), this.options.repairGraceMs));
  }

  /** Stops the loops and waits for passes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const cancel of this.loops.splice(0)) cancel();
    await this.queues.stop();
  }

  // ---------------------------------------------------------------- connector API

  /**
   * Puts a call straight into a queue (idempotent by the connector's call id) and routes it at once. A full
   * queue refuses it: the call is recorded as FAILED with the reason and the connector is told to disconnect.
   */
  async enqueue(companyId: string, input: EnqueueCallFields): Promise<Call> {
    const c = new InputChecker();
    const connectorCallId = c.name('connectorCallId', input.connectorCallId, 200);
    const serviceNumber = c.optionalPhoneNumber('serviceNumber', input.serviceNumber);
    const priority = c.int('priority', input.priority, { min: 0, max: 1000, default: 0 });
    const context = checkContext(c, input.context);
    c.done();
    const { callerId, callerE164 } = this.callerOf(connectorCallId, input.callerNumber, serviceNumber);
    const call = await this.queues.enqueue(companyId, { connectorCallId, queueId: input.queueId, callerId, callerE164, serviceNumber, priority, context }, this.ctx.time.now());
    return this.ctx.dataSource.getRepository(Call).findOneByOrFail({ id: call.id });
  }

  /**
   * Applies an attempt's outcome once per event id: a repeated event changes nothing and returns the same
   * attempt; an attempt that already ended answers CONFLICT. The gateway's own ring timeout reports through
   * here too, with an event id of its own.
   */
  async reportOutcome(companyId: string, input: AttemptOutcomeFields, byGateway = false): Promise<CallAttempt> {
    const c = new InputChecker();
    // The gateway's own ring timeouts are told apart by their event ids: a connector may not use theirs.
    const eventId = eventIdOf(c, input.eventId, byGateway);
    c.done();
    const now = this.ctx.time.now();
    const ringTimedOut = byGateway && eventId.startsWith(RING_TIMEOUT_EVENT);
    const applied = await once(this.ctx.dataSource, companyId, eventId, `OUTCOME:${input.attemptId}:${input.outcome}`, now, (m) =>
      this.closing.recordOutcome(m, companyId, input, ringTimedOut, now));
    if (applied.effects) await this.closing.settle(companyId, applied.effects, now);
    return this.ctx.dataSource.getRepository(CallAttempt).findOneByOrFail({ id: input.attemptId });
  }

  /** Ends a call (completed, or the caller hung up), once per event id; attempts still ringing are cancelled. */
  async endCall(companyId: string, input: EndCallFields): Promise<Call> {
    const c = new InputChecker();
    const eventId = eventIdOf(c, input.eventId);
    c.done();
    const now = this.ctx.time.now();
    const applied = await once(this.ctx.dataSource, companyId, eventId, `END:${input.callId}:${input.reason}`, now, (m) => this.closing.endCall(m, companyId, input, now));
    if (applied.effects) await this.closing.settle(companyId, applied.effects, now);
    return this.ctx.dataSource.getRepository(Call).findOneByOrFail({ id: input.callId });
  }

  /**
   * An external destination hands back a call it answered (see Closing.returnCall), once per event id: a
   * repeated event returns the call as it is now. Back in a queue, its maximum wait runs again from now and
   * the queue is routed; a flow call goes on by its node's Returned branch.
   */
  async returnCall(companyId: string, input: ReturnCallFields): Promise<Call> {
    const c = new InputChecker();
    const eventId = eventIdOf(c, input.eventId);
    const reason = c.name('reason', input.reason, 200);
    const context = checkContext(c, input.context);
    c.done();
    const now = this.ctx.time.now();
    const queueId = input.queueId ?? null;
    const applied = await once(this.ctx.dataSource, companyId, eventId, `RETURN:${input.attemptId}:${queueId ?? ''}`, now, (m) =>
      this.closing.returnCall(m, companyId, { attemptId: input.attemptId, reason, context, queueId }, now));
    if (applied.effects) {
      const { call, queue } = applied.effects;
      // The wait before the return is not held against it: the queue's maximum wait runs again from now.
      if (queue !== null) await this.timers.remove(timerId.wait(call.id));
      await this.closing.settle(companyId, applied.effects, now);
      if (queue !== null) await this.queues.entered(companyId, call, queue, now);
    }
    const attempt = await this.ctx.dataSource.getRepository(CallAttempt).findOneBy({ id: input.attemptId, companyId });
    return this.ctx.dataSource.getRepository(Call).findOneByOrFail({ id: attempt!.callId });
  }

  /**
   * A health probe's outcome, once per event id (a repeat answers the probe as it is now); CONFLICT when the
   * probe already ended. The gateway's own probe timeouts report through here with an event id of their own.
   */
  async reportProbeOutcome(companyId: string, input: ProbeOutcomeFields, byGateway = false): Promise<DestinationProbe> {
    const c = new InputChecker();
    const eventId = eventIdOf(c, input.eventId, byGateway);
    c.done();
    const now = this.ctx.time.now();
    const applied = await once(this.ctx.dataSource, companyId, eventId, `PROBE:${input.probeId}:${input.outcome}`, now, (m) => this.probes.record(m, companyId, input.probeId, input.outcome, now));
    if (applied.effects) {
      await this.timers.remove(timerId.probeTimeout(input.probeId));
      await this.probes.apply(companyId, applied.effects, now);
    }
    return this.ctx.dataSource.getRepository(DestinationProbe).findOneByOrFail({ id: input.probeId, companyId });
  }

  /** A destination's configuration changed: if it is held back now and has a probe, probing starts. */
  probeIfHeld(companyId: string, destinationId: string): Promise<void> {
    return this.probes.watchIfHeld(companyId, destinationId);
  }

  /**
   * A call to a service number runs the published flow of that number (NOT_FOUND when none). The same
   * connectorCallId again returns the same call.
   */
  async startCall(companyId: string, input: StartCallFields): Promise<Call> {
    const c = new InputChecker();
    const connectorCallId = c.name('connectorCallId', input.connectorCallId, 200);
    const serviceNumber = c.phoneNumber('serviceNumber', input.serviceNumber) ?? '';
    const context = checkContext(c, input.context);
    c.done();
    const { callerId, callerE164 } = this.callerOf(connectorCallId, input.callerNumber, serviceNumber);
    const call = await this.flowRunner.start(companyId, { connectorCallId, serviceNumber, callerId, callerE164, context });
    return this.ctx.dataSource.getRepository(Call).findOneByOrFail({ id: call.id });
  }

  // ---------------------------------------------------------------- routing on request

  /** Routes every queue of the company that has calls waiting (an agent became available, a destination resumed). */
  async pumpCompany(companyId: string): Promise<void> {
    await this.pumpWaiting(companyId);
  }

  /**
   * Routes the queues that can use these resources (an agent became available, a destination resumed): the
   * queues whose groups hold one of them, not every queue of the company.
   */
  async pumpUsing(companyId: string, resources: { agentIds?: readonly string[]; destinationIds?: readonly string[] }): Promise<void> {
    const queueIds = await queuesUsing(this.ctx.dataSource, resources);
    await Promise.all(queueIds.map((queueId) => this.pump(companyId, queueId)));
  }

  /** Routes the waiting calls of one queue, in order (priority, then arrival); see QueuePass.pump. */
  pump(companyId: string, queueId: string): Promise<void> {
    return this.queues.pump(companyId, queueId);
  }

  /** Routes every queue (of one company, or of all) that has calls waiting. */
  private async pumpWaiting(companyId: string | null): Promise<void> {
    const rows = await queuesWithWaitingCalls(this.ctx.dataSource, companyId);
    await Promise.all(rows.map((r) => this.pump(r.companyId, r.queueId)));
  }

  // ---------------------------------------------------------------- what closing tells

  /** A call that went back to its queue (its offer ended unanswered) is routed again once the change is settled. */
  private onAttemptEnded({ companyId, call }: EngineEvents['attemptEnded']): void {
    if (call.state === 'QUEUED' && call.queueId !== null) this.toRoute(companyId).queueIds.add(call.queueId);
  }

  /**
   * Only the queues that can use what was freed are routed: once the change is settled when it is usable now,
   * by a timer per queue when it becomes usable later (scheduled before the event's answer).
   */
  private async onResourcesFreed({ companyId, agentIds, destinationIds, at }: EngineEvents['resourcesFreed']): Promise<void> {
    const now = this.ctx.time.now();
    if (at <= now) {
      const next = this.toRoute(companyId);
      for (const id of agentIds) next.agentIds.add(id);
      for (const id of destinationIds) next.destinationIds.add(id);
      return;
    }
    for (const queueId of await queuesUsing(this.ctx.dataSource, { agentIds, destinationIds })) {
      await this.timers.schedule(timerId.pump(queueId, at), at - now, { t: 'pump', companyId, queueId });
    }
  }

  /** Routes, each once, the queues a settled change gave work: the event's answer does not wait for that routing. */
  private onSettled({ companyId }: EngineEvents['settled']): void {
    const next = this.routeNext.get(companyId);
    if (next === undefined) return;
    this.routeNext.delete(companyId);
    void (async () => {
      const using = next.agentIds.size + next.destinationIds.size === 0 ? [] : await queuesUsing(this.ctx.dataSource, { agentIds: [...next.agentIds], destinationIds: [...next.destinationIds] });
      await Promise.all([...new Set([...next.queueIds, ...using])].map((queueId) => this.pump(companyId, queueId)));
    })().catch((err) => this.ctx.logger.error({ err }, 'routing after an attempt ended failed'));
  }

  /** What the changes being settled for a company give to route (several settle at once: their work is merged). */
  private toRoute(companyId: string): { queueIds: Set<string>; agentIds: Set<string>; destinationIds: Set<string> } {
    let next = this.routeNext.get(companyId);
    if (next === undefined) this.routeNext.set(companyId, (next = { queueIds: new Set(), agentIds: new Set(), destinationIds: new Set() }));
    return next;
  }

  // ---------------------------------------------------------------- timers and sweeps

  /** Fires due timers; each is removed once handled, so one whose instance died is fired by another. */
  fireDueTimers(): Promise<void> {
    return this.timers.fireDue((payload) => this.onTimer(payload));
  }

  private async onTimer(payload: TimerPayload): Promise<void> {
    if (payload.t === 'pump') return this.pump(payload.companyId, payload.queueId);
    // The attempt moved on (answered, ended, cancelled) before its ring time: nothing to do.
    if (payload.t === 'ring') return unlessEnded(this.reportOutcome(payload.companyId, { eventId: `${RING_TIMEOUT_EVENT}${payload.attemptId}`, attemptId: payload.attemptId, outcome: 'NO_ANSWER' }, true));
    if (payload.t === 'flow') return this.flowRunner.endFlowWait(payload);
    if (payload.t === 'probe') return this.probes.due(payload.companyId, payload.destinationId);
    // The probe's outcome came first: nothing to do.
    if (payload.t === 'probeTimeout') return unlessEnded(this.reportProbeOutcome(payload.companyId, { eventId: `${PROBE_TIMEOUT_EVENT}${payload.probeId}`, probeId: payload.probeId, outcome: 'TIMED_OUT' }, true));
    await this.closing.timeOut(payload.companyId, payload.callId);
  }

  /** Routes every queue with waiting calls again: overflow by waiting time, wrap-up ends, missed timers. */
  sweep(): Promise<void> {
    return this.pumpWaiting(null);
  }

  /**
   * The safety net of ring timeouts, from the system of record: an attempt still ringing well past its ring
   * time is timed out now, exactly as its timer would have (the same event id, so once).
   */
  async expireOverdueAttempts(): Promise<void> {
    for (const a of await overdueAttempts(this.ctx)) await this.onTimer({ t: 'ring', companyId: a.companyId, attemptId: a.id });
  }

  /**
   * Deletes, hourly, what is kept for a while only: the ended health probes older than PROBE_RETENTION_MS and the
   * applied telephony event ids older than TELEPHONY_EVENT_RETENTION_MS. Answers how many of each.
   */
  async pruneRecords(): Promise<{ probes: number; events: number }> {
    const probes = await this.probes.prune();
    const events = await pruneTelephonyEvents(this.ctx.dataSource, new Date(this.ctx.time.now() - TELEPHONY_EVENT_RETENTION_MS));
    return { probes, events };
  }

  /** Keeps the slots of attempts still ringing or connected; a slot whose holder vanished expires with its lease. */
  renewLeases(): Promise<void> {
    return renewLeases(this.ctx);
  }

  /**
   * The caller id of a new call as presented, with its E.164 form (national numbers read in the dialled number's
   * country): never a reason to refuse the call (docs/decisions/013-caller-ids-and-names.md).
   */
  private callerOf(connectorCallId: string, presented: string | null | undefined, serviceNumber: string | null): CallerIdentity {
    const caller = callerIdentity(presented, serviceNumber);
    if (caller.altered) this.ctx.logger.warn({ connectorCallId, callerId: caller.callerId }, 'caller id kept with unreadable characters replaced or shortened to 200 characters');
    return caller;
  }
}

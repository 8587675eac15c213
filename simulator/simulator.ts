import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import pino, { type Logger } from 'pino';
import {
  ATTEMPT_OUTCOMES, ConnectorClient, errorCode, GatewayError, INSTRUCTION_KINDS, messageOf, PROBE_OUTCOMES,
  type AttemptOutcome, type Call, type CallAttempt, type CallEndReason, type CallState, type InstructionKind, type InstructionSubscription,
  type Probe, type ProbeOutcome, type ReturnedCall, type TelephonyInstruction,
} from './connector-client';
import { callerStep, type CallEnd, type CallerAction, type CallerEventActions, type CallerEventType, type CallerState } from './caller';
import {
  behaviourAt, destinationBehaviourFor, patienceSec, planAttempt, planHandBack, planProbe, scaleSeconds, talkTimeSec, type HandBackPlan,
} from './decisions';
import { deriveSeed, exponential, mulberry32, pickIndex, randomSeed, type Rng } from './random';
import { resolveSimulatorConfig, type SimulatorConfig, type SimulatorOptions } from './simulator-config';

/** Instructions the simulator acknowledges explicitly: no outcome report answers them. */
const ACKNOWLEDGED_KINDS: ReadonlySet<string> = new Set(['PLAY_MESSAGE', 'CANCEL_ATTEMPT', 'DISCONNECT']);

/*
 * The telephony platform, simulated against the gateway's public API only: it offers calls to queues (enqueueCall)
 * or to the call flows of service numbers (startCall, with `useFlows`), rings agents and dials destinations when
 * told to, reports what happened, hands calls back for destinations that do (returnCall: an AI virtual agent
 * returning the caller to a person), answers health probes as its model of each destination's health says
 * (reportProbeOutcome), and hangs up (callers out of patience, finished conversations). What a call does on each
 * event is the table of caller.ts; this class turns instructions, answers and timers into its events and carries
 * out its actions. Every decision comes from a seeded PRNG, one stream per call, so a seed decides the same way
 * whatever order events arrive in (a destination's outages follow the simulated time since calls began); every
 * wait is a real timer scaled by `timeScale`.
 */

export type { SimulatorOptions } from './simulator-config';

/** Who answered a call. */
export type AnsweredBy = 'agent' | 'destination';

export type { CallEnd } from './caller';

/**
 * Counters of a run. Every call the gateway accepted (enqueueCall, or startCall with `useFlows`) ends up in exactly
 * one of completed, abandoned, disconnected, callsLost or activeCalls.
 */
export interface SimulatorSummary {
  seed: number;
  /** Real time since start() (until stop() once stopped). */
  elapsedMs: number;
  /** Queues calls went to (0 with `useFlows`). */
  queues: number;
  /** Service numbers calls dialled to run their call flows (0 without `useFlows`). */
  flowNumbers: number;
  /** Agents set AVAILABLE during setup. */
  agentsMadeAvailable: number;
  /** enqueueCall (or, with `useFlows`, startCall) requests sent. */
  callsOffered: number;
  /** Calls the gateway accepted. */
  callsEnqueued: number;
  /** enqueueCall or startCall requests the gateway refused or that failed (also counted in errors). */
  callsRefused: number;
  /** Arrivals not offered because maxActiveCalls calls were alive. */
  callsSkipped: number;
  /** Instructions received, by kind. */
  instructions: Record<InstructionKind, number>;
  /** Instructions for calls this run never offered (or of an unknown kind). */
  unknownInstructions: number;
  /** Instructions for calls this run has already finished. */
  lateInstructions: number;
  /** Outcomes the gateway accepted, by outcome. */
  outcomesReported: Record<AttemptOutcome, number>;
  /** Outcomes refused with CONFLICT or NOT_FOUND: the attempt had ended already (a normal race). */
  outcomeRaces: number;
  /** Ring-outs left to the gateway's timeout (silentNoAnswer). */
  silentNoAnswers: number;
  /** Attempts stopped by CANCEL_ATTEMPT before their outcome was reported. */
  attemptsCancelled: number;
  answeredByAgents: number;
  answeredByDestinations: number;
  /** returnCall accepted: calls an external destination answered and handed back. */
  handedBack: number;
  /** returnCall refused with CONFLICT or NOT_FOUND (the call had been handed back too often, or had moved on). */
  handBacksRefused: number;
  /** Calls handed back that an agent then answered. */
  answeredByAgentsAfterHandBack: number;
  /** Probe outcomes the gateway accepted, by outcome. */
  probesReported: Record<ProbeOutcome, number>;
  /** Probe outcomes refused with CONFLICT or NOT_FOUND: the probe had ended already (its timeout came first). */
  probeRaces: number;
  /** endCall COMPLETED accepted. */
  completed: number;
  /** endCall CALLER_HUNG_UP accepted: callers out of patience. */
  abandoned: number;
  /** Calls the gateway ended first: a DISCONNECT instruction, or an endCall refused with CONFLICT or NOT_FOUND. */
  disconnected: number;
  /** completed + abandoned + disconnected. */
  ended: number;
  /** Calls given up after endCall failed (not a race): their state on the gateway is unknown. */
  callsLost: number;
  /** endCall refused with CONFLICT or NOT_FOUND (the gateway had ended the call). */
  endCallRaces: number;
  /** Failed requests (other than races), subscription failures and bad instructions. */
  errors: number;
  errorsByCode: Record<string, number>;
  /** Calls offered and not yet finished. */
  activeCalls: number;
}

/** Events of a Simulator (listener errors are logged and counted, never thrown into the simulator). */
export interface SimulatorEvents {
  /** Every instruction received, before the simulator acts on it. */
  instruction: [instruction: TelephonyInstruction];
  /** A call the gateway accepted: sent to a queue (its id) or, with `useFlows`, to a service number. */
  callEnqueued: [call: Call, target: string];
  /** An outcome the gateway accepted. */
  outcomeReported: [attempt: CallAttempt, callId: string, outcome: AttemptOutcome];
  /** A hand-back the gateway accepted: the call as returnCall answered, the destination's attempt, and what was sent. */
  callReturned: [call: ReturnedCall, attemptId: string, handBack: HandBackPlan];
  /** A probe outcome the gateway accepted. */
  probeReported: [probe: Probe, outcome: ProbeOutcome];
  /** A call left the simulator. */
  callEnded: [callId: string, end: CallEnd];
  /** A CONFLICT or NOT_FOUND answer to an outcome, a hand-back, a probe outcome or endCall. */
  race: [operation: 'reportAttemptOutcome' | 'returnCall' | 'reportProbeOutcome' | 'endCall', code: string, id: string];
  /** A failed request, a subscription failure or a bad instruction. */
  failure: [operation: string, error: GatewayError];
  /** No more calls will be generated. */
  generationDone: [];
  /** Generation is done and every call has finished. */
  idle: [];
}

export interface SimulatorDeps {
  /** Logs of the run (default: silent). */
  logger?: Logger;
  /** Called for every instruction received (as the `instruction` event). */
  onInstruction?: (instruction: TelephonyInstruction) => void;
  /** Replaces global fetch. */
  fetchImpl?: typeof fetch;
}

interface SimAttempt {
  attemptId: string;
  kind: AnsweredBy;
  timer: Timer | null;
  /** The hand-back a destination that will answer plans; null: it keeps the call. */
  handBack: HandBackPlan | null;
}

interface SimCall {
  index: number;
  callId: string;
  connectorCallId: string;
  rng: Rng;
  /** Where the call is in the caller table. */
  state: CallerState;
  /** Who answered first, once the gateway accepted an answer. */
  answeredBy: AnsweredBy | null;
  /** The caller's patience (simulated seconds from dialling); null: never hangs up. */
  patienceSec: number | null;
  /** When enqueueCall or startCall was sent (performance.now()). */
  offeredAt: number;
  /** Since when the caller waits (performance.now()): the offer, or the last hand-back. */
  waitingSince: number;
  /** The attempt the caller talks to now, and the hand-back it plans (null once sent, or when it keeps the call). */
  connected: { attemptId: string; handBack: HandBackPlan | null } | null;
  /** Hand-backs of the call the gateway accepted. */
  handedBack: number;
  /** Whether an agent answered the call after a hand-back (counted once). */
  answeredAfterHandBack: boolean;
  /** ANSWERED reports awaiting their reply. */
  answersInFlight: number;
  patienceTimer: Timer | null;
  talkTimer: Timer | null;
  attempts: Map<string, SimAttempt>;
}

/** An event of the caller table with what its actions read. */
type CallEvent =
  | { type: 'RING'; instruction: TelephonyInstruction & { attemptId: string } }
  | { type: 'CANCEL_ATTEMPT'; attemptId: string | null }
  | { type: 'PLAY_MESSAGE'; message: string | null }
  | { type: 'OUTCOME_DUE'; attempt: SimAttempt; outcome: AttemptOutcome }
  | { type: 'ANSWERED'; by: AnsweredBy; attemptId: string; handBack: HandBackPlan | null }
  | { type: Exclude<CallerEventType, keyof CallerEventActions> };

type Timer = ReturnType<typeof setTimeout>;
type Phase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** How many finished call ids are remembered, to tell late instructions from unknown ones. */
const RECENT_CALLS = 20_000;
/** Most instructions held for calls whose enqueueCall or startCall answer has not arrived yet. */
const EARLY_LIMIT = 10_000;
/** Most arrivals handled in one generator tick (a runaway rate cannot starve the event loop). */
const ARRIVALS_PER_TICK = 500;
/** States of a call the gateway has ended: a call answered in one of them was ended at once (a flow's DISCONNECT). */
const ENDED_STATES: ReadonlySet<CallState> = new Set<CallState>(['ENDED', 'ABANDONED', 'FAILED']);
/** Fictional caller numbers: +44 20 7946 0000-0999 (a London range reserved for drama; valid numbers). */
const CALLER_PREFIX = '+442079460';

export class Simulator extends EventEmitter<SimulatorEvents> {
  readonly config: SimulatorConfig;
  private readonly log: Logger;
  private readonly fetchImpl: typeof fetch | undefined;
  private phase: Phase = 'new';
  private stopPromise: Promise<SimulatorSummary> | null = null;
  private startedAt = 0;
  private stoppedAt = 0;
  private readonly runId = randomUUID().slice(0, 8);

  private connector: ConnectorClient | null = null;
  private subscription: InstructionSubscription | null = null;
  /** Queue ids, or the service numbers of call flows with `useFlows`: each call goes to one of them. */
  private targets: string[] = [];

  private readonly calls = new Map<string, SimCall>();
  private readonly recent = new Set<string>();
  private readonly early = new Map<string, { instructions: TelephonyInstruction[]; timer: Timer }>();
  private pendingEnqueues = 0;

  private readonly timers = new Set<Timer>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  private generated = 0;
  private generationDone = false;
  private idleEmitted = false;
  private readonly stopping: Promise<void>;
  private signalStopping: () => void = () => undefined;
  private signalDrained: () => void = () => undefined;
  private generatorTimer: Timer | null = null;
  private generatorRng: Rng;
  /** Draws of the probes' delays (one stream for the run: a probe's outcome follows the time, not the draws). */
  private readonly probeRng: Rng;
  /** Probes taken in, by probe id (the most recent RECENT_CALLS), so that a redelivered one is answered once. */
  private readonly probes = new Set<string>();
  private generationStart = 0;
  private nextArrivalSec = 0;

  private readonly counters: Omit<SimulatorSummary, 'seed' | 'elapsedMs' | 'activeCalls' | 'ended'>;

  constructor(options: SimulatorOptions, deps: SimulatorDeps = {}) {
    super();
    this.stopping = new Promise((resolve) => (this.signalStopping = resolve));
    this.config = resolveSimulatorConfig(options, randomSeed());
    this.log = (deps.logger ?? pino({ level: 'silent' })).child({ component: 'telephony-simulator' });
    this.fetchImpl = deps.fetchImpl;
    if (deps.onInstruction) this.on('instruction', deps.onInstruction);
    this.generatorRng = mulberry32(deriveSeed(this.config.seed ^ 0x5bd1e995, 0));
    this.probeRng = mulberry32(deriveSeed(this.config.seed ^ 0x27d4eb2f, 0));
    this.counters = {
      queues: 0, flowNumbers: 0, agentsMadeAvailable: 0, callsOffered: 0, callsEnqueued: 0, callsRefused: 0, callsSkipped: 0,
      instructions: zeros(INSTRUCTION_KINDS), unknownInstructions: 0, lateInstructions: 0,
      outcomesReported: zeros(ATTEMPT_OUTCOMES), outcomeRaces: 0, silentNoAnswers: 0, attemptsCancelled: 0,
      answeredByAgents: 0, answeredByDestinations: 0, handedBack: 0, handBacksRefused: 0, answeredByAgentsAfterHandBack: 0,
      probesReported: zeros(PROBE_OUTCOMES), probeRaces: 0, completed: 0, abandoned: 0, disconnected: 0, callsLost: 0, endCallRaces: 0,
      errors: 0, errorsByCode: {},
    };
  }

  /**
   * Sets up (log in, connector key, queues unless `useFlows`, agents AVAILABLE, instruction subscription) and
   * starts generating calls; resolves once calls are flowing. Rejects (and cleans up) when setup fails; call
   * stop() for the summary.
   */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new Error('a Simulator starts once');
    this.phase = 'starting';
    this.startedAt = performance.now();
    try {
      await this.setUp();
    } catch (error) {
      await this.stop();
      throw error;
    }
    if (this.phase !== 'starting') throw new Error('the simulator was stopped during setup');
    this.phase = 'running';
    this.startGeneration();
  }

  /**
   * Stops generating, clears every timer, waits for requests in flight (at most one request timeout), closes
   * the subscription and resolves with the summary. Calls still alive are left as they are on the gateway.
   * Idempotent.
   */
  stop(): Promise<SimulatorSummary> {
    this.stopPromise ??= this.shutDown();
    return this.stopPromise;
  }

  /** Resolves once generation is done and every call has finished (never, while generation is unlimited). */
  whenIdle(): Promise<void> {
    if (this.isIdle() || this.idleEmitted) return Promise.resolve();
    return new Promise((resolve) => this.once('idle', () => resolve()));
  }

  /**
   * start(), then waits until every call has finished (at most `drainTimeoutMs` of real time after generation
   * ends, or until someone calls stop()), then stop(). The summary.
   */
  async run(drainTimeoutMs = Number.POSITIVE_INFINITY): Promise<SimulatorSummary> {
    await this.start();
    let timer: Timer | null = null;
    const drain = (): void => {
      if (Number.isFinite(drainTimeoutMs) && !timer) timer = setTimeout(() => this.signalDrained(), drainTimeoutMs);
    };
    const drained = new Promise<void>((resolve) => (this.signalDrained = resolve));
    if (this.generationDone) drain();
    else this.once('generationDone', drain);
    await Promise.race([this.whenIdle(), this.stopping, drained]);
    if (timer) clearTimeout(timer);
    this.off('generationDone', drain);
    return this.stop();
  }

  /** The counters so far. */
  summary(): SimulatorSummary {
    const c = this.counters;
    const end = this.phase === 'stopped' ? this.stoppedAt : performance.now();
    return {
      seed: this.config.seed,
      elapsedMs: this.startedAt ? Math.round(end - this.startedAt) : 0,
      ...c,
      instructions: { ...c.instructions },
      outcomesReported: { ...c.outcomesReported },
      probesReported: { ...c.probesReported },
      errorsByCode: { ...c.errorsByCode },
      ended: c.completed + c.abandoned + c.disconnected,
      activeCalls: this.calls.size + this.pendingEnqueues,
    };
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  // Setup

  private async setUp(): Promise<void> {
    const c = this.config;
    const base = new ConnectorClient({ url: c.url, wsUrl: c.wsUrl, requestTimeoutMs: c.requestTimeoutMs, fetchImpl: this.fetchImpl });
    let admin: ConnectorClient | null = null;
    if (!c.connectorKey || (!c.useFlows && !c.queueIds) || c.setAgentsAvailable) {
      const { token } = await base.login(c.company!, c.username!, c.password!);
      admin = base.withToken(token);
      this.log.info({ company: c.company, username: c.username }, 'logged in');
    }
    this.assertStarting();

    let key = c.connectorKey;
    if (!key) {
      key = await admin!.createConnectorApiKey(`${c.connectorKeyName} ${new Date().toISOString()}`);
      this.log.info({ name: c.connectorKeyName }, 'connector API key created');
    }
    this.connector = base.withToken(key);
    this.assertStarting();

    if (c.useFlows) {
      this.targets = [...c.flowNumbers!];
      this.counters.flowNumbers = this.targets.length;
      this.log.info({ flowNumbers: this.targets }, 'calls run the call flows of these service numbers');
    } else {
      this.targets = c.queueIds ?? (await admin!.listQueues()).map((q) => q.id);
      if (!this.targets.length) throw new GatewayError('no queues to send calls to: create one, or name them', 'NOT_FOUND');
      this.counters.queues = this.targets.length;
      this.log.info({ queues: this.targets.length }, 'queues');
    }
    this.assertStarting();

    if (c.setAgentsAvailable) await this.makeAgentsAvailable(admin!);
    this.assertStarting();

    this.subscription = this.connector.subscribeInstructions({
      onInstruction: (instruction) => this.onInstruction(instruction),
      // Delivered again: the acknowledgement was lost (or is late); acknowledging is idempotent.
      onDuplicate: (instruction) => {
        if (this.phase === 'running' && ACKNOWLEDGED_KINDS.has(instruction.kind)) this.acknowledge(instruction.instructionId);
      },
      onConnected: (wasRetry) => this.log.info({ wasRetry }, 'instruction subscription connected'),
      onClosed: (code, reason) => {
        if (this.phase === 'running') this.log.warn({ code, reason }, 'instruction socket closed; reconnecting');
      },
      onError: (error) => this.onSubscriptionLost(error),
      onComplete: () => this.onSubscriptionLost(new GatewayError('the gateway ended the instruction subscription', 'BAD_RESPONSE')),
    }, { acknowledges: true });
    await this.subscription.ready;
    if (c.subscribeSettleMs > 0) await new Promise((resolve) => setTimeout(resolve, c.subscribeSettleMs));
    this.assertStarting();
  }

  private async makeAgentsAvailable(admin: ConnectorClient): Promise<void> {
    const agents = await admin.listAgents();
    await Promise.all(
      agents.map((agent) =>
        this.limited(() => admin.setAgentStatus(agent.id, 'AVAILABLE')).then(
          () => void this.counters.agentsMadeAvailable++,
          (error: unknown) => this.fail('setAgentStatus', error, { agentId: agent.id }),
        ),
      ),
    );
    this.log.info({ agents: agents.length, available: this.counters.agentsMadeAvailable }, 'agents set AVAILABLE');
  }

  private assertStarting(): void {
    if (this.phase !== 'starting') throw new Error('the simulator was stopped during setup');
  }

  private onSubscriptionLost(error: GatewayError): void {
    if (this.phase !== 'running' && this.phase !== 'starting') return;
    this.fail('telephonyInstructions', error);
    if (this.phase === 'running' && !this.generationDone) {
      this.log.error('instruction subscription lost: no more calls are generated');
      this.finishGeneration();
    }
  }

  // Call generation

  private startGeneration(): void {
    this.generationStart = performance.now();
    this.nextArrivalSec = this.config.arrival === 'poisson' ? this.gapSec() : 0;
    this.tick();
  }

  private gapSec(): number {
    const mean = 1 / this.config.rate;
    return this.config.arrival === 'poisson' ? exponential(this.generatorRng, mean) : mean;
  }

  private tick(): void {
    this.generatorTimer = null;
    if (this.phase !== 'running' || this.generationDone) return;
    const c = this.config;
    const nowSec = (performance.now() - this.generationStart) / (1000 * c.timeScale);
    let handled = 0;
    while (this.nextArrivalSec <= nowSec && handled < ARRIVALS_PER_TICK) {
      if (this.limitReached()) return this.finishGeneration();
      this.arrive();
      this.nextArrivalSec += this.gapSec();
      handled++;
    }
    if (this.limitReached()) return this.finishGeneration();
    const waitMs = handled >= ARRIVALS_PER_TICK ? 0 : Math.max(0, (this.nextArrivalSec - nowSec) * 1000 * c.timeScale);
    this.generatorTimer = setTimeout(() => this.tick(), waitMs);
  }

  private limitReached(): boolean {
    const c = this.config;
    return (c.calls !== undefined && this.generated >= c.calls) || (c.durationSec !== undefined && this.nextArrivalSec >= c.durationSec);
  }

  private finishGeneration(): void {
    if (this.generationDone) return;
    this.generationDone = true;
    if (this.generatorTimer) clearTimeout(this.generatorTimer);
    this.generatorTimer = null;
    this.log.info({ generated: this.generated }, 'call generation done');
    this.emitSafely('generationDone');
    this.checkIdle();
  }

  /** One arrival: a call offered to a random queue (or service number, with `useFlows`), or skipped at capacity. */
  private arrive(): void {
    const index = this.generated++;
    if (this.calls.size + this.pendingEnqueues >= this.config.maxActiveCalls) {
      this.counters.callsSkipped++;
      return;
    }
    const rng = mulberry32(deriveSeed(this.config.seed, index));
    const target = this.targets[pickIndex(rng, this.targets.length)]!;
    const callerNumber = `${CALLER_PREFIX}${String(pickIndex(rng, 1000)).padStart(3, '0')}`;
    const patience = patienceSec(this.config.patienceSec, this.config.timing.jitter, rng);
    const connectorCallId = `sim-${this.runId}-${index}`;
    const offeredAt = performance.now();
    this.counters.callsOffered++;
    this.pendingEnqueues++;
    const operation = this.config.useFlows ? 'startCall' : 'enqueueCall';
    this.request(() =>
      this.config.useFlows
        ? this.connector!.startCall({ connectorCallId, serviceNumber: target, callerNumber })
        : this.connector!.enqueueCall({
            connectorCallId, queueId: target, callerNumber,
            ...(this.config.serviceNumber !== undefined && { serviceNumber: this.config.serviceNumber }),
            ...(this.config.priority !== undefined && { priority: this.config.priority }),
          }),
    ).then(
      (call) => {
        this.pendingEnqueues--;
        if (this.phase === 'stopped') return;
        this.counters.callsEnqueued++;
        const sim: SimCall = {
          index, callId: call.id, connectorCallId, rng, state: 'DIALLING', answeredBy: null, patienceSec: patience, offeredAt, waitingSince: offeredAt,
          connected: null, handedBack: 0, answeredAfterHandBack: false, answersInFlight: 0, patienceTimer: null, talkTimer: null, attempts: new Map(),
        };
        this.calls.set(call.id, sim);
        this.dispatch(sim, { type: 'ACCEPTED' });
        this.emitSafely('callEnqueued', call, target);
        const held = this.early.get(call.id);
        if (held) {
          this.early.delete(call.id);
          clearTimeout(held.timer);
          for (const instruction of held.instructions) this.handle(instruction);
        }
        // Ended before the answer (a flow that disconnects at once): the gateway disconnected it, whether or not
        // its DISCONNECT instruction came first.
        if (ENDED_STATES.has(call.state)) this.dispatch(sim, { type: 'GATEWAY_ENDED' });
        this.checkIdle();
      },
      (error: unknown) => {
        this.pendingEnqueues--;
        if (this.phase === 'stopped') return;
        this.counters.callsRefused++;
        this.fail(operation, error, { connectorCallId, [this.config.useFlows ? 'serviceNumber' : 'queueId']: target });
        this.checkIdle();
      },
    );
  }

  // Instructions

  private onInstruction(instruction: TelephonyInstruction): void {
    if (this.phase !== 'running') return;
    this.receive(instruction);
    // What no outcome report answers is acknowledged once taken in (or found to be about a call gone).
    if (ACKNOWLEDGED_KINDS.has(instruction.kind)) this.acknowledge(instruction.instructionId);
  }

  /** Instruction ids to acknowledge, sent together once the current turn is over. */
  private acknowledging: string[] = [];

  private acknowledge(instructionId: string): void {
    this.acknowledging.push(instructionId);
    if (this.acknowledging.length > 1) return;
    queueMicrotask(() => {
      const ids = this.acknowledging;
      this.acknowledging = [];
      const connector = this.connector;
      if (!connector || this.phase === 'stopped') return;
      // A lost acknowledgement costs a redelivery, which is acknowledged again: not an error of the run.
      this.request(() => connector.acknowledgeInstructions(ids)).catch((error: unknown) =>
        this.log.warn({ err: messageOf(error), instructions: ids.length }, 'acknowledging instructions failed (they may come again)'));
    });
  }

  private receive(instruction: TelephonyInstruction): void {
    const kind = instruction.kind;
    const known = Object.hasOwn(this.counters.instructions, kind);
    if (known) this.counters.instructions[kind]++;
    this.emitSafely('instruction', instruction);
    if (!known) {
      this.counters.unknownInstructions++;
      this.log.warn({ kind }, 'instruction of an unknown kind');
      return;
    }
    // A probe is a test call of its own (its callId is the probe's id), never one of the simulated callers.
    if (kind === 'PROBE_DESTINATION') return this.probe(instruction);
    if (this.calls.has(instruction.callId)) return this.handle(instruction);
    if (this.recent.has(instruction.callId)) {
      this.counters.lateInstructions++;
      return;
    }
    if (this.pendingEnqueues > 0) return this.holdEarly(instruction);
    this.counters.unknownInstructions++;
  }

  /** Holds an instruction that may belong to a call whose enqueueCall or startCall answer is still on its way. */
  private holdEarly(instruction: TelephonyInstruction): void {
    const held = this.early.get(instruction.callId);
    if (held) {
      held.instructions.push(instruction);
      return;
    }
    if (this.early.size >= EARLY_LIMIT) {
      this.counters.unknownInstructions++;
      return;
    }
    const timer = setTimeout(() => {
      const dropped = this.early.get(instruction.callId);
      this.early.delete(instruction.callId);
      if (dropped) this.counters.unknownInstructions += dropped.instructions.length;
    }, this.config.requestTimeoutMs);
    this.early.set(instruction.callId, { instructions: [instruction], timer });
  }

  private handle(instruction: TelephonyInstruction): void {
    const call = this.calls.get(instruction.callId);
    if (!call) return;
    switch (instruction.kind) {
      case 'RING_AGENT':
      case 'DIAL_EXTERNAL': {
        const attemptId = instruction.attemptId;
        if (!attemptId) {
          this.fail(instruction.kind, new GatewayError(`${instruction.kind} without an attemptId`, 'BAD_RESPONSE'), { callId: call.callId });
          return;
        }
        return this.dispatch(call, { type: 'RING', instruction: { ...instruction, attemptId } });
      }
      case 'CANCEL_ATTEMPT':
        return this.dispatch(call, { type: 'CANCEL_ATTEMPT', attemptId: instruction.attemptId });
      case 'PLAY_MESSAGE':
        return this.dispatch(call, { type: 'PLAY_MESSAGE', message: instruction.message });
      case 'DISCONNECT':
        return this.dispatch(call, { type: 'GATEWAY_ENDED' });
      case 'PROBE_DESTINATION':
        return;
    }
  }

  // The caller table

  /** Moves a call along the caller table and carries out the transition's actions (nothing when it ignores the event). */
  private dispatch(call: SimCall, event: CallEvent): void {
    const step = callerStep(call.state, event.type);
    if (!step) return;
    call.state = step.to;
    for (const action of step.do) this.perform(call, action, event);
  }

  private perform(call: SimCall, action: CallerAction | CallerEventActions[keyof CallerEventActions], event: CallEvent): void {
    switch (action) {
      case 'startPatience': {
        if (call.patienceSec === null) return;
        // The caller has been waiting since dialling (or since the hand-back), however long the gateway took to answer.
        const waitedSec = (performance.now() - call.waitingSince) / (1000 * this.config.timeScale);
        call.patienceTimer = this.after(Math.max(0, call.patienceSec - waitedSec), () => {
          call.patienceTimer = null;
          this.dispatch(call, { type: 'PATIENCE_OUT' });
        });
        return;
      }
      case 'startTalk': {
        const handBack = call.connected?.handBack ?? null;
        if (handBack) {
          call.talkTimer = this.after(handBack.afterSec, () => {
            call.talkTimer = null;
            this.dispatch(call, { type: 'HAND_BACK_DUE' });
          });
          return;
        }
        call.talkTimer = this.after(talkTimeSec(this.config.talkTimeSec, this.config.timing.jitter, call.rng), () => {
          call.talkTimer = null;
          this.dispatch(call, { type: 'TALK_OVER' });
        });
        return;
      }
      case 'sendReturn':
        return this.returnCall(call);
      case 'stopTimers':
        return this.stopTimers(call);
      case 'sendHangUp':
        return this.endCall(call, 'CALLER_HUNG_UP');
      case 'sendCompleted':
        return this.endCall(call, 'COMPLETED');
      case 'finish:COMPLETED':
        return this.finish(call, 'COMPLETED');
      case 'finish:CALLER_HUNG_UP':
        return this.finish(call, 'CALLER_HUNG_UP');
      case 'finish:DISCONNECTED':
        return this.finish(call, 'DISCONNECTED');
      case 'finish:LOST':
        return this.finish(call, 'LOST');
      case 'ring':
        return this.ring(call, eventOf(event, 'RING').instruction);
      case 'cancelAttempt':
        return this.cancelAttempt(call, eventOf(event, 'CANCEL_ATTEMPT').attemptId);
      case 'playMessage':
        this.log.debug({ callId: call.callId, message: eventOf(event, 'PLAY_MESSAGE').message }, 'playing a message');
        return;
      case 'report': {
        const { attempt, outcome } = eventOf(event, 'OUTCOME_DUE');
        return this.report(call, attempt, outcome);
      }
      case 'countAnswer': {
        const { by, attemptId, handBack } = eventOf(event, 'ANSWERED');
        call.connected = { attemptId, handBack };
        if (call.patienceTimer) this.clear(call.patienceTimer);
        call.patienceTimer = null;
        if (!call.answeredBy) {
          call.answeredBy = by;
          if (by === 'agent') this.counters.answeredByAgents++;
          else this.counters.answeredByDestinations++;
        } else if (call.handedBack > 0 && by === 'agent' && !call.answeredAfterHandBack) {
          call.answeredAfterHandBack = true;
          this.counters.answeredByAgentsAfterHandBack++;
        }
        return;
      }
      default: {
        const unknown: never = action;
        throw new Error(`no such action: ${String(unknown)}`);
      }
    }
  }

  private ring(call: SimCall, instruction: TelephonyInstruction & { attemptId: string }): void {
    const attemptId = instruction.attemptId;
    // The same instruction again (a redelivery) plans nothing new.
    if (call.attempts.has(attemptId)) return;
    const kind: AnsweredBy = instruction.kind === 'RING_AGENT' ? 'agent' : 'destination';
    const c = this.config;
    // A destination as it is now: down during its outages.
    const destination = kind === 'agent'
      ? null
      : behaviourAt(destinationBehaviourFor(c.destination, c.perDestination, instruction.destinationId, instruction.number), this.simulatedSec());
    const behaviour = destination === null ? c : { agent: c.agent, destination };
    const plan = planAttempt(instruction.kind as 'RING_AGENT' | 'DIAL_EXTERNAL', behaviour, c.timing, instruction.ringTimeoutSec, call.rng);
    const handBack = destination !== null && plan.outcome === 'ANSWERED'
      ? planHandBack(destination.handBack ?? 0, c.handBackAfterSec, c.timing.jitter, call.rng)
      : null;
    const attempt: SimAttempt = { attemptId, kind, timer: null, handBack };
    call.attempts.set(attemptId, attempt);
    if (!plan.report) {
      this.counters.silentNoAnswers++;
      return;
    }
    attempt.timer = this.after(plan.afterSec, () => {
      attempt.timer = null;
      this.dispatch(call, { type: 'OUTCOME_DUE', attempt, outcome: plan.outcome });
    });
  }

  private cancelAttempt(call: SimCall, attemptId: string | null): void {
    const attempt = attemptId ? call.attempts.get(attemptId) : undefined;
    if (!attempt) return;
    if (attempt.timer) {
      this.clear(attempt.timer);
      this.counters.attemptsCancelled++;
    }
    call.attempts.delete(attempt.attemptId);
  }

  private report(call: SimCall, attempt: SimAttempt, outcome: AttemptOutcome): void {
    if (outcome === 'ANSWERED') call.answersInFlight++;
    this.request(() =>
      this.connector!.reportAttemptOutcome({ eventId: randomUUID(), attemptId: attempt.attemptId, outcome }),
    ).then(
      (result) => {
        if (outcome === 'ANSWERED') call.answersInFlight--;
        if (this.phase === 'stopped') return;
        call.attempts.delete(attempt.attemptId);
        this.counters.outcomesReported[outcome]++;
        this.emitSafely('outcomeReported', result, call.callId, outcome);
        if (outcome === 'ANSWERED') {
          this.dispatch(call, { type: 'ANSWERED', by: attempt.kind, attemptId: attempt.attemptId, handBack: attempt.handBack });
          this.answerSettled(call);
        }
      },
      (error: unknown) => {
        if (outcome === 'ANSWERED') call.answersInFlight--;
        if (this.phase === 'stopped') return;
        call.attempts.delete(attempt.attemptId);
        if (isRace(error)) {
          this.counters.outcomeRaces++;
          this.emitSafely('race', 'reportAttemptOutcome', errorCode(error), attempt.attemptId);
        } else {
          this.fail('reportAttemptOutcome', error, { attemptId: attempt.attemptId, outcome });
        }
        if (outcome === 'ANSWERED') this.answerSettled(call);
      },
    );
  }

  /**
   * The destination the caller talks to hands the call back (returnCall) with its reason and the summary of the
   * conversation; the answer is the call's next event: accepted, the caller waits again; refused, they stay.
   */
  private returnCall(call: SimCall): void {
    const connected = call.connected;
    const plan = connected?.handBack ?? null;
    if (!connected || !plan) return this.dispatch(call, { type: 'RETURN_REFUSED' });
    // Sent once: whatever the answer, the conversation that follows (if any) ends normally.
    connected.handBack = null;
    const queueId = this.config.handBackQueueId;
    this.request(() =>
      this.connector!.returnCall({
        eventId: randomUUID(), attemptId: connected.attemptId, reason: plan.reason, context: plan.context, ...(queueId !== undefined && { queueId }),
      }),
    ).then(
      (returned) => {
        if (this.phase === 'stopped') return;
        call.handedBack++;
        this.counters.handedBack++;
        call.waitingSince = performance.now();
        this.emitSafely('callReturned', returned, connected.attemptId, plan);
        this.dispatch(call, { type: 'RETURN_ACCEPTED' });
        // A call flow may have ended the call on its way back (its Returned branch disconnecting).
        if (ENDED_STATES.has(returned.state)) this.dispatch(call, { type: 'GATEWAY_ENDED' });
      },
      (error: unknown) => {
        if (this.phase === 'stopped') return;
        if (isRace(error)) {
          this.counters.handBacksRefused++;
          this.emitSafely('race', 'returnCall', errorCode(error), connected.attemptId);
        } else {
          this.fail('returnCall', error, { attemptId: connected.attemptId });
        }
        this.dispatch(call, { type: 'RETURN_REFUSED' });
      },
    );
  }

  // Health probes

  /**
   * A health probe of a destination (PROBE_DESTINATION): the test call is answered, fails or times out as the
   * simulator's model of that destination's health says now (its outages), and the outcome is reported once.
   */
  private probe(instruction: TelephonyInstruction): void {
    const probeId = instruction.attemptId ?? instruction.callId;
    // The same probe again (a redelivery) plans nothing new.
    if (this.probes.has(probeId)) return;
    const c = this.config;
    const behaviour = destinationBehaviourFor(c.destination, c.perDestination, instruction.destinationId, instruction.number);
    const plan = planProbe(behaviour, this.simulatedSec(), c.timing, instruction.ringTimeoutSec, this.probeRng);
    if (plan.outcome === 'TIMED_OUT' && c.timing.silentNoAnswer) {
      // Left to the gateway's own timeout, as a silent ring-out.
      this.counters.silentNoAnswers++;
      return;
    }
    this.probes.add(probeId);
    if (this.probes.size > RECENT_CALLS) this.probes.delete(this.probes.values().next().value!);
    this.after(plan.afterSec, () => this.reportProbe(probeId, plan.outcome, instruction.destinationId));
  }

  private reportProbe(probeId: string, outcome: ProbeOutcome, destinationId: string | null): void {
    this.request(() => this.connector!.reportProbeOutcome({ eventId: randomUUID(), probeId, outcome })).then(
      (probe) => {
        if (this.phase === 'stopped') return;
        this.counters.probesReported[outcome]++;
        this.emitSafely('probeReported', probe, outcome);
      },
      (error: unknown) => {
        if (this.phase === 'stopped') return;
        if (isRace(error)) {
          this.counters.probeRaces++;
          this.emitSafely('race', 'reportProbeOutcome', errorCode(error), probeId);
        } else {
          this.fail('reportProbeOutcome', error, { probeId, destinationId, outcome });
        }
      },
    );
  }

  /** Simulated seconds since calls began to flow: the clock of the destinations' outages. */
  private simulatedSec(): number {
    if (this.generationStart === 0) return 0;
    return (performance.now() - this.generationStart) / (1000 * this.config.timeScale);
  }

  /** Tells the call that no ANSWERED report is in flight any more, when that is so (a refused hang-up waits for it). */
  private answerSettled(call: SimCall): void {
    if (call.answersInFlight > 0) return;
    this.dispatch(call, { type: this.phase === 'running' ? 'SETTLED' : 'SETTLED_STOPPING' });
  }

  /** Sends endCall; its answer is the call's next event. */
  private endCall(call: SimCall, reason: CallEndReason): void {
    this.stopTimers(call);
    this.request(() => this.connector!.endCall({ eventId: randomUUID(), callId: call.callId, reason })).then(
      () => {
        if (this.phase !== 'stopped') this.dispatch(call, { type: 'END_ACCEPTED' });
      },
      (error: unknown) => {
        if (this.phase === 'stopped') return;
        if (!isRace(error)) {
          this.fail('endCall', error, { callId: call.callId, reason });
          return this.dispatch(call, { type: 'END_FAILED' });
        }
        this.counters.endCallRaces++;
        this.emitSafely('race', 'endCall', errorCode(error), call.callId);
        this.dispatch(call, { type: 'END_RACED' });
        // A refused hang-up may have lost to an answer: settled once every answer in flight has its reply.
        this.answerSettled(call);
      },
    );
  }

  private stopTimers(call: SimCall): void {
    for (const timer of [call.patienceTimer, call.talkTimer, ...[...call.attempts.values()].map((a) => a.timer)]) if (timer) this.clear(timer);
    call.patienceTimer = call.talkTimer = null;
    for (const attempt of call.attempts.values()) attempt.timer = null;
  }

  /** Forgets a call, counting how it ended (once); later instructions for it count as late. */
  private finish(call: SimCall, end: CallEnd): void {
    if (this.calls.get(call.callId) !== call) return;
    this.stopTimers(call);
    call.attempts.clear();
    this.calls.delete(call.callId);
    if (end === 'COMPLETED') this.counters.completed++;
    else if (end === 'CALLER_HUNG_UP') this.counters.abandoned++;
    else if (end === 'DISCONNECTED') this.counters.disconnected++;
    else this.counters.callsLost++;
    this.recent.add(call.callId);
    if (this.recent.size > RECENT_CALLS) this.recent.delete(this.recent.values().next().value!);
    this.emitSafely('callEnded', call.callId, end);
    this.checkIdle();
  }

  // Plumbing

  private isIdle(): boolean {
    return this.generationDone && this.calls.size === 0 && this.pendingEnqueues === 0;
  }

  private checkIdle(): void {
    if (this.idleEmitted || !this.isIdle()) return;
    this.idleEmitted = true;
    this.emitSafely('idle');
  }

  /** A timer of `seconds` simulated time that stop() clears; none once the simulator is stopping. */
  private after(seconds: number, fn: () => void): Timer | null {
    if (this.phase !== 'running') return null;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.phase === 'running') fn();
    }, scaleSeconds(seconds, this.config.timeScale));
    this.timers.add(timer);
    return timer;
  }

  private clear(timer: Timer): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** A request under the in-flight bound, tracked so stop() can wait for it. */
  private request<T>(send: () => Promise<T>): Promise<T> {
    const promise = this.limited(send);
    const tracked = promise.catch(() => undefined);
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
    return promise;
  }

  private async limited<T>(send: () => Promise<T>): Promise<T> {
    if (this.active >= this.config.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    try {
      return await send();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  private fail(operation: string, error: unknown, context: Record<string, unknown> = {}): void {
    const failure = error instanceof GatewayError ? error : new GatewayError(messageOf(error), 'UNKNOWN');
    this.counters.errors++;
    this.counters.errorsByCode[failure.code] = (this.counters.errorsByCode[failure.code] ?? 0) + 1;
    this.log.warn({ operation, code: failure.code, err: failure.message, ...context }, 'request failed');
    if (operation !== 'listener') this.emitSafely('failure', operation, failure);
  }

  private emitSafely<K extends keyof SimulatorEvents>(event: K, ...args: SimulatorEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: SimulatorEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.fail('listener', error, { event });
    }
  }

  private async shutDown(): Promise<SimulatorSummary> {
    const wasRunning = this.phase === 'running';
    this.phase = 'stopping';
    this.signalStopping();
    if (this.generatorTimer) clearTimeout(this.generatorTimer);
    this.generatorTimer = null;
    this.generationDone = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const held of this.early.values()) clearTimeout(held.timer);
    this.early.clear();
    this.probes.clear();
    if (this.inFlight.size) {
      let timer: Timer | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => (timer = setTimeout(resolve, this.config.requestTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    try {
      await this.subscription?.close();
    } catch (error) {
      this.log.debug({ err: messageOf(error) }, 'closing the subscription');
    }
    this.subscription = null;
    this.phase = 'stopped';
    this.stoppedAt = performance.now();
    const summary = this.summary();
    if (wasRunning) this.log.info({ summary }, 'simulator stopped');
    return summary;
  }
}

/** CONFLICT or NOT_FOUND: the attempt or call ended on the gateway first (a timeout, a hang-up, a cancel). */
function isRace(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'CONFLICT' || code === 'NOT_FOUND';
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** The event an action reads, checked: the caller table gives each such action only its own event. */
function eventOf<T extends keyof CallerEventActions>(event: CallEvent, type: T): Extract<CallEvent, { type: T }> {
  if (event.type !== type) throw new Error(`a ${type} action on a ${event.type} event`);
  return event as Extract<CallEvent, { type: T }>;
}

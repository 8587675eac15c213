import { checkWeights, type AgentBehaviour, type DestinationBehaviour, type OutageSchedule, type RingTiming } from './decisions';

/*
 * Options of the telephony simulator, their defaults and their checks. All durations are simulated seconds;
 * `timeScale` turns them into real time (0.01: a 30 s talk lasts 300 ms). The call rate is per simulated
 * second, so a time scale changes the speed of a run, not its shape.
 */

export type ArrivalProcess = 'poisson' | 'uniform';

/** Options of a Simulator (omitted ones take SIMULATOR_DEFAULTS). */
export interface SimulatorOptions {
  /** GraphQL endpoint over HTTP. */
  url?: string;
  /** GraphQL endpoint over WebSocket; derived from `url` when omitted. */
  wsUrl?: string;

  /**
   * Company slug, username and password of an administrator (needed unless a connector key is given, queues are
   * named or `useFlows` is set, and agents are left alone).
   */
  company?: string;
  username?: string;
  password?: string;
  /** An existing connector API key; otherwise one is created with the administrator's token. */
  connectorKey?: string;
  /** Name of the connector API key the simulator creates. */
  connectorKeyName?: string;
  /** Queues calls go to (picked at random per call); otherwise every queue the administrator sees. Not with `useFlows`. */
  queueIds?: string[];
  /**
   * Sends each call with startCall to a service number, running its published call flow, instead of enqueueCall to
   * a queue; no queues are listed or needed.
   */
  useFlows?: boolean;
  /** With `useFlows`: the service numbers calls dial (picked at random per call); otherwise `serviceNumber` alone. */
  flowNumbers?: string[];
  /** Sets every agent AVAILABLE before the first call (default true). */
  setAgentsAvailable?: boolean;

  /** Calls per simulated second. */
  rate?: number;
  /** How long calls are generated (simulated seconds); unlimited when neither this nor `calls` is set. */
  durationSec?: number;
  /** How many calls to generate in all. */
  calls?: number;
  /** Poisson arrivals (exponential gaps) or evenly spaced ones. */
  arrival?: ArrivalProcess;
  /** Seed of every random decision; a run with the same seed decides the same way. */
  seed?: number;
  /** Real time per simulated time (1 = real time, 0.01 = a hundred times faster). */
  timeScale?: number;

  /** Probabilities of an agent answering, being busy and rejecting; the remainder rings out. */
  agent?: Partial<AgentBehaviour>;
  /**
   * Probabilities of a destination answering, being busy and failing (the remainder rings out), the share of the
   * calls it answers that it hands back (`handBack`) and when it is down (`outage`).
   */
  destination?: Partial<DestinationBehaviour>;
  /**
   * Behaviour of particular destinations, keyed by destination id or by the number dialled (as DIAL_EXTERNAL and
   * PROBE_DESTINATION carry it, e.g. +442079460958); an id wins over a number. What is left out comes from `destination`.
   */
  perDestination?: Record<string, Partial<DestinationBehaviour>>;
  /** Mean conversation (simulated seconds) of a destination with a caller before it hands the call back. */
  handBackAfterSec?: number;
  /** The queue handed-back calls go to (returnCall's queueId); otherwise the gateway's choice (the queue they came from). */
  handBackQueueId?: string;
  /** A ring-out reports nothing and the gateway times the attempt out (instead of NO_ANSWER at the ring timeout). */
  silentNoAnswer?: boolean;
  /** Mean ring time before an answer (simulated seconds). */
  ringTimeSec?: number;
  /** Mean delay of a busy, rejected or failed outcome (simulated seconds). */
  quickOutcomeSec?: number;
  /** Ring timeout when an instruction carries none (simulated seconds). */
  defaultRingTimeoutSec?: number;
  /** Mean talk time of an answered call (simulated seconds). */
  talkTimeSec?: number;
  /** Mean patience of a caller not yet answered (simulated seconds); 0: callers never hang up. */
  patienceSec?: number;
  /** Relative spread of random times: 0.5 draws mean * [0.5, 1.5). */
  jitter?: number;

  /**
   * Service number (the number the caller dialled) sent with each call; empty string sends none. With `useFlows`
   * and no `flowNumbers`, the one number calls dial.
   */
  serviceNumber?: string;
  /** Priority sent with each call; omitted when undefined. Not with `useFlows` (startCall takes none). */
  priority?: number;

  /** Most calls alive at once (offered and not ended); arrivals beyond it are skipped and counted. */
  maxActiveCalls?: number;
  /** Most requests in flight at once. */
  maxInFlight?: number;
  /** Time limit of each request (real ms). */
  requestTimeoutMs?: number;
  /** Wait after the subscription is sent before the first call (real ms): graphql-ws does not acknowledge subscriptions. */
  subscribeSettleMs?: number;
}

export interface SimulatorConfig {
  url: string;
  wsUrl: string | undefined;
  company: string | undefined;
  username: string | undefined;
  password: string | undefined;
  connectorKey: string | undefined;
  connectorKeyName: string;
  queueIds: string[] | undefined;
  useFlows: boolean;
  /** With useFlows: the service numbers calls dial (never empty once checked); undefined otherwise. */
  flowNumbers: string[] | undefined;
  setAgentsAvailable: boolean;
  rate: number;
  durationSec: number | undefined;
  calls: number | undefined;
  arrival: ArrivalProcess;
  seed: number;
  timeScale: number;
  agent: AgentBehaviour;
  destination: DestinationBehaviour;
  /** Behaviour of particular destinations by id or dialled number (each complete); empty when none. */
  perDestination: Record<string, DestinationBehaviour>;
  handBackAfterSec: number;
  handBackQueueId: string | undefined;
  timing: RingTiming;
  talkTimeSec: number;
  patienceSec: number;
  serviceNumber: string | undefined;
  priority: number | undefined;
  maxActiveCalls: number;
  maxInFlight: number;
  requestTimeoutMs: number;
  subscribeSettleMs: number;
}

export const SIMULATOR_DEFAULTS = {
  url: 'http://127.0.0.1:4000/graphql',
  connectorKeyName: 'telephony simulator',
  useFlows: false,
  setAgentsAvailable: true,
  rate: 1,
  arrival: 'poisson' as ArrivalProcess,
  timeScale: 1,
  agent: { answer: 0.8, busy: 0.05, reject: 0 } as AgentBehaviour,
  destination: { answer: 0.7, busy: 0.1, fail: 0.05 } as DestinationBehaviour,
  silentNoAnswer: false,
  ringTimeSec: 5,
  quickOutcomeSec: 1,
  defaultRingTimeoutSec: 20,
  talkTimeSec: 30,
  patienceSec: 60,
  handBackAfterSec: 20,
  jitter: 0.5,
  /** A Leeds number of the range reserved for drama (valid, fictional). */
  serviceNumber: '+441134960000',
  maxActiveCalls: 1000,
  maxInFlight: 64,
  requestTimeoutMs: 15_000,
  subscribeSettleMs: 200,
} as const;

/** Invalid simulator options; the message names every problem. */
export class SimulatorConfigError extends Error {
  override readonly name = 'SimulatorConfigError';

  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/**
 * Fills defaults in and checks everything; throws SimulatorConfigError naming each problem. `seed` defaults to
 * the given `fallbackSeed` (a fresh random one in the Simulator, printed so a run can be repeated).
 */
export function resolveSimulatorConfig(options: SimulatorOptions, fallbackSeed: number): SimulatorConfig {
  const d = SIMULATOR_DEFAULTS;
  const useFlows = options.useFlows ?? d.useFlows;
  const serviceNumber = options.serviceNumber === '' ? undefined : (options.serviceNumber ?? d.serviceNumber);
  const flowNumbersGiven = Boolean(options.flowNumbers?.length);
  const destination: DestinationBehaviour = { ...d.destination, ...definedOnly(options.destination) };
  const config: SimulatorConfig = {
    url: options.url ?? d.url,
    wsUrl: options.wsUrl,
    company: options.company,
    username: options.username,
    password: options.password,
    connectorKey: options.connectorKey || undefined,
    connectorKeyName: options.connectorKeyName ?? d.connectorKeyName,
    queueIds: options.queueIds?.length ? [...options.queueIds] : undefined,
    useFlows,
    flowNumbers: !useFlows ? undefined : flowNumbersGiven ? [...options.flowNumbers!] : serviceNumber !== undefined ? [serviceNumber] : [],
    setAgentsAvailable: options.setAgentsAvailable ?? d.setAgentsAvailable,
    rate: options.rate ?? d.rate,
    durationSec: options.durationSec,
    calls: options.calls,
    arrival: options.arrival ?? d.arrival,
    seed: options.seed ?? fallbackSeed,
    timeScale: options.timeScale ?? d.timeScale,
    agent: { ...d.agent, ...definedOnly(options.agent) },
    destination,
    perDestination: Object.fromEntries(Object.entries(options.perDestination ?? {}).map(([key, b]) => [key, { ...destination, ...definedOnly(b) }])),
    handBackAfterSec: options.handBackAfterSec ?? d.handBackAfterSec,
    handBackQueueId: options.handBackQueueId || undefined,
    timing: {
      ringTimeSec: options.ringTimeSec ?? d.ringTimeSec,
      quickOutcomeSec: options.quickOutcomeSec ?? d.quickOutcomeSec,
      defaultRingTimeoutSec: options.defaultRingTimeoutSec ?? d.defaultRingTimeoutSec,
      jitter: options.jitter ?? d.jitter,
      silentNoAnswer: options.silentNoAnswer ?? d.silentNoAnswer,
    },
    talkTimeSec: options.talkTimeSec ?? d.talkTimeSec,
    patienceSec: options.patienceSec ?? d.patienceSec,
    serviceNumber,
    priority: options.priority,
    maxActiveCalls: options.maxActiveCalls ?? d.maxActiveCalls,
    maxInFlight: options.maxInFlight ?? d.maxInFlight,
    requestTimeoutMs: options.requestTimeoutMs ?? d.requestTimeoutMs,
    subscribeSettleMs: options.subscribeSettleMs ?? d.subscribeSettleMs,
  };
  const problems = checkConfig(config);
  if (!useFlows && flowNumbersGiven) problems.push('flowNumbers given without useFlows (calls go to queues without it)');
  if (useFlows && !flowNumbersGiven && serviceNumber === undefined) problems.push('useFlows needs flowNumbers, or a serviceNumber to dial');
  for (const number of config.flowNumbers ?? []) {
    if (E164_LIKE.test(number)) continue;
    const got = `+ and 8-15 digits (got ${JSON.stringify(number)})`;
    problems.push(flowNumbersGiven ? `flowNumbers must be E.164 numbers: ${got}` : `serviceNumber must be an E.164 number with useFlows: ${got}`);
  }
  if (problems.length) throw new SimulatorConfigError(problems);
  return config;
}

function checkConfig(c: SimulatorConfig): string[] {
  const problems: string[] = [];
  const positive = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) problems.push(`${name} must be a number above 0 (got ${value})`);
  };
  const nonNegative = (name: string, value: number): void => {
    if (!(Number.isFinite(value) && value >= 0)) problems.push(`${name} must be a number of at least 0 (got ${value})`);
  };
  const wholeAtLeast1 = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) problems.push(`${name} must be a whole number of at least 1 (got ${value})`);
  };

  for (const [name, value] of [['url', c.url], ['wsUrl', c.wsUrl]] as const) {
    if (value === undefined) continue;
    try {
      const protocol = new URL(value).protocol;
      const allowed = name === 'url' ? ['http:', 'https:'] : ['ws:', 'wss:'];
      if (!allowed.includes(protocol)) problems.push(`${name} must start with ${allowed.map((p) => `${p}//`).join(' or ')} (got ${value})`);
    } catch {
      problems.push(`${name} is not a URL (got ${value})`);
    }
  }
  const listsQueues = !c.useFlows && !c.queueIds;
  const needsAdmin = !c.connectorKey || listsQueues || c.setAgentsAvailable;
  if (needsAdmin && (!c.company || !c.username || !c.password)) {
    const why = [!c.connectorKey && 'to create a connector key', listsQueues && 'to list queues', c.setAgentsAvailable && 'to set agents available']
      .filter(Boolean)
      .join(', ');
    problems.push(`company, username and password are needed ${why}`);
  }
  positive('rate', c.rate);
  positive('durationSec', c.durationSec);
  wholeAtLeast1('calls', c.calls);
  if (c.arrival !== 'poisson' && c.arrival !== 'uniform') problems.push(`arrival must be poisson or uniform (got ${String(c.arrival)})`);
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff)) problems.push(`seed must be a whole number from 0 to 4294967295 (got ${c.seed})`);
  positive('timeScale', c.timeScale);
  problems.push(...checkWeights({ ANSWERED: c.agent.answer, BUSY: c.agent.busy, REJECTED: c.agent.reject }, 'agent'));
  problems.push(...checkWeights({ ANSWERED: c.destination.answer, BUSY: c.destination.busy, FAILED: c.destination.fail }, 'destination'));
  problems.push(...checkBeyondAnswers(c.destination, 'destination'));
  for (const [key, b] of Object.entries(c.perDestination)) {
    if (key.trim() === '') problems.push('perDestination: a key must be a destination id or a dialled number (got an empty string)');
    problems.push(...checkWeights({ ANSWERED: b.answer, BUSY: b.busy, FAILED: b.fail }, `destination ${key}`));
    problems.push(...checkBeyondAnswers(b, `destination ${key}`));
  }
  nonNegative('handBackAfterSec', c.handBackAfterSec);
  nonNegative('ringTimeSec', c.timing.ringTimeSec);
  nonNegative('quickOutcomeSec', c.timing.quickOutcomeSec);
  positive('defaultRingTimeoutSec', c.timing.defaultRingTimeoutSec);
  if (!(Number.isFinite(c.timing.jitter) && c.timing.jitter >= 0 && c.timing.jitter <= 1)) problems.push(`jitter must be between 0 and 1 (got ${c.timing.jitter})`);
  nonNegative('talkTimeSec', c.talkTimeSec);
  nonNegative('patienceSec', c.patienceSec);
  if (c.priority !== undefined && !Number.isInteger(c.priority)) problems.push(`priority must be a whole number (got ${c.priority})`);
  if (c.useFlows) {
    if (c.queueIds) problems.push('queueIds cannot be combined with useFlows (calls go to flow numbers)');
    if (c.priority !== undefined) problems.push('priority cannot be combined with useFlows (startCall sends none)');
  }
  wholeAtLeast1('maxActiveCalls', c.maxActiveCalls);
  wholeAtLeast1('maxInFlight', c.maxInFlight);
  wholeAtLeast1('requestTimeoutMs', c.requestTimeoutMs);
  nonNegative('subscribeSettleMs', c.subscribeSettleMs);
  return problems;
}

/** What is wrong with a destination's hand-back share and outage schedule; empty when fine. */
function checkBeyondAnswers(b: DestinationBehaviour, label: string): string[] {
  const problems: string[] = [];
  if (b.handBack !== undefined && !(Number.isFinite(b.handBack) && b.handBack >= 0 && b.handBack <= 1)) {
    problems.push(`${label}: the share of answered calls handed back must be between 0 and 1 (got ${b.handBack})`);
  }
  const o: OutageSchedule | undefined = b.outage;
  if (o !== undefined) {
    if (!(Number.isFinite(o.forSec) && o.forSec > 0)) problems.push(`${label}: an outage must last more than 0 s (got ${o.forSec})`);
    if (o.firstAfterSec !== undefined && !(Number.isFinite(o.firstAfterSec) && o.firstAfterSec >= 0)) {
      problems.push(`${label}: the first outage must start at 0 s or later (got ${o.firstAfterSec})`);
    }
    if (o.everySec !== undefined && !(Number.isFinite(o.everySec) && o.everySec > o.forSec)) {
      problems.push(`${label}: outages must come back less often than they last: every ${o.everySec} s for ${o.forSec} s`);
    }
    if (o.dials !== undefined && o.dials !== 'FAILED' && o.dials !== 'NO_ANSWER') problems.push(`${label}: an outage's dials must be FAILED or NO_ANSWER (got ${String(o.dials)})`);
  }
  return problems;
}

/** A service number as startCall takes it: + and 8-15 digits (the gateway checks the rest). */
const E164_LIKE = /^\+\d{8,15}$/;

function definedOnly<T extends object>(value: Partial<T> | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

import type { AttemptOutcome, InstructionKind, ProbeOutcome } from './connector-client';
import { around, type Rng } from './random';

/** Probabilities of an agent's answers to RING_AGENT; the remainder rings out (NO_ANSWER). */
export interface AgentBehaviour {
  answer: number;
  busy: number;
  reject: number;
}

/**
 * Probabilities of a destination's answers to DIAL_EXTERNAL (the remainder rings out: NO_ANSWER), and what it
 * does beyond answering: the share of answered calls it hands back (an AI virtual agent returning the caller to
 * a person) and when it is down (an outage: every dial and every health probe fails).
 */
export interface DestinationBehaviour {
  answer: number;
  busy: number;
  fail: number;
  /** Share (0-1) of the calls it answers that it hands back with returnCall after a conversation; left out: none. */
  handBack?: number;
  /** When it is down; left out: never. */
  outage?: OutageSchedule;
}

/**
 * A destination that is down now and then, in simulated seconds from the simulator's start: down for `forSec`
 * from `firstAfterSec`, then again every `everySec`. While down, every dial gets `dials` (FAILED at once, or
 * NO_ANSWER: it rings out) and every health probe fails the same way (FAILED, or TIMED_OUT at its timeout).
 */
export interface OutageSchedule {
  /** When the first outage starts (default 0: at the start). */
  firstAfterSec?: number;
  /** How long each outage lasts. */
  forSec: number;
  /** From the start of one outage to the start of the next; left out: only one outage. */
  everySec?: number;
  /** What a dial (and a probe) meets while it is down (default FAILED). */
  dials?: 'FAILED' | 'NO_ANSWER';
}

/** Probabilities of every outcome but NO_ANSWER, which takes what is left over. */
export type OutcomeWeights = Partial<Record<Exclude<AttemptOutcome, 'NO_ANSWER'>, number>>;

/** Outcomes in the order `pickOutcome` lays them on [0, 1); NO_ANSWER fills the rest. */
const ORDER: ReadonlyArray<Exclude<AttemptOutcome, 'NO_ANSWER'>> = ['ANSWERED', 'BUSY', 'REJECTED', 'FAILED'];

/** Tolerance for probabilities that sum to 1 up to rounding (0.7 + 0.2 + 0.1). */
const EPSILON = 1e-9;

/** What is wrong with a set of probabilities (each in [0, 1], together at most 1); empty when fine. */
export function checkWeights(weights: OutcomeWeights, label: string): string[] {
  const problems: string[] = [];
  let total = 0;
  for (const outcome of ORDER) {
    const p = weights[outcome] ?? 0;
    if (!Number.isFinite(p) || p < 0 || p > 1) problems.push(`${label}: probability of ${outcome} must be between 0 and 1 (got ${p})`);
    else total += p;
  }
  if (total > 1 + EPSILON) problems.push(`${label}: probabilities add up to ${Number(total.toFixed(6))}, more than 1`);
  return problems;
}

/**
 * Picks an outcome for a uniform draw `u` in [0, 1): ANSWERED, BUSY, REJECTED and FAILED take consecutive
 * slices of the given widths, NO_ANSWER the remainder. Pure: the same weights and draw give the same outcome.
 */
export function pickOutcome(weights: OutcomeWeights, u: number): AttemptOutcome {
  let edge = 0;
  for (const outcome of ORDER) {
    edge += Math.max(0, weights[outcome] ?? 0);
    if (u < edge) return outcome;
  }
  return 'NO_ANSWER';
}

export function agentWeights(b: AgentBehaviour): OutcomeWeights {
  return { ANSWERED: b.answer, BUSY: b.busy, REJECTED: b.reject };
}

export function destinationWeights(b: DestinationBehaviour): OutcomeWeights {
  return { ANSWERED: b.answer, BUSY: b.busy, FAILED: b.fail };
}

/**
 * Simulated seconds to real milliseconds: `timeScale` 0.01 makes 30 s last 300 ms. Never negative; whole
 * milliseconds.
 */
export function scaleSeconds(seconds: number, timeScale: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.max(0, Math.round(seconds * 1000 * timeScale));
}

/** Timing of the simulated platform, in simulated seconds. */
export interface RingTiming {
  /** Mean time a phone rings before it is picked up. */
  ringTimeSec: number;
  /** Mean time before a busy, rejected or failed attempt is reported. */
  quickOutcomeSec: number;
  /** Ring timeout used when an instruction carries none. */
  defaultRingTimeoutSec: number;
  /** Relative spread of random times: 0.5 gives mean * [0.5, 1.5). */
  jitter: number;
  /** Ringing out reports nothing (the gateway times the attempt out) instead of NO_ANSWER at the timeout. */
  silentNoAnswer: boolean;
}

/** What the simulated platform will do with one attempt. */
export interface AttemptPlan {
  outcome: AttemptOutcome;
  /** False when a ring-out stays silent. */
  report: boolean;
  /** Simulated seconds after the instruction at which the outcome is reported. */
  afterSec: number;
}

/**
 * The behaviour of the destination an instruction dials: the one given for its id, else for the number
 * dialled, else the general one.
 */
export function destinationBehaviourFor(
  general: DestinationBehaviour,
  perDestination: Readonly<Record<string, DestinationBehaviour>>,
  destinationId: string | null | undefined,
  number: string | null | undefined,
): DestinationBehaviour {
  for (const key of [destinationId, number]) {
    if (key != null && Object.hasOwn(perDestination, key)) return perDestination[key]!;
  }
  return general;
}

/** Whether a destination with this outage schedule is down at `atSec` (simulated seconds from the start). Pure. */
export function isDown(outage: OutageSchedule | undefined, atSec: number): boolean {
  if (!outage || !(outage.forSec > 0)) return false;
  const since = atSec - (outage.firstAfterSec ?? 0);
  if (since < 0) return false;
  const every = outage.everySec;
  const into = every !== undefined && every > 0 ? since % every : since;
  return into < outage.forSec;
}

/**
 * What a destination does when dialled at `atSec`: its own behaviour while it is up; while it is down (its
 * outage), it never answers: FAILED at once or NO_ANSWER (ringing out), as the outage says. Pure.
 */
export function behaviourAt(behaviour: DestinationBehaviour, atSec: number): DestinationBehaviour {
  if (!isDown(behaviour.outage, atSec)) return behaviour;
  const fails = (behaviour.outage!.dials ?? 'FAILED') === 'FAILED';
  return { ...behaviour, answer: 0, busy: 0, fail: fails ? 1 : 0 };
}

/** One entry of a call's context, as returnCall takes it. */
export interface ContextEntry {
  key: string;
  value: string;
}

/** A hand-back an answering destination will make: after a conversation of `afterSec`, returnCall with this reason and context. */
export interface HandBackPlan {
  /** Simulated seconds of conversation (from the answer) before the destination hands the call back. */
  afterSec: number;
  /** Why, in words (returnCall's reason). */
  reason: string;
  /** What the virtual agent learnt: the summary of its conversation (`bot.summary`) and the caller's intent (`bot.intent`). */
  context: ContextEntry[];
}

/** What a simulated virtual agent talks about with callers it hands back: their intent, why it gives up, and what it learnt. */
export const HAND_BACK_TOPICS: ReadonlyArray<{ intent: string; reason: string; learnt: string }> = [
  { intent: 'billing', reason: 'caller asked for a person', learnt: 'disputes the last invoice; account verified' },
  { intent: 'refund', reason: 'refund above what the virtual agent may grant', learnt: 'wants a refund for a cancelled order; order number confirmed' },
  { intent: 'account', reason: 'could not verify the caller', learnt: 'locked out of the account; failed two security questions' },
  { intent: 'complaint', reason: 'complaint to be handled by a person', learnt: 'unhappy with a missed delivery; wants to complain' },
];

/**
 * Decides whether a destination that answers a call hands it back (the share `share`), and if so after how long
 * a conversation (around `meanSec`) and with which reason and summary. One draw when it keeps the call (none when
 * the share is 0), three when it hands it back. Pure: the same share, times and draws give the same plan.
 */
export function planHandBack(share: number, meanSec: number, jitter: number, rng: Rng): HandBackPlan | null {
  if (!(share > 0)) return null;
  if (rng.next() >= share) return null;
  const topic = HAND_BACK_TOPICS[Math.min(HAND_BACK_TOPICS.length - 1, Math.floor(rng.next() * HAND_BACK_TOPICS.length))]!;
  const afterSec = around(rng, meanSec, jitter);
  return {
    afterSec,
    reason: topic.reason,
    context: [
      { key: 'bot.intent', value: topic.intent },
      { key: 'bot.summary', value: `Virtual agent talked with the caller for ${Math.max(1, Math.round(afterSec))} s: ${topic.learnt}; ${topic.reason}.` },
    ],
  };
}

/** Share of the ring timeout within which a decided outcome is always reported (before the gateway gives up). */
const WITHIN_TIMEOUT = 0.9;

/**
 * Decides an attempt: the outcome from the behaviour's probabilities, then when it is reported. Answers come
 * after a ring time, busy/rejected/failed after a short delay (both capped below the ring timeout), a ring-out
 * at the ring timeout itself. Consumes exactly two draws from `rng` (one for the outcome, one for the delay).
 */
export function planAttempt(
  kind: Extract<InstructionKind, 'RING_AGENT' | 'DIAL_EXTERNAL'>,
  behaviour: { agent: AgentBehaviour; destination: DestinationBehaviour },
  timing: RingTiming,
  ringTimeoutSec: number | null | undefined,
  rng: Rng,
): AttemptPlan {
  const weights = kind === 'RING_AGENT' ? agentWeights(behaviour.agent) : destinationWeights(behaviour.destination);
  const outcome = pickOutcome(weights, rng.next());
  const timeout = ringTimeoutSec != null && ringTimeoutSec > 0 ? ringTimeoutSec : timing.defaultRingTimeoutSec;
  const delayDraw = rng.next();
  if (outcome === 'NO_ANSWER') return { outcome, report: !timing.silentNoAnswer, afterSec: timeout };
  const mean = outcome === 'ANSWERED' ? timing.ringTimeSec : timing.quickOutcomeSec;
  const j = Math.min(Math.max(timing.jitter, 0), 1);
  const delay = mean <= 0 ? 0 : mean * (1 - j) + 2 * j * mean * delayDraw;
  return { outcome, report: true, afterSec: Math.min(delay, timeout * WITHIN_TIMEOUT) };
}

/** What the simulated platform will do with one health probe (PROBE_DESTINATION). */
export interface ProbePlan {
  outcome: ProbeOutcome;
  /** Simulated seconds after the instruction at which the outcome is reported. */
  afterSec: number;
}

/**
 * Decides a health probe of a destination at `atSec` (simulated seconds from the start) from its model of the
 * destination's health: while it is up the test call is answered (SUCCEEDED after a ring time, before the
 * timeout); while it is down (its outage) the probe fails as its dials do: FAILED after a short delay, or, for
 * an outage whose dials ring out, TIMED_OUT at the probe's timeout. Consumes exactly one draw (the delay). Pure.
 */
export function planProbe(behaviour: DestinationBehaviour, atSec: number, timing: RingTiming, timeoutSec: number | null | undefined, rng: Rng): ProbePlan {
  const timeout = timeoutSec != null && timeoutSec > 0 ? timeoutSec : timing.defaultRingTimeoutSec;
  const draw = rng.next();
  const down = isDown(behaviour.outage, atSec);
  if (down && behaviour.outage!.dials === 'NO_ANSWER') return { outcome: 'TIMED_OUT', afterSec: timeout };
  const mean = down ? timing.quickOutcomeSec : timing.ringTimeSec;
  const j = Math.min(Math.max(timing.jitter, 0), 1);
  const delay = mean <= 0 ? 0 : mean * (1 - j) + 2 * j * mean * draw;
  return { outcome: down ? 'FAILED' : 'SUCCEEDED', afterSec: Math.min(delay, timeout * WITHIN_TIMEOUT) };
}

/** A talk time around the mean (simulated seconds). */
export function talkTimeSec(meanSec: number, jitter: number, rng: Rng): number {
  return around(rng, meanSec, jitter);
}

/** A caller's patience around the mean (simulated seconds); null (never hangs up) when the mean is 0. */
export function patienceSec(meanSec: number, jitter: number, rng: Rng): number | null {
  return meanSec > 0 ? around(rng, meanSec, jitter) : null;
}

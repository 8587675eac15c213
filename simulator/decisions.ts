import type { AttemptOutcome, InstructionKind } from './connector-client';
import { around, type Rng } from './random';

/** Probabilities of an agent's answers to RING_AGENT; the remainder rings out (NO_ANSWER). */
export interface AgentBehaviour {
  answer: number;
  busy: number;
  reject: number;
}

/** Probabilities of a destination's answers to DIAL_EXTERNAL; the remainder rings out (NO_ANSWER). */
export interface DestinationBehaviour {
  answer: number;
  busy: number;
  fail: number;
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

/** A talk time around the mean (simulated seconds). */
export function talkTimeSec(meanSec: number, jitter: number, rng: Rng): number {
  return around(rng, meanSec, jitter);
}

/** A caller's patience around the mean (simulated seconds); null (never hangs up) when the mean is 0. */
export function patienceSec(meanSec: number, jitter: number, rng: Rng): number | null {
  return meanSec > 0 ? around(rng, meanSec, jitter) : null;
}

import type { AttemptOutcome } from './state-machine';
import type { DestinationSnapshot, Millis } from './types';

/** The one state a dashboard shows; the API's DestinationState enum is built from this list. */
export const DESTINATION_STATES = { AVAILABLE: 'AVAILABLE', AT_CAPACITY: 'AT_CAPACITY', BACKED_OFF: 'BACKED_OFF', SUSPENDED: 'SUSPENDED', DISABLED: 'DISABLED' } as const;
export type DestinationState = keyof typeof DESTINATION_STATES;

/** Calls a destination may still take now by its own maximum; Infinity when unlimited. */
export function ownSpareCapacity(d: Pick<DestinationSnapshot, 'maxSimultaneousCalls' | 'connectingCalls' | 'activeCalls'>): number {
  return d.maxSimultaneousCalls === null ? Infinity : Math.max(0, d.maxSimultaneousCalls - d.connectingCalls - d.activeCalls);
}

/** Calls a destination may still take now: its own spare slots, and no more than its capacity pool has; Infinity when unlimited. */
export function spareCapacity(d: Pick<DestinationSnapshot, 'maxSimultaneousCalls' | 'connectingCalls' | 'activeCalls' | 'pool'>): number {
  const own = ownSpareCapacity(d);
  return d.pool === null || d.pool === undefined ? own : Math.min(own, Math.max(0, d.pool.max - d.pool.used));
}

/** The one state a dashboard shows, in order of what matters most: disabled, suspended, backed off, full. */
export function destinationState(d: DestinationSnapshot, now: Millis): DestinationState {
  if (!d.enabled) return 'DISABLED';
  if (d.suspended) return 'SUSPENDED';
  if (d.backedOffUntil !== null && d.backedOffUntil > now) return 'BACKED_OFF';
  if (spareCapacity(d) === 0) return 'AT_CAPACITY';
  return 'AVAILABLE';
}

/**
 * Whether a destination's health probe is sent now (decision 037): it has a probe, is enabled, and is suspended
 * or backed off past `now`.
 */
export function probesNow(d: { readonly probeIntervalSec: number | null; readonly enabled: boolean; readonly suspendedAt: Date | null }, backedOffUntil: Millis | null, now: Millis): boolean {
  return d.probeIntervalSec !== null && d.enabled && (d.suspendedAt !== null || (backedOffUntil ?? 0) > now);
}

/** Successful probes in a row, from the latest ended ones (newest first; those still out are not counted). */
export function successesInARow(outcomes: ReadonlyArray<string | null>): number {
  let n = 0;
  for (const outcome of outcomes) {
    if (outcome === null) continue;
    if (outcome !== 'SUCCEEDED') break;
    n += 1;
  }
  return n;
}

/** The destination's own timeouts that decide what an outcome does (never the queue's). */
export interface DestinationTimeouts {
  readonly busyBackoffSec: number;
  readonly noAnswerBackoffSec: number;
  readonly failureBackoffSec: number;
  readonly maxConsecutiveFailures: number;
}

export interface OutcomeEffect {
  readonly backedOffUntil: Millis | null;
  readonly consecutiveFailures: number;
  readonly suspended: boolean;
  /** Why, for the trace, e.g. "busy: backed off for 60 s". */
  readonly detail: string;
}

/** Whether `consecutiveFailures` reaches the destination's suspension threshold (0 = never suspends). */
export function reachesSuspension(consecutiveFailures: number, maxConsecutiveFailures: number): boolean {
  return maxConsecutiveFailures > 0 && consecutiveFailures >= maxConsecutiveFailures;
}

/**
 * What one attempt's outcome does to its destination. Busy, no answer, rejected and failed each count as a
 * consecutive failure and back the destination off for its own timeout (never shortening a back-off already
 * running); reaching `maxConsecutiveFailures` (when not 0) suspends it; an answer resets the count. A
 * cancelled attempt (the caller hung up) changes nothing.
 */
export function applyOutcome(
  current: Pick<DestinationSnapshot, 'backedOffUntil' | 'consecutiveFailures' | 'suspended'>,
  timeouts: DestinationTimeouts,
  outcome: AttemptOutcome | 'CANCELLED',
  now: Millis,
): OutcomeEffect {
  if (outcome === 'CANCELLED') return { ...current, detail: 'cancelled by the caller: no back-off' };
  if (outcome === 'ANSWERED') return { ...current, consecutiveFailures: 0, detail: 'answered: consecutive failures reset' };
  const seconds = outcome === 'BUSY' ? timeouts.busyBackoffSec : outcome === 'NO_ANSWER' ? timeouts.noAnswerBackoffSec : timeouts.failureBackoffSec;
  const until = seconds > 0 ? now + seconds * 1000 : null;
  const backedOffUntil = until === null ? current.backedOffUntil : Math.max(until, current.backedOffUntil ?? 0);
  const consecutiveFailures = current.consecutiveFailures + 1;
  const suspended = current.suspended || reachesSuspension(consecutiveFailures, timeouts.maxConsecutiveFailures);
  const words = outcome.toLowerCase().replace('_', ' ');
  const parts = [seconds > 0 ? `${words}: backed off for ${seconds} s` : `${words}: no back-off configured`];
  if (suspended && !current.suspended) parts.push(`suspended after ${consecutiveFailures} consecutive failures`);
  return { backedOffUntil, consecutiveFailures, suspended, detail: parts.join('; ') };
}

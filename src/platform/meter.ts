/**
 * What the engine and the services count as they work: the metrics registry (src/observability/metrics.ts)
 * implements it, `noMeter` ignores it. Only bounded labels: kinds and outcomes, never a call or a caller.
 */
export interface Meter {
  /** A routing decision for one waiting call: to an agent, to a destination, or waiting (nothing free). */
  decision(outcome: 'AGENT' | 'DESTINATION' | 'WAITING'): void;
  /** A call refused at admission (its queue was full). */
  refused(reason: 'QUEUE_FULL'): void;
  /** What became of an offer: committed, or given up (claim lost, number unbuildable, call moved on). */
  offer(target: 'AGENT' | 'DESTINATION', result: 'OFFERED' | 'CLAIM_LOST' | 'NUMBER_FAILED' | 'CALL_MOVED'): void;
  /** An attempt's outcome once applied: answered, or ended (busy, no answer, rejected, failed, cancelled, completed). */
  attemptOutcome(target: 'AGENT' | 'DESTINATION', outcome: string): void;
  /** A telephony instruction: issued by the engine, delivered to a session (again), acknowledged, or kept for lack of a session. */
  instruction(event: 'issued' | 'delivered' | 'redelivered' | 'acknowledged' | 'unaddressed', count?: number): void;
  /** Durable timers claimed and fired in one tick. */
  timersFired(count: number): void;
  /** Destination slot leases renewed in one renewal pass (the slots held by open attempts). */
  leasesRenewed(count: number): void;
  /** A Redis connection of the event bus or the live state is reconnecting. */
  redisReconnect(connection: string): void;
  /** A destination's health probe: sent, or ended (succeeded; failed or timed out). */
  probe(event: 'sent' | 'succeeded' | 'failed'): void;
}

const nothing = (): void => undefined;

/** The meter of parts running without a metrics registry (unit tests, tools). */
export const noMeter: Meter = {
  decision: nothing, refused: nothing, offer: nothing, attemptOutcome: nothing, instruction: nothing, timersFired: nothing, leasesRenewed: nothing, redisReconnect: nothing, probe: nothing,
};

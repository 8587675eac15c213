import type { Call, CallAttempt } from '../entities/call.entity';
import type { ExternalDestination } from '../entities/external-destination.entity';
import type { FlowEvent } from '../routing/call-flow';
import type { ClosedOutcome } from './types';

/**
 * What closing attempts and calls tells the rest of the engine. Closing never routes: it says what ended and
 * what became usable, and the front decides what to route next.
 */
export interface EngineEvents {
  /** An attempt ended unanswered or its call ended; its live effects are applied. */
  attemptEnded: { companyId: string; call: Call; attempt: CallAttempt; outcome: ClosedOutcome };
  /** Agents and destinations usable again from `at` (now, or later: a wrap-up, a retry interval or a back-off ends). */
  resourcesFreed: { companyId: string; agentIds: string[]; destinationIds: string[]; at: number };
  /** Everything one committed change closed is applied and told (the events above came before it). */
  settled: { companyId: string; call: Call };
  /** A destination's failure backed it off or suspended it (its health probe, if it has one, starts). */
  destinationHeld: { companyId: string; row: ExternalDestination };
  /** A flow call left what held it (its destination did not answer, its queue's wait ran out): it goes on by `event`. */
  flowBranch: { call: Call; event: FlowEvent };
}

type Listener<E> = (event: E) => Promise<void> | void;

/** A small typed emitter: `emit` runs the listeners of one kind in the order they subscribed and waits for each. */
export class Emitter<M> {
  private readonly listeners = new Map<keyof M, Array<Listener<never>>>();

  /** Subscribes; the returned function unsubscribes. */
  on<K extends keyof M>(kind: K, listener: Listener<M[K]>): () => void {
    const list = this.listeners.get(kind) ?? [];
    list.push(listener as Listener<never>);
    this.listeners.set(kind, list);
    return () => {
      const i = list.indexOf(listener as Listener<never>);
      if (i >= 0) list.splice(i, 1);
    };
  }

  async emit<K extends keyof M>(kind: K, event: M[K]): Promise<void> {
    for (const listener of [...(this.listeners.get(kind) ?? [])]) await (listener as Listener<M[K]>)(event);
  }
}

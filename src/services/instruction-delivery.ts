import { randomUUID } from 'node:crypto';
import { Repeater } from '@graphql-yoga/subscription';
import type { EventBus, TelephonyInstructionEvent } from '../realtime/event-bus';
import type { ClaimStore } from '../store/claim-store';

/** How long an instruction stays claimed by the session that took it. */
const CLAIM_MS = 10 * 60_000;

/**
 * The instructions of a company for one connector session: every session hears every instruction, and
 * the first to claim it (on any instance) delivers it, so each reaches the company's connectors once.
 */
export function instructionsForSession(bus: EventBus, claims: ClaimStore, companyId: string): AsyncIterable<TelephonyInstructionEvent> {
  const session = randomUUID();
  const source = bus.instructions(companyId);
  return new Repeater<TelephonyInstructionEvent>(async (push, stop) => {
    const events = source[Symbol.asyncIterator]();
    const stopped = stop.then(() => ({ done: true as const, value: undefined }));
    try {
      for (;;) {
        const next = await Promise.race([events.next(), stopped]);
        if (next.done) break;
        if (await claims.claim(companyId, `instruction:${next.value.instructionId}`, session, CLAIM_MS)) await push(next.value);
      }
    } finally {
      await events.return?.();
      stop();
    }
  });
}

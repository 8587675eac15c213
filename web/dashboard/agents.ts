import { clockSeconds } from './format';
import type { AgentLive } from './queries';

/** What an agent can do now, as routing sees it (decision 026): `free` agents are the ones a call may be offered to. */
export type AgentKind = 'free' | 'held' | 'busy' | 'break' | 'out';

export interface AgentState {
  kind: AgentKind;
  /** One state, with its reason and end: "Free", "Wrap-up until 10:31:05", "On break · finishing a call". */
  text: string;
  /** When the state changes with time alone (a hold ends), in ms; null when it does not. */
  until: number | null;
}

/** Sort rank of the kinds: free agents first. */
export const KIND_RANK: Record<AgentKind, number> = { free: 0, held: 1, busy: 2, break: 3, out: 4 };

const BUSY: Partial<Record<AgentLive['activity'], string>> = { RESERVED: 'Reserved for a call', RINGING: 'Ringing', ON_CALL: 'On a call' };

/**
 * An agent's one coherent state at `now` (the gateway's clock), by the rule routing follows: logged out,
 * on break (perhaps finishing a call), busy with a call, held back (wrap-up, the wait after a missed call)
 * until a time, or free. The holds are judged against `now`, so a row turns "Free" when its hold ends even
 * though no update says so. A WRAP_UP without an end is a wrap-up that is over: the gateway gives
 * `wrapUpUntil` only while the wrap-up lasts, and every wrap-up it starts has an end.
 */
export function agentState(live: AgentLive, now: number, timeZone: string): AgentState {
  if (live.status === 'LOGGED_OUT') return { kind: 'out', text: 'Logged out', until: null };
  const busy = BUSY[live.activity];
  if (live.status === 'ON_BREAK') return { kind: 'break', text: busy ? 'On break · finishing a call' : 'On break', until: null };
  if (busy) return { kind: 'busy', text: busy, until: null };
  const wrapUpUntil = live.activity === 'WRAP_UP' && live.wrapUpUntil ? Date.parse(live.wrapUpUntil) : null;
  if (wrapUpUntil !== null && wrapUpUntil > now) return { kind: 'held', text: `Wrap-up until ${clockSeconds(new Date(wrapUpUntil), timeZone)}`, until: wrapUpUntil };
  const retryUntil = live.retryWaitUntil ? Date.parse(live.retryWaitUntil) : null;
  if (retryUntil !== null && retryUntil > now) {
    return { kind: 'held', text: `Held back until ${clockSeconds(new Date(retryUntil), timeZone)} (missed a call)`, until: retryUntil };
  }
  return { kind: 'free', text: 'Free', until: null };
}

/** "2 in wrap-up · 1 after a missed call" for a queue's held-back agents; '' when none. */
export function heldBackText(counts: { wrapUp: number; retryWait: number }): string {
  const parts: string[] = [];
  if (counts.wrapUp > 0) parts.push(`${counts.wrapUp} in wrap-up`);
  if (counts.retryWait > 0) parts.push(`${counts.retryWait} after a missed call`);
  return parts.join(' · ');
}

import type { Call } from '../entities/call.entity';
import type { InputChecker } from '../input-checker';
import type { ContextEntry } from '../routing/vocabulary';

/** Most entries a call's context holds, and the longest key and value (characters). */
export const CONTEXT_LIMITS = { entries: 32, keyLength: 64, valueLength: 500, totalLength: 8_000 } as const;

/** The prefix of the entries the gateway adds to a hand-off (a caller's keys may not use it). */
export const GATEWAY_PREFIX = 'gateway.';

const KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;

/**
 * A call's context as the connector gives it (`enqueueCall`, `startCall`): key-value pairs, kept as text and
 * never interpreted. Keys are 1-64 characters (a letter, then letters, digits, `_`, `.`, `-`), unique, not
 * under `gateway.`; values are readable text up to 500 characters; at most 32 entries and 8 000 characters in
 * all. Problems go to `c` (each with its path); the entries are returned in the order given.
 */
export function checkContext(c: InputChecker, given: ReadonlyArray<{ key: string; value: string }> | null | undefined, field = 'context'): ContextEntry[] {
  if (given === null || given === undefined) return [];
  if (given.length > CONTEXT_LIMITS.entries) {
    c.fail(field, `must hold at most ${CONTEXT_LIMITS.entries} entries (got ${given.length})`);
    return [];
  }
  const seen = new Set<string>();
  const entries: ContextEntry[] = [];
  let total = 0;
  given.forEach((entry, i) => {
    const key = entry.key.trim();
    if (key.length === 0 || key.length > CONTEXT_LIMITS.keyLength || !KEY.test(key)) {
      c.fail(`${field}[${i}].key`, `must be 1-${CONTEXT_LIMITS.keyLength} characters: a letter, then letters, digits, _ . or -`);
    } else if (key.toLowerCase().startsWith(GATEWAY_PREFIX)) {
      c.fail(`${field}[${i}].key`, `must not start with "${GATEWAY_PREFIX}": the gateway adds those entries`);
    } else if (seen.has(key)) {
      c.fail(`${field}[${i}].key`, 'is given twice');
    }
    seen.add(key);
    const value = c.text(`${field}[${i}].value`, entry.value, CONTEXT_LIMITS.valueLength) ?? '';
    total += key.length + value.length;
    entries.push({ key, value });
  });
  if (total > CONTEXT_LIMITS.totalLength) c.fail(field, `must hold at most ${CONTEXT_LIMITS.totalLength} characters of keys and values in all (got ${total})`);
  return entries;
}

/** The call's context with `added` set: a key already there takes its new value in place, a new key goes last. */
export function withContext(current: readonly ContextEntry[], added: readonly ContextEntry[]): ContextEntry[] {
  const merged = current.map((e) => ({ ...e }));
  for (const { key, value } of added) {
    const at = merged.findIndex((e) => e.key === key);
    if (at >= 0) merged[at] = { key, value };
    else merged.push({ key, value });
  }
  return merged;
}

/** Most times external destinations may hand one call back (returnCall): a further return is refused. */
export const MAX_CALL_RETURNS = 3;

/** Most nodes of a flow path a hand-off names (the latest ones). */
export const FLOW_PATH_NODES = 30;

/**
 * What travels with a call to whoever takes it (RING_AGENT, DIAL_EXTERNAL): the call's own context, then what
 * the gateway knows, under `gateway.`: the caller id as presented and in E.164, the dialled service number,
 * the seconds waited since it arrived, the attempts so far (this one included), for a flow call the nodes it
 * walked (`>`-separated ids, the latest FLOW_PATH_NODES) and, once external destinations handed it back, how
 * many times and the last reason. Empty facts are left out.
 */
export function handOff(
  call: Pick<Call, 'context' | 'callerId' | 'callerE164' | 'serviceNumber' | 'enqueuedAt' | 'returnCount' | 'returnReason'>, attempts: number, now: number, flowPath: readonly string[] = [],
): ContextEntry[] {
  const facts: Array<[string, string | null]> = [
    ['callerId', call.callerId],
    ['callerE164', call.callerE164],
    ['serviceNumber', call.serviceNumber],
    ['waitedSec', String(Math.max(0, Math.floor((now - call.enqueuedAt.getTime()) / 1000)))],
    ['attempts', String(attempts)],
    ['flowPath', flowPath.slice(-FLOW_PATH_NODES).join('>')],
    ['returns', call.returnCount > 0 ? String(call.returnCount) : null],
    ['returnReason', call.returnReason],
  ];
  return [...(call.context ?? []), ...facts.filter((f): f is [string, string] => f[1] !== null && f[1] !== '').map(([key, value]) => ({ key: `${GATEWAY_PREFIX}${key}`, value }))];
}

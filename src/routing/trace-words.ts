/**
 * The words of a call's routing trace, rendered per reader. An entry is stored as facts (the flow node it is
 * about, and its words with the resources it names kept as references) and turned into a sentence when
 * someone reads it, so that a reader who may not see a destination reads "a destination you cannot see"
 * and never its id, name or number. Entries written before facts existed hold only finished text: they
 * are read through `scrubLegacyText`, which removes what could name a hidden destination.
 */

/** A resource an entry names. */
export interface TraceRef {
  readonly kind: 'DESTINATION' | 'QUEUE';
  readonly id: string;
}

/**
 * One piece of an entry's words: text that names nothing, a resource, or text about a destination that only
 * readers who may see it receive (e.g. a reason quoting its number prefix), with what the others read instead.
 */
export type TracePart = string | { readonly ref: TraceRef } | { readonly private: string; readonly of: TraceRef; readonly otherwise: string };

/** What a trace entry says, as stored (the `facts` column). */
export interface TraceFacts {
  /** The flow node the entry is about (FLOW entries): its type, id, the branch taken (null: the call stopped there), and whether the call arrived at it. */
  readonly node?: { readonly type: string; readonly id: string; readonly branch: string | null; readonly arrived: boolean };
  readonly words: readonly TracePart[];
}

/** How resources read for one reader. `name` is null when the resource no longer exists. */
export interface TraceLens {
  destination(id: string): { visible: boolean; name: string | null };
  queue(id: string): { name: string | null };
}

export const HIDDEN_DESTINATION = 'a destination you cannot see';

/** A node type in words: ROUTE_TO_EXTERNAL_DESTINATION reads "Route To External Destination". */
export function nodeTypeWords(type: string): string {
  return type.split('_').filter((w) => w.length > 0).map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join(' ');
}

/** The resources an entry names (to look their names up in one read per trace). */
export function refsOf(facts: TraceFacts): TraceRef[] {
  return facts.words.flatMap((p) => (typeof p === 'string' ? [] : 'ref' in p ? [p.ref] : [p.of]));
}

function refWords(ref: TraceRef, lens: TraceLens): string {
  if (ref.kind === 'QUEUE') {
    const { name } = lens.queue(ref.id);
    return name === null ? 'a queue that no longer exists' : `queue "${name}"`;
  }
  const seen = lens.destination(ref.id);
  if (!seen.visible) return HIDDEN_DESTINATION;
  return seen.name === null ? 'an external destination that no longer exists' : `external destination "${seen.name}"`;
}

/** The sentence an entry reads as for the reader behind `lens`. */
export function renderTrace(facts: TraceFacts, lens: TraceLens): string {
  return sentence(facts, (ref) => refWords(ref, lens), (ref) => ref.kind !== 'DESTINATION' || lens.destination(ref.id).visible);
}

/** The sentence with resources by kind and id, as the `summary` column keeps it beside the facts (never shown as such). */
export function plainTrace(facts: TraceFacts): string {
  return sentence(facts, (ref) => `${ref.kind === 'QUEUE' ? 'queue' : 'external destination'} ${ref.id}`, () => true);
}

function sentence(facts: TraceFacts, named: (ref: TraceRef) => string, sees: (ref: TraceRef) => boolean): string {
  const words = facts.words.map((p) => (typeof p === 'string' ? p : 'ref' in p ? named(p.ref) : sees(p.of) ? p.private : p.otherwise)).join('');
  if (facts.node === undefined) return words;
  const { type, id, branch } = facts.node;
  return `${nodeTypeWords(type)} node "${id}" ${branch === null ? 'stopped here' : `took ${branch}`}: ${words}`;
}

/**
 * Words with the given resource ids turned into references: `the call waits in queue <id>` becomes
 * ['the call waits in ', {ref: QUEUE id}]. "external destination <id>" and "queue <id>" are taken whole; any
 * other occurrence of an id becomes the reference alone.
 */
export function wordsNaming(text: string, refs: readonly TraceRef[]): TracePart[] {
  let parts: TracePart[] = [text];
  for (const ref of refs) {
    if (ref.id.length === 0) continue;
    const noun = ref.kind === 'DESTINATION' ? 'external destination ' : 'queue ';
    parts = parts.flatMap((part) => {
      if (typeof part !== 'string') return [part];
      const out: TracePart[] = [];
      let rest = part;
      for (;;) {
        const at = rest.indexOf(ref.id);
        if (at < 0) break;
        const before = rest.slice(0, at);
        out.push(before.endsWith(noun) ? before.slice(0, -noun.length) : before, { ref });
        rest = rest.slice(at + ref.id.length);
      }
      out.push(rest);
      return out.filter((p) => p !== '');
    });
  }
  return parts;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** The ids an entry's old text may name, to look them up before scrubbing it. */
export function idsIn(text: string): string[] {
  return [...new Set(text.match(UUID) ?? [])].map((id) => id.toLowerCase());
}

/** How an id met in old text reads: a destination (visible or not), a queue, or something unknown. */
export interface LegacyLens extends TraceLens {
  kindOf(id: string): 'DESTINATION' | 'QUEUE' | null;
}

/** Text with every id it names replaced by what the id names in words for the reader ("(removed)" when unknown). */
export function scrubIds(text: string, lens: LegacyLens): string {
  return text.replace(/(external destination |queue )?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/gi, (_whole, noun: string | undefined, raw: string) => {
    const id = raw.toLowerCase();
    const kind = lens.kindOf(id);
    return kind === null ? `${noun ?? ''}(removed)` : refWords({ kind, id }, lens);
  });
}

/**
 * Old text (no facts) made safe for the reader behind `lens`: every id is replaced by what it names in
 * words ("a destination you cannot see" for a hidden one, "(removed)" for one that no longer exists), the
 * reason of a number that could not be built is dropped when `hiddenDestination` (it may quote the
 * destination's prefix), and node types read as words.
 */
export function scrubLegacyText(text: string, lens: LegacyLens, hiddenDestination: boolean): string {
  let out = scrubIds(text, lens);
  if (hiddenDestination) out = out.replace(/could not be built \(.*?\): the attempt/, 'could not be built: the attempt');
  // Flow entries read `route to_external_destination node "x"` (only the first underscore became a space).
  return out.replace(/^([a-z]+(?:[ _][a-z]+)*) node "/, (_whole, type: string) => `${nodeTypeWords(type.replace(/ /g, '_'))} node "`);
}

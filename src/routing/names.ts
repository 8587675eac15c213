/**
 * Names are text a person can read (docs/decisions/013-caller-ids-and-names.md): what they may hold, and the
 * key under which two names are "the same name" for uniqueness.
 */

/**
 * Characters no name may hold: controls (Cc, tabs and line breaks included), format characters (Cf: zero-width
 * spaces and joiners, bidirectional overrides, soft hyphens...), lone surrogates (Cs: they cannot be stored as
 * UTF-8), unassigned code points and noncharacters (Cn), and the Unicode line and paragraph separators (Zl, Zp).
 */
const NOT_IN_NAMES = /[\p{Cc}\p{Cf}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]/u;

/** Characters free text (descriptions, messages) may not hold: controls other than tab and line breaks, lone surrogates. */
const NOT_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cs}]/u;

/** `U+200B` for a code point (a lone surrogate is one code unit, shown as such). */
function codePointLabel(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The first character a name may not hold, as `U+XXXX at position N` (1-based, in characters), or null. */
export function unreadableInName(text: string): string | null {
  return firstMatch(text, NOT_IN_NAMES);
}

/** The first character free text may not hold, as in unreadableInName, or null. */
export function unreadableInText(text: string): string | null {
  return firstMatch(text, NOT_IN_TEXT);
}

function firstMatch(text: string, pattern: RegExp): string | null {
  let position = 0;
  for (const ch of text) {
    position += 1;
    if (pattern.test(ch)) return `${codePointLabel(ch)} at position ${position}`;
  }
  return null;
}

/** Replaces every character a name may not hold with U+FFFD (shown as �), keeping the rest as it is. */
export function replaceUnreadable(text: string): string {
  let out = '';
  for (const ch of text) out += NOT_IN_NAMES.test(ch) ? '\uFFFD' : ch;
  return out;
}

/**
 * The key two names of one kind in one company must not share: compatibility-normalised (NFKC: `ﬁ` is `fi`,
 * full-width `Ａ` is `A`, a no-break space is a space), case-folded (lower, upper, lower again, so `ß`, `ẞ` and
 * `SS` meet at `ss` and Greek final sigma meets sigma), every run of white space one space. Computed in the
 * service, so SQLite and PostgreSQL answer alike whatever their collations.
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC').replace(/\s+/gu, ' ').trim();
}

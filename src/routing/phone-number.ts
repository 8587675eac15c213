import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';
import { replaceUnreadable } from './names';

export type NumberCheck = { ok: true; e164: string } | { ok: false; reason: string };

const FORMATTING = /^\+[0-9 ().-]+$/;

/**
 * Parses a telephone number written in international form (a leading + and the country code; spaces, dots,
 * dashes and brackets allowed) against full metadata. Nothing is extracted from surrounding text: letters,
 * extensions and a `00` prefix are refused. Returns the E.164 form.
 */
export function parseE164(text: string): NumberCheck {
  const input = text.trim();
  if (!input.startsWith('+')) return { ok: false, reason: 'must start with + and the country code (E.164)' };
  if (!FORMATTING.test(input)) return { ok: false, reason: 'may contain only +, digits, spaces and . - ( )' };
  const lengthProblem = validatePhoneNumberLength(input);
  if (lengthProblem === 'TOO_SHORT') return { ok: false, reason: 'is too short for its country' };
  if (lengthProblem === 'TOO_LONG') return { ok: false, reason: 'is too long for its country' };
  if (lengthProblem === 'INVALID_COUNTRY') return { ok: false, reason: 'has an unknown country code' };
  const parsed = parsePhoneNumberFromString(input);
  if (parsed === undefined || parsed.ext !== undefined || !parsed.isValid()) {
    return { ok: false, reason: 'is not a valid telephone number' };
  }
  return { ok: true, e164: parsed.number };
}

/** The longest caller id kept (characters, counted as code points). */
export const CALLER_ID_MAX = 200;

/** What the gateway keeps of a caller id: as presented, and its E.164 form when it parses. */
export interface CallerIdentity {
  /** As presented (trimmed), null when none was given; see callerIdentity for what is replaced. */
  callerId: string | null;
  /** The E.164 form, or null when the caller id is not a telephone number (or, national, with no country to read it in). */
  callerE164: string | null;
  /** Whether characters were replaced or the caller id was shortened to be kept. */
  altered: boolean;
}

/** A number in any usual writing: an optional +, digits and visual separators, nothing else. */
const NUMBER_TEXT = /^\+?[0-9][0-9 ().\-/]*$/;
/** The user part of a sip:, sips: or tel: URI (RFC 3261, RFC 3966), before its host or parameters. */
const URI_USER = /^(?:sips?|tel):([^@;?]+)/i;

/**
 * Reads the caller id a telephony connector passes through: never a reason to refuse a call. It is kept as
 * presented (trimmed; empty means none); characters a person cannot read (controls, format characters, lone
 * surrogates: see unreadableInName) become U+FFFD and anything past 200 characters is cut (ending with `…`),
 * so a broken caller id still shows that it was one. Its E.164 form is added when it is a telephone number, in
 * international form (`+44…`, `0044…` given a country) or national form read in the country of the number the
 * caller dialled (`dialled`, E.164), also as the user part of a sip:/tel: URI. A number whose length fits its
 * country counts, even one the phone library's metadata does not list as allocated: caller ids come from the
 * network, which is ahead of any metadata.
 */
export function callerIdentity(presented: string | null | undefined, dialled: string | null): CallerIdentity {
  const trimmed = presented?.trim() ?? '';
  if (trimmed === '') return { callerId: null, callerE164: null, altered: false };
  let callerId = replaceUnreadable(trimmed);
  const characters = [...callerId];
  if (characters.length > CALLER_ID_MAX) callerId = characters.slice(0, CALLER_ID_MAX - 1).join('') + '\u2026';
  return { callerId, callerE164: callerE164(callerId, dialled), altered: callerId !== trimmed };
}

function callerE164(callerId: string, dialled: string | null): string | null {
  let text = callerId;
  const uri = URI_USER.exec(text);
  if (uri !== null) {
    try {
      text = decodeURIComponent(uri[1]!);
    } catch {
      return null;
    }
  }
  if (!NUMBER_TEXT.test(text)) return null;
  const home = dialled === null ? undefined : parsePhoneNumberFromString(dialled);
  const parsed = text.startsWith('+') || home === undefined
    ? parsePhoneNumberFromString(text)
    : parsePhoneNumberFromString(text, home.country !== undefined ? { defaultCountry: home.country } : { defaultCallingCode: home.countryCallingCode });
  if (parsed === undefined || parsed.ext !== undefined || !parsed.isPossible()) return null;
  return parsed.number;
}

/** Whether a prefix is + followed by 1-15 digits (the start of an E.164 number). */
export function isInternationalPrefix(text: string): boolean {
  return /^\+[0-9]{1,15}$/.test(text);
}

/** Whether a prefix to match against dialled service numbers is 1-15 digits, optionally after a +. */
export function isMatchPrefix(text: string): boolean {
  return /^\+?[0-9]{1,15}$/.test(text);
}

export type DestinationNumber =
  | { numberMode: 'FULL_NUMBER'; number: string | null }
  | { numberMode: 'PREFIX_PLUS_LAST_DIGITS'; prefix: string | null; lastDigits: number | null }
  | { numberMode: 'PREFIX_REPLACING_MATCHED_PREFIX'; prefix: string | null; matchPrefix: string | null };

/**
 * The number to dial for one call to a destination, from its number mode and the service number the caller
 * dialled. The result must be a valid E.164 number, or the attempt fails with the reason.
 */
export function resolveDialledNumber(destination: DestinationNumber, serviceNumber: string): NumberCheck {
  switch (destination.numberMode) {
    case 'FULL_NUMBER':
      return destination.number ? parseE164(destination.number) : { ok: false, reason: 'no number configured' };
    case 'PREFIX_PLUS_LAST_DIGITS': {
      const { prefix, lastDigits } = destination;
      if (!prefix || !lastDigits) return { ok: false, reason: 'prefix or lastDigits not configured' };
      const digits = serviceNumber.replace(/\D/g, '');
      if (digits.length < lastDigits) return { ok: false, reason: `service number has fewer than ${lastDigits} digits` };
      return parseE164(prefix + digits.slice(-lastDigits));
    }
    case 'PREFIX_REPLACING_MATCHED_PREFIX': {
      const { prefix, matchPrefix } = destination;
      if (!prefix || !matchPrefix) return { ok: false, reason: 'prefix or matchPrefix not configured' };
      const service = serviceNumber.replace(/[^\d+]/g, '');
      if (!service.startsWith(matchPrefix)) return { ok: false, reason: `service number does not start with ${matchPrefix}` };
      return parseE164(prefix + service.slice(matchPrefix.length));
    }
  }
}

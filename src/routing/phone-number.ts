import { parsePhoneNumberFromString, validatePhoneNumberLength } from 'libphonenumber-js/max';

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

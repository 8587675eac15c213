import { errors, type InputProblem } from './errors';
import { unreadableInName, unreadableInText } from './routing/names';
import { parseE164 } from './routing/phone-number';

export interface IntRange {
  readonly min: number;
  readonly max: number;
}

/**
 * Collects every problem of one input before anything is written, then throws them together as one
 * BAD_USER_INPUT (`extensions.field` is the first, `extensions.problems` all of them).
 */
export class InputChecker {
  private readonly problems: InputProblem[] = [];

  constructor(private readonly root = 'input') {}

  private path(field: string): string {
    return this.root ? `${this.root}.${field}` : field;
  }

  /** Records a problem with `field` (relative to the input). */
  fail(field: string, message: string): void {
    this.problems.push({ field: this.path(field), message });
  }

  /**
   * A name (of any object, a username, an id a connector chose): trimmed, NFC-normalised, 1..max characters
   * (counted as code points), text a person can read: no control, format, surrogate or unassigned characters
   * and no line separators (see unreadableInName).
   */
  name(field: string, value: string, max = 100): string {
    const normalized = value.normalize('NFC').trim();
    const length = [...normalized].length;
    const unreadable = unreadableInName(normalized);
    if (length < 1) this.fail(field, 'must not be empty');
    else if (length > max) this.fail(field, `must be at most ${max} characters (got ${length})`);
    else if (unreadable !== null) this.fail(field, `must hold only readable characters: no control, format (zero-width, bidirectional), surrogate or unassigned characters (${unreadable})`);
    return normalized;
  }

  /** Optional free text up to `max` characters; empty becomes null. */
  text(field: string, value: string | null | undefined, max: number): string | null {
    if (value === null || value === undefined) return null;
    const normalized = value.normalize('NFC').trim();
    const length = [...normalized].length;
    if (length > max) this.fail(field, `must be at most ${max} characters (got ${length})`);
    else if (unreadableInText(normalized) !== null) this.fail(field, `must not contain control characters other than line breaks and tabs, nor lone surrogates (${unreadableInText(normalized)})`);
    return normalized === '' ? null : normalized;
  }

  /** A whole number in range; returns the value given (or the default when absent). */
  int(field: string, value: number | null | undefined, range: IntRange & { default?: number }): number {
    const v = value ?? range.default;
    if (v === undefined || v === null) {
      this.fail(field, 'is required');
      return range.min;
    }
    if (!Number.isInteger(v) || v < range.min || v > range.max) this.fail(field, `must be a whole number from ${range.min} to ${range.max}`);
    return v;
  }

  /** A whole number in range, or null (meaning "no limit"). */
  optionalInt(field: string, value: number | null | undefined, range: IntRange): number | null {
    if (value === null || value === undefined) return null;
    return this.int(field, value, range);
  }

  /** A telephone number in E.164 (see parseE164); returns the canonical form. */
  phoneNumber(field: string, value: string | null | undefined): string | null {
    if (value === null || value === undefined || value.trim() === '') {
      this.fail(field, 'is required');
      return null;
    }
    const check = parseE164(value);
    if (!check.ok) {
      this.fail(field, check.reason);
      return null;
    }
    return check.e164;
  }

  /** An optional telephone number: null when left out or empty, else as phoneNumber. */
  optionalPhoneNumber(field: string, value: string | null | undefined): string | null {
    return value === null || value === undefined || value.trim() === '' ? null : this.phoneNumber(field, value);
  }

  /** A field that must be left out in this case. */
  absent(field: string, value: unknown, why: string): void {
    if (value !== null && value !== undefined) this.fail(field, why);
  }

  /** Throws BAD_USER_INPUT when anything was recorded. */
  done(): void {
    if (this.problems.length > 0) throw errors.badInput(this.problems);
  }
}

import { DateTime, IANAZone } from 'luxon';
import type { Millis } from './types';

/**
 * Schedules (time ranges and holiday lists) are read in their own IANA time zone, on the local wall clock:
 * an instant is converted to local date and time in that zone and compared with the rules, so "09:00" stays
 * 09:00 local on both sides of a daylight-saving change. A local time that a spring-forward skips never
 * matches; one that a fall-back repeats matches both times.
 */

/** One rule of a time range: on these days (ISO weekday or date; neither = every day), from start until end (exclusive). */
export interface TimeRangeRule {
  /** ISO 1 = Monday .. 7 = Sunday. */
  daysOfWeek: number[] | null;
  /** YYYY-MM-DD, local dates in the range's zone. */
  dates: string[] | null;
  /** HH:MM local, inclusive. */
  startTime: string;
  /** HH:MM local, exclusive; "24:00" = the end of the day. */
  endTime: string;
}

/** Opening hours: open when any rule applies. */
export interface TimeRangeSpec {
  name: string;
  timeZone: string;
  rules: TimeRangeRule[];
}

/** One holiday: the whole local date, or its hours from start until end (exclusive) when both are given. */
export interface Holiday {
  date: string;
  name: string | null;
  startTime: string | null;
  endTime: string | null;
}

export interface HolidayListSpec {
  name: string;
  timeZone: string;
  holidays: Holiday[];
}

/** One problem of an input, with its path (`input.rules.0.startTime`). */
export interface ScheduleProblem {
  field: string;
  message: string;
}

export const SCHEDULE_LIMITS = {
  minRules: 1,
  maxRules: 50,
  maxDatesPerRule: 366,
  maxHolidays: 1000,
  firstYear: 2000,
  lastYear: 2100,
} as const;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const END_OF_DAY = 24 * 60;
/** How far nextChange looks: a week of rules plus a spare day for a daylight-saving shift. */
const NEXT_CHANGE_HORIZON = 8 * DAY;
/** How often offsetChanges samples a zone's offset: no zone changes it twice within this time. */
const OFFSET_SAMPLE = 3 * HOUR;
/** Dates a description names one by one; the rest are counted, so a rule of 366 dates stays readable. */
const NAMED_DATES = 3;

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
const FULL_DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

const TIME = /^(\d{2}):(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** "UTC+2", "GMT-05:00", "+02:00": an offset has no daylight-saving rules, so it cannot stand for a place. */
const FIXED_OFFSET = /^\s*(?:UTC|GMT|Z)?\s*[+-]\s*\d/i;

// ---------------------------------------------------------------------------------------------------------
// Parsing

/** Minutes since local midnight of "HH:MM" (00:00 .. 24:00), or null when it is not such a time. */
function minutesOf(time: string | null): number | null {
  const m = time === null ? null : TIME.exec(time);
  if (m === null) return null;
  const hours = Number(m[1]);
  const minutes = Number(m[2]);
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return null;
  return hours * 60 + minutes;
}

/** A start time: 00:00 .. 23:59. */
function startMinutes(time: string | null): number | null {
  const m = minutesOf(time);
  return m !== null && m < END_OF_DAY ? m : null;
}

/** An end time: 00:01 .. 24:00 (00:00 would end a range before it starts). */
function endMinutes(time: string | null): number | null {
  const m = minutesOf(time);
  return m !== null && m > 0 ? m : null;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Whether text is a real calendar date YYYY-MM-DD within the years schedules may name. */
function isCalendarDate(text: string): boolean {
  const m = DATE.exec(text);
  if (m === null) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < SCHEDULE_LIMITS.firstYear || year > SCHEDULE_LIMITS.lastYear || month < 1 || month > 12) return false;
  const daysInMonth = [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day >= 1 && day <= daysInMonth;
}

/** Why a time zone cannot be used, or null when it is a known IANA zone (UTC included). */
function timeZoneProblem(zone: string): string | null {
  if (FIXED_OFFSET.test(zone)) return 'must be an IANA time zone such as Europe/London, not a fixed offset (an offset does not follow daylight-saving changes)';
  if (!IANAZone.isValidZone(zone)) return 'is not a known IANA time zone (e.g. Europe/London, America/New_York, UTC)';
  return null;
}

/** A zone as the time-zone database spells it when only the letter case differs ("europe/london"); otherwise as given (aliases are kept). */
function canonicalZone(zone: string): string {
  if (!IANAZone.isValidZone(zone)) return zone;
  const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
}

/** A list's entries, or none when it is left out; an empty list reads as left out. */
const entries = <T>(list: T[] | null): T[] => list ?? [];

// ---------------------------------------------------------------------------------------------------------
// Validation

const START_MESSAGE = 'must be a local time HH:MM from 00:00 to 23:59';
const END_MESSAGE = 'must be a local time HH:MM from 00:01 to 24:00 (24:00 is the end of the day)';
const DATE_MESSAGE = `must be a calendar date YYYY-MM-DD from ${SCHEDULE_LIMITS.firstYear}-01-01 to ${SCHEDULE_LIMITS.lastYear}-12-31`;

/** A holiday's hours in words: "all day" or "13:00-24:00". */
function holidayHours(h: Holiday): string {
  return (h.startTime ?? null) === null && (h.endTime ?? null) === null ? 'all day' : `${h.startTime ?? '00:00'}-${h.endTime ?? '24:00'}`;
}

/** Problems of a start/end pair (each time's own format, then their order), pushed under `at`. */
function checkHours(at: string, startTime: string | null, endTime: string | null, problems: ScheduleProblem[]): void {
  const start = startMinutes(startTime);
  const end = endMinutes(endTime);
  if (start === null) problems.push({ field: `${at}.startTime`, message: START_MESSAGE });
  if (end === null) problems.push({ field: `${at}.endTime`, message: END_MESSAGE });
  if (start !== null && end !== null && start >= end) {
    problems.push({
      field: `${at}.endTime`,
      message: `must be after startTime ${startTime}; a range over midnight is two rules (e.g. 22:00-24:00 and 00:00-06:00)`,
    });
  }
}

/** Every problem of a time range, each with its input path; [] when it may be stored. */
export function checkTimeRange(spec: TimeRangeSpec): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const zone = timeZoneProblem(spec.timeZone);
  if (zone !== null) problems.push({ field: 'input.timeZone', message: zone });
  const { minRules, maxRules, maxDatesPerRule } = SCHEDULE_LIMITS;
  if (spec.rules.length < minRules || spec.rules.length > maxRules) {
    problems.push({ field: 'input.rules', message: `must have ${minRules} to ${maxRules} rules (got ${spec.rules.length})` });
  }
  spec.rules.forEach((rule, i) => {
    const at = `input.rules.${i}`;
    checkHours(at, rule.startTime, rule.endTime, problems);

    const seenDays = new Set<number>();
    entries(rule.daysOfWeek).forEach((day, j) => {
      if (!Number.isInteger(day) || day < 1 || day > 7) {
        problems.push({ field: `${at}.daysOfWeek.${j}`, message: 'must be a day from 1 (Monday) to 7 (Sunday)' });
      } else if (seenDays.has(day)) {
        problems.push({ field: `${at}.daysOfWeek.${j}`, message: `repeats ${FULL_DAY_NAMES[day - 1]} (${day})` });
      }
      seenDays.add(day);
    });

    const dates = entries(rule.dates);
    if (dates.length > maxDatesPerRule) {
      problems.push({ field: `${at}.dates`, message: `must have at most ${maxDatesPerRule} dates (got ${dates.length})` });
    }
    const seenDates = new Set<string>();
    dates.forEach((date, j) => {
      if (!isCalendarDate(date)) problems.push({ field: `${at}.dates.${j}`, message: DATE_MESSAGE });
      else if (seenDates.has(date)) problems.push({ field: `${at}.dates.${j}`, message: `repeats ${date}` });
      seenDates.add(date);
    });

    // An empty list would otherwise read as "every day", the opposite of what "no days ticked" likely means.
    if (entries(rule.daysOfWeek).length === 0 && dates.length === 0 && (rule.daysOfWeek !== null || rule.dates !== null)) {
      const field = rule.daysOfWeek !== null ? `${at}.daysOfWeek` : `${at}.dates`;
      problems.push({ field, message: 'is empty and the rule names no other day; leave out both daysOfWeek and dates for every day' });
    }
  });
  return problems;
}

/** Every problem of a holiday list, each with its input path; [] when it may be stored. */
export function checkHolidayList(spec: HolidayListSpec): ScheduleProblem[] {
  const problems: ScheduleProblem[] = [];
  const zone = timeZoneProblem(spec.timeZone);
  if (zone !== null) problems.push({ field: 'input.timeZone', message: zone });
  const { maxHolidays } = SCHEDULE_LIMITS;
  if (spec.holidays.length > maxHolidays) {
    problems.push({ field: 'input.holidays', message: `must have at most ${maxHolidays} holidays (got ${spec.holidays.length})` });
  }
  // The well-formed holidays of each date so far, to find two that cover the same moment.
  const byDate = new Map<string, Array<{ start: number; end: number; holiday: Holiday }>>();
  spec.holidays.forEach((holiday, i) => {
    const at = `input.holidays.${i}`;
    const before = problems.length;
    if (!isCalendarDate(holiday.date)) problems.push({ field: `${at}.date`, message: DATE_MESSAGE });
    const hasStart = holiday.startTime !== null;
    const hasEnd = holiday.endTime !== null;
    if (hasStart && !hasEnd) problems.push({ field: `${at}.endTime`, message: 'is required with startTime; leave out both for the whole day' });
    else if (!hasStart && hasEnd) problems.push({ field: `${at}.startTime`, message: 'is required with endTime; leave out both for the whole day' });
    else if (hasStart && hasEnd) checkHours(at, holiday.startTime, holiday.endTime, problems);
    if (problems.length > before) return;

    const start = hasStart ? startMinutes(holiday.startTime)! : 0;
    const end = hasEnd ? endMinutes(holiday.endTime)! : END_OF_DAY;
    const sameDate = byDate.get(holiday.date) ?? [];
    const clash = sameDate.find((other) => other.start < end && start < other.end);
    if (clash !== undefined) {
      problems.push({
        field: `${at}.date`,
        message: `${holiday.date} already has a holiday at these hours (${clash.holiday.name ?? 'unnamed'}, ${holidayHours(clash.holiday)})`,
      });
    }
    sameDate.push({ start, end, holiday });
    byDate.set(holiday.date, sameDate);
  });
  return problems;
}

/** A time range as stored: the zone's canonical spelling, days and dates sorted without repeats, empty lists as null. */
export function normaliseTimeRange(spec: TimeRangeSpec): TimeRangeSpec {
  const sortedOrNull = <T>(list: T[] | null, order: (a: T, b: T) => number): T[] | null =>
    list === null || list.length === 0 ? null : [...new Set(list)].sort(order);
  return {
    name: spec.name,
    timeZone: canonicalZone(spec.timeZone),
    rules: spec.rules.map((rule) => ({
      daysOfWeek: sortedOrNull(rule.daysOfWeek, (a, b) => a - b),
      dates: sortedOrNull(rule.dates, (a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      startTime: rule.startTime,
      endTime: rule.endTime,
    })),
  };
}

/** A holiday list as stored: the zone's canonical spelling, holidays by date then start (whole days first), empty names as null. */
export function normaliseHolidayList(spec: HolidayListSpec): HolidayListSpec {
  const key = (h: Holiday) => `${h.date} ${h.startTime ?? ''}`;
  return {
    name: spec.name,
    timeZone: canonicalZone(spec.timeZone),
    holidays: spec.holidays
      .map((h) => ({ date: h.date, name: h.name === null || h.name.trim() === '' ? null : h.name, startTime: h.startTime, endTime: h.endTime }))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Words

/** "Mon-Fri", "Mon, Wed", "Mon-Wed, Sat-Sun": contiguous runs of ISO days as ranges. */
function describeDays(days: number[]): string {
  const sorted = [...new Set(days)].filter((d) => d >= 1 && d <= 7).sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j += 1;
    const first = DAY_NAMES[sorted[i]! - 1]!;
    runs.push(j === i ? first : `${first}-${DAY_NAMES[sorted[j]! - 1]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

/** "2026-12-24, 2026-12-31", or the first few and a count. */
function describeDates(dates: string[]): string {
  const sorted = [...new Set(dates)].sort();
  const named = sorted.slice(0, NAMED_DATES).join(', ');
  return sorted.length > NAMED_DATES ? `${named} and ${sorted.length - NAMED_DATES} more dates` : named;
}

/** One rule in words: "Mon-Fri 09:00-17:00", "every day 08:00-20:00". */
function describeRule(rule: TimeRangeRule): string {
  const days = entries(rule.daysOfWeek);
  const dates = entries(rule.dates);
  const when = [days.length > 0 ? describeDays(days) : '', dates.length > 0 ? describeDates(dates) : ''].filter((w) => w !== '').join(', ');
  const allWeek = new Set(days).size === 7 && dates.length === 0;
  return `${when === '' || allWeek ? 'every day' : when} ${rule.startTime}-${rule.endTime}`;
}

/** The range in words a supervisor reads, e.g. "Mon-Fri 09:00-17:00, Sat 10:00-14:00 Europe/London". */
export function describeTimeRange(spec: TimeRangeSpec): string {
  const rules = spec.rules.length === 0 ? 'never' : spec.rules.map(describeRule).join(', ');
  return `${rules} ${spec.timeZone}`;
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

/** An instant on the zone's wall clock. */
interface LocalMoment {
  date: string;
  /** ISO 1 = Monday .. 7 = Sunday. */
  weekday: number;
  /** Milliseconds since local midnight: seconds count for the end-exclusive edge (16:59:59 is before 17:00). */
  msOfDay: number;
}

/** The wall-clock reading of `at` in `zone`, or null for an unknown zone. */
function localMoment(zone: string, at: Millis): LocalMoment | null {
  const t = DateTime.fromMillis(at, { zone });
  if (!t.isValid) return null;
  return { date: t.toISODate()!, weekday: t.weekday, msOfDay: ((t.hour * 60 + t.minute) * 60 + t.second) * 1000 + t.millisecond };
}

/** Whether a rule covers a wall-clock moment (a rule whose times do not parse covers nothing). */
function ruleApplies(rule: TimeRangeRule, m: LocalMoment): boolean {
  const days = entries(rule.daysOfWeek);
  const dates = entries(rule.dates);
  const onDay = (days.length === 0 && dates.length === 0) || days.includes(m.weekday) || dates.includes(m.date);
  if (!onDay) return false;
  const start = startMinutes(rule.startTime);
  const end = endMinutes(rule.endTime);
  return start !== null && end !== null && start * MINUTE <= m.msOfDay && m.msOfDay < end * MINUTE;
}

/** Whether the range is open at `at` (false in an unknown zone): evaluateTimeRange without the words, for nextChange's many looks. */
function isOpen(spec: TimeRangeSpec, at: Millis): boolean {
  const m = localMoment(spec.timeZone, at);
  return m !== null && spec.rules.some((rule) => ruleApplies(rule, m));
}

/** Whether `at` falls in any rule of the range, read on the wall clock of the range's zone, and why in words. */
export function evaluateTimeRange(spec: TimeRangeSpec, at: Millis): { match: boolean; detail: string } {
  const words = describeTimeRange(spec);
  const m = localMoment(spec.timeZone, at);
  if (m === null) return { match: false, detail: `outside ${words}: the time zone is not known` };
  const match = spec.rules.some((rule) => ruleApplies(rule, m));
  return { match, detail: `${match ? 'within' : 'outside'} ${words}` };
}

/** Whether `at` falls on a holiday of the list (its whole local date, or its hours), read in the list's zone, and which. */
export function evaluateHolidays(spec: HolidayListSpec, at: Millis): { holiday: boolean; detail: string } {
  const m = localMoment(spec.timeZone, at);
  if (m === null) return { holiday: false, detail: `not a holiday in ${spec.name}: the time zone ${spec.timeZone} is not known` };
  const found = spec.holidays.find((h) => {
    if (h.date !== m.date) return false;
    // One time without the other is refused on input; read the missing one as the day's edge rather than fail a call.
    const start = (h.startTime ?? null) === null ? 0 : startMinutes(h.startTime);
    const end = (h.endTime ?? null) === null ? END_OF_DAY : endMinutes(h.endTime);
    return start !== null && end !== null && start * MINUTE <= m.msOfDay && m.msOfDay < end * MINUTE;
  });
  if (found === undefined) return { holiday: false, detail: `not a holiday in ${spec.name}` };
  // An unnamed holiday goes by its list's name.
  return { holiday: true, detail: `holiday: ${found.name ?? spec.name} (${found.date}, ${holidayHours(found)}, ${spec.timeZone})` };
}

/**
 * The instants in (from, to] at which the zone's UTC offset changes (daylight saving, or a change of
 * standard time), each with the offset in minutes from then on. The offset is sampled every few hours (no
 * zone changes it twice in that time) and each change is then pinned to the millisecond.
 */
function offsetChanges(zone: IANAZone, from: Millis, to: Millis): Array<{ at: Millis; offset: number }> {
  const changes: Array<{ at: Millis; offset: number }> = [];
  let previous = zone.offset(from);
  for (let t = from; t < to; ) {
    const next = Math.min(t + OFFSET_SAMPLE, to);
    const offset = zone.offset(next);
    if (offset !== previous) {
      let lo = t;
      let hi = next;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (zone.offset(mid) === previous) lo = mid;
        else hi = mid;
      }
      changes.push({ at: hi, offset: zone.offset(hi) });
      previous = offset;
    }
    t = next;
  }
  return changes;
}

/** Local midnight of the day `at` falls on, as wall-clock milliseconds (local date and time read as if UTC). */
function localDayStart(zone: IANAZone, at: Millis): number {
  const wall = at + zone.offset(at) * MINUTE;
  return wall - (((wall % DAY) + DAY) % DAY);
}

/** The minutes of a local day at which some rule starts or ends, and midnight (where the day, so the rules that apply, changes). */
function ruleBoundaries(spec: TimeRangeSpec): number[] {
  const boundaries = new Set<number>([0]);
  for (const rule of spec.rules) {
    const start = startMinutes(rule.startTime);
    const end = endMinutes(rule.endTime);
    if (start !== null) boundaries.add(start);
    if (end !== null && end < END_OF_DAY) boundaries.add(end); // 24:00 is the next day's midnight
  }
  return [...boundaries];
}

/**
 * In order, every instant in (lo, hi] at which a range with these boundaries may open or close: where the
 * wall clock reaches a boundary, and where it jumps (an offset change: a boundary inside a skipped hour takes
 * effect at the jump). A wall time is looked for under each offset the zone uses in the window, so it yields
 * no instant in a skipped hour and two in a repeated one.
 */
function candidateInstants(zone: IANAZone, boundaries: number[], lo: Millis, hi: Millis): Millis[] {
  const changes = offsetChanges(zone, lo, hi);
  const offsets = [...new Set([zone.offset(lo), ...changes.map((c) => c.offset)])];
  const found = new Set<Millis>(changes.map((c) => c.at));
  // A day early too: a fall-back at midnight brings back wall times of the day before.
  for (let day = localDayStart(zone, lo) - DAY; day <= localDayStart(zone, hi); day += DAY) {
    for (const minutes of boundaries) {
      for (const offset of offsets) {
        const instant = day + (minutes - offset) * MINUTE;
        if (instant > lo && instant <= hi && zone.offset(instant) === offset) found.add(instant);
      }
    }
  }
  return [...found].sort((a, b) => a - b);
}

/**
 * The next instant after `at` when evaluateTimeRange's `match` flips, looking up to 8 days ahead; null when
 * it does not flip in that time (or the zone is unknown). For timers: the open/closed state holds until then.
 */
export function nextChange(spec: TimeRangeSpec, at: Millis): Millis | null {
  if (!Number.isFinite(at) || !IANAZone.isValidZone(spec.timeZone)) return null;
  const zone = IANAZone.create(spec.timeZone);
  const boundaries = ruleBoundaries(spec);
  const before = isOpen(spec, at);
  const horizon = at + NEXT_CHANGE_HORIZON;
  // A day at a time, so the usual answer (later today) costs one day's candidates, not eight.
  for (let lo = at; lo < horizon; lo += DAY) {
    for (const t of candidateInstants(zone, boundaries, lo, Math.min(lo + DAY, horizon))) {
      // Nothing changes between two candidates, so the first one in the other state is the flip.
      if (isOpen(spec, t) !== before) return t;
    }
  }
  return null;
}

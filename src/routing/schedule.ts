import { IANAZone } from 'luxon';

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

const END_OF_DAY = 24 * 60;

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
  return h.startTime === null && h.endTime === null ? 'all day' : `${h.startTime ?? '00:00'}-${h.endTime ?? '24:00'}`;
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

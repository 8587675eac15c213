/** Text helpers: durations, counts, times in the company's time zone. */

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function duration(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

/** 75 -> "1 minute 15 seconds", for screen readers. */
export function spokenDuration(totalSec: number): string {
  const sec = Math.max(0, Math.floor(totalSec));
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  const parts: string[] = [];
  if (h > 0) parts.push(count(h, 'hour'));
  if (m > 0) parts.push(count(m, 'minute'));
  if (s > 0 || parts.length === 0) parts.push(count(s, 'second'));
  return parts.join(' ');
}

export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** "14:30:05" in the given IANA time zone. */
export function clockSeconds(at: Date, timeZone: string): string {
  let f = secondFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone });
    secondFormats.set(timeZone, f);
  }
  return f.format(at);
}
const secondFormats = new Map<string, Intl.DateTimeFormat>();

/** "14:30" in the given IANA time zone. */
export function clock(at: Date, timeZone: string): string {
  return timeFormat(timeZone).format(at);
}

const formats = new Map<string, Intl.DateTimeFormat>();
function timeFormat(timeZone: string): Intl.DateTimeFormat {
  let f = formats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    formats.set(timeZone, f);
  }
  return f;
}

/** The calendar date ("2026-11-23") of an instant in a time zone. */
export function localDate(at: Date, timeZone: string): string {
  let f = dateFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone });
    dateFormats.set(timeZone, f);
  }
  return f.format(at);
}
const dateFormats = new Map<string, Intl.DateTimeFormat>();

const partFormats = new Map<string, Intl.DateTimeFormat>();

/** How far the time zone's wall clock is ahead of UTC at an instant, in ms (e.g. +3 600 000 for CET). */
export function zoneOffsetMs(at: number, timeZone: string): number {
  let f = partFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    partFormats.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const { type, value } of f.formatToParts(new Date(at))) if (type !== 'literal') p[type] = Number(value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}

/** The first instant of a calendar day (year, month 0-11, day) in a time zone: midnight, or later when a clock change skips it. */
function startOfLocalDay(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month, day);
  let t = wall - zoneOffsetMs(wall, timeZone);
  t = wall - zoneOffsetMs(t, timeZone);
  const date = new Date(wall).toISOString().slice(0, 10);
  // Midnight skipped (the clocks went forward at 00:00): the day starts at the end of the gap.
  for (let i = 0; i < 4 && localDate(new Date(t), timeZone) < date; i += 1) t += 30 * 60_000;
  return t;
}

/** Today in a time zone as [local midnight, next local midnight) in UTC, 23, 24 or 25 hours long. */
export function localDay(now: number, timeZone: string): { from: string; to: string } {
  const [year, month, day] = localDate(new Date(now), timeZone).split('-').map(Number) as [number, number, number];
  return {
    from: new Date(startOfLocalDay(year, month - 1, day, timeZone)).toISOString(),
    to: new Date(startOfLocalDay(year, month - 1, day + 1, timeZone)).toISOString(),
  };
}

/** The calendar day ("2026-11-23") `days` after `date` (negative: before). */
export function addDays(date: string, days: number): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Calendar days `first`..`last` (inclusive) in a time zone as [midnight of first, midnight after last) in UTC. */
export function localDays(first: string, last: string, timeZone: string): { from: string; to: string } {
  const [y1, m1, d1] = first.split('-').map(Number) as [number, number, number];
  const [y2, m2, d2] = last.split('-').map(Number) as [number, number, number];
  return { from: new Date(startOfLocalDay(y1, m1 - 1, d1, timeZone)).toISOString(), to: new Date(startOfLocalDay(y2, m2 - 1, d2 + 1, timeZone)).toISOString() };
}

/** "Tue 1 Dec" for a calendar day ("2026-12-01"). */
export function dayLabel(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(Date.UTC(year, month - 1, day)));
}

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
  return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }).format(at);
}

import { el, svg } from './dom';
import { clock, dayLabel, localDate } from './format';
import type { DestinationStats, StatsInterval } from './queries';

/** The parts of a bar, bottom up, with the CSS class that colours them. */
const SERIES: Array<{ key: keyof StatsInterval & ('answered' | 'busy' | 'noAnswer' | 'failed' | 'cancelledByCaller'); label: string; className: string }> = [
  { key: 'answered', label: 'answered', className: 's-answered' },
  { key: 'busy', label: 'busy', className: 's-busy' },
  { key: 'noAnswer', label: 'no answer', className: 's-no-answer' },
  { key: 'failed', label: 'failed', className: 's-failed' },
  { key: 'cancelledByCaller', label: 'caller hung up', className: 's-cancelled' },
];

const WIDTH = 600;
const HEIGHT = 200;
const M = { top: 10, right: 8, bottom: 24, left: 32 };

/** 0..max in 3-5 round steps (1, 2 or 5 times a power of ten). */
function ticks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = 0; v <= max + step * 0.999; v += Math.max(1, Math.round(step))) out.push(v);
  return out;
}

/** Legend items, built once. */
export function legend(): HTMLUListElement {
  return el('ul', { class: 'legend', attrs: { 'aria-label': 'Legend' } }, ...SERIES.map((s) => el('li', {}, el('span', { class: `swatch ${s.className}`, attrs: { 'aria-hidden': 'true' } }), s.label)));
}

/** The 15-minute intervals added up per calendar day of the time zone (for a week). */
function perDay(intervals: StatsInterval[], timeZone: string): StatsInterval[] {
  const days: StatsInterval[] = [];
  for (const i of intervals) {
    const day = localDate(new Date(i.start), timeZone);
    const last = days[days.length - 1];
    if (last !== undefined && localDate(new Date(last.start), timeZone) === day) {
      last.end = i.end;
      for (const key of ['offered', 'answered', 'busy', 'noAnswer', 'failed', 'cancelledByCaller'] as const) last[key] += i[key];
    } else days.push({ ...i });
  }
  return days;
}

/** What the chart shows: one day in 15-minute intervals, or several days (a week) one bar a day. */
export interface ChartPeriod {
  /** "Today", "Tue 1 Dec", "Last 7 days". */
  label: string;
  byDay: boolean;
}

/**
 * Draws a destination's calls per 15-minute interval over the day (or per day over a week) as stacked bars
 * (inline SVG), with a text summary and, for screen readers and keyboard users, the same figures as a table.
 */
export function drawChart(
  target: { figure: HTMLElement; summary: HTMLElement; table: HTMLTableSectionElement },
  stats: DestinationStats,
  timeZone: string,
  now: number,
  period: ChartPeriod = { label: 'Today', byDay: false },
): void {
  const intervals = period.byDay ? perDay(stats.intervals, timeZone) : stats.intervals;
  const slotText = (i: StatsInterval) => (period.byDay ? dayLabel(localDate(new Date(i.start), timeZone)) : `${clock(new Date(i.start), timeZone)}–${clock(new Date(i.end), timeZone)}`);
  const totals = intervals.map((i) => SERIES.reduce((sum, s) => sum + i[s.key], 0));
  const max = Math.max(1, ...totals);
  const yTicks = ticks(max);
  const top = yTicks[yTicks.length - 1]!;
  const plotW = WIDTH - M.left - M.right;
  const plotH = HEIGHT - M.top - M.bottom;
  const slot = plotW / Math.max(1, intervals.length);
  const y = (v: number) => M.top + plotH - (plotH * v) / top;

  const label = `${stats.name}: calls ${period.byDay ? 'per day' : 'per 15 minutes'}, ${period.label.toLowerCase()}. ${stats.offered} offered, ${stats.answered} answered, ${stats.busy} busy, ${stats.noAnswer} no answer, ${stats.failed} failed.`;
  const root = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', 'aria-label': label, class: 'chart', preserveAspectRatio: 'xMidYMid meet' });

  for (const v of yTicks) {
    root.append(svg('line', { x1: M.left, x2: WIDTH - M.right, y1: y(v), y2: y(v), class: 'gridline' }));
    root.append(svg('text', { x: M.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, String(v)));
  }
  intervals.forEach((interval, i) => {
    const start = new Date(interval.start);
    const x = M.left + i * slot;
    const hm = clock(start, timeZone);
    if (period.byDay) {
      root.append(svg('text', { x: x + slot / 2, y: HEIGHT - 6, class: 'axis', 'text-anchor': 'middle' }, slotText(interval)));
    } else if (hm.endsWith(':00') && Number(hm.slice(0, 2)) % 3 === 0) {
      root.append(svg('line', { x1: x, x2: x, y1: M.top + plotH, y2: M.top + plotH + 4, class: 'tick' }));
      root.append(svg('text', { x, y: HEIGHT - 6, class: 'axis', 'text-anchor': 'middle' }, hm));
    }
    if (totals[i] === 0) return;
    const group = svg('g');
    const parts = SERIES.filter((s) => interval[s.key] > 0).map((s) => `${interval[s.key]} ${s.label}`);
    group.append(svg('title', {}, `${slotText(interval)}: ${interval.offered} offered (${parts.join(', ')})`));
    let base = 0;
    for (const s of SERIES) {
      const value = interval[s.key];
      if (value === 0) continue;
      group.append(svg('rect', { x: x + slot * 0.1, width: Math.max(1, slot * 0.8), y: y(base + value), height: y(base) - y(base + value), class: s.className }));
      base += value;
    }
    root.append(group);
  });
  // Where now is, when it falls inside the day shown.
  const first = intervals[0] ? Date.parse(intervals[0].start) : 0;
  const last = intervals.length > 0 ? Date.parse(intervals[intervals.length - 1]!.end) : 0;
  if (now > first && now < last) {
    const x = M.left + ((now - first) / (last - first)) * plotW;
    root.append(svg('line', { x1: x, x2: x, y1: M.top, y2: M.top + plotH, class: 'now' }));
  }
  root.append(svg('line', { x1: M.left, x2: WIDTH - M.right, y1: M.top + plotH, y2: M.top + plotH, class: 'baseline' }));
  target.figure.replaceChildren(root);

  target.summary.textContent = `${period.label}: ${stats.offered} offered · ${stats.answered} answered · ${stats.busy} busy · ${stats.noAnswer} no answer · ${stats.failed} failed · ${stats.limitReached} refused at capacity · peak ${stats.peakSimultaneousCalls} at once`;

  const rows = intervals
    .filter((_, i) => totals[i]! > 0)
    .map((i) =>
      el(
        'tr',
        {},
        el('th', { attrs: { scope: 'row' }, text: slotText(i) }),
        ...[i.offered, i.answered, i.busy, i.noAnswer, i.failed, i.cancelledByCaller].map((v) => el('td', { class: 'num', text: String(v) })),
      ),
    );
  if (rows.length === 0) rows.push(el('tr', {}, el('td', { attrs: { colspan: '7' }, text: period.label === 'Today' ? 'No calls yet today.' : 'No calls.' })));
  target.table.replaceChildren(...rows);
}

import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import { INTERVAL_MS, type Range } from './figures';

/** One resource's figures as the CSV takes them: the range's total and, per 15-minute interval, the same fields. */
export interface CsvResource {
  id: string;
  name: string;
  figures: {
    total: object;
    intervals: ReadonlyArray<{ start: number }>;
  };
}

/** Records per piece of CSV text: the caller may give the event loop a turn between pieces. */
export const CSV_PIECE_ROWS = 100;

/**
 * Statistics as CSV (RFC 4180) with a header, written a batch of resources at a time, so a large export can be
 * streamed: interval bounds in the company's local time with their UTC offset. A cell that a spreadsheet would
 * take for a formula (starting with =, +, -, @, a tab or a carriage return, or their full-width forms) is
 * written as text, behind a `'` (csv-stringify's `escape_formulas`): names are typed by users. Pure: no I/O,
 * no clock.
 */
export class StatisticsCsvWriter {
  /** Each bound is formatted once: every resource has the same intervals. */
  private readonly formatted = new Map<number, string>();
  private fields: string[] | null = null;

  constructor(
    private readonly range: Range,
    private readonly timeZone: string,
    private readonly perInterval: boolean,
  ) {}

  /** The CSV text of these resources, in pieces of at most CSV_PIECE_ROWS records; the header leads the first piece written. */
  *pieces(resources: readonly CsvResource[]): Generator<string> {
    let records: Array<Array<string | number | null>> = [];
    for (const resource of resources) {
      const total = resource.figures.total as Record<string, number | null>;
      this.fields ??= Object.keys(total);
      const parts = this.perInterval
        ? resource.figures.intervals.map((i) => ({ from: Math.max(i.start, this.range.from), to: Math.min(i.start + INTERVAL_MS, this.range.to), values: i as unknown as Record<string, number | null> }))
        : [{ from: this.range.from, to: Math.min(this.range.to, this.range.now), values: total }];
      for (const p of parts) {
        records.push([resource.id, resource.name, this.local(p.from), this.local(p.to), ...this.fields.map((f) => p.values[f] ?? null)]);
        if (records.length >= CSV_PIECE_ROWS) {
          yield this.text(records);
          records = [];
        }
      }
    }
    if (records.length > 0) yield this.text(records);
  }

  /** What ends the CSV: the header alone when no resource was written (nothing otherwise). */
  end(): string {
    return this.headerWritten ? '' : this.text([]);
  }

  private headerWritten = false;

  private text(records: Array<Array<string | number | null>>): string {
    const header = !this.headerWritten;
    this.headerWritten = true;
    return stringify(records, { header, columns: ['id', 'name', 'from', 'to', ...(this.fields ?? [])], record_delimiter: 'windows', escape_formulas: true });
  }

  private local(ms: number): string {
    let text = this.formatted.get(ms);
    if (text === undefined) this.formatted.set(ms, (text = DateTime.fromMillis(ms, { zone: this.timeZone }).toISO({ suppressMilliseconds: true })!));
    return text;
  }
}

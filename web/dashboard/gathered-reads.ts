/**
 * Reads of figures that live updates ask for, gathered (decision 009): what is wanted is collected for
 * `delayMs`, reads run one at a time, and one starts at most every `gapMs` (or `loadFactor` times as long as
 * the last read took, so a busy gateway is not asked more often than it answers). Past `allAbove` ids wanted,
 * all of them are read in one go. A mark (such as the chart) rides along with the ids.
 */

/** What one read is for: the ids (null: all of them) and the marks asked for since the last read. */
export interface Wanted {
  ids: string[] | null;
  marks: ReadonlySet<string>;
}

export interface GatheredReadsOptions {
  /**
   * One read. `current()` is false once the reads were reset (the period changed) or stopped: its answer is
   * then dropped. Answers 'all' when everything is to be read at the next turn (a resource is gone).
   */
  read(wanted: Wanted, current: () => boolean): Promise<'all' | void>;
  failed(error: unknown): void;
  delayMs: number;
  gapMs: number;
  loadFactor: number;
  allAbove: number;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
}

export class GatheredReads {
  private readonly pending = new Set<string>();
  private readonly marks = new Set<string>();
  private all = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private lastRun = Number.NEGATIVE_INFINITY;
  private lastMs = 0;
  /** Bumped by reset: a read begun before is not shown. */
  private ticket = 0;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: GatheredReadsOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  /** Asks for `ids` (or all) to be read again, with `mark` if given. */
  want(ids: Iterable<string> | 'all', mark?: string): void {
    if (this.stopped) return;
    if (ids === 'all') this.all = true;
    else for (const id of ids) this.pending.add(id);
    if (mark !== undefined) this.marks.add(mark);
    if (this.running || this.timer !== undefined) return;
    if (!this.all && this.pending.size === 0 && this.marks.size === 0) return;
    const gap = Math.max(this.options.gapMs, this.options.loadFactor * this.lastMs);
    const wait = Math.max(this.options.delayMs, this.lastRun + gap - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.readNow();
    }, wait);
  }

  /** What was asked for before is for a former period: a read of it under way is dropped. */
  reset(): void {
    this.ticket += 1;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async readNow(): Promise<void> {
    if (this.stopped) return;
    const ticket = this.ticket;
    const wanted: Wanted = {
      ids: this.all || this.pending.size > this.options.allAbove ? null : [...this.pending],
      marks: new Set(this.marks),
    };
    this.all = false;
    this.pending.clear();
    this.marks.clear();
    this.running = true;
    this.lastRun = this.now();
    try {
      if ((await this.options.read(wanted, () => !this.stopped && ticket === this.ticket)) === 'all') this.all = true;
    } catch (error) {
      if (!this.stopped) this.options.failed(error);
    } finally {
      this.lastMs = this.now() - this.lastRun;
      this.running = false;
      this.want([]);
    }
  }
}

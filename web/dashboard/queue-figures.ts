/**
 * A queue's figures for the period the dashboard shows (service level, abandon rate, average speed of answer,
 * average handle time, longest wait, answered by agents and by external destinations). Like the destinations'
 * figures they are not streamed: a queue's are read again when a live update of it arrives, gathered for
 * `delayMs`, one read at a time, at most every `gapMs` (or `loadFactor` times as long as the last read took).
 */
export interface QueueFigures {
  queueId: string;
  name: string;
  offered: number;
  answeredByAgents: number;
  answeredByExternal: number;
  serviceLevel: number | null;
  abandonRate: number | null;
  averageSpeedOfAnswerSec: number | null;
  averageHandleTimeSec: number | null;
  longestWaitSec: number;
}

export const QUEUE_FIGURES_FIELDS = 'queueId name offered answeredByAgents answeredByExternal serviceLevel abandonRate averageSpeedOfAnswerSec averageHandleTimeSec longestWaitSec';

export interface QueueFiguresOptions {
  /** Reads the figures of `ids` (null: every queue). */
  read(ids: string[] | null): Promise<QueueFigures[]>;
  /** The figures changed (for the queues read). */
  shown(): void;
  failed(error: unknown): void;
  delayMs: number;
  gapMs: number;
  loadFactor: number;
  /** Above this many queues waiting to be read, all of them are read. */
  allAbove: number;
}

export class QueueFiguresReader {
  readonly figures = new Map<string, QueueFigures>();
  private readonly pending = new Set<string>();
  private all = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private lastRun = 0;
  private lastMs = 0;
  /** Bumped when the period changes: a read of the former one is dropped. */
  private ticket = 0;
  private stopped = false;

  constructor(private readonly options: QueueFiguresOptions) {}

  want(ids: Iterable<string> | 'all'): void {
    if (this.stopped) return;
    if (ids === 'all') this.all = true;
    else for (const id of ids) this.pending.add(id);
    if (this.running || this.timer !== undefined) return;
    const gap = Math.max(this.options.gapMs, this.options.loadFactor * this.lastMs);
    const wait = Math.max(this.options.delayMs, this.lastRun + gap - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.readNow();
    }, wait);
  }

  /** The period changed: what was shown is dropped (the caller asks for all of them again). */
  reset(): void {
    this.ticket += 1;
    this.figures.clear();
    this.options.shown();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async readNow(): Promise<void> {
    if (this.stopped) return;
    const ticket = this.ticket;
    const ids = this.all || this.pending.size > this.options.allAbove ? null : [...this.pending];
    this.all = false;
    this.pending.clear();
    this.running = true;
    this.lastRun = Date.now();
    try {
      const rows = await this.options.read(ids);
      if (this.stopped || ticket !== this.ticket) return;
      if (ids === null) this.figures.clear();
      for (const row of rows) this.figures.set(row.queueId, row);
      this.options.shown();
    } catch (error) {
      // A queue gone makes the read NOT_FOUND: all of them are read at the next turn.
      if ((error as { code?: string }).code === 'NOT_FOUND') this.all = true;
      else this.options.failed(error);
    } finally {
      this.lastMs = Date.now() - this.lastRun;
      this.running = false;
      if (this.all || this.pending.size > 0) this.want([]);
    }
  }
}

/** A share (0..1) as a whole percentage; a dash when there is none. */
export const percent = (share: number | null): string => (share === null ? '–' : `${Math.round(share * 100)}%`);

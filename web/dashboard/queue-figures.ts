import { GatheredReads, type GatheredReadsOptions } from './gathered-reads';
import type { QueueFigures } from './queries';

/*
 * A queue's figures for the period the dashboard shows (QueueFigures: service level, abandon rate, average speed of
 * answer, average handle time, longest wait, answered by agents and by external destinations). Like the
 * destinations' figures they are not streamed: a queue's are read again when a live update of it arrives
 * (GatheredReads).
 */

export interface QueueFiguresOptions extends Omit<GatheredReadsOptions, 'read'> {
  /** Reads the figures of `ids` (null: every queue). */
  read(ids: string[] | null): Promise<QueueFigures[]>;
  /** The figures changed (for the queues read). */
  shown(): void;
}

/** The queues' figures for the period shown, read as live updates ask (GatheredReads). */
export class QueueFiguresReader {
  readonly figures = new Map<string, QueueFigures>();
  private readonly reads: GatheredReads;

  constructor(private readonly options: QueueFiguresOptions) {
    this.reads = new GatheredReads({
      ...options,
      read: async ({ ids }, current) => {
        let rows: QueueFigures[];
        try {
          rows = await options.read(ids);
        } catch (error) {
          // A queue gone makes the read NOT_FOUND: all of them are read at the next turn.
          if ((error as { code?: string }).code === 'NOT_FOUND') return 'all';
          throw error;
        }
        if (!current()) return;
        if (ids === null) this.figures.clear();
        for (const row of rows) this.figures.set(row.queueId, row);
        options.shown();
      },
    });
  }

  want(ids: Iterable<string> | 'all'): void {
    this.reads.want(ids);
  }

  /** The period changed: what was shown is dropped (the caller asks for all of them again). */
  reset(): void {
    this.reads.reset();
    this.figures.clear();
    this.options.shown();
  }

  stop(): void {
    this.reads.stop();
  }
}

/** A share (0..1) as a whole percentage; a dash when there is none. */
export const percent = (share: number | null): string => (share === null ? '–' : `${Math.round(share * 100)}%`);

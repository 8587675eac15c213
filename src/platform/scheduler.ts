/**
 * Time as logic that waits sees it: a clock and a scheduler, injected so that tests move time forward
 * instead of waiting for it. The system scheduler uses Node's timers (unref'd: a pending timer never keeps
 * the process alive); the manual one fires what is due when a test advances it.
 */
export interface Scheduler {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `task` once after `ms`; the returned function cancels it. */
  after(ms: number, task: () => void): () => void;
  /** Calls `task` every `ms` until the returned function is called. */
  every(ms: number, task: () => void): () => void;
}

export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  after(ms, task) {
    const timer = setTimeout(task, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
  every(ms, task) {
    const timer = setInterval(task, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

interface Pending {
  at: number;
  seq: number;
  task: () => void;
  /** Re-armed this much later after it fires (every), or null (after). */
  period: number | null;
  cancelled: boolean;
}

/** A scheduler whose time moves only when `advance` is called (tests). */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private readonly pending: Pending[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  after(ms: number, task: () => void): () => void {
    return this.add(ms, task, null);
  }

  every(ms: number, task: () => void): () => void {
    return this.add(ms, task, Math.max(1, ms));
  }

  /** Tasks waiting to fire. */
  get size(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing every task that falls due on the way, in time order, and letting the
   * promises each task started settle before the next fires.
   */
  async advance(ms: number): Promise<void> {
    const until = this.time + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.pending.find((p) => !p.cancelled);
      if (next === undefined || next.at > until) break;
      this.pending.splice(this.pending.indexOf(next), 1);
      this.time = Math.max(this.time, next.at);
      if (next.period !== null) {
        // The same entry goes back in, so the function that cancels it still does.
        next.at += next.period;
        next.seq = this.seq += 1;
        this.pending.push(next);
      }
      next.task();
      await settle();
    }
    this.time = until;
    await settle();
  }

  private add(ms: number, task: () => void, period: number | null): () => void {
    const entry: Pending = { at: this.time + Math.max(0, ms), seq: (this.seq += 1), task, period, cancelled: false };
    this.pending.push(entry);
    return () => {
      entry.cancelled = true;
      const i = this.pending.indexOf(entry);
      if (i >= 0) this.pending.splice(i, 1);
    };
  }
}

/** Lets promise chains started by a task run (a few turns of the event loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}

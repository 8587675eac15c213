/**
 * Work per key, one run at a time, coalesced: a request while a run is in progress joins the one run queued
 * after it (or queues it). A caller therefore waits for at most the running run and the next, and a burst of
 * requests costs two runs, each reading the latest state when it starts.
 */
export class SerialLines {
  private readonly lines = new Map<string, { tail: Promise<void>; pending: Promise<void> | null }>();

  constructor(private readonly onError: (err: unknown) => void) {}

  run(key: string, work: () => Promise<void>): Promise<void> {
    const line = this.lines.get(key) ?? { tail: Promise.resolve(), pending: null };
    if (line.pending !== null) return line.pending;
    const run: Promise<void> = line.tail.then(async () => {
      if (line.pending === run) line.pending = null;
      await work();
    });
    const tail = run.catch(this.onError);
    line.pending = run;
    line.tail = tail;
    this.lines.set(key, line);
    void tail.then(() => {
      if (line.tail === tail && line.pending === null) this.lines.delete(key);
    });
    return run;
  }

  /** Settles when every run started or queued so far has ended. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.lines.values()].map((l) => l.tail));
  }
}

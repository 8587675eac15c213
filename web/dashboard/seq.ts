/**
 * What to do with a live update, from its per-resource `seq` (see the README, "Live updates"):
 * - `apply`: the next one (last + 1);
 * - `gap`: newer but numbers were skipped: apply it (the payload is the whole live state) and re-read the
 *   resource to be sure;
 * - `stale`: not newer (two instances can deliver out of order): ignore;
 * - `reread`: several stale updates in a row: the counter restarted (Redis came back empty), re-read it;
 * - `reset`: far below what we hold: the counters restarted, re-read everything;
 * - `unknown`: a resource we have not read yet (new, or the first read is still running): read it.
 */
export type Verdict = 'apply' | 'gap' | 'stale' | 'reread' | 'reset' | 'unknown';

export class SeqTracker {
  private readonly last = new Map<string, number>();
  private readonly staleRun = new Map<string, number>();

  /**
   * @param resetBelow how far below the held `seq` an update must be to mean the counters restarted
   * @param staleRunLimit stale updates in a row of one resource that make it be re-read
   */
  constructor(private readonly resetBelow = 50, private readonly staleRunLimit = 3) {}

  /** Decides about an update, and remembers its `seq` when it is applied. */
  onEvent(id: string, seq: number): Verdict {
    const last = this.last.get(id);
    if (last === undefined) return 'unknown';
    if (seq > last) {
      this.last.set(id, seq);
      this.staleRun.delete(id);
      return seq === last + 1 ? 'apply' : 'gap';
    }
    if (last - seq >= this.resetBelow) return 'reset';
    const run = (this.staleRun.get(id) ?? 0) + 1;
    this.staleRun.set(id, run);
    return run >= this.staleRunLimit ? 'reread' : 'stale';
  }

  /**
   * A state read with a query: taken when it is not older than what we hold (or when `force`, after the
   * counters restarted). Returns whether it was taken.
   */
  onRead(id: string, seq: number, force = false): boolean {
    const last = this.last.get(id);
    if (!force && last !== undefined && seq < last) return false;
    this.last.set(id, seq);
    this.staleRun.delete(id);
    return true;
  }

  has(id: string): boolean {
    return this.last.has(id);
  }

  forget(id: string): void {
    this.last.delete(id);
    this.staleRun.delete(id);
  }
}

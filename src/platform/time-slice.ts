import { setImmediate as nextTurn } from 'node:timers/promises';

/**
 * Long work in slices (decision 016): call `pause()` often between small steps; once the work since the
 * event loop last had a turn reaches `budgetMs`, it gives the loop a turn (I/O and other requests run, then
 * the work goes on). Each step between two calls must itself be well under the budget. Several strands of one
 * piece of work (reads in flight at once) share one slicer: while a turn is being given, every strand that
 * pauses waits for that same turn, so the strands together hold the loop for one budget, not one each.
 */
export class TimeSlicer {
  private since = performance.now();
  private turn: Promise<void> | null = null;

  constructor(private readonly budgetMs = 10) {}

  /** Yields when the slice is used up (or a turn is being given); costs a clock read otherwise. */
  pause(): Promise<void> | undefined {
    if (this.turn !== null) return this.turn;
    if (performance.now() - this.since < this.budgetMs) return undefined;
    this.turn = nextTurn().then(() => {
      this.since = performance.now();
      this.turn = null;
    });
    return this.turn;
  }
}

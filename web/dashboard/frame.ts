/**
 * Batches DOM work per animation frame: any number of updates between two frames cost one pass, and
 * each pass is timed (the figures are on `window.__dashboard.metrics` for benchmarks).
 */

export interface FrameMetrics {
  /** Passes run. */
  passes: number;
  /** Updates received (each may be folded into a later one of the same resource). */
  events: number;
  /** Milliseconds spent in passes, in total and the longest one. */
  totalMs: number;
  maxMs: number;
  /** The last `SAMPLES` pass durations (ring buffer), and where the next goes. */
  samples: Float64Array;
  next: number;
}

const SAMPLES = 4096;

export const metrics: FrameMetrics = { passes: 0, events: 0, totalMs: 0, maxMs: 0, samples: new Float64Array(SAMPLES), next: 0 };

type Task = () => void;

/** The page's globals used here, typed without the DOM library (the module is also loaded by unit tests in Node). */
const page = globalThis as unknown as { requestAnimationFrame(callback: () => void): number; __dashboard?: { metrics: FrameMetrics } };

const tasks = new Set<Task>();
let scheduled = false;

function run(): void {
  scheduled = false;
  const started = performance.now();
  const batch = [...tasks];
  tasks.clear();
  for (const task of batch) task();
  const ms = performance.now() - started;
  metrics.passes += 1;
  metrics.totalMs += ms;
  if (ms > metrics.maxMs) metrics.maxMs = ms;
  metrics.samples[metrics.next % SAMPLES] = ms;
  metrics.next += 1;
}

/** Runs `task` once before the next frame (a task asked for twice runs once). */
export function onNextFrame(task: Task): void {
  tasks.add(task);
  if (scheduled) return;
  scheduled = true;
  // A hidden tab gets no frames: the work waits (updates keep folding into the latest state per resource).
  page.requestAnimationFrame(run);
}

page.__dashboard = { metrics };

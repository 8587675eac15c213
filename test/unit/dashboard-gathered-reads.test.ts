import { GatheredReads, type Wanted } from '../../web/dashboard/gathered-reads';

/** Reads that wait until the test answers them; the clock is jest's. */
function setUp(overrides: { allAbove?: number } = {}) {
  const reads: Array<{ wanted: Wanted; current: () => boolean; answer(value?: 'all'): void; fail(error: unknown): void }> = [];
  const failures: unknown[] = [];
  const gathered = new GatheredReads({
    read: (wanted, current) => new Promise<'all' | void>((resolve, reject) => reads.push({ wanted, current, answer: resolve, fail: reject })),
    failed: (error) => failures.push(error),
    delayMs: 200,
    gapMs: 1_000,
    loadFactor: 10,
    allAbove: overrides.allAbove ?? 100,
  });
  return { gathered, reads, failures };
}

const ids = (w: Wanted) => (w.ids === null ? null : [...w.ids].sort());

describe('figures read as live updates ask, gathered', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gathers what is asked for during the delay into one read, with its marks', async () => {
    const { gathered, reads } = setUp();
    gathered.want(['a']);
    gathered.want(['b', 'a'], 'chart');
    await jest.advanceTimersByTimeAsync(199);
    expect(reads).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(reads).toHaveLength(1);
    expect(ids(reads[0]!.wanted)).toEqual(['a', 'b']);
    expect([...reads[0]!.wanted.marks]).toEqual(['chart']);
  });

  it('runs one read at a time, and the next no sooner than the gap after the last began', async () => {
    const { gathered, reads } = setUp();
    gathered.want(['a']);
    await jest.advanceTimersByTimeAsync(200);
    gathered.want(['b']);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(reads).toHaveLength(1);
    reads[0]!.answer();
    // The first read took 5 s: the next waits ten times that from its start.
    await jest.advanceTimersByTimeAsync(44_999);
    expect(reads).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(reads).toHaveLength(2);
    expect(ids(reads[1]!.wanted)).toEqual(['b']);
    expect(reads[1]!.wanted.marks.size).toBe(0);
  });

  it('reads all of them past allAbove ids, or when asked for all', async () => {
    const { gathered, reads } = setUp({ allAbove: 2 });
    gathered.want(['a', 'b', 'c']);
    await jest.advanceTimersByTimeAsync(200);
    expect(reads[0]!.wanted.ids).toBeNull();
    reads[0]!.answer();
    gathered.want('all');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(reads[1]!.wanted.ids).toBeNull();
  });

  it('reads all of them next when a read answers that one is gone', async () => {
    const { gathered, reads } = setUp();
    gathered.want(['gone']);
    await jest.advanceTimersByTimeAsync(200);
    reads[0]!.answer('all');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(reads).toHaveLength(2);
    expect(reads[1]!.wanted.ids).toBeNull();
  });

  it('tells a read begun before a reset that its answer is not current, and one begun after that it is', async () => {
    const { gathered, reads } = setUp();
    gathered.want(['a']);
    await jest.advanceTimersByTimeAsync(200);
    gathered.reset();
    gathered.want('all');
    expect(reads[0]!.current()).toBe(false);
    reads[0]!.answer();
    await jest.advanceTimersByTimeAsync(1_000);
    expect(reads[1]!.current()).toBe(true);
  });

  it('hands a failed read to failed and goes on with what was asked for meanwhile', async () => {
    const { gathered, reads, failures } = setUp();
    gathered.want(['a']);
    await jest.advanceTimersByTimeAsync(200);
    gathered.want(['b']);
    reads[0]!.fail(new Error('down'));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(failures).toEqual([new Error('down')]);
    expect(ids(reads[1]!.wanted)).toEqual(['b']);
  });

  it('reads nothing more once stopped, and nothing when nothing was asked for', async () => {
    const { gathered, reads } = setUp();
    gathered.want([]);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(reads).toHaveLength(0);
    gathered.want(['a']);
    gathered.stop();
    await jest.advanceTimersByTimeAsync(5_000);
    expect(reads).toHaveLength(0);
    gathered.want(['b']);
    await jest.advanceTimersByTimeAsync(5_000);
    expect(reads).toHaveLength(0);
  });
});

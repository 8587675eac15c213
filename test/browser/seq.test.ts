import { SeqTracker } from '../../web/dashboard/seq';

describe("the dashboard's ordering of live updates by seq", () => {
  it('applies the next update, applies and re-reads after a gap, and ignores stale ones', () => {
    const seq = new SeqTracker();
    expect(seq.onRead('d1', 10)).toBe(true);
    expect(seq.onEvent('d1', 11)).toBe('apply');
    expect(seq.onEvent('d1', 14)).toBe('gap');
    expect(seq.onEvent('d1', 13)).toBe('stale');
    expect(seq.onEvent('d1', 14)).toBe('stale');
    expect(seq.onEvent('d1', 15)).toBe('apply');
  });

  it('asks for a read of a resource it has not read yet, and keeps a read only when it is not older', () => {
    const seq = new SeqTracker();
    expect(seq.onEvent('d2', 3)).toBe('unknown');
    expect(seq.has('d2')).toBe(false);
    expect(seq.onRead('d2', 5)).toBe(true);
    expect(seq.onEvent('d2', 6)).toBe('apply');
    expect(seq.onRead('d2', 4)).toBe(false);
    expect(seq.onRead('d2', 4, true)).toBe(true);
    expect(seq.onEvent('d2', 5)).toBe('apply');
  });

  it('re-reads one resource after several stale updates in a row, and everything when seq falls far below (counters restarted)', () => {
    const seq = new SeqTracker(50, 3);
    seq.onRead('d3', 20);
    expect(seq.onEvent('d3', 1)).toBe('stale');
    expect(seq.onEvent('d3', 2)).toBe('stale');
    expect(seq.onEvent('d3', 3)).toBe('reread');
    seq.onRead('d4', 500);
    expect(seq.onEvent('d4', 1)).toBe('reset');
    seq.forget('d4');
    expect(seq.onEvent('d4', 2)).toBe('unknown');
  });
});

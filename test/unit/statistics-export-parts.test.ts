import { weeksOf } from '../../src/services/statistics-export';

const DAY = 86_400_000;
const QUARTER = 900_000;

describe('the parts a per-interval export is read in', () => {
  it('cover the range exactly, one after another, a week at most each, cut only at quarter hours', () => {
    const from = Date.UTC(2026, 8, 1, 10, 7, 30);
    const range = { from, to: from + 93 * DAY - 123_456, now: from + 93 * DAY };
    const parts = [...weeksOf(range)];
    expect(parts[0]!.from).toBe(range.from);
    expect(parts.at(-1)!.to).toBe(range.to);
    for (const [i, part] of parts.entries()) {
      expect(part.now).toBe(range.now);
      expect(part.to).toBeGreaterThan(part.from);
      expect(part.to - part.from).toBeLessThanOrEqual(7 * DAY);
      if (i > 0) expect(part.from).toBe(parts[i - 1]!.to);
      if (i < parts.length - 1) expect(part.to % QUARTER).toBe(0);
    }
    expect(parts).toHaveLength(14);
  });

  it('is the range itself when it is shorter than a week', () => {
    const range = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 2), now: Date.UTC(2026, 0, 3) };
    expect([...weeksOf(range)]).toEqual([range]);
  });
});

import { evaluateTimeRange } from '../../src/routing/schedule';
import { DEMO_OFFICE_HOURS, LIVE_DEMO_NIGHT_HOURS } from '../../src/seed/demo-seed';

describe("the live demo's night line hours", () => {
  it('are open exactly when the main line is out of office hours, every 15 minutes of a year with its clock changes', () => {
    const start = Date.UTC(2026, 0, 1);
    const mismatches: string[] = [];
    for (let at = start; at < start + 366 * 24 * 3600_000; at += 15 * 60_000) {
      if (evaluateTimeRange(DEMO_OFFICE_HOURS, at).match === evaluateTimeRange(LIVE_DEMO_NIGHT_HOURS, at).match) mismatches.push(new Date(at).toISOString());
    }
    expect(mismatches).toEqual([]);
  });

  it('are closed at noon on a weekday and open in the evening and at weekends', () => {
    expect(evaluateTimeRange(LIVE_DEMO_NIGHT_HOURS, Date.UTC(2026, 10, 24, 12, 0)).match).toBe(false); // a Tuesday noon in London
    expect(evaluateTimeRange(LIVE_DEMO_NIGHT_HOURS, Date.UTC(2026, 10, 24, 17, 0)).match).toBe(true);
    expect(evaluateTimeRange(LIVE_DEMO_NIGHT_HOURS, Date.UTC(2026, 10, 28, 12, 0)).detail).toMatch(/^within /); // a Saturday
  });
});

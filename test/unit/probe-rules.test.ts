import { probesNow, successesInARow } from '../../src/routing/destination-state';

describe('the rules of health probes (pure)', () => {
  const now = 1_000_000;
  const destination = { probeIntervalSec: 30, enabled: true, suspendedAt: null as Date | null };

  it('sends probes only for an enabled destination with a probe that is suspended or backed off past now', () => {
    expect(probesNow(destination, now + 1, now)).toBe(true);
    expect(probesNow(destination, now, now)).toBe(false);
    expect(probesNow(destination, null, now)).toBe(false);
    expect(probesNow({ ...destination, suspendedAt: new Date(0) }, null, now)).toBe(true);
    expect(probesNow({ ...destination, probeIntervalSec: null, suspendedAt: new Date(0) }, now + 1, now)).toBe(false);
    expect(probesNow({ ...destination, enabled: false }, now + 1, now)).toBe(false);
  });

  it('counts the successes in a row from the newest ended probe, skipping those still out', () => {
    expect(successesInARow([])).toBe(0);
    expect(successesInARow(['SUCCEEDED', 'SUCCEEDED', 'FAILED', 'SUCCEEDED'])).toBe(2);
    expect(successesInARow([null, 'SUCCEEDED', 'TIMED_OUT'])).toBe(1);
    expect(successesInARow(['FAILED', 'SUCCEEDED'])).toBe(0);
  });
});

import { localDay, zoneOffsetMs } from '../../web/dashboard/format';

describe("the dashboard's day in the company's time zone", () => {
  it('runs from local midnight to the next local midnight on an ordinary day', () => {
    expect(localDay(Date.parse('2026-06-15T12:00:00Z'), 'Europe/London')).toEqual({ from: '2026-06-14T23:00:00.000Z', to: '2026-06-15T23:00:00.000Z' });
    expect(localDay(Date.parse('2026-06-15T20:00:00Z'), 'Asia/Kolkata')).toEqual({ from: '2026-06-15T18:30:00.000Z', to: '2026-06-16T18:30:00.000Z' });
    expect(localDay(Date.parse('2026-01-10T03:00:00Z'), 'America/New_York')).toEqual({ from: '2026-01-09T05:00:00.000Z', to: '2026-01-10T05:00:00.000Z' });
  });

  it('is 23 hours long when the clocks go forward and 25 when they go back', () => {
    const spring = localDay(Date.parse('2026-03-29T12:00:00Z'), 'Europe/London');
    expect(spring).toEqual({ from: '2026-03-29T00:00:00.000Z', to: '2026-03-29T23:00:00.000Z' });
    const autumn = localDay(Date.parse('2026-10-25T12:00:00Z'), 'Europe/London');
    expect(autumn).toEqual({ from: '2026-10-24T23:00:00.000Z', to: '2026-10-26T00:00:00.000Z' });
  });

  it('starts at the end of the gap when the clocks skip midnight', () => {
    // Brazil's summer time began at 00:00 on 4 November 2018: that day started at 01:00 local time (03:00 UTC).
    expect(localDay(Date.parse('2018-11-04T15:00:00Z'), 'America/Sao_Paulo').from).toBe('2018-11-04T03:00:00.000Z');
  });

  it("gives the zone's offset from UTC at an instant", () => {
    expect(zoneOffsetMs(Date.parse('2026-07-01T00:00:00.250Z'), 'Europe/Paris')).toBe(2 * 3600_000);
    expect(zoneOffsetMs(Date.parse('2026-01-01T00:00:00Z'), 'UTC')).toBe(0);
  });
});

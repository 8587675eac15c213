import {
  checkHolidayList,
  checkTimeRange,
  describeTimeRange,
  evaluateHolidays,
  evaluateTimeRange,
  nextChange,
  normaliseHolidayList,
  normaliseTimeRange,
  type Holiday,
  type HolidayListSpec,
  type TimeRangeRule,
  type TimeRangeSpec,
} from '../../src/routing/schedule';

// Every expected instant is written out by hand in UTC (from the zone's offset that day), never computed
// with the library under test.
const utc = (iso: string): number => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`bad instant in test: ${iso}`);
  return t;
};
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

const WEEKDAYS = [1, 2, 3, 4, 5];
const rule = (startTime: string, endTime: string, daysOfWeek: number[] | null = null, dates: string[] | null = null): TimeRangeRule => ({
  daysOfWeek, dates, startTime, endTime,
});
const range = (timeZone: string, ...rules: TimeRangeRule[]): TimeRangeSpec => ({ name: 'Opening hours', timeZone, rules });
const officeHours = (timeZone: string) => range(timeZone, rule('09:00', '17:00', WEEKDAYS));
const everyDay = (timeZone: string) => range(timeZone, rule('09:00', '17:00'));

const holiday = (date: string, name: string | null, startTime: string | null = null, endTime: string | null = null): Holiday => ({ date, name, startTime, endTime });
const holidays = (timeZone: string, ...list: Holiday[]): HolidayListSpec => ({ name: 'Bank holidays', timeZone, holidays: list });

describe('evaluateTimeRange at the edges of Mon-Fri 09:00-17:00 in Europe/London', () => {
  const spec = officeHours('Europe/London');

  it.each([
    ['a winter Tuesday 08:59:59 GMT', '2026-01-13T08:59:59Z', false],
    ['a winter Tuesday 09:00:00 GMT', '2026-01-13T09:00:00Z', true],
    ['a winter Tuesday 16:59:59 GMT', '2026-01-13T16:59:59Z', true],
    ['a winter Tuesday 16:59:59.999 GMT', '2026-01-13T16:59:59.999Z', true],
    ['a winter Tuesday 17:00:00 GMT', '2026-01-13T17:00:00Z', false],
    ['a summer Tuesday 08:59:59 BST', '2026-07-14T07:59:59Z', false],
    ['a summer Tuesday 09:00:00 BST', '2026-07-14T08:00:00Z', true],
    ['a summer Tuesday 16:59:59 BST', '2026-07-14T15:59:59Z', true],
    ['a summer Tuesday 17:00:00 BST', '2026-07-14T16:00:00Z', false],
    ['a summer Tuesday 17:30 BST, which is 16:30 UTC', '2026-07-14T16:30:00Z', false],
    ['a Saturday at noon', '2026-01-17T12:00:00Z', false],
    ['a Sunday at noon', '2026-07-19T11:00:00Z', false],
  ])('is %s -> %s', (_label, at, match) => {
    expect(evaluateTimeRange(spec, utc(at)).match).toBe(match);
  });

  it('explains the result in words a supervisor understands', () => {
    expect(evaluateTimeRange(spec, utc('2026-01-13T16:59:59Z'))).toEqual({ match: true, detail: 'within Mon-Fri 09:00-17:00 Europe/London' });
    expect(evaluateTimeRange(spec, utc('2026-01-13T17:00:00Z'))).toEqual({ match: false, detail: 'outside Mon-Fri 09:00-17:00 Europe/London' });
  });

  it('is never open in a time zone it does not know, and says why', () => {
    const result = evaluateTimeRange(everyDay('Mars/Olympus'), utc('2026-01-13T12:00:00Z'));
    expect(result.match).toBe(false);
    expect(result.detail).toMatch(/time zone is not known/);
  });
});

describe('a 09:00-17:00 range opens and closes at the right UTC instants around daylight-saving changes', () => {
  it.each([
    // Europe/London: GMT (UTC+0) until 2026-03-29 01:00Z, BST (UTC+1) until 2026-10-25 01:00Z.
    ['Europe/London, Friday before spring forward (GMT)', officeHours('Europe/London'), '2026-03-27T09:00:00Z', '2026-03-27T17:00:00Z'],
    ['Europe/London, spring-forward Sunday 2026-03-29 (BST by 09:00)', everyDay('Europe/London'), '2026-03-29T08:00:00Z', '2026-03-29T16:00:00Z'],
    ['Europe/London, Monday after spring forward (BST)', officeHours('Europe/London'), '2026-03-30T08:00:00Z', '2026-03-30T16:00:00Z'],
    ['Europe/London, Friday before fall back (BST)', officeHours('Europe/London'), '2026-10-23T08:00:00Z', '2026-10-23T16:00:00Z'],
    ['Europe/London, fall-back Sunday 2026-10-25 (GMT by 09:00)', everyDay('Europe/London'), '2026-10-25T09:00:00Z', '2026-10-25T17:00:00Z'],
    ['Europe/London, Monday after fall back (GMT)', officeHours('Europe/London'), '2026-10-26T09:00:00Z', '2026-10-26T17:00:00Z'],
    // America/New_York: EST (UTC-5) until 2026-03-08 07:00Z, EDT (UTC-4) until 2026-11-01 06:00Z.
    ['America/New_York, Friday before spring forward (EST)', officeHours('America/New_York'), '2026-03-06T14:00:00Z', '2026-03-06T22:00:00Z'],
    ['America/New_York, spring-forward Sunday 2026-03-08 (EDT by 09:00)', everyDay('America/New_York'), '2026-03-08T13:00:00Z', '2026-03-08T21:00:00Z'],
    ['America/New_York, Monday after spring forward (EDT)', officeHours('America/New_York'), '2026-03-09T13:00:00Z', '2026-03-09T21:00:00Z'],
    ['America/New_York, Friday before fall back (EDT)', officeHours('America/New_York'), '2026-10-30T13:00:00Z', '2026-10-30T21:00:00Z'],
    ['America/New_York, fall-back Sunday 2026-11-01 (EST by 09:00)', everyDay('America/New_York'), '2026-11-01T14:00:00Z', '2026-11-01T22:00:00Z'],
    ['America/New_York, Monday after fall back (EST)', officeHours('America/New_York'), '2026-11-02T14:00:00Z', '2026-11-02T22:00:00Z'],
  ])('%s: open from %s until %s', (_label, spec, opens, closes) => {
    const open = utc(opens as string);
    const close = utc(closes as string);
    expect([open - SECOND, open, close - SECOND, close].map((t) => evaluateTimeRange(spec, t).match)).toEqual([false, true, true, false]);
    expect(iso(nextChange(spec, open - 3 * 60 * MINUTE))).toBe(iso(open));
    expect(iso(nextChange(spec, open))).toBe(iso(close));
  });
});

describe('local times that a daylight-saving change skips or repeats', () => {
  it('never matches a local time skipped by the spring-forward (01:30-01:45 on 2026-03-29 in London)', () => {
    const spec = range('Europe/London', rule('01:30', '01:45', null, ['2026-03-29']));
    const instants = Array.from({ length: 4 * 60 }, (_, i) => utc('2026-03-28T23:00:00Z') + i * MINUTE);
    expect(instants.filter((t) => evaluateTimeRange(spec, t).match)).toEqual([]);
    expect(nextChange(spec, utc('2026-03-28T12:00:00Z'))).toBeNull();
  });

  it('never matches 02:00-03:00 on the New York spring-forward day 2026-03-08', () => {
    const spec = range('America/New_York', rule('02:00', '03:00', null, ['2026-03-08']));
    expect(nextChange(spec, utc('2026-03-07T12:00:00Z'))).toBeNull();
  });

  it('opens at the jump when the start time is skipped (01:30-03:00 London opens at 02:00 BST = 01:00Z)', () => {
    const spec = range('Europe/London', rule('01:30', '03:00', null, ['2026-03-29']));
    expect(evaluateTimeRange(spec, utc('2026-03-29T00:59:59Z')).match).toBe(false);
    expect(evaluateTimeRange(spec, utc('2026-03-29T01:00:00Z')).match).toBe(true);
    expect(iso(nextChange(spec, utc('2026-03-29T00:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(nextChange(spec, utc('2026-03-29T01:00:00Z')))).toBe('2026-03-29T02:00:00.000Z');
  });

  it.each([
    // London 2026-10-25: 01:00-02:00 happens in BST (00:00Z-01:00Z) and again in GMT (01:00Z-02:00Z).
    ['Europe/London 01:15-01:45', range('Europe/London', rule('01:15', '01:45', null, ['2026-10-25'])), '2026-10-24T22:00:00Z',
      ['2026-10-25T00:15:00.000Z', '2026-10-25T00:45:00.000Z', '2026-10-25T01:15:00.000Z', '2026-10-25T01:45:00.000Z']],
    ['Europe/London 01:00-02:00, one stretch of two hours', range('Europe/London', rule('01:00', '02:00', null, ['2026-10-25'])), '2026-10-24T22:00:00Z',
      ['2026-10-25T00:00:00.000Z', '2026-10-25T02:00:00.000Z']],
    // New York 2026-11-01: 01:00-02:00 happens in EDT (05:00Z-06:00Z) and again in EST (06:00Z-07:00Z).
    ['America/New_York 01:10-01:20', range('America/New_York', rule('01:10', '01:20', null, ['2026-11-01'])), '2026-11-01T03:00:00Z',
      ['2026-11-01T05:10:00.000Z', '2026-11-01T05:20:00.000Z', '2026-11-01T06:10:00.000Z', '2026-11-01T06:20:00.000Z']],
  ])('matches the repeated hour both times on the fall-back day: %s', (_label, spec, from, flips) => {
    const found: string[] = [];
    for (let t = nextChange(spec, utc(from)); t !== null; t = nextChange(spec, t)) found.push(iso(t)!);
    expect(found).toEqual(flips);
    expect(evaluateTimeRange(spec, utc(flips[0]!)).match).toBe(true);
    expect(evaluateTimeRange(spec, utc(flips[flips.length - 1]!) - SECOND).match).toBe(true);
  });

  it.each([
    // America/Santiago changes at midnight. 2026-04-05 03:00Z: 00:00 -03 goes back to 23:00 -04 on 2026-04-04.
    ['the last hour of 2026-04-04, lived twice', range('America/Santiago', rule('23:00', '24:00', null, ['2026-04-04'])), '2026-04-04T20:00:00Z',
      ['2026-04-05T02:00:00.000Z', '2026-04-05T04:00:00.000Z']],
    ['the first hour of 2026-04-05, after the repeat', range('America/Santiago', rule('00:00', '01:00', null, ['2026-04-05'])), '2026-04-04T20:00:00Z',
      ['2026-04-05T04:00:00.000Z', '2026-04-05T05:00:00.000Z']],
    // 2026-09-06 04:00Z: 00:00 -04 jumps to 01:00 -03, so that day starts at 01:00 and lasts 23 hours.
    ['the whole of 2026-09-06, which has no midnight', range('America/Santiago', rule('00:00', '24:00', null, ['2026-09-06'])), '2026-09-05T12:00:00Z',
      ['2026-09-06T04:00:00.000Z', '2026-09-07T03:00:00.000Z']],
  ])('follows a zone that changes at midnight: %s', (_label, spec, from, flips) => {
    const found: string[] = [];
    for (let t = nextChange(spec, utc(from)); t !== null; t = nextChange(spec, t)) found.push(iso(t)!);
    expect(found).toEqual(flips);
    expect(evaluateTimeRange(spec, utc(flips[0]!) - SECOND).match).toBe(false);
    expect(evaluateTimeRange(spec, utc(flips[1]!) - SECOND).match).toBe(true);
  });
});

describe('rules by dates, every day and until 24:00', () => {
  it.each([
    ['a date rule on its date (Saturday 2026-12-19, 11:00 GMT)', range('Europe/London', rule('09:00', '17:00', WEEKDAYS), rule('10:00', '14:00', null, ['2026-12-19'])), '2026-12-19T11:00:00Z', true],
    ['a date rule on another Saturday', range('Europe/London', rule('09:00', '17:00', WEEKDAYS), rule('10:00', '14:00', null, ['2026-12-19'])), '2026-12-26T11:00:00Z', false],
    ['a date read in its own zone: 2026-05-01 00:00 in Tokyo is 2026-04-30 15:00Z', range('Asia/Tokyo', rule('00:00', '24:00', null, ['2026-05-01'])), '2026-04-30T15:00:00Z', true],
    ['one second before 2026-05-01 in Tokyo', range('Asia/Tokyo', rule('00:00', '24:00', null, ['2026-05-01'])), '2026-04-30T14:59:59Z', false],
    ['the last second of 2026-05-01 in Tokyo', range('Asia/Tokyo', rule('00:00', '24:00', null, ['2026-05-01'])), '2026-05-01T14:59:59Z', true],
    ['the day after 2026-05-01 in Tokyo', range('Asia/Tokyo', rule('00:00', '24:00', null, ['2026-05-01'])), '2026-05-01T15:00:00Z', false],
    ['a rule with days and dates, on the date (Thursday 2026-12-24)', range('Europe/London', rule('09:00', '12:00', [6], ['2026-12-24'])), '2026-12-24T10:00:00Z', true],
    ['a rule with days and dates, on the day (Saturday 2026-12-05)', range('Europe/London', rule('09:00', '12:00', [6], ['2026-12-24'])), '2026-12-05T10:00:00Z', true],
    ['a rule with days and dates, on neither (Thursday 2026-12-17)', range('Europe/London', rule('09:00', '12:00', [6], ['2026-12-24'])), '2026-12-17T10:00:00Z', false],
    ['an every-day rule on a Sunday', everyDay('Europe/London'), '2026-01-18T12:00:00Z', true],
    ['an every-day rule on a Wednesday evening', everyDay('Europe/London'), '2026-01-14T18:00:00Z', false],
    ['18:00-24:00 at 23:59:59 GMT', range('Europe/London', rule('18:00', '24:00')), '2026-01-13T23:59:59Z', true],
    ['18:00-24:00 at midnight GMT', range('Europe/London', rule('18:00', '24:00')), '2026-01-14T00:00:00Z', false],
    ['18:00-24:00 at 23:59:59 BST', range('Europe/London', rule('18:00', '24:00')), '2026-07-14T22:59:59Z', true],
    ['18:00-24:00 at midnight BST', range('Europe/London', rule('18:00', '24:00')), '2026-07-14T23:00:00Z', false],
    ['00:00-24:00 every day in UTC', range('UTC', rule('00:00', '24:00')), '2026-02-28T23:59:59Z', true],
  ])('%s -> %s', (_label, spec, at, match) => {
    expect(evaluateTimeRange(spec, utc(at)).match).toBe(match);
  });

  it('keeps an overnight range of two rules open across midnight (next change 06:00, not 00:00)', () => {
    const spec = range('Europe/London', rule('22:00', '24:00'), rule('00:00', '06:00'));
    expect(evaluateTimeRange(spec, utc('2026-01-14T00:00:00Z')).match).toBe(true);
    expect(iso(nextChange(spec, utc('2026-01-13T22:00:00Z')))).toBe('2026-01-14T06:00:00.000Z');
  });

  it('has no next change for a range that is always open', () => {
    expect(nextChange(range('UTC', rule('00:00', '24:00')), utc('2026-01-13T12:00:00Z'))).toBeNull();
  });
});

describe('nextChange', () => {
  it.each([
    ['London: Friday close (GMT) to Monday open (BST)', officeHours('Europe/London'), '2026-03-27T17:00:00Z', '2026-03-30T08:00:00.000Z'],
    ['London: Friday close (BST) to Monday open (GMT)', officeHours('Europe/London'), '2026-10-23T16:00:00Z', '2026-10-26T09:00:00.000Z'],
    ['London: Monday open (BST) to its close', officeHours('Europe/London'), '2026-03-30T08:00:00Z', '2026-03-30T16:00:00.000Z'],
    ['New York: Friday close (EST) to Monday open (EDT)', officeHours('America/New_York'), '2026-03-06T22:00:00Z', '2026-03-09T13:00:00.000Z'],
    ['New York: Friday close (EDT) to Monday open (EST)', officeHours('America/New_York'), '2026-10-30T21:00:00Z', '2026-11-02T14:00:00.000Z'],
    ['New York: mid-afternoon on the Friday to its close', officeHours('America/New_York'), '2026-10-30T18:30:00Z', '2026-10-30T21:00:00.000Z'],
    ['a date 7 days 9 hours ahead', range('Europe/London', rule('09:00', '17:00', null, ['2026-12-24'])), '2026-12-17T00:00:00Z', '2026-12-24T09:00:00.000Z'],
    ['a date 9 days 9 hours ahead (beyond 8 days)', range('Europe/London', rule('09:00', '17:00', null, ['2026-12-24'])), '2026-12-15T00:00:00Z', null],
    ['a date in the past', range('Europe/London', rule('09:00', '17:00', null, ['2025-12-24'])), '2026-01-13T00:00:00Z', null],
    ['an unknown time zone', officeHours('Mars/Olympus'), '2026-01-13T00:00:00Z', null],
  ])('%s', (_label, spec, from, expected) => {
    expect(iso(nextChange(spec, utc(from)))).toBe(expected);
  });

  it.each([
    ['Europe/London across the spring forward', range('Europe/London', rule('09:00', '17:30', WEEKDAYS), rule('01:30', '02:30', [7]), rule('10:00', '12:00', null, ['2026-03-28'])), '2026-03-26T12:00:00Z'],
    ['America/New_York across the fall back', range('America/New_York', rule('09:00', '17:00', WEEKDAYS), rule('01:15', '01:45'), rule('23:00', '24:00', [6])), '2026-10-29T12:00:00Z'],
  ])('finds exactly the flips a minute-by-minute walk finds: %s', (_label, spec, from) => {
    const start = utc(from);
    const end = start + 6 * 24 * 60 * MINUTE;
    const walked: string[] = [];
    let state = evaluateTimeRange(spec, start).match;
    for (let t = start + MINUTE; t <= end; t += MINUTE) {
      const now = evaluateTimeRange(spec, t).match;
      if (now !== state) walked.push(iso(t)!);
      state = now;
    }
    const chained: string[] = [];
    for (let t = nextChange(spec, start); t !== null && t <= end; t = nextChange(spec, t)) chained.push(iso(t)!);
    expect(walked.length).toBeGreaterThan(10);
    expect(chained).toEqual(walked);
  });
});

describe('evaluateHolidays in the list\'s own time zone', () => {
  const uk = holidays(
    'Europe/London',
    holiday('2026-12-25', 'Christmas Day'),
    holiday('2026-12-24', 'Christmas Eve', '13:00', '24:00'),
    holiday('2026-08-31', 'Summer bank holiday'),
    holiday('2026-05-04', null),
  );
  const us = holidays('America/New_York', holiday('2026-07-03', 'Independence Day (observed)'));

  it.each([
    ['Christmas Day from its first second (GMT)', uk, '2026-12-25T00:00:00Z', 'holiday: Christmas Day (2026-12-25, all day, Europe/London)'],
    ['Christmas Day to its last second', uk, '2026-12-25T23:59:59Z', 'holiday: Christmas Day (2026-12-25, all day, Europe/London)'],
    ['the day after Christmas', uk, '2026-12-26T00:00:00Z', 'not a holiday in Bank holidays'],
    ['Christmas Eve morning', uk, '2026-12-24T12:59:59Z', 'not a holiday in Bank holidays'],
    ['Christmas Eve from 13:00', uk, '2026-12-24T13:00:00Z', 'holiday: Christmas Eve (2026-12-24, 13:00-24:00, Europe/London)'],
    ['Christmas Eve until midnight', uk, '2026-12-24T23:59:59Z', 'holiday: Christmas Eve (2026-12-24, 13:00-24:00, Europe/London)'],
    ['23:59:59 BST the evening before a summer holiday', uk, '2026-08-30T22:59:59Z', 'not a holiday in Bank holidays'],
    ['midnight BST starting the summer holiday (23:00Z the day before)', uk, '2026-08-30T23:00:00Z', 'holiday: Summer bank holiday (2026-08-31, all day, Europe/London)'],
    ['midnight BST ending the summer holiday', uk, '2026-08-31T23:00:00Z', 'not a holiday in Bank holidays'],
    ['an unnamed holiday, named by its list', uk, '2026-05-04T12:00:00Z', 'holiday: Bank holidays (2026-05-04, all day, Europe/London)'],
    ['23:59:59 EDT before the US holiday', us, '2026-07-03T03:59:59Z', 'not a holiday in Bank holidays'],
    ['midnight EDT starting the US holiday (04:00Z)', us, '2026-07-03T04:00:00Z', 'holiday: Independence Day (observed) (2026-07-03, all day, America/New_York)'],
    ['the last second of the US holiday', us, '2026-07-04T03:59:59Z', 'holiday: Independence Day (observed) (2026-07-03, all day, America/New_York)'],
    ['midnight EDT ending the US holiday', us, '2026-07-04T04:00:00Z', 'not a holiday in Bank holidays'],
    ['a stored holiday with only a start, read until the end of its day', holidays('UTC', holiday('2026-12-24', 'Eve', '13:00', null)), '2026-12-24T23:59:59Z', 'holiday: Eve (2026-12-24, 13:00-24:00, UTC)'],
  ])('%s', (_label, spec, at, detail) => {
    expect(evaluateHolidays(spec, utc(at))).toEqual({ holiday: detail.startsWith('holiday:'), detail });
  });

  it('says holiday on a working day, so a caller that checks holidays first closes on it', () => {
    const hours = officeHours('Europe/London');
    // The caller's branch order, as a call flow puts it: holiday first, then opening hours.
    const answer = (at: number) => (evaluateHolidays(uk, at).holiday ? 'closed for the holiday' : evaluateTimeRange(hours, at).match ? 'open' : 'closed');
    const bankHolidayMonday = utc('2026-08-31T09:00:00Z'); // 10:00 BST
    expect(evaluateTimeRange(hours, bankHolidayMonday).match).toBe(true);
    expect(evaluateHolidays(uk, bankHolidayMonday).holiday).toBe(true);
    expect([bankHolidayMonday, utc('2026-09-01T09:00:00Z'), utc('2026-08-30T09:00:00Z')].map(answer)).toEqual(['closed for the holiday', 'open', 'closed']);
  });
});

describe('describeTimeRange', () => {
  it.each([
    [[rule('09:00', '17:00', [1, 2, 3, 4, 5])], 'Mon-Fri 09:00-17:00 Europe/London'],
    [[rule('09:00', '17:00', [3, 1])], 'Mon, Wed 09:00-17:00 Europe/London'],
    [[rule('09:00', '17:00', [7, 6, 1, 2, 3])], 'Mon-Wed, Sat-Sun 09:00-17:00 Europe/London'],
    [[rule('09:00', '17:00', [1, 2, 3, 4, 5, 6, 7])], 'every day 09:00-17:00 Europe/London'],
    [[rule('08:00', '20:00')], 'every day 08:00-20:00 Europe/London'],
    [[rule('10:00', '14:00', null, ['2026-12-24'])], '2026-12-24 10:00-14:00 Europe/London'],
    [[rule('10:00', '14:00', null, ['2026-12-31', '2026-12-24', '2026-12-27', '2026-12-28', '2026-12-29'])], '2026-12-24, 2026-12-27, 2026-12-28 and 2 more dates 10:00-14:00 Europe/London'],
    [[rule('09:00', '17:00', WEEKDAYS), rule('10:00', '14:00', [6]), rule('18:00', '24:00', null, ['2026-12-24'])], 'Mon-Fri 09:00-17:00, Sat 10:00-14:00, 2026-12-24 18:00-24:00 Europe/London'],
  ])('describes %j as %j', (rules, words) => {
    expect(describeTimeRange(range('Europe/London', ...rules))).toBe(words);
  });
});

describe('checkTimeRange', () => {
  it.each([
    ['office hours in London', officeHours('Europe/London')],
    ['UTC', range('UTC', rule('00:00', '24:00'))],
    ['the shortest and latest times', range('America/New_York', rule('00:00', '00:01'), rule('23:59', '24:00'))],
    ['dates, including 29 February of a leap year', range('Asia/Tokyo', rule('09:00', '12:00', null, ['2028-02-29', '2000-01-01', '2100-12-31']))],
    ['an empty day list beside dates', range('Europe/London', rule('09:00', '12:00', [], ['2026-12-24']))],
    ['50 rules', range('Europe/London', ...Array.from({ length: 50 }, () => rule('09:00', '17:00')))],
    ['366 dates', range('Europe/London', rule('09:00', '17:00', null, Array.from({ length: 366 }, (_, i) => new Date(Date.UTC(2028, 0, 1 + i)).toISOString().slice(0, 10))))],
  ])('accepts %s', (_label, spec) => {
    expect(checkTimeRange(spec)).toEqual([]);
  });

  it.each([
    ['a fixed offset UTC+2', range('UTC+2', rule('09:00', '17:00')), 'input.timeZone', /IANA time zone.*not a fixed offset/],
    ['a fixed offset +02:00', range('+02:00', rule('09:00', '17:00')), 'input.timeZone', /not a fixed offset/],
    ['an unknown zone', range('Mars/Olympus', rule('09:00', '17:00')), 'input.timeZone', /not a known IANA time zone/],
    ['no rules', range('Europe/London'), 'input.rules', /1 to 50 rules \(got 0\)/],
    ['51 rules', range('Europe/London', ...Array.from({ length: 51 }, () => rule('09:00', '17:00'))), 'input.rules', /1 to 50 rules \(got 51\)/],
    ['a start without a leading zero', range('Europe/London', rule('9:00', '17:00')), 'input.rules.0.startTime', /HH:MM from 00:00 to 23:59/],
    ['a start of 24:00', range('Europe/London', rule('24:00', '24:00')), 'input.rules.0.startTime', /HH:MM from 00:00 to 23:59/],
    ['minute 60', range('Europe/London', rule('09:60', '17:00')), 'input.rules.0.startTime', /HH:MM/],
    ['an end of 00:00', range('Europe/London', rule('00:00', '00:00')), 'input.rules.0.endTime', /from 00:01 to 24:00/],
    ['an end of 24:30', range('Europe/London', rule('22:00', '24:30')), 'input.rules.0.endTime', /from 00:01 to 24:00/],
    ['an overnight range', range('Europe/London', rule('22:00', '06:00')), 'input.rules.0.endTime', /after startTime 22:00; a range over midnight is two rules/],
    ['an empty range', range('Europe/London', rule('09:00', '09:00')), 'input.rules.0.endTime', /after startTime 09:00/],
    ['day 0', range('Europe/London', rule('09:00', '17:00', [0])), 'input.rules.0.daysOfWeek.0', /1 \(Monday\) to 7 \(Sunday\)/],
    ['day 8', range('Europe/London', rule('09:00', '17:00', [1, 8])), 'input.rules.0.daysOfWeek.1', /1 \(Monday\) to 7 \(Sunday\)/],
    ['day 1.5', range('Europe/London', rule('09:00', '17:00', [1.5])), 'input.rules.0.daysOfWeek.0', /1 \(Monday\) to 7 \(Sunday\)/],
    ['a repeated day', range('Europe/London', rule('09:00', '17:00', [3, 1, 3])), 'input.rules.0.daysOfWeek.2', /repeats Wednesday \(3\)/],
    ['an empty day list and no dates', range('Europe/London', rule('09:00', '17:00', [])), 'input.rules.0.daysOfWeek', /leave out both daysOfWeek and dates for every day/],
    ['an empty date list and no days', range('Europe/London', rule('09:00', '17:00', null, [])), 'input.rules.0.dates', /leave out both/],
    ['30 February', range('Europe/London', rule('09:00', '17:00', null, ['2026-02-30'])), 'input.rules.0.dates.0', /calendar date YYYY-MM-DD/],
    ['29 February of a common year', range('Europe/London', rule('09:00', '17:00', null, ['2026-02-29'])), 'input.rules.0.dates.0', /calendar date/],
    ['a date before 2000', range('Europe/London', rule('09:00', '17:00', null, ['1999-12-31'])), 'input.rules.0.dates.0', /from 2000-01-01 to 2100-12-31/],
    ['a date after 2100', range('Europe/London', rule('09:00', '17:00', null, ['2101-01-01'])), 'input.rules.0.dates.0', /from 2000-01-01 to 2100-12-31/],
    ['a date without leading zeros', range('Europe/London', rule('09:00', '17:00', null, ['2026-2-3'])), 'input.rules.0.dates.0', /YYYY-MM-DD/],
    ['a repeated date', range('Europe/London', rule('09:00', '17:00', null, ['2026-12-24', '2026-12-24'])), 'input.rules.0.dates.1', /repeats 2026-12-24/],
    ['367 dates', range('Europe/London', rule('09:00', '17:00', null, Array.from({ length: 367 }, (_, i) => new Date(Date.UTC(2028, 0, 1 + i)).toISOString().slice(0, 10)))), 'input.rules.0.dates', /at most 366 dates \(got 367\)/],
  ])('refuses %s', (_label, spec, field, message) => {
    const problems = checkTimeRange(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(field);
    expect(problems[0]!.message).toMatch(message);
  });

  it('lists every problem with its path, in input order', () => {
    const spec = range(
      'UTC+2',
      rule('09:00', '17:00', WEEKDAYS),
      rule('9am', '24:01', [0, 2, 2]),
      rule('18:00', '08:00', null, ['2026-13-01', '2026-12-24']),
    );
    expect(checkTimeRange(spec).map((p) => p.field)).toEqual([
      'input.timeZone',
      'input.rules.1.startTime',
      'input.rules.1.endTime',
      'input.rules.1.daysOfWeek.0',
      'input.rules.1.daysOfWeek.2',
      'input.rules.2.endTime',
      'input.rules.2.dates.0',
    ]);
  });
});

describe('checkHolidayList', () => {
  it.each([
    ['no holidays', holidays('Europe/London')],
    ['whole days and hours', holidays('Europe/London', holiday('2026-12-25', 'Christmas Day'), holiday('2026-12-24', 'Christmas Eve', '13:00', '24:00'))],
    ['two parts of one date that touch but do not overlap', holidays('Europe/London', holiday('2026-12-24', 'Morning', '09:00', '12:00'), holiday('2026-12-24', 'Afternoon', '12:00', '17:00'))],
    ['1000 holidays', holidays('UTC', ...Array.from({ length: 1000 }, (_, i) => holiday(new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10), null)))],
  ])('accepts %s', (_label, spec) => {
    expect(checkHolidayList(spec)).toEqual([]);
  });

  it.each([
    ['an unknown zone', holidays('Europe/Atlantis'), 'input.timeZone', /not a known IANA time zone/],
    ['a bad date', holidays('Europe/London', holiday('2026-02-30', 'Nope')), 'input.holidays.0.date', /calendar date YYYY-MM-DD/],
    ['a start without an end', holidays('Europe/London', holiday('2026-12-24', 'Eve', '13:00', null)), 'input.holidays.0.endTime', /required with startTime; leave out both for the whole day/],
    ['an end without a start', holidays('Europe/London', holiday('2026-12-24', 'Eve', null, '17:00')), 'input.holidays.0.startTime', /required with endTime/],
    ['a start after the end', holidays('Europe/London', holiday('2026-12-24', 'Eve', '17:00', '13:00')), 'input.holidays.0.endTime', /after startTime 17:00/],
    ['a bad start', holidays('Europe/London', holiday('2026-12-24', 'Eve', '1pm', '17:00')), 'input.holidays.0.startTime', /HH:MM/],
    ['the same date twice', holidays('Europe/London', holiday('2026-12-25', 'Christmas Day'), holiday('2026-12-25', 'Christmas')), 'input.holidays.1.date', /2026-12-25 already has a holiday at these hours \(Christmas Day, all day\)/],
    ['hours inside a whole-day holiday', holidays('Europe/London', holiday('2026-12-25', 'Christmas Day'), holiday('2026-12-25', 'Lunch', '12:00', '13:00')), 'input.holidays.1.date', /already has a holiday/],
    ['overlapping hours', holidays('Europe/London', holiday('2026-12-24', null, '09:00', '12:00'), holiday('2026-12-24', 'Eve', '11:59', '17:00')), 'input.holidays.1.date', /\(unnamed, 09:00-12:00\)/],
    ['1001 holidays', holidays('UTC', ...Array.from({ length: 1001 }, (_, i) => holiday(new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10), null))), 'input.holidays', /at most 1000 holidays \(got 1001\)/],
  ])('refuses %s', (_label, spec, field, message) => {
    const problems = checkHolidayList(spec);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(field);
    expect(problems[0]!.message).toMatch(message);
  });

  it('lists every problem with its path', () => {
    const spec = holidays(
      '+01:00',
      holiday('2026-12-25', 'Christmas Day'),
      holiday('25/12/2026', 'Christmas'),
      holiday('2026-12-24', 'Eve', '13:00', null),
      holiday('2026-12-25', 'Again'),
    );
    expect(checkHolidayList(spec).map((p) => p.field)).toEqual(['input.timeZone', 'input.holidays.1.date', 'input.holidays.2.endTime', 'input.holidays.3.date']);
  });
});

describe('normalising for storage', () => {
  it('sorts days and dates without repeats, turns empty lists into null and spells the zone as the database does', () => {
    const spec = range('europe/london', rule('09:00', '17:00', [5, 1, 3, 1], []), rule('10:00', '12:00', [], ['2026-12-31', '2026-12-24', '2026-12-31']));
    expect(normaliseTimeRange(spec)).toEqual({
      name: 'Opening hours',
      timeZone: 'Europe/London',
      rules: [rule('09:00', '17:00', [1, 3, 5], null), rule('10:00', '12:00', null, ['2026-12-24', '2026-12-31'])],
    });
  });

  it('keeps a zone alias as given', () => {
    expect(normaliseTimeRange(range('US/Eastern', rule('09:00', '17:00'))).timeZone).toBe('US/Eastern');
  });

  it('orders holidays by date, whole days before hours, and drops blank names', () => {
    const spec = holidays('utc', holiday('2026-12-25', 'Christmas Day'), holiday('2026-12-24', 'Eve', '13:00', '24:00'), holiday('2026-12-24', ' '), holiday('2026-01-01', 'New Year'));
    expect(normaliseHolidayList(spec)).toEqual({
      name: 'Bank holidays',
      timeZone: 'UTC',
      holidays: [holiday('2026-01-01', 'New Year'), holiday('2026-12-24', null), holiday('2026-12-24', 'Eve', '13:00', '24:00'), holiday('2026-12-25', 'Christmas Day')],
    });
  });
});

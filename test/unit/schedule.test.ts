import {
  checkHolidayList,
  checkTimeRange,
  normaliseHolidayList,
  normaliseTimeRange,
  type Holiday,
  type HolidayListSpec,
  type TimeRangeRule,
  type TimeRangeSpec,
} from '../../src/routing/schedule';

const WEEKDAYS = [1, 2, 3, 4, 5];
const rule = (startTime: string, endTime: string, daysOfWeek: number[] | null = null, dates: string[] | null = null): TimeRangeRule => ({
  daysOfWeek, dates, startTime, endTime,
});
const range = (timeZone: string, ...rules: TimeRangeRule[]): TimeRangeSpec => ({ name: 'Opening hours', timeZone, rules });
const officeHours = (timeZone: string) => range(timeZone, rule('09:00', '17:00', WEEKDAYS));

const holiday = (date: string, name: string | null, startTime: string | null = null, endTime: string | null = null): Holiday => ({ date, name, startTime, endTime });
const holidays = (timeZone: string, ...list: Holiday[]): HolidayListSpec => ({ name: 'Bank holidays', timeZone, holidays: list });

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

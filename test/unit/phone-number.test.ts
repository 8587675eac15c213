import { parseE164, resolveDialledNumber } from '../../src/routing/phone-number';

describe('parseE164', () => {
  it.each([
    ['+442079460958', '+442079460958'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+1 (212) 555-0100', '+12125550100'],
    ['  +33 1 23 45 67 89 ', '+33123456789'],
  ])('accepts %j as %s', (input, e164) => {
    expect(parseE164(input)).toEqual({ ok: true, e164 });
  });

  it.each([
    ['+4420', /too short/],
    ['+44 20 7946 0958 ext 12', /only \+, digits/],
    ['call +442079460958 now', /must start with \+/],
    ['+44 20 ABC 0958', /only \+, digits/],
    ['0044 20 7946 0958', /must start with \+/],
    ['442079460958', /must start with \+/],
    ['+999 123 456', /unknown country|not a valid/],
    ['+44 20 7946 09581234', /too long|not a valid/],
    ['+', /only \+, digits|too short/],
  ])('refuses %j', (input, reason) => {
    const result = parseE164(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('resolveDialledNumber', () => {
  it('dials a full number as configured', () => {
    expect(resolveDialledNumber({ numberMode: 'FULL_NUMBER', number: '+442079460958' }, '+448001234567')).toEqual({ ok: true, e164: '+442079460958' });
  });

  it('appends the last digits of the dialled service number to the prefix', () => {
    expect(resolveDialledNumber({ numberMode: 'PREFIX_PLUS_LAST_DIGITS', prefix: '+44207946', lastDigits: 4 }, '+44 800 123 0958')).toEqual({
      ok: true,
      e164: '+442079460958',
    });
  });

  it('replaces the matched prefix of the service number', () => {
    expect(
      resolveDialledNumber({ numberMode: 'PREFIX_REPLACING_MATCHED_PREFIX', prefix: '+4420', matchPrefix: '+44800' }, '+4480079460958'),
    ).toEqual({ ok: true, e164: '+442079460958' });
  });

  it('fails when the service number does not start with the prefix to replace', () => {
    const result = resolveDialledNumber({ numberMode: 'PREFIX_REPLACING_MATCHED_PREFIX', prefix: '+4420', matchPrefix: '+44800' }, '+12125550100');
    expect(result).toEqual({ ok: false, reason: 'service number does not start with +44800' });
  });

  it('fails when the built number is not a valid E.164 number', () => {
    const result = resolveDialledNumber({ numberMode: 'PREFIX_PLUS_LAST_DIGITS', prefix: '+44', lastDigits: 2 }, '+448001234567');
    expect(result.ok).toBe(false);
  });

  it('fails when the service number has fewer digits than asked for', () => {
    const result = resolveDialledNumber({ numberMode: 'PREFIX_PLUS_LAST_DIGITS', prefix: '+44207946', lastDigits: 4 }, '123');
    expect(result).toEqual({ ok: false, reason: 'service number has fewer than 4 digits' });
  });
});

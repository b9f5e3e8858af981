import { describe, expect, it } from 'vitest';
import { maskMsisdn, maskName, normalizeMsisdn } from '../../common/msisdn.js';

describe('MSISDN spelling', () => {
  it.each([
    ['77011234567', '77011234567'],
    ['+77011234567', '77011234567'],
    ['87011234567', '77011234567'],
    ['+7 701 123 45 67', '77011234567'],
    ['8 (701) 123-45-67', '77011234567'],
    ['0077011234567', '77011234567'],
  ])('%s is stored as %s', (input, canonical) => {
    expect(normalizeMsisdn(input)).toBe(canonical);
  });

  it.each(['', '1414', '7701123456', '770112345678', 'abc', '+87011234567', '97011234567'])(
    '%s is refused',
    (input) => {
      expect(normalizeMsisdn(input)).toBeUndefined();
    },
  );

  it('masks as agents see it', () => {
    expect(maskMsisdn('77011234567')).toBe('7701***4567');
    expect(maskName('Айгүл Сейітқызы')).toBe('А*** С***');
  });
});

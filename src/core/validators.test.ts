import { describe, expect, it } from 'vitest';
import {
  isPlausibleDateOfBirth,
  normalizeEmail,
  normalizeExternalAccountNumber,
  normalizeIfsc,
  normalizePhone,
  normalizeUpiId,
  normalizeUsername,
} from './validators.js';

describe('normalizeEmail', () => {
  it('accepts ordinary addresses and lower-cases them', () => {
    expect(normalizeEmail(' Asha.Rao+bank@Example.IN ')).toBe('asha.rao+bank@example.in');
    expect(normalizeEmail('a@b.co')).toBe('a@b.co');
  });

  it.each(['', 'asha', 'asha@', '@example.in', 'asha@example', 'asha@@example.in', 'as ha@example.in', 'asha..rao@example.in', 'asha@-example.in', `${'a'.repeat(65)}@example.in`, `a@${'b'.repeat(250)}.in`])(
    'refuses %j',
    (input) => {
      expect(normalizeEmail(input)).toBeUndefined();
    },
  );
});

describe('normalizePhone', () => {
  it.each([
    ['9876543210', '+919876543210'],
    ['98765 43210', '+919876543210'],
    ['+91-9876543210', '+919876543210'],
    ['+91 98765-43210', '+919876543210'],
    ['09876543210', '+919876543210'],
    ['919876543210', '+919876543210'],
    ['0091 98765 43210', '+919876543210'],
    ['(987) 654-3210', '+919876543210'],
    ['6000000000', '+916000000000'],
    ['9123456789', '+919123456789'],
    ['+14155552671', '+14155552671'],
    ['+44 7911 123456', '+447911123456'],
  ])('normalizes %j to %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each(['', '12345', '5876543210', '+915876543210', '+91987654321', '98765432101', '+0123456789', '4155552671', '+1415555267112345', 'ninety-eight', '+91 98765 4321x'])(
    'refuses %j',
    (input) => {
      expect(normalizePhone(input)).toBeUndefined();
    },
  );
});

describe('normalizeUsername', () => {
  it('lower-cases and checks the form', () => {
    expect(normalizeUsername(' Asha_R ')).toBe('asha_r');
    expect(normalizeUsername('ab')).toBeUndefined();
    expect(normalizeUsername('-asha')).toBeUndefined();
    expect(normalizeUsername('a'.repeat(33))).toBeUndefined();
  });
});

describe('isPlausibleDateOfBirth', () => {
  it('accepts real past dates within 130 years', () => {
    expect(isPlausibleDateOfBirth('1990-05-17', '2026-11-21')).toBe(true);
    expect(isPlausibleDateOfBirth('1896-11-21', '2026-11-21')).toBe(true);
  });

  it('refuses today, the future, impossible dates and the very old', () => {
    expect(isPlausibleDateOfBirth('2026-11-21', '2026-11-21')).toBe(false);
    expect(isPlausibleDateOfBirth('2030-01-01', '2026-11-21')).toBe(false);
    expect(isPlausibleDateOfBirth('1990-02-30', '2026-11-21')).toBe(false);
    expect(isPlausibleDateOfBirth('1896-11-20', '2026-11-21')).toBe(false);
    expect(isPlausibleDateOfBirth('17/05/1990', '2026-11-21')).toBe(false);
  });
});

describe('normalizeUpiId', () => {
  it.each([
    ['arjun@upi', 'arjun@upi'],
    [' Arjun.Sharma@OKHDFCBANK ', 'arjun.sharma@okhdfcbank'],
    ['98765-43210@ybl', '98765-43210@ybl'],
    ['a_b@paytm', 'a_b@paytm'],
    ['ab@xy', 'ab@xy'],
    [`${'a'.repeat(256)}@upi`, `${'a'.repeat(256)}@upi`],
  ])('accepts %j as %s', (input, expected) => {
    expect(normalizeUpiId(input)).toBe(expected);
  });

  it.each(['', 'arjun', 'a@upi', `${'a'.repeat(257)}@upi`, 'arjun@', '@upi', 'arjun@up1', 'arjun@okhdfc.bank', 'ar jun@upi', 'arjun@@upi', 'arjun+1@upi', 'arjun@u'])(
    'refuses %j',
    (input) => {
      expect(normalizeUpiId(input)).toBeUndefined();
    },
  );
});

describe('normalizeIfsc', () => {
  it('accepts 4 letters, a zero and 6 letters or digits, upper-cased', () => {
    expect(normalizeIfsc('HDFC0001234')).toBe('HDFC0001234');
    expect(normalizeIfsc(' sbin0ab12cd ')).toBe('SBIN0AB12CD');
  });

  it.each(['', 'HDFC1001234', 'HDF00001234', 'HDFC000123', 'HDFC00012345', 'HDFC0-01234', '1DFC0001234'])('refuses %j', (input) => {
    expect(normalizeIfsc(input)).toBeUndefined();
  });
});

describe('normalizeExternalAccountNumber', () => {
  it('accepts 9 to 18 digits, with spaces or hyphens removed', () => {
    expect(normalizeExternalAccountNumber('123456789')).toBe('123456789');
    expect(normalizeExternalAccountNumber('1234 5678 9012 3456 78')).toBe('123456789012345678');
    expect(normalizeExternalAccountNumber('0012-3456-789')).toBe('00123456789');
  });

  it.each(['', '12345678', '1234567890123456789', '12345678A', '000000000', '+123456789'])('refuses %j', (input) => {
    expect(normalizeExternalAccountNumber(input)).toBeUndefined();
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskAccountNumber, maskDateOfBirth, maskEmail, maskPhone, maskUpiId } from './masking.js';

describe('maskAccountNumber', () => {
  it('shows only the last four digits behind a fixed prefix', () => {
    expect(maskAccountNumber('100000001234')).toBe('XXXX1234');
    expect(maskAccountNumber('123456789012345678')).toBe('XXXX5678');
    expect(maskAccountNumber('1234 5678-9012')).toBe('XXXX9012');
  });

  it('hides numbers too short to keep four digits, and never reveals the length', () => {
    expect(maskAccountNumber('1234')).toBe('XXXX');
    expect(maskAccountNumber('')).toBe('XXXX');
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{5,18}$/), (number) => {
        const masked = maskAccountNumber(number);
        expect(masked).toMatch(/^XXXX[0-9]{4}$/);
        expect(masked.slice(4)).toBe(number.slice(-4));
      }),
    );
  });
});

describe('maskEmail', () => {
  it('keeps the first three characters of the local part (at most half of it) and the domain', () => {
    expect(maskEmail('john.doe@gmail.com')).toBe('joh***@gmail.com');
    expect(maskEmail('arjun@example.in')).toBe('ar***@example.in');
  });

  it('keeps at most half of a short local part', () => {
    expect(maskEmail('jo@x.in')).toBe('j***@x.in');
    expect(maskEmail('a@x.in')).toBe('a***@x.in');
    expect(maskEmail('john@x.in')).toBe('jo***@x.in');
  });

  it('hides values that are not addresses entirely', () => {
    expect(maskEmail('no-at-sign')).toBe('***');
    expect(maskEmail('@domain.in')).toBe('***');
  });

  it('never contains the whole local part of an address', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9.]{2,30}$/), (local) => {
        const masked = maskEmail(`${local}@bank.in`);
        expect(masked.endsWith('***@bank.in')).toBe(true);
        expect(masked.startsWith(`${local}***`)).toBe(false);
      }),
    );
  });
});

describe('maskPhone', () => {
  it('shows an Indian number in its national form with two digits at each end', () => {
    expect(maskPhone('+919876543210')).toBe('98XXXXXX10');
    expect(maskPhone('+916123456789')).toBe('61XXXXXX89');
  });

  it('keeps the + of other countries and masks the middle', () => {
    expect(maskPhone('+447911123456')).toBe('+44XXXXXXXX56');
    expect(maskPhone('+14155552671')).toBe('+14XXXXXXX71');
  });

  it('hides values that are not phone numbers entirely', () => {
    expect(maskPhone('call me')).toBe('XXXXXXXXXX');
    expect(maskPhone('+123')).toBe('XXXXXXXXXX');
  });
});

describe('maskUpiId', () => {
  it('keeps the first two characters of the handle and the provider', () => {
    expect(maskUpiId('john@upi')).toBe('jo***@upi');
    expect(maskUpiId('arjun.sharma@okhdfcbank')).toBe('ar***@okhdfcbank');
    expect(maskUpiId('ab@ybl')).toBe('a***@ybl');
  });

  it('hides values that are not UPI IDs entirely', () => {
    expect(maskUpiId('nobody')).toBe('***');
  });
});

describe('maskDateOfBirth', () => {
  it('keeps the year only', () => {
    expect(maskDateOfBirth('1990-05-17')).toBe('1990-XX-XX');
    expect(maskDateOfBirth('garbage')).toBe('XXXX-XX-XX');
  });
});

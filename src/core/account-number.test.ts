import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_NUMBER_LENGTH, accountNumberFromPayload, accountNumberFromRandom, isValidAccountNumber, checkDigit } from './account-number.js';

/** A reference Damm check written independently (from the published operation table). */
const REFERENCE_TABLE = [
  '0317598642', '7092154863', '4206871359', '1750983426', '6123045978',
  '3674209581', '5869720134', '8945362017', '9438617205', '2581436790',
];
function dammValid(number: string): boolean {
  let interim = 0;
  for (const digit of number) interim = Number(REFERENCE_TABLE[interim]?.[Number(digit)]);
  return interim === 0;
}

const randomBytes = fc.uint8Array({ minLength: 8, maxLength: 16 });
const payload = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 })).map(
  ([first, rest]) => `${first}${rest.join('')}`,
);

function singleDigitChanges(number: string): string[] {
  const changed: string[] = [];
  for (let index = 0; index < number.length; index += 1) {
    for (let digit = 0; digit <= 9; digit += 1) {
      if (String(digit) === number[index]) continue;
      changed.push(`${number.slice(0, index)}${digit}${number.slice(index + 1)}`);
    }
  }
  return changed;
}

function adjacentTranspositions(number: string, skip: (a: string, b: string) => boolean = () => false): string[] {
  const swapped: string[] = [];
  for (let index = 0; index + 1 < number.length; index += 1) {
    const a = number[index] ?? '';
    const b = number[index + 1] ?? '';
    if (a === b || skip(a, b)) continue;
    swapped.push(`${number.slice(0, index)}${b}${a}${number.slice(index + 2)}`);
  }
  return swapped;
}

describe('account numbers', () => {
  it('computes textbook Damm check digits', () => {
    expect(checkDigit('572')).toBe(4);
    expect(dammValid('5724')).toBe(true);
    expect(checkDigit('0')).toBe(0);
    expect(checkDigit('1')).toBe(3);
    expect(accountNumberFromPayload('10000000000')).toBe(`10000000000${checkDigit('10000000000')}`);
  });

  it('generates 12-digit numbers that validate, from any random bytes', () => {
    fc.assert(
      fc.property(randomBytes, (bytes) => {
        const number = accountNumberFromRandom(bytes);
        expect(number).toMatch(/^[1-9][0-9]{11}$/);
        expect(number).toHaveLength(ACCOUNT_NUMBER_LENGTH);
        expect(isValidAccountNumber(number)).toBe(true);
        expect(dammValid(number)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(accountNumberFromRandom(new Uint8Array(8))).toMatch(/^1[0-9]{11}$/);
    expect(isValidAccountNumber(accountNumberFromRandom(new Uint8Array(8).fill(255)))).toBe(true);
  });

  it('agrees with the reference Damm check for any 12-digit string', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 12 }), (digits) => {
        const number = digits.join('');
        expect(isValidAccountNumber(number)).toBe(number[0] !== '0' && dammValid(number));
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses malformed numbers', () => {
    const valid = accountNumberFromPayload('12345678901');
    for (const bad of ['', valid.slice(0, 11), `${valid}0`, `0${valid.slice(1)}`, ` ${valid}`, `${valid.slice(0, 6)}-${valid.slice(6)}`, 'abcdefghijkl']) {
      expect(isValidAccountNumber(bad), bad).toBe(false);
    }
    expect(() => accountNumberFromPayload('01234567890')).toThrow(RangeError);
    expect(() => accountNumberFromPayload('1234567890')).toThrow(RangeError);
    expect(() => accountNumberFromRandom(new Uint8Array(7))).toThrow(RangeError);
  });

  it('detects every single-digit change', () => {
    fc.assert(
      fc.property(payload, (digits) => {
        const number = accountNumberFromPayload(digits);
        for (const changed of singleDigitChanges(number)) expect(isValidAccountNumber(changed), `${number} -> ${changed}`).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('detects every adjacent transposition of distinct digits, 0 and 9 included', () => {
    fc.assert(
      fc.property(payload, (digits) => {
        const number = accountNumberFromPayload(digits);
        for (const swapped of adjacentTranspositions(number)) expect(isValidAccountNumber(swapped), `${number} -> ${swapped}`).toBe(false);
      }),
      { numRuns: 500, examples: [['10900000000']] },
    );
  });
});

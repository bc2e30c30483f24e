import { describe, expect, it } from 'vitest';
import { findImpreciseNumber } from './json-numbers.js';

describe('imprecise JSON numbers', () => {
  it('finds numbers with more than 15 significant digits, outside strings', () => {
    expect(findImpreciseNumber('{"amount":10.0000000000000001}')).toBe('10.0000000000000001');
    expect(findImpreciseNumber('{"amount":12345678901234567}')).toBe('12345678901234567');
    expect(findImpreciseNumber('[1,2,-0.12345678901234567]')).toBe('-0.12345678901234567');
  });

  it('accepts exact numbers and ignores digits inside strings', () => {
    expect(findImpreciseNumber('{"amount":5000.50,"n":-1e3,"z":0.000000000000001}')).toBeUndefined();
    expect(findImpreciseNumber('{"amount":"10.0000000000000001","x":"\\"123456789012345678"}')).toBeUndefined();
    expect(findImpreciseNumber('{"amount":100000000000000000000e-5}')).toBeUndefined();
    expect(findImpreciseNumber('{"a":123456789012345}')).toBeUndefined();
  });
});

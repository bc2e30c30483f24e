import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { AMOUNT_MINOR_MAX, allocate, currencyOf, divideHalfEven, findCurrency, formatAmount, parseAmount, type Currency, type ParseAmountOptions } from './money.js';

const JPY = currencyOf('JPY');
const INR = currencyOf('INR');
const KWD = currencyOf('KWD');
const CURRENCIES: readonly Currency[] = [JPY, INR, KWD];

/** The canonical wire form of an amount, built independently of formatAmount. */
function canonical(amountMinor: bigint, currency: Currency): string {
  const unit = 10n ** BigInt(currency.exponent);
  const sign = amountMinor < 0n ? '-' : '';
  const abs = amountMinor < 0n ? -amountMinor : amountMinor;
  const whole = (abs / unit).toString();
  if (currency.exponent === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${(abs % unit).toString().padStart(currency.exponent, '0')}`;
}

function refusal(input: unknown, currency: Currency, options?: ParseAmountOptions): DomainError {
  try {
    const value = parseAmount(input, currency, options);
    throw new Error(`parseAmount(${String(input)} as ${typeof input}, ${currency.code}) accepted ${value}`);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return error;
  }
}

function expectRefused(input: unknown, currency: Currency, options?: ParseAmountOptions): void {
  const error = refusal(input, currency, options);
  expect(error.code, `${JSON.stringify(String(input))} (${typeof input}) for ${currency.code}`).toBe('invalid_amount');
  expect(error.kind).toBe('validation');
}

describe('currencies', () => {
  it('knows the ISO 4217 exponents of JPY, INR and KWD', () => {
    expect(JPY).toEqual({ code: 'JPY', exponent: 0 });
    expect(INR).toEqual({ code: 'INR', exponent: 2 });
    expect(KWD).toEqual({ code: 'KWD', exponent: 3 });
  });

  it('refuses unknown, malformed and non-money codes', () => {
    for (const code of ['', 'inr', 'INRR', 'ZZZ', 'XAU', 'XXX', 'XTS', 'XDR', '123']) {
      expect(findCurrency(code), code).toBeUndefined();
      expect(() => currencyOf(code)).toThrow(DomainError);
    }
    expect(findCurrency('XOF')?.exponent).toBe(0);
  });
});

describe('parseAmount and formatAmount', () => {
  for (const currency of CURRENCIES) {
    describe(`${currency.code} (exponent ${currency.exponent})`, () => {
      const unit = 10n ** BigInt(currency.exponent);

      it('format(parse(s)) is s for every canonical string in range', () => {
        fc.assert(
          fc.property(fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }), (amountMinor) => {
            const text = canonical(amountMinor, currency);
            expect(parseAmount(text, currency)).toBe(amountMinor);
            expect(formatAmount(parseAmount(text, currency), currency)).toBe(text);
          }),
          { numRuns: 500 },
        );
      });

      it('parse(format(x)) is x for every amount in range', () => {
        fc.assert(
          fc.property(fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX }), (amountMinor) => {
            expect(parseAmount(formatAmount(amountMinor, currency), currency)).toBe(amountMinor);
          }),
          { numRuns: 500 },
        );
      });

      it('accepts fewer decimals than the exponent and formats them canonically', () => {
        fc.assert(
          fc.property(
            fc.bigInt({ min: 0n, max: AMOUNT_MINOR_MAX / unit - 1n }),
            fc.integer({ min: 0, max: currency.exponent }),
            fc.nat(),
            (whole, decimals, seed) => {
              const fraction = decimals === 0 ? '' : String(seed % 10 ** decimals).padStart(decimals, '0');
              const text = decimals === 0 ? whole.toString() : `${whole}.${fraction}`;
              const expected = whole * unit + BigInt(fraction.padEnd(currency.exponent, '0') || '0');
              if (expected === 0n) {
                expectRefused(text, currency);
                expect(parseAmount(text, currency, { allowZero: true })).toBe(0n);
              } else {
                expect(parseAmount(text, currency)).toBe(expected);
                expect(formatAmount(expected, currency)).toBe(canonical(expected, currency));
              }
            },
          ),
          { numRuns: 500 },
        );
      });

      it('accepts safe JSON numbers exactly', () => {
        fc.assert(
          fc.property(fc.bigInt({ min: 1n, max: AMOUNT_MINOR_MAX / unit }), (whole) => {
            expect(parseAmount(Number(whole), currency)).toBe(whole * unit);
          }),
        );
        if (currency.exponent >= 2) expect(parseAmount(250.5, currency)).toBe(250n * unit + unit / 2n);
        if (currency.exponent === 3) expect(parseAmount(1.005, currency)).toBe(1005n);
      });

      it('accepts the maximum and refuses one minor unit more', () => {
        expect(parseAmount(canonical(AMOUNT_MINOR_MAX, currency), currency)).toBe(AMOUNT_MINOR_MAX);
        expectRefused(canonical(AMOUNT_MINOR_MAX + 1n, currency), currency);
        expectRefused(canonical(AMOUNT_MINOR_MAX * 1000n, currency), currency);
        expect(parseAmount(canonical(500n, currency), currency, { maxMinor: 500n })).toBe(500n);
        expectRefused(canonical(501n, currency), currency, { maxMinor: 500n });
      });

      it('refuses zero unless allowZero', () => {
        const zeros = currency.exponent === 0 ? ['0'] : ['0', `0.${'0'.repeat(currency.exponent)}`, '0.0'];
        for (const zero of [...zeros, 0]) {
          expectRefused(zero, currency);
          expect(parseAmount(zero, currency, { allowZero: true })).toBe(0n);
        }
      });

      it('refuses more decimals than the currency has', () => {
        const tooMany = `1.${'0'.repeat(currency.exponent)}1`;
        expectRefused(tooMany, currency);
        expectRefused(`1.${'0'.repeat(currency.exponent + 1)}`, currency);
        expectRefused(Number(`0.${'0'.repeat(currency.exponent)}1`), currency);
        fc.assert(
          fc.property(fc.nat({ max: 10 ** 6 }), fc.integer({ min: currency.exponent + 1, max: currency.exponent + 6 }), (whole, decimals) => {
            expectRefused(`${whole}.${'1'.repeat(decimals)}`, currency);
          }),
        );
      });

      it('refuses malformed strings: signs, blanks, exponents, hex, separators', () => {
        const malformed = [
          '', ' ', '-1', '-0', '-0.01', '+1', ' 1', '1 ', '\t1', '1\n', '1 000', '1,000', '1_000', "1'000",
          '01', '00', '007', '.5', '5.', '1..2', '1.2.3', '1e3', '1E3', '1.5e2', '1e-2', '0x10', '0X1F', '0b1', '0o7',
          'NaN', 'Infinity', '-Infinity', 'abc', '1a', '١٢', '１２', '1٫5', '--1', '−1', '99999999999999999999',
          '9'.repeat(400),
        ];
        for (const text of malformed) expectRefused(text, currency);
      });

      it('refuses malformed numbers and other types', () => {
        const numbers = [-1, -0, -0.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-7, 5e-324];
        for (const value of numbers) expectRefused(value, currency);
        for (const value of [null, undefined, true, false, {}, [], ['1'], 5n, { amount: '1' }]) expectRefused(value, currency);
      });

      it('refuses numbers beyond 2^53 even when the maximum allows them', () => {
        const options = { maxMinor: 10n ** 18n };
        if (currency.exponent === 0) expect(parseAmount(Number.MAX_SAFE_INTEGER, currency, options)).toBe(9007199254740991n);
        for (const value of [2 ** 53, 2 ** 53 + 2, 1e17, 1e21, 1e300, Number.MAX_VALUE]) expectRefused(value, currency, options);
      });

      it('accepts exactly the strings of the decimal grammar that are in range', () => {
        const grammar = currency.exponent === 0 ? /^(0|[1-9][0-9]*)$/ : new RegExp(`^(0|[1-9][0-9]*)(\\.[0-9]{1,${currency.exponent}})?$`);
        const candidate = fc.oneof(
          fc.string({ unit: fc.constantFrom(...'0123456789.-+eE x,'.split('')), maxLength: 22 }),
          fc.string({ maxLength: 12 }),
        );
        fc.assert(
          fc.property(candidate, (text) => {
            const matches = grammar.test(text);
            let parsed: bigint | undefined;
            try {
              parsed = parseAmount(text, currency);
            } catch (error) {
              expect(error).toBeInstanceOf(DomainError);
              expect((error as DomainError).code).toBe('invalid_amount');
            }
            if (!matches) {
              expect(parsed, JSON.stringify(text)).toBeUndefined();
              return;
            }
            const [whole = '0', fraction = ''] = text.split('.');
            const value = BigInt(whole) * unit + BigInt(fraction.padEnd(currency.exponent, '0') || '0');
            expect(parsed, JSON.stringify(text)).toBe(value >= 1n && value <= AMOUNT_MINOR_MAX ? value : undefined);
          }),
          { numRuns: 2000 },
        );
      });

      it('names the field in the refusal', () => {
        const error = refusal('-5', currency, { field: 'daily_limit' });
        expect(error.issues).toEqual([expect.objectContaining({ field: 'daily_limit' })]);
        expect(error.message).toContain('daily_limit');
      });
    });
  }

  it('formats with exactly the currency decimals, negatives and zero included', () => {
    expect(formatAmount(500000n, INR)).toBe('5000.00');
    expect(formatAmount(5n, INR)).toBe('0.05');
    expect(formatAmount(0n, INR)).toBe('0.00');
    expect(formatAmount(-5n, INR)).toBe('-0.05');
    expect(formatAmount(-123456n, INR)).toBe('-1234.56');
    expect(formatAmount(0n, JPY)).toBe('0');
    expect(formatAmount(-7n, JPY)).toBe('-7');
    expect(formatAmount(5n, KWD)).toBe('0.005');
    expect(formatAmount(1000n, KWD)).toBe('1.000');
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), fc.constantFrom(...CURRENCIES), (amountMinor, currency) => {
        expect(formatAmount(amountMinor, currency)).toBe(canonical(amountMinor, currency));
      }),
    );
  });
});

describe('allocate', () => {
  const weights = fc.array(fc.bigInt({ min: 0n, max: 1000n }), { minLength: 1, maxLength: 12 }).filter((list) => list.some((weight) => weight > 0n));

  it('always sums to the total, rounding each part down and giving the remainder to the last', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), weights, (total, list) => {
        const parts = allocate(total, list);
        expect(parts).toHaveLength(list.length);
        expect(parts.reduce((sum, part) => sum + part, 0n)).toBe(total);
        const weightSum = list.reduce((sum, weight) => sum + weight, 0n);
        for (const [index, part] of parts.entries()) {
          expect(part >= 0n, `part ${index} of ${total} by ${list.join(',')} is ${part}`).toBe(true);
          const floor = (total * (list[index] ?? 0n)) / weightSum;
          if (index < parts.length - 1) expect(part).toBe(floor);
          else {
            // The last part is its own share plus a remainder smaller than the number of parts.
            expect(part - floor >= 0n && part - floor < BigInt(parts.length)).toBe(true);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('sums to negative totals too', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 18n), max: -1n }), weights, (total, list) => {
        expect(allocate(total, list).reduce((sum, part) => sum + part, 0n)).toBe(total);
      }),
    );
  });

  it('splits examples as documented', () => {
    expect(allocate(100n, [1n, 1n, 1n])).toEqual([33n, 33n, 34n]);
    expect(allocate(5n, [1n, 0n])).toEqual([5n, 0n]);
    expect(allocate(5n, [0n, 1n])).toEqual([0n, 5n]);
    expect(allocate(0n, [3n, 7n])).toEqual([0n, 0n]);
    expect(allocate(1001n, [70n, 30n])).toEqual([700n, 301n]);
  });

  it('refuses no weights, negative weights and all-zero weights', () => {
    expect(() => allocate(10n, [])).toThrow(RangeError);
    expect(() => allocate(10n, [1n, -1n])).toThrow(RangeError);
    expect(() => allocate(10n, [0n, 0n])).toThrow(RangeError);
  });
});

describe('divideHalfEven', () => {
  /** Reference: floor division of the normalized fraction, then half-even rounding of the rest. */
  function reference(numerator: bigint, denominator: bigint): bigint {
    const n = denominator < 0n ? -numerator : numerator;
    const d = denominator < 0n ? -denominator : denominator;
    let floor = n / d;
    if (n % d !== 0n && n < 0n) floor -= 1n;
    const rest = n - floor * d; // 0 <= rest < d
    if (2n * rest > d) return floor + 1n;
    if (2n * rest < d) return floor;
    return floor % 2n === 0n ? floor : floor + 1n;
  }

  it('matches the reference', () => {
    const denominator = fc.oneof(fc.bigInt({ min: -1000n, max: 1000n }), fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n })).filter((d) => d !== 0n);
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: -5000n, max: 5000n }), fc.bigInt({ min: -(10n ** 24n), max: 10n ** 24n })), denominator, (n, d) => {
        expect(divideHalfEven(n, d)).toBe(reference(n, d));
      }),
      { numRuns: 3000 },
    );
  });

  it('rounds exact ties to even', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 6n }), (q, half) => {
        // (2q + 1) / 2 is exactly halfway between q and q + 1.
        const d = 2n * half;
        const result = divideHalfEven((2n * q + 1n) * half, d);
        expect(result === q || result === q + 1n).toBe(true);
        expect(result % 2n).toBe(0n);
      }),
    );
    expect([1n, 3n, 5n, 7n, -1n, -3n, -5n, -7n].map((n) => divideHalfEven(n, 2n))).toEqual([0n, 2n, 2n, 4n, 0n, -2n, -2n, -4n]);
    expect(divideHalfEven(25n, 10n)).toBe(2n);
    expect(divideHalfEven(35n, 10n)).toBe(4n);
    expect(divideHalfEven(26n, 10n)).toBe(3n);
    expect(divideHalfEven(24n, 10n)).toBe(2n);
    expect(divideHalfEven(2n, 3n)).toBe(1n);
    expect(divideHalfEven(1n, 3n)).toBe(0n);
  });

  it('is symmetric for negatives', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (n, d) => {
        const positive = divideHalfEven(n, d);
        expect(divideHalfEven(-n, d)).toBe(-positive);
        expect(divideHalfEven(n, -d)).toBe(-positive);
        expect(divideHalfEven(-n, -d)).toBe(positive);
      }),
    );
  });

  it('refuses division by zero', () => {
    expect(() => divideHalfEven(1n, 0n)).toThrow(RangeError);
    expect(() => divideHalfEven(0n, 0n)).toThrow(RangeError);
  });
});

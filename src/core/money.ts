/**
 * Money arithmetic. An amount is a `bigint` count of the currency's minor unit; the currency's ISO
 * 4217 exponent decides the minor unit (INR 2, JPY 0, KWD 3). No function here ever goes through a
 * JavaScript `number` for an amount, so no value is ever rounded by floating point.
 */
import currencyCodes from 'currency-codes';
import { validationError } from './errors.js';

export interface Currency {
  readonly code: string;
  /** Number of decimal digits of the minor unit. */
  readonly exponent: number;
}

export interface Money {
  readonly amountMinor: bigint;
  readonly currency: string;
}

/**
 * The largest amount a single request may carry, in minor units. It keeps every balance far from
 * the int8 range of the database (about 9.2e18) and rejects obviously absurd inputs.
 */
export const AMOUNT_MINOR_MAX = 10n ** 15n - 1n;

const currencyCache = new Map<string, Currency>();
const NON_MONEY_CODES = new Set([
  'XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX',
]);

/** Returns the currency for an ISO 4217 code, or undefined when the code is not a current currency. */
export function findCurrency(code: string): Currency | undefined {
  const cached = currencyCache.get(code);
  if (cached !== undefined) return cached;
  if (!/^[A-Z]{3}$/.test(code)) return undefined;
  const entry = currencyCodes.code(code);
  // Precious metals, bond units, SDR and the test codes have no minor unit in ISO 4217 ("N.A."); the
  // data set reports them as 0 digits, so they are excluded by name. Real X-currencies (XAF, XCD,
  // XOF, XPF) stay.
  if (entry === undefined || !Number.isInteger(entry.digits) || NON_MONEY_CODES.has(code)) return undefined;
  const currency: Currency = { code, exponent: entry.digits };
  currencyCache.set(code, currency);
  return currency;
}

/** Like findCurrency, but a validation error (code `unsupported_currency`) when the code is unknown. */
export function currencyOf(code: string): Currency {
  const currency = findCurrency(code);
  if (currency === undefined) {
    throw validationError('unsupported_currency', `Unknown or unsupported currency: ${code}.`, 'currency');
  }
  return currency;
}

export interface ParseAmountOptions {
  /** Name of the field, for the error message. */
  readonly field?: string;
  /** Whether zero is an acceptable value (for example a filter bound). Default: false. */
  readonly allowZero?: boolean;
  /** Upper bound in minor units. Default: AMOUNT_MINOR_MAX. */
  readonly maxMinor?: bigint;
}

const DECIMAL_PATTERN = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses an amount from the wire: a decimal string ("5000", "5000.5", "5000.50") or a JSON number.
 * Refuses, with a validation error of code `invalid_amount`: non-numeric values, exponents, signs,
 * blanks, more decimals than the currency allows, negatives, zero (unless allowed) and values past
 * the maximum. A JSON number is accepted only when it is exactly what was written (a safe value);
 * its shortest round-trip decimal form is parsed like a string.
 */
export function parseAmount(input: unknown, currency: Currency, options: ParseAmountOptions = {}): bigint {
  const field = options.field ?? 'amount';
  const fail = (why: string) => validationError('invalid_amount', `${field} ${why}`, field);
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw fail('must be a finite decimal number.');
    if (input < 0 || Object.is(input, -0)) throw fail('must not be negative.');
    if (input > Number.MAX_SAFE_INTEGER) throw fail('is too large; send large amounts as a decimal string.');
    text = String(input);
    if (text.includes('e')) throw fail(`must have at most ${currency.exponent} decimal places.`);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    throw fail('must be a decimal string such as "5000.00".');
  }
  if (text.startsWith('-')) throw fail('must not be negative.');
  const match = DECIMAL_PATTERN.exec(text);
  if (match === null) throw fail('must be a decimal string such as "5000.00".');
  const wholePart = match[1] ?? '0';
  const fractionPart = match[2] ?? '';
  if (fractionPart.length > currency.exponent) {
    throw fail(`must have at most ${currency.exponent} decimal places for ${currency.code}.`);
  }
  if (wholePart.length > 19) throw fail('is too large.');
  const amountMinor =
    BigInt(wholePart) * 10n ** BigInt(currency.exponent) +
    BigInt(fractionPart.padEnd(currency.exponent, '0') || '0');
  if (amountMinor === 0n && options.allowZero !== true) throw fail('must be greater than zero.');
  const maxMinor = options.maxMinor ?? AMOUNT_MINOR_MAX;
  if (amountMinor > maxMinor) throw fail(`must be at most ${formatAmount(maxMinor, currency)}.`);
  return amountMinor;
}

/** Formats minor units as a decimal string with exactly the currency's decimals: 500000n → "5000.00". */
export function formatAmount(amountMinor: bigint, currency: Currency): string {
  const negative = amountMinor < 0n;
  const digits = (negative ? -amountMinor : amountMinor).toString();
  if (currency.exponent === 0) return `${negative ? '-' : ''}${digits}`;
  const padded = digits.padStart(currency.exponent + 1, '0');
  const whole = padded.slice(0, padded.length - currency.exponent);
  const fraction = padded.slice(padded.length - currency.exponent);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/**
 * Splits a total into parts proportional to the given weights, rounding each part down and giving
 * the remainder to the last part, so that the parts always sum to the total.
 */
export function allocate(totalMinor: bigint, weights: readonly bigint[]): bigint[] {
  if (weights.length === 0) throw new RangeError('allocate needs at least one weight');
  if (weights.some((weight) => weight < 0n)) throw new RangeError('weights must not be negative');
  const weightSum = weights.reduce((sum, weight) => sum + weight, 0n);
  if (weightSum === 0n) throw new RangeError('weights must not all be zero');
  const parts = weights.map((weight) => (totalMinor * weight) / weightSum);
  const allocated = parts.reduce((sum, part) => sum + part, 0n);
  parts[parts.length - 1] = (parts[parts.length - 1] ?? 0n) + (totalMinor - allocated);
  return parts;
}

/** Divides with rounding half to even (banker's rounding), for interest and instalments. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let quotient = n / d;
  const twiceRemainder = (n % d) * 2n;
  if (twiceRemainder > d || (twiceRemainder === d && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

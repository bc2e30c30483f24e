/**
 * Customer account numbers: 12 digits, the last one a check digit computed with the Damm algorithm,
 * so that every mistyped single digit and every swap of two neighbouring digits is caught before
 * any lookup (the Luhn algorithm misses the 09/90 swap; Damm misses none).
 */
export const ACCOUNT_NUMBER_LENGTH = 12;

// The Damm operation table: a totally anti-symmetric quasigroup of order 10.
const DAMM_TABLE: readonly (readonly number[])[] = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function dammInterim(digits: string): number {
  let interim = 0;
  for (const character of digits) {
    const digit = character.charCodeAt(0) - 48;
    if (digit < 0 || digit > 9) throw new RangeError('digits only');
    interim = DAMM_TABLE[interim]?.[digit] ?? 0;
  }
  return interim;
}

/** The Damm check digit of a string of digits (appending it makes the whole string check to 0). */
export function checkDigit(digits: string): number {
  return dammInterim(digits);
}

/** Builds an account number from 11 payload digits (the first not zero). */
export function accountNumberFromPayload(payload: string): string {
  if (!/^[1-9][0-9]{10}$/.test(payload)) throw new RangeError('payload must be 11 digits, not starting with 0');
  return `${payload}${checkDigit(payload)}`;
}

/** Builds an account number from random bytes (at least 8), so the caller decides the randomness source. */
export function accountNumberFromRandom(random: Uint8Array): string {
  if (random.length < 8) throw new RangeError('need at least 8 random bytes');
  let value = 0n;
  for (const byte of random.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  const payload = (10n ** 10n + (value % (9n * 10n ** 10n))).toString();
  return accountNumberFromPayload(payload);
}

/** Whether a string is a well-formed Kosh account number with a correct check digit. */
export function isValidAccountNumber(number: string): boolean {
  return /^[1-9][0-9]{11}$/.test(number) && dammInterim(number) === 0;
}

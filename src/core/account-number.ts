/**
 * Customer account numbers: 12 digits, the last one a Luhn check digit, so that a mistyped digit or
 * a swap of two neighbouring digits is caught before any lookup.
 */
export const ACCOUNT_NUMBER_LENGTH = 12;

/** Computes the Luhn check digit for a string of digits. */
export function luhnCheckDigit(digits: string): number {
  let sum = 0;
  for (let index = 0; index < digits.length; index += 1) {
    // Double every second digit counting from the right of the final number, whose last digit is the
    // check digit itself, so the rightmost payload digit is doubled.
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** Builds an account number from 11 payload digits (the first not zero). */
export function accountNumberFromPayload(payload: string): string {
  if (!/^[1-9][0-9]{10}$/.test(payload)) throw new RangeError('payload must be 11 digits, not starting with 0');
  return `${payload}${luhnCheckDigit(payload)}`;
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
  if (!/^[1-9][0-9]{11}$/.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === Number(number.slice(-1));
}

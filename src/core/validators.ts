/**
 * Validators and normalizers for identity and payment data: email addresses, phone numbers
 * (Indian mobiles and E.164), usernames, dates of birth, UPI IDs, IFSC codes and account numbers
 * of other banks. Pure functions: each returns the normalized value, or undefined when the input
 * is not valid.
 */
import { isCalendarDate } from './time.js';

const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{2,31}$/;

/** Usernames are 3 to 32 characters: letters, digits, dot, underscore, hyphen; compared without case. */
export function normalizeUsername(input: string): string | undefined {
  const username = input.trim().toLowerCase();
  return USERNAME_PATTERN.test(username) ? username : undefined;
}

// A pragmatic subset of RFC 5321/5322: one @, a dot-separated domain with a letter TLD, no spaces.
const EMAIL_PATTERN = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function normalizeEmail(input: string): string | undefined {
  const email = input.trim();
  if (email.length > 254 || !EMAIL_PATTERN.test(email) || email.includes('..')) return undefined;
  return email.toLowerCase();
}

/**
 * Normalizes a phone number to E.164. Indian mobile numbers may be written with or without +91 or
 * a leading 0, with spaces or hyphens: "98765 43210", "+91-98765-43210", "09876543210". Indian
 * mobiles have 10 digits starting with 6 to 9; other countries must be given in E.164 form.
 */
export function normalizePhone(input: string): string | undefined {
  const compact = input.trim().replace(/[\s\-().]/g, '');
  let match = /^(?:\+91|0091|91|0)?([6-9][0-9]{9})$/.exec(compact);
  if (match !== null) return `+91${match[1]}`;
  match = /^\+([1-9][0-9]{6,14})$/.exec(compact);
  if (match === null) return undefined;
  // +91 numbers that are not valid mobiles are refused rather than passed through as E.164.
  if (match[1]?.startsWith('91')) return undefined;
  return `+${match[1]}`;
}

/** A date of birth is a real calendar date in the past, at most 130 years ago. */
export function isPlausibleDateOfBirth(date: string, today: string): boolean {
  if (!isCalendarDate(date)) return false;
  if (date >= today) return false;
  const oldest = `${String(Number(today.slice(0, 4)) - 130).padStart(4, '0')}${today.slice(4)}`;
  return date >= oldest;
}

// NPCI's form of a virtual payment address: a handle of 2 to 256 characters (letters, digits, dot,
// hyphen, underscore), "@", and the payment service provider's handle (letters only).
const UPI_ID_PATTERN = /^[a-z0-9._-]{2,256}@[a-z]{2,64}$/;

/** Normalizes a UPI ID (`name@bank`) to lower case; UPI IDs are not case-sensitive. */
export function normalizeUpiId(input: string): string | undefined {
  const upiId = input.trim().toLowerCase();
  return UPI_ID_PATTERN.test(upiId) ? upiId : undefined;
}

// RBI's Indian Financial System Code: 4 letters (the bank), a zero (reserved), 6 letters or digits (the branch).
const IFSC_PATTERN = /^[A-Z]{4}0[A-Z0-9]{6}$/;

/** Normalizes an IFSC code to upper case. */
export function normalizeIfsc(input: string): string | undefined {
  const ifsc = input.trim().toUpperCase();
  return IFSC_PATTERN.test(ifsc) ? ifsc : undefined;
}

/**
 * Normalizes the account number of an account at another bank: 9 to 18 digits (Indian banks use
 * no common length), written with or without spaces or hyphens. Kosh's own numbers are checked by
 * core/account-number.ts instead (12 digits with a check digit).
 */
export function normalizeExternalAccountNumber(input: string): string | undefined {
  const number = input.trim().replace(/[\s-]/g, '');
  return /^[0-9]{9,18}$/.test(number) && !/^0+$/.test(number) ? number : undefined;
}

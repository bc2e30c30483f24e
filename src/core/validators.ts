/**
 * Validators and normalizers for identity data: email addresses, phone numbers (Indian mobiles
 * and E.164), usernames and dates of birth. Pure functions.
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

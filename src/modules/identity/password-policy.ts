/**
 * The password policy (OWASP ASVS 5.0, V6.2): 8 to 128 characters (counted as Unicode code
 * points), any characters, no composition rules; refused when it is one of the ~49,000 most common
 * passwords (the zxcvbn-ts common dictionary, compared without regard to case) or contains the
 * username or the email's local part. A 422 says which rule failed.
 */
import { dictionary } from '@zxcvbn-ts/language-common';
import { validationError } from '../../core/errors.js';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from './passwords.js';

/** A password this long or longer is what the messages recommend. */
export const PASSWORD_LENGTH_RECOMMENDED = 15;

/** Email local parts shorter than this are not looked for (they would refuse most passwords). */
const EMAIL_LOCAL_LENGTH_MIN = 3;

let common: ReadonlySet<string> | undefined;

function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(dictionary['passwords-common'].map((password) => password.toLowerCase()));
  return common;
}

/** How many common passwords the policy refuses (the dictionary's size). */
export function commonPasswordCount(): number {
  return commonPasswords().size;
}

/**
 * Checks a new password. Errors (422): password_too_short, password_too_long, password_too_common,
 * password_contains_identity, each naming `field` (default "password").
 */
export function checkPasswordPolicy(password: string, options: { username: string; email: string; field?: string }): void {
  const field = options.field ?? 'password';
  const length = [...password].length;
  if (length < PASSWORD_LENGTH_MIN) {
    throw validationError(
      'password_too_short',
      `${field} must have at least ${PASSWORD_LENGTH_MIN} characters; ${PASSWORD_LENGTH_RECOMMENDED} or more is better (a passphrase of several words is easy to remember).`,
      field,
    );
  }
  if (length > PASSWORD_LENGTH_MAX) {
    throw validationError('password_too_long', `${field} must have at most ${PASSWORD_LENGTH_MAX} characters.`, field);
  }
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) {
    throw validationError('password_too_common', `${field} is one of the most commonly used passwords, which attackers try first; choose another.`, field);
  }
  const username = options.username.toLowerCase();
  const emailLocal = (options.email.split('@')[0] ?? '').toLowerCase();
  if ((username.length > 0 && lower.includes(username)) || (emailLocal.length >= EMAIL_LOCAL_LENGTH_MIN && lower.includes(emailLocal))) {
    throw validationError('password_contains_identity', `${field} must not contain your username or email.`, field);
  }
}

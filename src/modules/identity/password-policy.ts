/**
 * The password policy (OWASP ASVS 5.0): length 8 to 128 characters, any characters, no
 * composition rules. A 422 says which rule failed.
 */
import { validationError } from '../../core/errors.js';
import { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN } from './passwords.js';

export function checkPasswordPolicy(password: string, options: { username: string; email: string; field?: string }): void {
  const field = options.field ?? 'password';
  const length = [...password].length;
  if (length < PASSWORD_LENGTH_MIN) {
    throw validationError('password_too_short', `${field} must have at least ${PASSWORD_LENGTH_MIN} characters (15 or more is better).`, field);
  }
  if (length > PASSWORD_LENGTH_MAX) {
    throw validationError('password_too_long', `${field} must have at most ${PASSWORD_LENGTH_MAX} characters.`, field);
  }
  const lower = password.toLowerCase();
  const emailLocal = options.email.split('@')[0] ?? '';
  if (lower.includes(options.username) || (emailLocal.length >= 3 && lower.includes(emailLocal))) {
    throw validationError('password_contains_identity', `${field} must not contain your username or email.`, field);
  }
}

/**
 * The second factor at sign-in. The login use case calls checkSecondFactor after the password has
 * been verified, and opens a session only on 'not_enrolled' or 'passed'.
 */
import type { AppContext } from '../../platform/context.js';
import { checkTwoFactorCode } from './two-factor.js';
import { findTwoFactor } from './two-factor-store.js';

export type SecondFactorOutcome = 'not_enrolled' | 'passed' | 'missing' | 'invalid';

/**
 * Checks the one-time code (or recovery code) a user sent at sign-in, when they use 2FA.
 * 'not_enrolled': two-factor authentication is not on (a pending enrolment does not count), whatever
 * was sent. 'missing': it is on and no code was sent. 'passed': a TOTP code of the current time step
 * or one either side (by context.now()) that was not used before, or an unused recovery code (now
 * used, and audited). 'invalid': anything else, including every code while wrong codes have locked
 * the second factor (TWO_FACTOR_LOCKOUT_THRESHOLD / TWO_FACTOR_LOCKOUT_MINUTES).
 */
export async function checkSecondFactor(context: AppContext, userId: string, otp: string | undefined): Promise<SecondFactorOutcome> {
  const record = await findTwoFactor(context.db, userId);
  if (record === undefined || record.enabledAt === null) return 'not_enrolled';
  if (otp === undefined || otp.trim() === '') return 'missing';
  const check = await checkTwoFactorCode(context, { userId, role: null }, userId, otp);
  return check === 'passed' ? 'passed' : 'invalid';
}

/**
 * The second factor at sign-in. Until TOTP enrolment exists no user is enrolled.
 */
import type { AppContext } from '../../platform/context.js';

export type SecondFactorOutcome = 'not_enrolled' | 'passed' | 'missing' | 'invalid';

/** Checks the one-time code (or recovery code) a user sent at sign-in, when they use 2FA. */
export async function checkSecondFactor(_context: AppContext, _userId: string, _otp: string | undefined): Promise<SecondFactorOutcome> {
  return 'not_enrolled';
}

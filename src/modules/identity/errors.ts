import { DomainError, conflict, forbidden, notFound, validationError } from '../../core/errors.js';

export const identityErrors = {
  usernameTaken: () => conflict('username_taken', 'This username is already registered.'),
  emailTaken: () => conflict('email_taken', 'This email address is already registered.'),
  invalidUsername: () =>
    validationError('invalid_username', 'username must be 3 to 32 characters: letters, digits, ".", "_" or "-", starting with a letter or digit.', 'username'),
  invalidEmail: () => validationError('invalid_email', 'email is not a valid email address.', 'email'),
  invalidPhone: () =>
    validationError('invalid_phone', 'phone must be an Indian mobile number (10 digits starting with 6 to 9) or an international number in E.164 form.', 'phone'),
  invalidDateOfBirth: () => validationError('invalid_date_of_birth', 'date_of_birth must be a past date in YYYY-MM-DD form.', 'date_of_birth'),
  invalidCredentials: () =>
    new DomainError({ code: 'invalid_credentials', kind: 'unauthenticated', message: 'The username or password is incorrect.' }),
  invalidRefreshToken: () =>
    new DomainError({ code: 'invalid_refresh_token', kind: 'unauthenticated', message: 'The refresh token is invalid, expired or already used.' }),
  // Profile, KYC and user management (profile.ts, kyc.ts, admin-users.ts).
  emptyUpdate: () => validationError('empty_update', 'Send at least one of full_name, email, phone or date_of_birth.'),
  selfChangeForbidden: () => forbidden('self_change_forbidden', 'Nobody may change their own role, status or KYC; ask another administrator.'),
  superAdminRequired: (what: string) => forbidden('super_admin_required', `Only a super admin may ${what}.`),
  lastSuperAdmin: () => conflict('last_super_admin', 'This is the last active super admin; make another user super admin first.'),
  userAlreadyBlocked: () => conflict('user_already_blocked', 'This user is already blocked.'),
  userNotBlocked: () => conflict('user_not_blocked', 'This user is not blocked.'),
  notACustomer: () => conflict('not_a_customer', 'KYC applies to customers only.'),
  // Sign-in, sessions and lockout (sessions.ts, lockout.ts).
  otpRequired: () =>
    new DomainError({
      code: 'otp_required',
      kind: 'unauthenticated',
      message: 'This account uses two-factor authentication: sign in again with the code from your authenticator app in the otp field.',
    }),
  otpInvalidAtLogin: () =>
    new DomainError({ code: 'otp_invalid', kind: 'unauthenticated', message: 'The authentication code is incorrect, already used or expired.' }),
  sessionNotFound: () => notFound('session_not_found', 'No such session.'),
  invalidPassword: () => forbidden('invalid_password', 'The current password is incorrect.'),
  passwordRequired: () =>
    new DomainError({
      code: 'password_required',
      kind: 'precondition_required',
      message: 'Changing the email or phone number needs your current password: send it in current_password.',
    }),
  userNotFound: () => notFound('user_not_found', 'No such user.'),
  // Transaction PIN and two-factor authentication (pin.ts, two-factor.ts).
  invalidPin: () => validationError('invalid_pin', 'pin must be 4 to 6 digits.', 'pin'),
  pinTooSimple: () =>
    validationError('pin_too_simple', 'This PIN is too easy to guess (repeated digits, a run such as 1234, or a repeated pattern); choose another.', 'pin'),
  pinRequired: () =>
    new DomainError({ code: 'pin_required', kind: 'precondition_required', message: 'This amount needs your transaction PIN: send it in the pin field.' }),
  pinNotSet: () =>
    new DomainError({
      code: 'pin_not_set',
      kind: 'precondition_required',
      message: 'This amount needs a transaction PIN, and you have not set one: set it first with PUT /api/v1/users/me/pin.',
    }),
  pinInvalid: (attemptsLeft: number) =>
    forbidden('pin_invalid', `The transaction PIN is incorrect; ${attemptsLeft} attempt${attemptsLeft === 1 ? '' : 's'} left before it is locked.`),
  pinLocked: (retryAfterSeconds: number) =>
    new DomainError({
      code: 'pin_locked',
      kind: 'rate_limited',
      message: 'Too many wrong PINs: the transaction PIN is locked for a while. Try again later.',
      retryAfterSeconds,
    }),
  otpInvalid: () => forbidden('otp_invalid', 'The authentication code is incorrect, already used or expired.'),
  twoFactorAlreadyEnabled: () => conflict('two_factor_already_enabled', 'Two-factor authentication is already on; turn it off first to enrol again.'),
  twoFactorNotPending: () => conflict('two_factor_not_pending', 'There is no enrolment to confirm: start with POST /api/v1/users/me/2fa/enroll.'),
  twoFactorNotEnabled: () => conflict('two_factor_not_enabled', 'Two-factor authentication is not on.'),
  twoFactorLocked: (retryAfterSeconds: number) =>
    new DomainError({
      code: 'two_factor_locked',
      kind: 'rate_limited',
      message: 'Too many wrong authentication codes: codes are refused for a while. Try again later.',
      retryAfterSeconds,
    }),
};

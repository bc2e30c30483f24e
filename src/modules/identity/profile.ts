/**
 * The signed-in user's own profile: name, email, phone and date of birth.
 */
import { maskDateOfBirth, maskEmail, maskPhone } from '../../core/masking.js';
import { localDate } from '../../core/time.js';
import { isPlausibleDateOfBirth, normalizeEmail, normalizePhone } from '../../core/validators.js';
import type { AppContext } from '../../platform/context.js';
import { sqlState } from '../../platform/db/transaction.js';
import type { Principal } from '../../platform/http/auth.js';
import { recordAudit } from '../audit/index.js';
import { identityErrors } from './errors.js';
import { verifyPassword } from './passwords.js';
import { findUserById, withoutCredentials, type User } from './store.js';
import { emailTakenByAnother, lockUser, updateProfileColumns, type ProfileColumns } from './users-store.js';

export interface ProfileInput {
  readonly fullName?: string | undefined;
  readonly email?: string | undefined;
  /** null (or an empty string) removes the phone number. */
  readonly phone?: string | null | undefined;
  /** null removes the date of birth. */
  readonly dateOfBirth?: string | null | undefined;
  /** Needed when the email or phone number changes (they reach the customer about their account). */
  readonly currentPassword?: string | undefined;
}

/** The signed-in user. Errors: invalid_credentials (401) when the user no longer exists. */
export async function getProfile(context: AppContext, principal: Principal): Promise<User> {
  const user = await findUserById(context.db, principal.userId);
  if (user === undefined) throw identityErrors.invalidCredentials();
  return withoutCredentials(user);
}

/** Validates and normalizes the fields that were sent (undefined: not sent). */
function normalizeChanges(context: AppContext, input: ProfileInput): ProfileColumns {
  const changes: { -readonly [K in keyof ProfileColumns]: ProfileColumns[K] } = {};
  if (input.fullName !== undefined) changes.fullName = input.fullName.trim();
  if (input.email !== undefined) {
    const email = normalizeEmail(input.email);
    if (email === undefined) throw identityErrors.invalidEmail();
    changes.email = email;
  }
  if (input.phone !== undefined) {
    if (input.phone === null || input.phone.trim() === '') {
      changes.phone = null;
    } else {
      const phone = normalizePhone(input.phone);
      if (phone === undefined) throw identityErrors.invalidPhone();
      changes.phone = phone;
    }
  }
  if (input.dateOfBirth !== undefined) {
    const today = localDate(context.now(), context.config.BANK_TIMEZONE);
    if (input.dateOfBirth !== null && !isPlausibleDateOfBirth(input.dateOfBirth, today)) throw identityErrors.invalidDateOfBirth();
    changes.dateOfBirth = input.dateOfBirth;
  }
  return changes;
}

/** The fields of `changes` whose value differs from the user's. */
function actualChanges(user: User, changes: ProfileColumns): ProfileColumns {
  const current: Required<ProfileColumns> = { fullName: user.fullName, email: user.email, phone: user.phone, dateOfBirth: user.dateOfBirth };
  return Object.fromEntries(
    Object.entries(changes).filter(([key, value]) => current[key as keyof ProfileColumns] !== value),
  ) as ProfileColumns;
}

/** Re-authenticates a change of email or phone number (argon2 runs before any transaction opens). */
async function checkContactChange(principal: Principal, changes: ProfileColumns, password: string | undefined, context: AppContext): Promise<void> {
  const user = await findUserById(context.db, principal.userId);
  if (user === undefined) throw identityErrors.invalidCredentials();
  const changed = actualChanges(withoutCredentials(user), changes);
  if (changed.email === undefined && changed.phone === undefined) return;
  if (password === undefined) throw identityErrors.passwordRequired();
  if (!(await verifyPassword(user.passwordHash, password))) throw identityErrors.invalidPassword();
}

/** A profile for the audit log: contact details masked, as auditors read it. */
function auditView(fields: ProfileColumns): Record<string, string | null> {
  const view: Record<string, string | null> = {};
  if (fields.fullName !== undefined) view.full_name = fields.fullName;
  if (fields.email !== undefined) view.email = maskEmail(fields.email);
  if (fields.phone !== undefined) view.phone = fields.phone === null ? null : maskPhone(fields.phone);
  if (fields.dateOfBirth !== undefined) view.date_of_birth = fields.dateOfBirth === null ? null : maskDateOfBirth(fields.dateOfBirth);
  return view;
}

/**
 * Changes some of the signed-in user's profile fields; fields not sent stay as they are. The
 * email is normalized to lower case, an Indian mobile number to +91 E.164. Guarantees: nothing
 * else of the user can change here (role, status and KYC are the administrators'); the change and
 * its audit row `user.profile_updated` (changed fields only, before and after, contact details
 * masked) commit together; sending the current values changes nothing and records nothing.
 * Changing the email or phone number needs the current password, so that a stolen session cannot
 * redirect the bank's messages. Errors: empty_update, invalid_email, invalid_phone,
 * invalid_date_of_birth (422), password_required (428), invalid_password (403), email_taken (409).
 */
export async function updateProfile(context: AppContext, principal: Principal, input: ProfileInput): Promise<User> {
  const changes = normalizeChanges(context, input);
  if (Object.keys(changes).length === 0) throw identityErrors.emptyUpdate();
  await checkContactChange(principal, changes, input.currentPassword, context);
  if (changes.email !== undefined && (await emailTakenByAnother(context.db, { email: changes.email, userId: principal.userId }))) {
    throw identityErrors.emailTaken();
  }
  try {
    return await context.transact(async (tx) => {
      const user = await lockUser(tx, principal.userId);
      if (user === undefined) throw identityErrors.invalidCredentials();
      const changed = actualChanges(user, changes);
      if (Object.keys(changed).length === 0) return withoutCredentials(user);
      const updated = await updateProfileColumns(tx, { id: user.id, changes: changed, now: context.now() });
      const before = Object.fromEntries(Object.keys(changed).map((key) => [key, user[key as keyof ProfileColumns]])) as ProfileColumns;
      await recordAudit(tx, {
        actor: principal,
        action: 'user.profile_updated',
        target: { type: 'user', id: user.id },
        before: auditView(before),
        after: auditView(changed),
      });
      return withoutCredentials(updated);
    });
  } catch (error) {
    // Lost a race with another user taking the same email.
    if (sqlState(error) === '23505') throw identityErrors.emailTaken();
    throw error;
  }
}

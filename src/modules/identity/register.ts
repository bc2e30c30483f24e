import type { Role } from '../../core/roles.js';
import { isPlausibleDateOfBirth, normalizeEmail, normalizePhone, normalizeUsername } from '../../core/validators.js';
import { localDate } from '../../core/time.js';
import type { AppContext } from '../../platform/context.js';
import { recordAudit, SYSTEM_ACTOR, type AuditActor } from '../audit/index.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import { newId } from '../../platform/ids.js';
import { identityErrors } from './errors.js';
import { checkPasswordPolicy } from './password-policy.js';
import { hashPassword } from './passwords.js';
import { insertUser, usernameOrEmailTaken, withoutCredentials, type User } from './store.js';

export interface RegisterInput {
  readonly username: string;
  readonly password: string;
  readonly email: string;
  readonly fullName: string;
  readonly phone?: string | null | undefined;
  readonly dateOfBirth?: string | null | undefined;
  readonly role?: Role;
  /** Who registers: the anonymous request of a sign-up, an admin, or the system (seed) by default. */
  readonly actor?: AuditActor;
}

/**
 * Registers a user (a customer unless a role is given by trusted code such as the seed).
 * Guarantees: usernames and emails are unique without regard to case; only the Argon2id hash of the
 * password is stored; the audit row `user.registered` commits with the user. Errors: invalid_username,
 * invalid_email, invalid_phone, invalid_date_of_birth, password_too_short, password_too_long,
 * password_too_common, password_contains_identity (422); username_taken, email_taken (409).
 */
export async function registerUser(context: AppContext, input: RegisterInput): Promise<User> {
  const username = normalizeUsername(input.username);
  if (username === undefined) throw identityErrors.invalidUsername();
  const email = normalizeEmail(input.email);
  if (email === undefined) throw identityErrors.invalidEmail();
  let phone: string | null = null;
  if (input.phone !== undefined && input.phone !== null && input.phone !== '') {
    phone = normalizePhone(input.phone) ?? null;
    if (phone === null) throw identityErrors.invalidPhone();
  }
  const dateOfBirth = input.dateOfBirth ?? null;
  if (dateOfBirth !== null && !isPlausibleDateOfBirth(dateOfBirth, localDate(context.now(), context.config.BANK_TIMEZONE))) {
    throw identityErrors.invalidDateOfBirth();
  }
  checkPasswordPolicy(input.password, { username, email });

  const taken = await usernameOrEmailTaken(context.db, username, email);
  if (taken === 'username') throw identityErrors.usernameTaken();
  if (taken === 'email') throw identityErrors.emailTaken();
  const passwordHash = await hashPassword(input.password);
  const user = await context.transact(async (tx) => {
    const inserted = await insertUser(tx, {
      id: newId(),
      username,
      email,
      fullName: input.fullName.trim(),
      phone,
      dateOfBirth,
      passwordHash,
      role: input.role ?? 'customer',
    });
    if (inserted !== undefined) {
      await writeOutbox(tx, [
        {
          topic: 'user.registered',
          userIds: [inserted.id],
          payload: { user_id: inserted.id, username: inserted.username, email: inserted.email, full_name: inserted.fullName },
        },
      ]);
      await recordAudit(tx, {
        actor: input.actor ?? SYSTEM_ACTOR,
        action: 'user.registered',
        target: { type: 'user', id: inserted.id },
        after: { username: inserted.username, role: inserted.role },
      });
    }
    return inserted;
  });
  if (user === undefined) {
    // Lost a race with a concurrent registration of the same name or email.
    const raced = await usernameOrEmailTaken(context.db, username, email);
    throw raced === 'email' ? identityErrors.emailTaken() : identityErrors.usernameTaken();
  }
  return withoutCredentials(user);
}

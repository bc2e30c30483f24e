import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { recordAudit } from '../audit/index.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import { identityErrors } from './errors.js';
import { checkPasswordPolicy } from './password-policy.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { revokeSessions, updatePasswordHash } from './session-store.js';
import { findUserById } from './store.js';

/**
 * Changes the caller's password after checking the current one. Guarantees: the new password
 * follows the policy; only its Argon2id hash is stored; every other session of the user is revoked
 * (the current one stays signed in), in the same transaction as the change and its audit row
 * `user.password_changed`. Errors: invalid_password (403, the current password is wrong);
 * password_too_short, password_too_long, password_too_common, password_contains_identity (422,
 * field new_password).
 */
export async function changePassword(context: AppContext, principal: Principal, input: { oldPassword: string; newPassword: string }): Promise<void> {
  const user = await findUserById(context.db, principal.userId);
  if (user === undefined) throw identityErrors.invalidPassword();
  if (!(await verifyPassword(user.passwordHash, input.oldPassword))) throw identityErrors.invalidPassword();
  checkPasswordPolicy(input.newPassword, { username: user.username, email: user.email, field: 'new_password' });
  const passwordHash = await hashPassword(input.newPassword);
  const now = context.now();
  await context.transact(async (tx) => {
    await updatePasswordHash(tx, { userId: user.id, passwordHash, now });
    const revoked = await revokeSessions(tx, { userId: user.id, exceptSessionId: principal.sessionId, reason: 'password_changed', now });
    await writeOutbox(tx, [{ topic: 'user.password_changed', userIds: [user.id], payload: { user_id: user.id } }]);
    await recordAudit(tx, {
      actor: principal,
      action: 'user.password_changed',
      target: { type: 'user', id: user.id },
      after: { other_sessions_revoked: revoked.length },
    });
  });
}

/**
 * User management by staff: the list of users with search and filters, one user, blocking and
 * unblocking, roles, and the audited reveal of a user's contact details.
 *
 * Who may do what (routes check the role, these use cases the rest):
 * - auditors, admins and super admins read the list and the details, with contact details masked;
 * - admins and super admins block and unblock users, and reveal contact details (audited);
 * - only a super admin blocks or unblocks an admin or a super admin, and only a super admin changes
 *   roles, the auditor role included: auditors oversee the administrators, so administrators do not
 *   choose them;
 * - nobody changes their own role or status, and the last active super admin can be neither
 *   demoted nor blocked.
 */
import { validationError } from '../../core/errors.js';
import type { Role } from '../../core/roles.js';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { Principal } from '../../platform/http/auth.js';
import { decodeCursor, encodeCursor } from '../../platform/http/schemas.js';
import { isUuid } from '../../platform/ids.js';
import { recordAudit } from '../audit/index.js';
import { identityErrors } from './errors.js';
import { revokeSessions } from './session-store.js';
import { findUserById, withoutCredentials, type KycStatus, type User, type UserStatus, type UserWithCredentials } from './store.js';
import { listUserRows, lockActiveSuperAdmins, lockUser, updateRole, updateStatus } from './users-store.js';

const ADMIN_ROLES: readonly Role[] = ['admin', 'super_admin'];

export interface UserPage {
  readonly items: User[];
  readonly nextCursor: string | null;
}

/**
 * Users newest first, found by text in the username, email or full name, and filtered by role,
 * status and KYC status, with a stable cursor. Errors: invalid_cursor (422).
 */
export async function listUsers(
  context: AppContext,
  query: { text?: string | undefined; role?: Role | undefined; status?: UserStatus | undefined; kycStatus?: KycStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<UserPage> {
  const beforeSeq = decodeCursor(query.cursor);
  if (beforeSeq === 'invalid') throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  const text = query.text?.trim() === '' ? undefined : query.text?.trim();
  const rows = await listUserRows(context.db, { text, role: query.role, status: query.status, kycStatus: query.kycStatus, beforeSeq, limit: query.limit + 1 });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map((row) => withoutCredentials(row.user)),
    nextCursor: rows.length > query.limit && last !== undefined ? encodeCursor(last.seq) : null,
  };
}

/** One user. Errors: user_not_found (404). */
export async function getUser(context: AppContext, userId: string): Promise<User> {
  const user = isUuid(userId) ? await findUserById(context.db, userId) : undefined;
  if (user === undefined) throw identityErrors.userNotFound();
  return withoutCredentials(user);
}

/** Refuses changes of one's own account, and changes of administrators by anyone but a super admin. */
function checkAuthority(actor: Principal, target: User): void {
  if (actor.userId === target.id) throw identityErrors.selfChangeForbidden();
  if (ADMIN_ROLES.includes(target.role) && actor.role !== 'super_admin') {
    throw identityErrors.superAdminRequired('block, unblock or change an administrator');
  }
}

/**
 * Locks the target user for a change that may take away an active super admin. The active super
 * admins are locked first, in id order, so that two such changes queue and the last one standing
 * is always seen. Errors: user_not_found (404).
 */
async function lockTarget(tx: Tx, userId: string): Promise<{ user: UserWithCredentials; activeSuperAdmins: string[] }> {
  const activeSuperAdmins = await lockActiveSuperAdmins(tx);
  const user = await lockUser(tx, userId);
  if (user === undefined) throw identityErrors.userNotFound();
  return { user, activeSuperAdmins };
}

function checkNotLastSuperAdmin(user: User, activeSuperAdmins: readonly string[]): void {
  if (user.role === 'super_admin' && user.status === 'active' && activeSuperAdmins.every((id) => id === user.id)) {
    throw identityErrors.lastSuperAdmin();
  }
}

/**
 * Blocks a user: they can no longer sign in, and every session of theirs is revoked in the same
 * transaction, so their tokens stop working at once. Guarantees: the block, the revocations and the
 * audit row `user.blocked` commit together. Errors: user_not_found (404), self_change_forbidden,
 * super_admin_required (403), user_already_blocked, last_super_admin (409).
 */
export async function blockUser(context: AppContext, actor: Principal, input: { userId: string; reason: string }): Promise<User> {
  if (!isUuid(input.userId)) throw identityErrors.userNotFound();
  const reason = input.reason.trim();
  return context.transact(async (tx) => {
    const { user, activeSuperAdmins } = await lockTarget(tx, input.userId);
    checkAuthority(actor, user);
    if (user.status === 'blocked') throw identityErrors.userAlreadyBlocked();
    checkNotLastSuperAdmin(user, activeSuperAdmins);
    const now = context.now();
    const updated = await updateStatus(tx, { id: user.id, status: 'blocked', reason, changedBy: actor.userId, now });
    const revoked = await revokeSessions(tx, { userId: user.id, reason: 'revoked_all', now });
    await recordAudit(tx, {
      actor,
      action: 'user.blocked',
      target: { type: 'user', id: user.id },
      before: { status: user.status },
      after: { status: updated.status, reason, sessions_revoked: revoked.length },
    });
    return withoutCredentials(updated);
  });
}

/**
 * Unblocks a user: they may sign in again (their old sessions stay revoked). Guarantees: the change
 * and its audit row `user.unblocked` commit together. Errors: user_not_found (404),
 * self_change_forbidden, super_admin_required (403), user_not_blocked (409).
 */
export async function unblockUser(context: AppContext, actor: Principal, input: { userId: string; reason?: string | null | undefined }): Promise<User> {
  if (!isUuid(input.userId)) throw identityErrors.userNotFound();
  const reason = input.reason?.trim() ? input.reason.trim() : null;
  return context.transact(async (tx) => {
    const user = await lockUser(tx, input.userId);
    if (user === undefined) throw identityErrors.userNotFound();
    checkAuthority(actor, user);
    if (user.status !== 'blocked') throw identityErrors.userNotBlocked();
    const updated = await updateStatus(tx, { id: user.id, status: 'active', reason, changedBy: actor.userId, now: context.now() });
    await recordAudit(tx, {
      actor,
      action: 'user.unblocked',
      target: { type: 'user', id: user.id },
      before: { status: user.status, reason: user.statusReason },
      after: { status: updated.status, reason },
    });
    return withoutCredentials(updated);
  });
}

/**
 * Changes a user's role (super admins only). The user's access tokens carry the old role and stop
 * working at once; a refresh issues tokens with the new one. Setting the current role changes and
 * records nothing. Guarantees: the change and its audit row `user.role_changed` commit together; an
 * active super admin always remains. Errors: user_not_found (404), super_admin_required,
 * self_change_forbidden (403), last_super_admin (409).
 */
export async function changeRole(context: AppContext, actor: Principal, input: { userId: string; role: Role }): Promise<User> {
  if (actor.role !== 'super_admin') throw identityErrors.superAdminRequired('change roles');
  if (!isUuid(input.userId)) throw identityErrors.userNotFound();
  return context.transact(async (tx) => {
    const { user, activeSuperAdmins } = await lockTarget(tx, input.userId);
    if (actor.userId === user.id) throw identityErrors.selfChangeForbidden();
    if (user.role === input.role) return withoutCredentials(user);
    checkNotLastSuperAdmin(user, activeSuperAdmins);
    const updated = await updateRole(tx, { id: user.id, role: input.role, now: context.now() });
    await recordAudit(tx, {
      actor,
      action: 'user.role_changed',
      target: { type: 'user', id: user.id },
      before: { role: user.role },
      after: { role: updated.role },
    });
    return withoutCredentials(updated);
  });
}

/**
 * A user's full contact details for an administrator who states why they need them. Guarantees:
 * the audit row `user.pii_revealed` (with the reason) is committed before the details are
 * returned. Errors: user_not_found (404).
 */
export async function revealUser(context: AppContext, actor: Principal, input: { userId: string; reason: string }): Promise<User> {
  if (!isUuid(input.userId)) throw identityErrors.userNotFound();
  const reason = input.reason.trim();
  return context.transact(async (tx) => {
    const user = await findUserById(tx, input.userId);
    if (user === undefined) throw identityErrors.userNotFound();
    await recordAudit(tx, {
      actor,
      action: 'user.pii_revealed',
      target: { type: 'user', id: user.id },
      after: { fields: ['email', 'phone', 'date_of_birth'], reason },
    });
    return withoutCredentials(user);
  });
}

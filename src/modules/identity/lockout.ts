/**
 * Lockout after repeated failed sign-ins. LOGIN_LOCKOUT_THRESHOLD consecutive failures (wrong
 * passwords or wrong one-time codes) lock the user for LOGIN_LOCKOUT_MINUTES; while locked, every
 * sign-in is refused exactly like a wrong password. A successful sign-in resets the count; a lock
 * expires by itself or is lifted by an admin. The lock is audited as `user.locked` by the system,
 * the unlock as `user.unlocked` by the admin.
 */
import type { AppContext } from '../../platform/context.js';
import type { Principal, RequestOrigin } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { writeOutbox, type OutboxMessage } from '../../platform/outbox/index.js';
import { recordAudit } from '../audit/index.js';
import { deviceName } from './device.js';
import { identityErrors } from './errors.js';
import { identityEvents } from './events.js';
import { insertLoginAttempt, loginState, setLoginState, type LoginState } from './session-store.js';
import { findUserById } from './store.js';

/** The outbox event of a refused sign-in of a known user (the user may want to know). */
export function signInFailedMessage(attempt: { userId: string; ip: string | null; userAgent: string | null; outcome: string }): OutboxMessage {
  return {
    topic: 'user.sign_in_failed',
    userIds: [attempt.userId],
    payload: { user_id: attempt.userId, ip: attempt.ip, device: deviceName(attempt.userAgent), outcome: attempt.outcome },
  };
}

export function isLocked(state: LoginState, now: Date): boolean {
  return state.lockedUntil !== null && state.lockedUntil.getTime() > now.getTime();
}

/**
 * Counts a failed sign-in (wrong password or wrong code) and records the attempt; the failure that
 * reaches the threshold locks the user (and starts a new count). Emits `login.failed` and, on a
 * lock, `user.locked` after the commit.
 */
export async function recordSignInFailure(
  context: AppContext,
  options: {
    user: { id: string };
    origin: RequestOrigin;
    attempt: { username: string; ip: string | null; userAgent: string | null; outcome: 'bad_password' | 'otp_invalid' };
  },
): Promise<void> {
  const { user, origin, attempt } = options;
  const threshold = context.config.LOGIN_LOCKOUT_THRESHOLD;
  const now = context.now();
  const lock = await context.transact(async (tx) => {
    const state = (await loginState(tx, user.id, { forUpdate: true })) ?? { failedLoginCount: 0, lockedUntil: null };
    const failures = state.failedLoginCount + 1;
    const locks = threshold > 0 && failures >= threshold;
    const lockedUntil = locks ? new Date(now.getTime() + context.config.LOGIN_LOCKOUT_MINUTES * 60_000) : state.lockedUntil;
    await setLoginState(tx, user.id, { failedLoginCount: locks ? 0 : failures, lockedUntil });
    await insertLoginAttempt(tx, { ...attempt, at: now, userId: user.id });
    await writeOutbox(tx, [signInFailedMessage({ ...attempt, userId: user.id })]);
    if (!locks || lockedUntil === null) return undefined;
    await writeOutbox(tx, [
      {
        topic: 'user.locked',
        userIds: [user.id],
        payload: { user_id: user.id, locked_until: lockedUntil.toISOString(), failed_attempts: failures, ip: attempt.ip, device: deviceName(attempt.userAgent) },
      },
    ]);
    await recordAudit(tx, {
      actor: { userId: null, role: 'system', origin },
      action: 'user.locked',
      target: { type: 'user', id: user.id },
      before: { locked_until: state.lockedUntil },
      after: { locked_until: lockedUntil, failed_attempts: failures },
    });
    return { lockedUntil, failures };
  });
  const events = identityEvents(context);
  const device = deviceName(attempt.userAgent);
  events.emit('login.failed', { ...attempt, at: now, userId: user.id, device });
  if (lock !== undefined) {
    events.emit('user.locked', { at: now, userId: user.id, lockedUntil: lock.lockedUntil, failedAttempts: lock.failures, ip: attempt.ip, userAgent: attempt.userAgent, device });
  }
}

/**
 * Lifts a user's sign-in lock and clears the failure count (admins). Audited as `user.unlocked`
 * when there was something to clear. Errors: user_not_found (404).
 */
export async function unlockUser(context: AppContext, principal: Principal, userId: string): Promise<void> {
  if (!isUuid(userId)) throw identityErrors.userNotFound();
  await context.transact(async (tx) => {
    if ((await findUserById(tx, userId)) === undefined) throw identityErrors.userNotFound();
    const state = await loginState(tx, userId, { forUpdate: true });
    if (state === undefined || (state.lockedUntil === null && state.failedLoginCount === 0)) return;
    await setLoginState(tx, userId, { failedLoginCount: 0, lockedUntil: null });
    await recordAudit(tx, {
      actor: principal,
      action: 'user.unlocked',
      target: { type: 'user', id: userId },
      before: { locked_until: state.lockedUntil, failed_attempts: state.failedLoginCount, locked: isLocked(state, context.now()) },
      after: { locked_until: null, failed_attempts: 0 },
    });
  });
}

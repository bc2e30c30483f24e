/**
 * Sessions: sign-in, refresh-token rotation with reuse detection, sign-out, listing and revoking.
 *
 * A session is one sign-in on one device. It lives REFRESH_TOKEN_TTL_SECONDS from the sign-in
 * (refreshing does not extend it). Its refresh token is a 256-bit random value stored only as a
 * SHA-256 hash and replaced on every use; the hashes of replaced tokens are kept until the session
 * would expire, so that a replaced token presented again (a stolen copy, or the thief's use having
 * come first) revokes the whole session. Access tokens name their session, and every request
 * checks that the session is still live, so revoking takes effect at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { Principal, RequestOrigin } from '../../platform/http/auth.js';
import { csrfTokenInvalid, newCsrfToken } from '../../platform/http/cookies.js';
import { isUuid, newId } from '../../platform/ids.js';
import { recordAudit, type AuditActor } from '../audit/index.js';
import { deviceName } from './device.js';
import { identityErrors } from './errors.js';
import { identityEvents } from './events.js';
import { signInFailedMessage } from './lockout.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import { isLocked, recordSignInFailure } from './lockout.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import { checkSecondFactor } from './second-factor.js';
import {
  insertLoginAttempt,
  insertSession,
  listLiveSessions,
  lockSessionByRefreshHash,
  loginState,
  revokeSessions,
  rotateRefreshToken,
  sessionOfUsedRefreshToken,
  setLoginState,
  signedInBeforeWith,
  type LoginOutcome,
  type RevokeReason,
  type SessionSummary,
} from './session-store.js';
import { findUserById, findUserByLogin, type UserWithCredentials } from './store.js';

export interface TokenPair {
  readonly sessionId: string;
  readonly accessToken: string;
  readonly tokenType: 'bearer';
  readonly expiresIn: number;
  readonly refreshToken: string;
  /** Seconds until the session (and so its refresh token) expires. */
  readonly refreshExpiresIn: number;
  /** The CSRF token of a cookie session (absent for bearer sessions). */
  readonly csrfToken?: string;
}

/** Sessions listed at most (newest first). */
export const SESSIONS_LISTED_MAX = 100;

const USER_AGENT_LENGTH_MAX = 300;
const LOGIN_LENGTH_MAX = 320;

function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function actorOf(user: { id: string; role: string }, origin: RequestOrigin): AuditActor {
  return { userId: user.id, role: user.role, origin };
}

function secondsUntil(later: Date, now: Date): number {
  return Math.max(0, Math.floor((later.getTime() - now.getTime()) / 1000));
}

async function signAccess(context: AppContext, options: { user: UserWithCredentials; sessionId: string; csrfHash: string | undefined }): Promise<string> {
  return context.tokens.signAccessToken({
    userId: options.user.id,
    role: options.user.role,
    sessionId: options.sessionId,
    ...(options.csrfHash === undefined ? {} : { csrfHash: options.csrfHash }),
  });
}

export interface LoginInput {
  readonly login: string;
  readonly password: string;
  /** The one-time code of a user with two-factor authentication. */
  readonly otp?: string | undefined;
  readonly origin: RequestOrigin;
  /** A web client's sign-in: the session gets a CSRF token (its tokens travel in cookies). */
  readonly cookies: boolean;
}

/**
 * Signs a user in with a username or email, a password and (when enrolled) a one-time code, and
 * opens a session. Every attempt is recorded in the sign-in history.
 * Guarantees: an unknown user, a wrong password, a blocked user and a locked user get the same
 * answer after the same work (an Argon2 verification), so the response reveals neither which
 * usernames exist nor whether a lock is on; wrong passwords and wrong codes count towards the
 * lockout; a success resets the count. Errors: invalid_credentials (401); otp_required (401, the
 * password was right, send the code too); otp_invalid (401).
 */
export async function login(context: AppContext, input: LoginInput): Promise<TokenPair> {
  const name = input.login.trim().toLowerCase();
  const user = name.length > 0 && name.length <= 254 ? await findUserByLogin(context.db, name) : undefined;
  const origin = { ...input.origin, userAgent: input.origin.userAgent?.slice(0, USER_AGENT_LENGTH_MAX) ?? null };
  const attempt = { username: name.slice(0, LOGIN_LENGTH_MAX), ip: origin.ip, userAgent: origin.userAgent };
  if (user === undefined) {
    await verifyAgainstDummy(input.password);
    await refuse(context, { ...attempt, userId: null, outcome: 'unknown_user' });
    throw identityErrors.invalidCredentials();
  }
  // The password is verified before any other check, so every refusal costs the same.
  const passwordMatches = await verifyPassword(user.passwordHash, input.password);
  const state = await loginState(context.db, user.id);
  if (state !== undefined && isLocked(state, context.now())) {
    await refuse(context, { ...attempt, userId: user.id, outcome: 'locked' });
    throw identityErrors.invalidCredentials();
  }
  if (user.status !== 'active') {
    await refuse(context, { ...attempt, userId: user.id, outcome: 'blocked' });
    throw identityErrors.invalidCredentials();
  }
  if (!passwordMatches) {
    await recordSignInFailure(context, { user, origin, attempt: { ...attempt, outcome: 'bad_password' } });
    throw identityErrors.invalidCredentials();
  }
  const secondFactor = await checkSecondFactor(context, user.id, input.otp);
  if (secondFactor === 'missing') {
    await refuse(context, { ...attempt, userId: user.id, outcome: 'otp_required' });
    throw identityErrors.otpRequired();
  }
  if (secondFactor === 'invalid') {
    await recordSignInFailure(context, { user, origin, attempt: { ...attempt, outcome: 'otp_invalid' } });
    throw identityErrors.otpInvalidAtLogin();
  }
  return openSession(context, { user, origin, cookies: input.cookies, clearFailures: state !== undefined && state.failedLoginCount > 0 });
}

/** Records a refused sign-in that changes no counter, and tells the listeners. */
async function refuse(
  context: AppContext,
  attempt: { username: string; userId: string | null; ip: string | null; userAgent: string | null; outcome: Exclude<LoginOutcome, 'success'> },
): Promise<void> {
  const at = context.now();
  const userId = attempt.userId;
  if (userId === null) {
    await insertLoginAttempt(context.db, { ...attempt, at });
  } else {
    await context.transact(async (tx) => {
      await insertLoginAttempt(tx, { ...attempt, at });
      await writeOutbox(tx, [signInFailedMessage({ ...attempt, userId })]);
    });
  }
  identityEvents(context).emit('login.failed', { ...attempt, at, device: deviceName(attempt.userAgent) });
}

async function openSession(
  context: AppContext,
  options: { user: UserWithCredentials; origin: RequestOrigin; cookies: boolean; clearFailures: boolean },
): Promise<TokenPair> {
  const { user, origin } = options;
  const now = context.now();
  const sessionId = newId();
  const refresh = newRefreshToken();
  const csrf = options.cookies ? newCsrfToken() : undefined;
  const expiresAt = new Date(now.getTime() + context.config.REFRESH_TOKEN_TTL_SECONDS * 1000);
  const device = deviceName(origin.userAgent);
  const newDevice = !(await signedInBeforeWith(context.db, { userId: user.id, userAgent: origin.userAgent }));
  await context.transact(async (tx) => {
    if (options.clearFailures) await setLoginState(tx, user.id, { failedLoginCount: 0, lockedUntil: null });
    await insertSession(tx, {
      id: sessionId,
      userId: user.id,
      refreshTokenHash: refresh.hash,
      csrfTokenHash: csrf?.hash ?? null,
      userAgent: origin.userAgent,
      ip: origin.ip,
      now,
      expiresAt,
    });
    await insertLoginAttempt(tx, { at: now, userId: user.id, username: user.username, ip: origin.ip, userAgent: origin.userAgent, outcome: 'success' });
    await writeOutbox(tx, [
      { topic: 'user.signed_in', userIds: [user.id], payload: { user_id: user.id, session_id: sessionId, ip: origin.ip, device, new_device: newDevice } },
    ]);
    await recordAudit(tx, {
      actor: actorOf(user, origin),
      action: 'session.created',
      target: { type: 'session', id: sessionId },
      after: { user_id: user.id, device, ip: origin.ip, cookies: options.cookies, new_device: newDevice },
    });
  });
  identityEvents(context).emit('login.succeeded', { at: now, userId: user.id, sessionId, ip: origin.ip, userAgent: origin.userAgent, device, newDevice });
  const accessToken = await signAccess(context, { user, sessionId, csrfHash: csrf?.hash });
  return {
    sessionId,
    accessToken,
    tokenType: 'bearer',
    expiresIn: context.tokens.accessTokenTtlSeconds,
    refreshToken: refresh.token,
    refreshExpiresIn: secondsUntil(expiresAt, now),
    ...(csrf === undefined ? {} : { csrfToken: csrf.token }),
  };
}

export interface RefreshInput {
  readonly refreshToken: string;
  readonly origin: RequestOrigin;
  /** The token came from the refresh cookie: the request must prove it with the CSRF token. */
  readonly viaCookie: boolean;
  /** Whether the request's X-CSRF-Token matches a session's CSRF token hash. */
  readonly csrfMatches: (expectedHash: string | null) => boolean;
}

type RefreshOutcome =
  | { kind: 'rotated'; user: UserWithCredentials; sessionId: string; expiresAt: Date }
  | { kind: 'invalid' | 'reused' | 'csrf' };

/**
 * Exchanges a refresh token for a new access token and a new refresh token; the old refresh token
 * stops working. Presenting a refresh token that was already exchanged revokes its session (reuse
 * means a copy of the token is in someone else's hands), audited as `session.revoked` with reason
 * `refresh_token_reuse`. Errors: invalid_refresh_token (401: unknown, expired, revoked, reused, or
 * the user is no longer active); csrf_token_invalid (403, cookie refresh without the CSRF token).
 */
export async function refreshSession(context: AppContext, input: RefreshInput): Promise<TokenPair> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(input.refreshToken)) throw identityErrors.invalidRefreshToken();
  const hash = hashRefreshToken(input.refreshToken);
  const next = newRefreshToken();
  const csrf = input.viaCookie ? newCsrfToken() : undefined;
  const now = context.now();
  const outcome = await context.transact(async (tx): Promise<RefreshOutcome> => {
    const session = await lockSessionByRefreshHash(tx, { hash, now });
    if (session === undefined) return (await revokeOnReuse(tx, { hash, origin: input.origin, now })) ? { kind: 'reused' } : { kind: 'invalid' };
    if (input.viaCookie && !input.csrfMatches(session.csrfTokenHash)) return { kind: 'csrf' };
    const user = await findUserById(tx, session.userId);
    if (user === undefined || user.status !== 'active') return { kind: 'invalid' };
    await rotateRefreshToken(tx, { session, previousHash: hash, nextHash: next.hash, csrfTokenHash: csrf?.hash ?? session.csrfTokenHash, now });
    await recordAudit(tx, { actor: actorOf(user, input.origin), action: 'session.refreshed', target: { type: 'session', id: session.id } });
    return { kind: 'rotated', user, sessionId: session.id, expiresAt: session.expiresAt };
  });
  if (outcome.kind === 'csrf') throw csrfTokenInvalid();
  if (outcome.kind !== 'rotated') throw identityErrors.invalidRefreshToken();
  const accessToken = await signAccess(context, { user: outcome.user, sessionId: outcome.sessionId, csrfHash: csrf?.hash });
  return {
    sessionId: outcome.sessionId,
    accessToken,
    tokenType: 'bearer',
    expiresIn: context.tokens.accessTokenTtlSeconds,
    refreshToken: next.token,
    refreshExpiresIn: secondsUntil(outcome.expiresAt, now),
    ...(csrf === undefined ? {} : { csrfToken: csrf.token }),
  };
}

/** When the hash belongs to a refresh token that was already exchanged, revokes its session. */
async function revokeOnReuse(tx: Tx, options: { hash: string; origin: RequestOrigin; now: Date }): Promise<boolean> {
  const used = await sessionOfUsedRefreshToken(tx, options.hash);
  if (used === undefined) return false;
  const revoked = await revokeSessions(tx, { userId: used.userId, sessionId: used.sessionId, reason: 'refresh_token_reuse', now: options.now });
  if (revoked.length > 0) {
    // Whoever presented the token is unknown (perhaps not the user): the actor is anonymous.
    await recordAudit(tx, {
      actor: { userId: null, role: null, origin: options.origin },
      action: 'session.revoked',
      target: { type: 'session', id: used.sessionId },
      after: { user_id: used.userId, reason: 'refresh_token_reuse' },
    });
  }
  return true;
}

async function revokeAndAudit(
  context: AppContext,
  principal: Principal,
  options: { sessionId?: string; exceptSessionId?: string; reason: RevokeReason },
): Promise<string[]> {
  const now = context.now();
  return context.transact(async (tx) => {
    const revoked = await revokeSessions(tx, { userId: principal.userId, ...options, now });
    await recordAudit(
      tx,
      ...revoked.map((id) => ({
        actor: principal,
        action: 'session.revoked',
        target: { type: 'session', id },
        after: { user_id: principal.userId, reason: options.reason },
      })),
    );
    return revoked;
  });
}

/** Ends the caller's session: its refresh token and every access token issued for it stop working at once. */
export async function logout(context: AppContext, principal: Principal): Promise<void> {
  await revokeAndAudit(context, principal, { sessionId: principal.sessionId, reason: 'logout' });
}

/** Revokes one of the caller's live sessions (the current one too). Errors: session_not_found (404, also for another user's session). */
export async function revokeOwnSession(context: AppContext, principal: Principal, sessionId: string): Promise<void> {
  const revoked = isUuid(sessionId) ? await revokeAndAudit(context, principal, { sessionId, reason: 'revoked' }) : [];
  if (revoked.length === 0) throw identityErrors.sessionNotFound();
}

/** Revokes every live session of the caller except the current one; returns how many. */
export async function revokeOtherSessions(context: AppContext, principal: Principal): Promise<number> {
  return (await revokeAndAudit(context, principal, { exceptSessionId: principal.sessionId, reason: 'revoked_all' })).length;
}

/** The caller's live sessions, newest first (at most SESSIONS_LISTED_MAX). */
export async function sessionsOf(context: AppContext, principal: Principal): Promise<(SessionSummary & { device: string; current: boolean })[]> {
  const sessions = await listLiveSessions(context.db, { userId: principal.userId, now: context.now(), limit: SESSIONS_LISTED_MAX });
  return sessions.map((session) => ({ ...session, device: deviceName(session.userAgent), current: session.id === principal.sessionId }));
}

/**
 * SQL of sessions and sign-in: sessions and their retired refresh-token hashes, the lockout columns
 * of users, password changes and the sign-in history. Times come from the application's clock
 * (context.now()), never from the database's, so that tests can move it.
 */
import { sql } from 'kysely';
import type { Role } from '../../core/roles.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';

type Executor = Db | Tx;

export type RevokeReason = 'logout' | 'revoked' | 'revoked_all' | 'password_changed' | 'refresh_token_reuse';

export type LoginOutcome = 'success' | 'bad_password' | 'locked' | 'blocked' | 'unknown_user' | 'otp_required' | 'otp_invalid';

export async function insertSession(
  executor: Executor,
  session: {
    id: string;
    userId: string;
    refreshTokenHash: string;
    csrfTokenHash: string | null;
    userAgent: string | null;
    ip: string | null;
    now: Date;
    expiresAt: Date;
  },
): Promise<void> {
  await sql`
    insert into sessions (id, user_id, refresh_token_hash, csrf_token_hash, user_agent, ip, created_at, last_used_at, expires_at)
    values (${session.id}, ${session.userId}, ${session.refreshTokenHash}, ${session.csrfTokenHash}, ${session.userAgent}, ${session.ip},
            ${session.now}, ${session.now}, ${session.expiresAt})`.execute(executor);
}

export interface RefreshableSession {
  readonly id: string;
  readonly userId: string;
  readonly csrfTokenHash: string | null;
  readonly expiresAt: Date;
}

/** The live session whose current refresh token has this hash, locked for its rotation. */
export async function lockSessionByRefreshHash(tx: Tx, options: { hash: string; now: Date }): Promise<RefreshableSession | undefined> {
  const result = await sql<{ id: string; user_id: string; csrf_token_hash: string | null; expires_at: Date }>`
    select id, user_id, csrf_token_hash, expires_at from sessions
     where refresh_token_hash = ${options.hash} and revoked_at is null and expires_at > ${options.now}
     for update`.execute(tx);
  const row = result.rows[0];
  return row === undefined ? undefined : { id: row.id, userId: row.user_id, csrfTokenHash: row.csrf_token_hash, expiresAt: row.expires_at };
}

/** Replaces a session's refresh token, and remembers the old one's hash until the session would expire. */
export async function rotateRefreshToken(
  tx: Tx,
  options: { session: RefreshableSession; previousHash: string; nextHash: string; csrfTokenHash: string | null; now: Date },
): Promise<void> {
  await sql`
    update sessions set refresh_token_hash = ${options.nextHash}, csrf_token_hash = ${options.csrfTokenHash}, last_used_at = ${options.now}
     where id = ${options.session.id}`.execute(tx);
  await sql`
    insert into used_refresh_tokens (token_hash, session_id, used_at, expires_at)
    values (${options.previousHash}, ${options.session.id}, ${options.now}, ${options.session.expiresAt})
    on conflict (token_hash) do nothing`.execute(tx);
}

/** The session whose refresh token with this hash was rotated away, if any (and not yet purged). */
export async function sessionOfUsedRefreshToken(executor: Executor, hash: string): Promise<{ sessionId: string; userId: string } | undefined> {
  const result = await sql<{ session_id: string; user_id: string }>`
    select u.session_id, s.user_id from used_refresh_tokens u join sessions s on s.id = u.session_id
     where u.token_hash = ${hash}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : { sessionId: row.session_id, userId: row.user_id };
}

/**
 * Revokes live sessions of a user: one (`sessionId`), or all of them but `exceptSessionId`.
 * Returns the ids of the sessions that this call revoked.
 */
export async function revokeSessions(
  executor: Executor,
  options: { userId: string; sessionId?: string; exceptSessionId?: string; reason: RevokeReason; now: Date },
): Promise<string[]> {
  const result = await sql<{ id: string }>`
    update sessions set revoked_at = ${options.now}, revoked_reason = ${options.reason}
     where user_id = ${options.userId} and revoked_at is null
       ${options.sessionId === undefined ? sql`` : sql`and id = ${options.sessionId}`}
       ${options.exceptSessionId === undefined ? sql`` : sql`and id <> ${options.exceptSessionId}`}
    returning id`.execute(executor);
  return result.rows.map((row) => row.id);
}

export interface LiveSession {
  readonly id: string;
  readonly userId: string;
  readonly role: Role;
}

/** The sessions among `ids` that are live (not revoked, not expired) and belong to an active user. */
export async function liveSessions(executor: Executor, ids: readonly string[], now: Date): Promise<LiveSession[]> {
  const result = await sql<{ id: string; user_id: string; role: Role }>`
    select s.id, s.user_id, u.role from sessions s join users u on u.id = s.user_id
     where s.id = any(${[...ids]}::uuid[]) and s.revoked_at is null and s.expires_at > ${now} and u.status = 'active'`.execute(executor);
  return result.rows.map((row) => ({ id: row.id, userId: row.user_id, role: row.role }));
}

export interface SessionSummary {
  readonly id: string;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly createdAt: Date;
  readonly lastUsedAt: Date;
}

/** A user's live sessions, newest first, at most `limit`. */
export async function listLiveSessions(executor: Executor, options: { userId: string; now: Date; limit: number }): Promise<SessionSummary[]> {
  const result = await sql<{ id: string; user_agent: string | null; ip: string | null; created_at: Date; last_used_at: Date }>`
    select id, user_agent, ip, created_at, last_used_at from sessions
     where user_id = ${options.userId} and revoked_at is null and expires_at > ${options.now}
     order by created_at desc, id desc
     limit ${options.limit}`.execute(executor);
  return result.rows.map((row) => ({ id: row.id, userAgent: row.user_agent, ip: row.ip, createdAt: row.created_at, lastUsedAt: row.last_used_at }));
}

export interface LoginState {
  readonly failedLoginCount: number;
  readonly lockedUntil: Date | null;
}

/** A user's lockout state; `forUpdate` locks the row (inside a transaction). */
export async function loginState(executor: Executor, userId: string, options: { forUpdate?: boolean } = {}): Promise<LoginState | undefined> {
  const result = await sql<{ failed_login_count: number; locked_until: Date | null }>`
    select failed_login_count, locked_until from users where id = ${userId} ${options.forUpdate === true ? sql`for update` : sql``}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : { failedLoginCount: row.failed_login_count, lockedUntil: row.locked_until };
}

export async function setLoginState(executor: Executor, userId: string, state: LoginState): Promise<void> {
  await sql`update users set failed_login_count = ${state.failedLoginCount}, locked_until = ${state.lockedUntil} where id = ${userId}`.execute(executor);
}

export async function updatePasswordHash(executor: Executor, options: { userId: string; passwordHash: string; now: Date }): Promise<void> {
  await sql`update users set password_hash = ${options.passwordHash}, updated_at = ${options.now} where id = ${options.userId}`.execute(executor);
}

export interface LoginAttempt {
  readonly at: Date;
  readonly userId: string | null;
  readonly username: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly outcome: LoginOutcome;
}

export async function insertLoginAttempt(executor: Executor, attempt: LoginAttempt): Promise<void> {
  await sql`
    insert into login_attempts (attempted_at, user_id, username, ip, user_agent, outcome)
    values (${attempt.at}, ${attempt.userId}, ${attempt.username}, ${attempt.ip}, ${attempt.userAgent}, ${attempt.outcome})`.execute(executor);
}

/** Whether the user has signed in successfully before with this user agent (else: a new device). */
export async function signedInBeforeWith(executor: Executor, options: { userId: string; userAgent: string | null }): Promise<boolean> {
  const result = await sql<{ found: number }>`
    select 1 as found from login_attempts
     where user_id = ${options.userId} and outcome = 'success' and user_agent is not distinct from ${options.userAgent}
     limit 1`.execute(executor);
  return result.rows.length > 0;
}

/** The most recent sign-in attempts of a user, newest first. */
export async function recentLoginAttempts(executor: Executor, options: { userId: string; limit: number }): Promise<LoginAttempt[]> {
  const result = await sql<{ attempted_at: Date; user_id: string | null; username: string; ip: string | null; user_agent: string | null; outcome: LoginOutcome }>`
    select attempted_at, user_id, username, ip, user_agent, outcome from login_attempts
     where user_id = ${options.userId} order by attempted_at desc, id desc limit ${options.limit}`.execute(executor);
  return result.rows.map((row) => ({
    at: row.attempted_at,
    userId: row.user_id,
    username: row.username,
    ip: row.ip,
    userAgent: row.user_agent,
    outcome: row.outcome,
  }));
}

/** Deletes, in bounded batches, retired refresh-token hashes past their session's expiry and old sign-in attempts. */
export async function purgeSignInRecords(executor: Executor, options: { now: Date; attemptsBefore: Date; batchSize: number }): Promise<number> {
  const tokens = await sql`
    delete from used_refresh_tokens where token_hash in (
      select token_hash from used_refresh_tokens where expires_at < ${options.now} limit ${options.batchSize})`.execute(executor);
  const attempts = await sql`
    delete from login_attempts where id in (
      select id from login_attempts where attempted_at < ${options.attemptsBefore} limit ${options.batchSize})`.execute(executor);
  return Number(tokens.numAffectedRows ?? 0n) + Number(attempts.numAffectedRows ?? 0n);
}

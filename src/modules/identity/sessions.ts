import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../platform/context.js';
import { newId } from '../../platform/ids.js';
import { identityErrors } from './errors.js';
import { verifyAgainstDummy, verifyPassword } from './passwords.js';
import { findUserById, findUserByLogin, insertSession, revokeSession, rotateRefreshToken } from './store.js';

export interface TokenPair {
  readonly accessToken: string;
  readonly tokenType: 'bearer';
  readonly expiresIn: number;
  readonly refreshToken: string;
}

function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Signs a user in with a username or email and a password, and opens a session.
 * Guarantees: an unknown user, a wrong password and a blocked user get the same answer after the
 * same work, so the response does not reveal which usernames exist. Errors: invalid_credentials (401).
 */
export async function login(
  context: AppContext,
  input: { login: string; password: string; userAgent: string | null; ip: string | null },
): Promise<TokenPair> {
  const login = input.login.trim().toLowerCase();
  const user = login.length > 0 && login.length <= 254 ? await findUserByLogin(context.db, login) : undefined;
  if (user === undefined) {
    await verifyAgainstDummy(input.password);
    throw identityErrors.invalidCredentials();
  }
  const passwordMatches = await verifyPassword(user.passwordHash, input.password);
  if (!passwordMatches || user.status !== 'active') throw identityErrors.invalidCredentials();
  const sessionId = newId();
  const refresh = newRefreshToken();
  await insertSession(context.db, {
    id: sessionId,
    userId: user.id,
    refreshTokenHash: refresh.hash,
    userAgent: input.userAgent?.slice(0, 300) ?? null,
    ip: input.ip,
    ttlSeconds: context.config.REFRESH_TOKEN_TTL_SECONDS,
  });
  const accessToken = await context.tokens.signAccessToken({ userId: user.id, role: user.role, sessionId });
  return { accessToken, tokenType: 'bearer', expiresIn: context.tokens.accessTokenTtlSeconds, refreshToken: refresh.token };
}

/**
 * Exchanges a refresh token for a new access token and a new refresh token; the old refresh token
 * stops working. Errors: invalid_refresh_token (401).
 */
export async function refreshSession(context: AppContext, refreshToken: string): Promise<TokenPair> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(refreshToken)) throw identityErrors.invalidRefreshToken();
  const next = newRefreshToken();
  const session = await rotateRefreshToken(context.db, { currentHash: hashRefreshToken(refreshToken), nextHash: next.hash });
  if (session === undefined) throw identityErrors.invalidRefreshToken();
  const user = await findUserById(context.db, session.userId);
  if (user === undefined || user.status !== 'active') throw identityErrors.invalidRefreshToken();
  const accessToken = await context.tokens.signAccessToken({ userId: user.id, role: user.role, sessionId: session.id });
  return { accessToken, tokenType: 'bearer', expiresIn: context.tokens.accessTokenTtlSeconds, refreshToken: next.token };
}

/** Ends a session: its refresh token and every access token issued for it stop working at once. */
export async function logout(context: AppContext, options: { sessionId: string; userId: string }): Promise<void> {
  await revokeSession(context.db, options);
}

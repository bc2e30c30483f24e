/**
 * Session cookies for the web app. The access and refresh tokens travel in httpOnly, Secure,
 * SameSite=Strict cookies that scripts cannot read; the refresh cookie is sent only to
 * /api/v1/auth. A third, readable cookie holds the CSRF token: a write authenticated by cookie must
 * repeat it in the X-CSRF-Token header (signed double submit: the access token, or for a refresh
 * the session, carries the token's SHA-256, so a cookie planted by someone else does not match).
 * Names carry the __Host- / __Secure- prefixes, so that browsers accept them only over HTTPS
 * (localhost counts) and, for __Host-, only for this exact host. The server registers
 * @fastify/cookie without its parsing hook: the cookie header is parsed only when a request
 * without a bearer token needs it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../core/errors.js';

export const ACCESS_COOKIE = '__Host-kosh_access';
export const REFRESH_COOKIE = '__Secure-kosh_refresh';
export const CSRF_COOKIE = '__Host-kosh_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const REFRESH_COOKIE_PATH = '/api/v1/auth';

/** Header with which a client asks for cookies instead of tokens in the body at sign-in. */
export const CLIENT_HEADER = 'x-kosh-client';

export const csrfTokenInvalid = () =>
  new DomainError({
    code: 'csrf_token_invalid',
    kind: 'forbidden',
    message: `A request authenticated by cookie must send the ${CSRF_COOKIE} cookie's value in the X-CSRF-Token header.`,
  });

/** Whether a client asked for a cookie session (X-Kosh-Client: web). */
export function wantsCookies(request: FastifyRequest): boolean {
  return request.headers[CLIENT_HEADER] === 'web';
}

/** The value of one cookie of the request, if sent (the header is parsed only when asked). */
export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || !header.includes(name)) return undefined;
  const value = request.server.parseCookie(header)[name];
  return value === undefined || value === '' ? undefined : value;
}

export function csrfTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export function newCsrfToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: csrfTokenHash(token) };
}

/** Whether the request's X-CSRF-Token header is the token whose hash is expected (constant time). */
export function csrfHeaderMatches(request: FastifyRequest, expectedHash: string | null | undefined): boolean {
  const header = request.headers[CSRF_HEADER];
  if (typeof header !== 'string' || header.length === 0 || header.length > 200 || expectedHash === null || expectedHash === undefined) return false;
  const actual = Buffer.from(csrfTokenHash(header));
  const expected = Buffer.from(expectedHash);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

const BASE = { httpOnly: true, secure: true, sameSite: 'strict' } as const;

/** Sets the three session cookies. */
export function setSessionCookies(
  reply: FastifyReply,
  session: { accessToken: string; accessTtlSeconds: number; refreshToken: string; refreshTtlSeconds: number; csrfToken: string },
): void {
  reply.setCookie(ACCESS_COOKIE, session.accessToken, { ...BASE, path: '/', maxAge: session.accessTtlSeconds });
  reply.setCookie(REFRESH_COOKIE, session.refreshToken, { ...BASE, path: REFRESH_COOKIE_PATH, maxAge: session.refreshTtlSeconds });
  // Readable by the web app's scripts, which copy it into the X-CSRF-Token header.
  reply.setCookie(CSRF_COOKIE, session.csrfToken, { ...BASE, httpOnly: false, path: '/', maxAge: session.refreshTtlSeconds });
}

/** Expires the three session cookies (same names and paths). */
export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(ACCESS_COOKIE, { ...BASE, path: '/' });
  reply.clearCookie(REFRESH_COOKIE, { ...BASE, path: REFRESH_COOKIE_PATH });
  reply.clearCookie(CSRF_COOKIE, { ...BASE, httpOnly: false, path: '/' });
}

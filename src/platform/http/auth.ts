/**
 * Authentication and role checks for routes. A bearer token, when present, is verified once per
 * request; routes then declare which roles may call them. Object-level checks (whose account is
 * this?) belong to the use cases, which answer 404 for other customers' objects.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { DomainError } from '../../core/errors.js';
import type { Role } from '../../core/roles.js';
import { ACCESS_COOKIE, csrfHeaderMatches, csrfTokenInvalid, readCookie } from './cookies.js';
import type { AccessClaims, TokenService } from './tokens.js';

/** Where a request came from, as recorded in the audit log. */
export interface RequestOrigin {
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
}

/** The signed-in caller; `origin` is absent for work not started by a request (seed, jobs). */
export interface Principal extends AccessClaims {
  readonly origin?: RequestOrigin;
  /** How the request proved it: a bearer header, or the web app's access cookie (writes need a CSRF token). */
  readonly authenticatedBy?: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
  interface FastifyContextConfig {
    /** The route checks its own Authorization header (/metrics and its token); users' tokens are not read. */
    ownAuthorization?: boolean;
  }
}

export const unauthenticated = () =>
  new DomainError({ code: 'unauthenticated', kind: 'unauthenticated', message: 'Sign in first: send a valid bearer access token.' });

/** Checks that a session is still valid (not revoked); supplied by the identity module. */
export type SessionValidator = (claims: AccessClaims) => Promise<boolean>;

export function authenticationHook(tokens: TokenService, sessionIsValid: SessionValidator) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    request.principal = undefined;
    if (request.routeOptions.config.ownAuthorization === true) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      await authenticateByCookie(request);
      return;
    }
    const match = /^Bearer ([A-Za-z0-9\-_.]{1,4096})$/.exec(header);
    if (match?.[1] === undefined) throw unauthenticated();
    const claims = await tokens.verifyAccessToken(match[1]);
    if (claims === undefined || !(await sessionIsValid(claims))) throw unauthenticated();
    request.principal = claims;
  };

  /**
   * The web app's access cookie. A stale or revoked cookie leaves the request anonymous (rather than
   * refusing it), so that a browser holding one can still sign in again or refresh.
   */
  async function authenticateByCookie(request: FastifyRequest): Promise<void> {
    const token = readCookie(request, ACCESS_COOKIE);
    if (token === undefined || token.length > 4096) return;
    const claims = await tokens.verifyAccessToken(token);
    if (claims === undefined || !(await sessionIsValid(claims))) return;
    request.principal = { ...claims, authenticatedBy: 'cookie' };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A write authenticated by cookie must carry the session's CSRF token (403 csrf_token_invalid). */
function checkCsrf(request: FastifyRequest, principal: Principal): void {
  if (principal.authenticatedBy !== 'cookie' || SAFE_METHODS.has(request.method)) return;
  if (!csrfHeaderMatches(request, principal.csrfHash)) throw csrfTokenInvalid();
}

/** A preHandler that admits signed-in users with one of the roles (any role when none given). */
export function requireRole(...roles: Role[]): preHandlerAsyncHookHandler {
  return async function checkRole(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const principal = request.principal;
    if (principal === undefined) throw unauthenticated();
    checkCsrf(request, principal);
    if (roles.length > 0 && !roles.includes(principal.role)) {
      const readOnly = principal.role === 'auditor' && request.method !== 'GET' && request.method !== 'HEAD';
      throw new DomainError({
        code: readOnly ? 'read_only_role' : 'forbidden',
        kind: 'forbidden',
        message: readOnly ? 'Auditors have read-only access.' : 'Your role does not allow this action.',
      });
    }
  };
}

export function originOf(request: FastifyRequest): RequestOrigin {
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent']?.slice(0, 300) ?? null, requestId: request.id };
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw unauthenticated();
  checkCsrf(request, request.principal);
  return { ...request.principal, origin: originOf(request) };
}

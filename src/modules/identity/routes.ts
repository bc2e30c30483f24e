import type { AppContext } from '../../platform/context.js';
import type { FastifyReply } from 'fastify';
import { originOf, principalOf, requireRole } from '../../platform/http/auth.js';
import { clearSessionCookies, csrfHeaderMatches, readCookie, REFRESH_COOKIE, setSessionCookies, wantsCookies } from '../../platform/http/cookies.js';
import { createRateLimiter, enforceRateLimit } from '../../platform/http/rate-limit.js';
import { bearer, noContent, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { registerUser } from './register.js';
import { registerBody, loginBody, refreshBody, tokenSchema, userSchema } from './schemas.js';
import { login, logout, refreshSession, type TokenPair } from './sessions.js';
import { getProfile } from './profile.js';
import { userView } from './views.js';
import { identityErrors } from './errors.js';
import { securityRoutes } from './routes-security.js';
import { profileRoutes } from './routes-profile.js';
import { adminUserRoutes } from './routes-admin.js';
import { sessionRoutes } from './routes-sessions.js';

/** Answers a sign-in or refresh: tokens in the body, or (web clients) in cookies with only the CSRF token in the body. */
function sendTokens(reply: FastifyReply, pair: TokenPair, cookies: boolean) {
  if (!cookies || pair.csrfToken === undefined) {
    return reply.send({ access_token: pair.accessToken, token_type: pair.tokenType, expires_in: pair.expiresIn, refresh_token: pair.refreshToken });
  }
  setSessionCookies(reply, {
    accessToken: pair.accessToken,
    accessTtlSeconds: pair.expiresIn,
    refreshToken: pair.refreshToken,
    refreshTtlSeconds: pair.refreshExpiresIn,
    csrfToken: pair.csrfToken,
  });
  return reply.send({ token_type: 'cookie', expires_in: pair.expiresIn, refresh_expires_in: pair.refreshExpiresIn, csrf_token: pair.csrfToken });
}

export function identityRoutes(api: Api, context: AppContext): void {
  securityRoutes(api, context);
  profileRoutes(api, context);
  adminUserRoutes(api, context);
  sessionRoutes(api, context);
  const tags = ['auth'];
  const loginsPerUsername = createRateLimiter({
    perMinute: context.config.LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE,
    nowMs: () => context.now().getTime(),
  });
  api.post(
    '/auth/register',
    { schema: { tags, summary: 'Register a customer', body: registerBody, response: { 201: userSchema, ...problemResponses(409) } } },
    async (request, reply) => {
      const user = await registerUser(context, {
        username: request.body.username,
        password: request.body.password,
        email: request.body.email,
        fullName: request.body.full_name,
        phone: request.body.phone,
        dateOfBirth: request.body.date_of_birth,
        actor: { userId: null, role: null, origin: originOf(request) },
      });
      return reply.code(201).send(userView(user));
    },
  );

  api.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Sign in with a username or email, a password and (with 2FA) a one-time code',
        description:
          'Answers the tokens in the body. A web client sends the header `X-Kosh-Client: web` and gets them instead in httpOnly, ' +
          'Secure, SameSite=Strict cookies (`__Host-kosh_access`, `__Secure-kosh_refresh` scoped to /api/v1/auth) plus a readable ' +
          '`__Host-kosh_csrf` cookie whose value must be sent in the `X-CSRF-Token` header of every write authenticated by cookie. ' +
          'Refusals: 401 `invalid_credentials` (wrong name or password, or locked), 401 `otp_required` (send `otp` too), 401 ' +
          '`otp_invalid`, 429 `rate_limited`.',
        body: loginBody,
        response: { 200: tokenSchema, ...problemResponses(429) },
      },
    },
    async (request, reply) => {
      enforceRateLimit(loginsPerUsername, request.body.username.trim().toLowerCase());
      const cookies = wantsCookies(request);
      const pair = await login(context, {
        login: request.body.username,
        password: request.body.password,
        otp: request.body.otp,
        origin: originOf(request),
        cookies,
      });
      return sendTokens(reply, pair, cookies);
    },
  );

  api.post(
    '/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Exchange a refresh token for new tokens (the old one stops working; presenting it again ends the session)',
        description:
          'Send `{"refresh_token": ...}`, or no body at all with the refresh cookie and the `X-CSRF-Token` header (web clients, ' +
          'answered with new cookies). Refusals: 401 `invalid_refresh_token`, 403 `csrf_token_invalid`, 429 `rate_limited`.',
        body: refreshBody,
        response: { 200: tokenSchema, ...problemResponses(403, 429) },
      },
    },
    async (request, reply) => {
      const bodyToken = request.body?.refresh_token;
      const refreshToken = bodyToken ?? readCookie(request, REFRESH_COOKIE);
      if (refreshToken === undefined) throw identityErrors.invalidRefreshToken();
      const viaCookie = bodyToken === undefined;
      const pair = await refreshSession(context, {
        refreshToken,
        origin: originOf(request),
        viaCookie,
        csrfMatches: (expectedHash) => csrfHeaderMatches(request, expectedHash),
      });
      return sendTokens(reply, pair, viaCookie);
    },
  );

  api.post(
    '/auth/logout',
    {
      schema: { tags, summary: 'End the current session (and clear the session cookies)', security: bearer, response: { 204: noContent, ...problemResponses(403, 429) } },
      preHandler: requireRole(),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      await logout(context, principal);
      if (principal.authenticatedBy === 'cookie') clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/auth/me',
    { schema: { tags, summary: 'The signed-in user', security: bearer, response: { 200: userSchema, ...problemResponses() } }, preHandler: requireRole() },
    async (request) => userView(await getProfile(context, principalOf(request))),
  );
}

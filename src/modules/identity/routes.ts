import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, noContent, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { registerUser } from './register.js';
import { registerBody, loginBody, refreshBody, tokenSchema, userSchema } from './schemas.js';
import { login, logout, refreshSession, type TokenPair } from './sessions.js';
import { findUserById, withoutCredentials, type User } from './store.js';
import { identityErrors } from './errors.js';

export function userView(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    phone: user.phone,
    date_of_birth: user.dateOfBirth,
    role: user.role,
    status: user.status,
    kyc_status: user.kycStatus,
    created_at: user.createdAt.toISOString(),
  };
}

function tokenView(pair: TokenPair) {
  return {
    access_token: pair.accessToken,
    token_type: pair.tokenType,
    expires_in: pair.expiresIn,
    refresh_token: pair.refreshToken,
  };
}

export function identityRoutes(api: Api, context: AppContext): void {
  const tags = ['auth'];
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
      });
      return reply.code(201).send(userView(user));
    },
  );

  api.post(
    '/auth/login',
    { schema: { tags, summary: 'Sign in with a username or email and a password', body: loginBody, response: { 200: tokenSchema, ...problemResponses() } } },
    async (request) =>
      tokenView(
        await login(context, {
          login: request.body.username,
          password: request.body.password,
          userAgent: request.headers['user-agent'] ?? null,
          ip: request.ip,
        }),
      ),
  );

  api.post(
    '/auth/refresh',
    { schema: { tags, summary: 'Exchange a refresh token for new tokens', body: refreshBody, response: { 200: tokenSchema, ...problemResponses() } } },
    async (request) => tokenView(await refreshSession(context, request.body.refresh_token)),
  );

  api.post(
    '/auth/logout',
    { schema: { tags, summary: 'End the current session', security: bearer, response: { 204: noContent, ...problemResponses() } }, preHandler: requireRole() },
    async (request, reply) => {
      const principal = principalOf(request);
      await logout(context, { sessionId: principal.sessionId, userId: principal.userId });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/auth/me',
    { schema: { tags, summary: 'The signed-in user', security: bearer, response: { 200: userSchema, ...problemResponses() } }, preHandler: requireRole() },
    async (request) => {
      const user = await findUserById(context.db, principalOf(request).userId);
      if (user === undefined) throw identityErrors.invalidCredentials();
      return userView(withoutCredentials(user));
    },
  );
}

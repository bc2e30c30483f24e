/** HTTP routes of the caller's sessions, their password, and the admin unlock. */
import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, idParams, noContent, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { changePassword } from './change-password.js';
import { unlockUser } from './lockout.js';
import { changePasswordBody, revokedSessionsSchema, sessionListSchema } from './schemas.js';
import { revokeOtherSessions, revokeOwnSession, sessionsOf } from './sessions.js';

export function sessionRoutes(api: Api, context: AppContext): void {
  const tags = ['sessions'];
  const anyone = requireRole();

  api.get(
    '/users/me/sessions',
    {
      schema: {
        tags,
        summary: 'The signed-in sessions of the caller (newest first, at most 100); `current` marks this one',
        security: bearer,
        response: { 200: sessionListSchema, ...problemResponses() },
      },
      preHandler: anyone,
    },
    async (request) => ({
      items: (await sessionsOf(context, principalOf(request))).map((session) => ({
        id: session.id,
        device: session.device,
        user_agent: session.userAgent,
        ip: session.ip,
        created_at: session.createdAt.toISOString(),
        last_used_at: session.lastUsedAt.toISOString(),
        current: session.current,
      })),
    }),
  );

  api.delete(
    '/users/me/sessions/:id',
    {
      schema: {
        tags,
        summary: 'Sign out one of the caller\'s sessions (404 session_not_found for another user\'s)',
        security: bearer,
        params: idParams,
        response: { 204: noContent, ...problemResponses(403, 404) },
      },
      preHandler: anyone,
    },
    async (request, reply) => {
      await revokeOwnSession(context, principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/users/me/sessions/revoke-all',
    {
      schema: {
        tags,
        summary: 'Sign out everywhere else: revokes every session of the caller except the current one, which stays signed in',
        security: bearer,
        response: { 200: revokedSessionsSchema, ...problemResponses(403) },
      },
      preHandler: anyone,
    },
    async (request) => ({ revoked: await revokeOtherSessions(context, principalOf(request)) }),
  );

  api.put(
    '/users/me/password',
    {
      schema: {
        tags,
        summary: 'Change the password; every other session is signed out, this one stays',
        description:
          'Refusals: 403 `invalid_password` (old_password is wrong); 422 `password_too_short`, `password_too_long`, ' +
          '`password_too_common`, `password_contains_identity` (field new_password).',
        security: bearer,
        body: changePasswordBody,
        response: { 204: noContent, ...problemResponses(403) },
      },
      preHandler: anyone,
    },
    async (request, reply) => {
      await changePassword(context, principalOf(request), { oldPassword: request.body.old_password, newPassword: request.body.new_password });
      return reply.code(204).send(null);
    },
  );

  api.post(
    '/admin/users/:id/unlock',
    {
      schema: {
        tags: ['admin'],
        summary: 'Lift a user\'s sign-in lock and clear their failed sign-in count (admins)',
        security: bearer,
        params: idParams,
        response: { 204: noContent, ...problemResponses(403, 404) },
      },
      preHandler: requireRole('admin', 'super_admin'),
    },
    async (request, reply) => {
      await unlockUser(context, principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}

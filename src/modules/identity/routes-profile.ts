/**
 * HTTP routes of the signed-in user's own profile (any role).
 */
import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { getProfile, updateProfile } from './profile.js';
import { profileBody, userSchema } from './schemas.js';
import { userView } from './views.js';

export function profileRoutes(api: Api, context: AppContext): void {
  const tags = ['profile'];
  const signedIn = requireRole();

  api.get(
    '/users/me',
    { schema: { tags, summary: 'My profile', security: bearer, response: { 200: userSchema, ...problemResponses() } }, preHandler: signedIn },
    async (request) => userView(await getProfile(context, principalOf(request))),
  );

  api.put(
    '/users/me',
    {
      schema: {
        tags,
        summary: 'Change my name, email, phone or date of birth (only the fields sent)',
        security: bearer,
        body: profileBody,
        response: { 200: userSchema, ...problemResponses(409) },
      },
      preHandler: signedIn,
    },
    async (request) => {
      const body = request.body;
      const user = await updateProfile(context, principalOf(request), {
        fullName: body.full_name,
        email: body.email,
        phone: body.phone,
        dateOfBirth: body.date_of_birth,
        currentPassword: body.current_password,
      });
      return userView(user);
    },
  );
}

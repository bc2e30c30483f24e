/**
 * Identity: users, credentials, sessions and roles. Other modules use only what is exported here.
 */
import type { AccessClaims } from '../../platform/http/tokens.js';
import type { AppContext } from '../../platform/context.js';
import { sessionIsLive } from './store.js';

export { identityMigrations } from './migrations.js';
export { identityRoutes } from './routes.js';
export { registerUser, type RegisterInput } from './register.js';
export { login } from './sessions.js';
export { countUsers, findUserById, type User } from './store.js';

/** Whether an access token's session is still live (not revoked, user active, role unchanged). */
export function sessionValidator(context: AppContext) {
  return (claims: AccessClaims) => sessionIsLive(context.db, { sessionId: claims.sessionId, userId: claims.userId, role: claims.role });
}

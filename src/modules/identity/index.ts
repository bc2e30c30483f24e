/**
 * Identity: users, credentials, sessions and roles. Other modules use only what is exported here.
 */
import DataLoader from 'dataloader';
import type { AccessClaims } from '../../platform/http/tokens.js';
import type { AppContext } from '../../platform/context.js';
import { isUuid } from '../../platform/ids.js';
import { liveSessions, type LiveSession } from './session-store.js';

export { identityMigrations } from './migrations.js';
export { identityRoutes } from './routes.js';
export { registerUser, type RegisterInput } from './register.js';
export { login } from './sessions.js';
export { identityEvents, type IdentityEventBus, type IdentityEvents, type IdentityListener } from './events.js';
export { purgeSignInRecords } from './purge.js';
export { countUsers, findUserById, type User } from './store.js';
export { setKycStatus } from './kyc.js';
export { kycStatusExpression } from './users-store.js';
export type { KycStatus } from './store.js';
export { transactionPinRequired, verifyTransactionPin } from './pin.js';
export { checkSecondFactor, type SecondFactorOutcome } from './second-factor.js';

/**
 * Whether an access token's session is still live (not revoked, user active, role unchanged). The
 * check runs on every authenticated request, so that logging out or blocking a user takes effect
 * at once; concurrent checks are gathered into one query (nothing is cached).
 */
export function sessionValidator(context: AppContext) {
  const loader = new DataLoader<string, LiveSession | null>(
    async (ids) => {
      const live = new Map((await liveSessions(context.db, ids, context.now())).map((session) => [session.id, session]));
      return ids.map((id) => live.get(id) ?? null);
    },
    // Gather the checks of every request parsed in this turn of the event loop into one query.
    { cache: false, maxBatchSize: 500, batchScheduleFn: (callback) => setImmediate(callback) },
  );
  return async (claims: AccessClaims) => {
    if (!isUuid(claims.sessionId)) return false;
    const session = await loader.load(claims.sessionId);
    return session !== null && session.userId === claims.userId && session.role === claims.role;
  };
}

import type { AppContext } from '../../platform/context.js';
import { purgeSignInRecords as purgeBatch } from './session-store.js';

/** Sign-in attempts are kept this long (for investigations and new-device detection). */
export const LOGIN_ATTEMPTS_RETENTION_DAYS = 90;

const BATCH_SIZE = 5_000;
const BATCHES_MAX = 20;

/**
 * Deletes retired refresh-token hashes whose session has expired, and sign-in attempts older than
 * LOGIN_ATTEMPTS_RETENTION_DAYS, in bounded batches (one transaction each). Returns the rows deleted.
 * Meant to run periodically (like the idempotency purge).
 */
export async function purgeSignInRecords(context: AppContext): Promise<number> {
  const now = context.now();
  const attemptsBefore = new Date(now.getTime() - LOGIN_ATTEMPTS_RETENTION_DAYS * 86_400_000);
  let total = 0;
  for (let batch = 0; batch < BATCHES_MAX; batch += 1) {
    const deleted = await context.transact((tx) => purgeBatch(tx, { now, attemptsBefore, batchSize: BATCH_SIZE }));
    total += deleted;
    if (deleted === 0) break;
  }
  return total;
}

/**
 * KYC (know your customer): each customer's status is pending until an administrator verifies or
 * rejects it, with a reason. The status decides the customer's tier: accounts and payments apply
 * lower limits to customers who are not verified (see accounts/access.ts).
 */
import type { AppContext } from '../../platform/context.js';
import { isUuid } from '../../platform/ids.js';
import { recordAudit, type AuditActor } from '../audit/index.js';
import { identityErrors } from './errors.js';
import { withoutCredentials, type KycStatus, type User } from './store.js';
import { lockUser, updateKyc } from './users-store.js';

export const KYC_STATUSES: readonly KycStatus[] = ['pending', 'verified', 'rejected'];

/**
 * Sets a customer's KYC status with the reason for the decision (administrators through the API;
 * the seed and tools with the system actor). Setting the same status again records a new decision
 * (a periodic re-verification). Guarantees: the decision, who made it and when, and the audit row
 * `user.kyc_updated` commit together; nobody decides their own KYC. Errors: user_not_found (404),
 * self_change_forbidden (403), not_a_customer (409).
 */
export async function setKycStatus(
  context: AppContext,
  actor: AuditActor,
  input: { userId: string; status: KycStatus; reason: string },
): Promise<User> {
  if (!isUuid(input.userId)) throw identityErrors.userNotFound();
  if (actor.userId === input.userId) throw identityErrors.selfChangeForbidden();
  const reason = input.reason.trim();
  return context.transact(async (tx) => {
    const user = await lockUser(tx, input.userId);
    if (user === undefined) throw identityErrors.userNotFound();
    if (user.role !== 'customer') throw identityErrors.notACustomer();
    const updated = await updateKyc(tx, { id: user.id, status: input.status, reason, decidedBy: actor.userId, now: context.now() });
    await recordAudit(tx, {
      actor,
      action: 'user.kyc_updated',
      target: { type: 'user', id: user.id },
      before: { kyc_status: user.kycStatus, kyc_reason: user.kycReason },
      after: { kyc_status: updated.kycStatus, kyc_reason: updated.kycReason },
    });
    return withoutCredentials(updated);
  });
}

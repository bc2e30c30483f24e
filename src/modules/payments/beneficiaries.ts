import { isValidAccountNumber } from '../../core/account-number.js';
import { maskAccountNumber } from '../../core/masking.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid, newId } from '../../platform/ids.js';
import { findAccountByNumber, loadAccounts, type Account } from '../accounts/index.js';
import { recordAudit } from '../audit/index.js';
import { paymentErrors } from './errors.js';
import { countBeneficiaries, deleteBeneficiary, insertBeneficiary, listBeneficiaries, type BeneficiaryRecord } from './store.js';

export const BENEFICIARIES_MAX = 200;

export interface Beneficiary {
  readonly record: BeneficiaryRecord;
  readonly account: Account;
}

function customerOnly(principal: Principal): void {
  if (principal.role !== 'customer') throw paymentErrors.customersOnly();
}

/**
 * Saves another customer's account as a beneficiary. The account must exist and not be closed.
 * Errors: customers_only (403); invalid_account_number, recipient_not_found, own_account (422);
 * beneficiary_exists, beneficiary_limit_reached (409).
 */
export async function addBeneficiary(
  context: AppContext,
  principal: Principal,
  input: { name: string; accountNumber: string; nickname?: string | null | undefined },
): Promise<Beneficiary> {
  customerOnly(principal);
  const number = input.accountNumber.replace(/[\s-]/g, '');
  if (!isValidAccountNumber(number)) throw paymentErrors.invalidAccountNumber('account_number');
  const record = await findAccountByNumber(context.db, number);
  const account = record === undefined ? undefined : (await loadAccounts(context.db, [record.id])).get(record.id);
  if (account === undefined || account.ledger.status === 'closed') throw paymentErrors.recipientNotFound('account_number');
  if (account.record.ownerId === principal.userId) throw paymentErrors.ownAccountAsBeneficiary();
  if ((await countBeneficiaries(context.db, principal.userId)) >= BENEFICIARIES_MAX) throw paymentErrors.beneficiaryLimit(BENEFICIARIES_MAX);
  const nickname = input.nickname?.trim() ? input.nickname.trim() : null;
  const saved = await context.transact(async (tx) => {
    const inserted = await insertBeneficiary(tx, {
      id: newId(),
      ownerId: principal.userId,
      accountId: account.record.id,
      name: input.name.trim(),
      nickname,
    });
    if (inserted !== undefined) {
      await writeOutbox(tx, [
        {
          topic: 'beneficiary.added',
          userIds: [principal.userId],
          payload: { beneficiary_id: inserted.id, user_id: principal.userId, name: inserted.name, account_number_masked: maskAccountNumber(account.record.number) },
        },
      ]);
      await recordAudit(tx, {
        actor: principal,
        action: 'beneficiary.added',
        target: { type: 'beneficiary', id: inserted.id },
        after: { account_id: inserted.accountId, name: inserted.name, nickname: inserted.nickname },
      });
    }
    return inserted;
  });
  if (saved === undefined) throw paymentErrors.beneficiaryExists();
  return { record: saved, account };
}

/** The customer's beneficiaries, newest first. */
export async function beneficiariesOf(context: AppContext, principal: Principal): Promise<Beneficiary[]> {
  customerOnly(principal);
  const records = await listBeneficiaries(context.db, principal.userId, BENEFICIARIES_MAX);
  const accounts = await loadAccounts(context.db, records.map((record) => record.accountId));
  return records.flatMap((record) => {
    const account = accounts.get(record.accountId);
    return account === undefined ? [] : [{ record, account }];
  });
}

/** Deletes one of the customer's beneficiaries. Errors: beneficiary_not_found (404). */
export async function removeBeneficiary(context: AppContext, principal: Principal, id: string): Promise<void> {
  customerOnly(principal);
  const deleted =
    isUuid(id) &&
    (await context.transact(async (tx) => {
      const removed = await deleteBeneficiary(tx, { id, ownerId: principal.userId });
      if (removed) await recordAudit(tx, { actor: principal, action: 'beneficiary.removed', target: { type: 'beneficiary', id } });
      return removed;
    }));
  if (!deleted) throw paymentErrors.beneficiaryNotFound();
}

import { maskAccountNumber } from '../../core/masking.js';
import { currencyOf, formatAmount } from '../../core/money.js';
import type { Beneficiary } from './beneficiaries.js';
import type { TransferRecord } from './store.js';

export function transactionView(record: Omit<TransferRecord, 'seq'>) {
  return {
    id: record.id,
    type: record.kind,
    status: record.status,
    from_account_id: record.fromAccountId,
    to_account_id: record.toAccountId,
    amount: formatAmount(record.amountMinor, currencyOf(record.currency)),
    currency: record.currency,
    description: record.description,
    reversal_of: record.reversalOf,
    created_at: record.createdAt.toISOString(),
  };
}

/** A saved beneficiary: the account belongs to someone else, so its number is masked. */
export function beneficiaryView(beneficiary: Beneficiary) {
  return {
    id: beneficiary.record.id,
    name: beneficiary.record.name,
    nickname: beneficiary.record.nickname,
    account_number: maskAccountNumber(beneficiary.account.record.number),
    currency: beneficiary.account.record.currency,
    created_at: beneficiary.record.createdAt.toISOString(),
  };
}

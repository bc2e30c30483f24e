/**
 * Ledger accounts: opening customer and system accounts, and changing their status.
 */
import type { LedgerAccountKind, LedgerAccountStatus } from '../../core/ledger.js';
import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import { newId } from '../../platform/ids.js';
import { findSystemAccount, insertAccount, insertSystemAccountIfMissing, updateStatus, type LedgerAccount } from './store.js';

export type SystemAccountCode = 'cash_vault' | 'clearing' | 'bank_equity' | 'fee_income' | 'interest_expense';

const SYSTEM_ACCOUNTS: Record<SystemAccountCode, { name: string; kind: LedgerAccountKind; allowOverdraft: boolean }> = {
  cash_vault: { name: 'Cash vault', kind: 'asset', allowOverdraft: false },
  clearing: { name: 'Clearing', kind: 'asset', allowOverdraft: true },
  bank_equity: { name: 'Bank equity', kind: 'equity', allowOverdraft: true },
  fee_income: { name: 'Fee income', kind: 'income', allowOverdraft: false },
  interest_expense: { name: 'Interest expense', kind: 'expense', allowOverdraft: false },
};

/** Opens a customer's ledger account (a liability of the bank) with a zero balance. */
export function openCustomerLedgerAccount(
  tx: Tx,
  options: { id: string; name: string; category: string; currency: string; allowOverdraft?: boolean },
): Promise<LedgerAccount> {
  return insertAccount(tx, {
    id: options.id,
    name: options.name,
    kind: 'liability',
    category: options.category,
    currency: options.currency,
    allowOverdraft: options.allowOverdraft ?? false,
  });
}

/**
 * Returns the id of a system account in a currency, creating it on first use (the base currency's
 * accounts come from a migration).
 */
export async function systemAccountId(executor: Db | Tx, code: SystemAccountCode, currency: string): Promise<string> {
  const existing = await findSystemAccount(executor, code, currency);
  if (existing !== undefined) return existing.id;
  const spec = SYSTEM_ACCOUNTS[code];
  await insertSystemAccountIfMissing(executor, { id: newId(), code, currency, ...spec });
  const created = await findSystemAccount(executor, code, currency);
  if (created === undefined) throw new Error(`system account ${code} ${currency} could not be created`);
  return created.id;
}

const systemAccountIds = new WeakMap<AppContext, Map<string, string>>();

/** systemAccountId, remembered per application (a system account's id never changes). */
export async function cachedSystemAccountId(context: AppContext, code: SystemAccountCode, currency: string): Promise<string> {
  let known = systemAccountIds.get(context);
  if (known === undefined) {
    known = new Map();
    systemAccountIds.set(context, known);
  }
  const cacheKey = `${code}:${currency}`;
  let id = known.get(cacheKey);
  if (id === undefined) {
    id = await systemAccountId(context.db, code, currency);
    known.set(cacheKey, id);
  }
  return id;
}

/** Sets an account's status; the caller holds the account's lock and has checked the transition. */
export function setAccountStatus(tx: Tx, accountId: string, status: LedgerAccountStatus): Promise<void> {
  return updateStatus(tx, accountId, status);
}

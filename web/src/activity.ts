/**
 * A transaction seen from the customer's side: money in, money out, or a move between their own
 * accounts, with the accounts named the way the customer knows them.
 */
import { accountLabel } from './api/hooks';
import type { Account, Transaction } from './api/types';

export type Direction = 'in' | 'out' | 'internal';

export function directionOf(transaction: Transaction, ownIds: ReadonlySet<string>): Direction {
  const fromOwn = transaction.from_account_id !== null && ownIds.has(transaction.from_account_id);
  const toOwn = transaction.to_account_id !== null && ownIds.has(transaction.to_account_id);
  if (fromOwn && toOwn) return 'internal';
  return fromOwn ? 'out' : 'in';
}

/** The amount signed from the customer's side: "-500.00" out, "500.00" in or internal. */
export function signedAmount(transaction: Transaction, ownIds: ReadonlySet<string>): string {
  return directionOf(transaction, ownIds) === 'out' ? `-${transaction.amount}` : transaction.amount;
}

const TYPE_LABELS: Record<Transaction['type'], string> = { deposit: 'Deposit', withdrawal: 'Withdrawal', transfer: 'Transfer', reversal: 'Reversal' };

export function typeLabel(type: Transaction['type']): string {
  return TYPE_LABELS[type];
}

/** "Savings •••• 1234 → another account" */
export function routeLabel(transaction: Transaction, accounts: readonly Account[]): string {
  const name = (id: string | null) => {
    if (id === null) return 'cash';
    const account = accounts.find((item) => item.id === id);
    return account === undefined ? 'another account' : accountLabel(account);
  };
  if (transaction.type === 'deposit') return `into ${name(transaction.to_account_id)}`;
  if (transaction.type === 'withdrawal') return `from ${name(transaction.from_account_id)}`;
  return `${name(transaction.from_account_id)} → ${name(transaction.to_account_id)}`;
}

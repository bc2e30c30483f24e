/**
 * Deposits, withdrawals and transfers by customers. Each runs inside one database transaction
 * given by the caller (the idempotent command executor), and resolves every account inside it.
 */
import { isValidAccountNumber } from '../../core/account-number.js';
import { transferPostings } from '../../core/ledger.js';
import { currencyOf, parseAmount } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { accountErrors, dailyLimitMinor, findAccountByNumber, loadAccounts, type Account } from '../accounts/index.js';
import { systemAccountId } from '../ledger/index.js';
import { paymentErrors } from './errors.js';
import { postMovement } from './post-movement.js';
import { findBeneficiary, type TransferRecord } from './store.js';

export type AmountInput = string | number;

async function ownAccount(tx: Tx, principal: Principal, accountId: string): Promise<Account> {
  if (principal.role !== 'customer') throw paymentErrors.customersOnly();
  const account = (await loadAccounts(tx, [accountId])).get(accountId);
  if (account === undefined || account.record.ownerId !== principal.userId) throw accountErrors.notFound();
  return account;
}

function cleanDescription(description: string | null | undefined): string | null {
  const trimmed = description?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

export interface CashInput {
  readonly accountId: string;
  readonly amount: AmountInput;
  readonly description?: string | null | undefined;
}

/** Cash in or out of the customer's own account, against the bank's cash vault. */
async function cashMovement(context: AppContext, tx: Tx, principal: Principal, input: CashInput, kind: 'deposit' | 'withdrawal') {
  const account = await ownAccount(tx, principal, input.accountId);
  const currency = currencyOf(account.record.currency);
  const amountMinor = parseAmount(input.amount, currency);
  const vaultId = await systemAccountId(tx, 'cash_vault', currency.code);
  const customerId = account.record.id;
  const isDeposit = kind === 'deposit';
  return postMovement(context, tx, {
    kind,
    fromAccountId: isDeposit ? null : customerId,
    toAccountId: isDeposit ? customerId : null,
    amountMinor,
    currency: currency.code,
    description: cleanDescription(input.description) ?? (isDeposit ? 'Cash deposit' : 'Cash withdrawal'),
    initiatedBy: principal.userId,
    dailyLimitMinor: isDeposit ? undefined : dailyLimitMinor(context.config, account.record),
    postings: transferPostings({
      debitAccountId: isDeposit ? vaultId : customerId,
      creditAccountId: isDeposit ? customerId : vaultId,
      amountMinor,
    }),
  });
}

/**
 * Deposits money into the customer's own account (cash in, from the bank's cash vault).
 * Errors: customers_only (403), account_not_found (404), invalid_amount (422),
 * account_frozen, account_closed (409).
 */
export function deposit(context: AppContext, tx: Tx, principal: Principal, input: CashInput): Promise<TransferRecord> {
  return cashMovement(context, tx, principal, input, 'deposit');
}

/**
 * Withdraws money from the customer's own account (cash out, to the bank's cash vault).
 * Errors: customers_only (403), account_not_found (404), invalid_amount (422),
 * account_frozen, account_closed (409), daily_limit_exceeded (429), insufficient_funds (402).
 */
export function withdraw(context: AppContext, tx: Tx, principal: Principal, input: CashInput): Promise<TransferRecord> {
  return cashMovement(context, tx, principal, input, 'withdrawal');
}

export interface TransferInput {
  readonly fromAccountId: string;
  readonly toAccountId?: string | undefined;
  readonly toAccountNumber?: string | undefined;
  readonly beneficiaryId?: string | undefined;
  readonly amount: AmountInput;
  readonly description?: string | null | undefined;
}

async function resolveRecipient(tx: Tx, principal: Principal, input: TransferInput): Promise<Account> {
  const given = [input.toAccountId, input.toAccountNumber, input.beneficiaryId].filter((value) => value !== undefined);
  if (given.length !== 1) throw paymentErrors.recipientRequired();
  if (input.toAccountId !== undefined) {
    // By id, only the customer's own accounts; others are paid by account number or beneficiary.
    return ownAccount(tx, principal, input.toAccountId);
  }
  let accountId: string | undefined;
  let field = 'to_account_number';
  if (input.toAccountNumber !== undefined) {
    const number = input.toAccountNumber.replace(/[\s-]/g, '');
    if (!isValidAccountNumber(number)) throw paymentErrors.invalidAccountNumber(field);
    accountId = (await findAccountByNumber(tx, number))?.id;
  } else if (input.beneficiaryId !== undefined) {
    field = 'beneficiary_id';
    const beneficiary = isUuid(input.beneficiaryId) ? await findBeneficiary(tx, input.beneficiaryId) : undefined;
    if (beneficiary === undefined || beneficiary.ownerId !== principal.userId) throw paymentErrors.beneficiaryNotFound();
    accountId = beneficiary.accountId;
  }
  const account = accountId === undefined ? undefined : (await loadAccounts(tx, [accountId])).get(accountId);
  if (account === undefined || account.ledger.status === 'closed') throw paymentErrors.recipientNotFound(field);
  return account;
}

/**
 * Transfers money from the customer's account to another of their accounts (by id), to any
 * account by its number, or to a saved beneficiary.
 * Errors: customers_only (403), account_not_found, beneficiary_not_found (404); invalid_recipient,
 * invalid_account_number, recipient_not_found, same_account, currency_mismatch, invalid_amount
 * (422); account_frozen, account_closed (409); daily_limit_exceeded (429); insufficient_funds (402).
 */
export async function transfer(context: AppContext, tx: Tx, principal: Principal, input: TransferInput): Promise<TransferRecord> {
  const source = await ownAccount(tx, principal, input.fromAccountId);
  const target = await resolveRecipient(tx, principal, input);
  if (source.record.id === target.record.id) throw paymentErrors.sameAccount();
  if (source.record.currency !== target.record.currency) throw paymentErrors.currencyMismatch();
  const currency = currencyOf(source.record.currency);
  const amountMinor = parseAmount(input.amount, currency);
  return postMovement(context, tx, {
    kind: 'transfer',
    fromAccountId: source.record.id,
    toAccountId: target.record.id,
    amountMinor,
    currency: currency.code,
    description: cleanDescription(input.description),
    initiatedBy: principal.userId,
    dailyLimitMinor: dailyLimitMinor(context.config, source.record),
    postings: transferPostings({ debitAccountId: source.record.id, creditAccountId: target.record.id, amountMinor }),
  });
}

/**
 * Deposits, withdrawals and transfers by customers. Each is first prepared (who may move what,
 * from where to where, how much: facts that never change, read from memory or the database
 * without locks), then posted as a command: through the transfer engine for API requests, or
 * directly in a caller's transaction for library use (demo data, tools). The state that can change
 * (statuses, balances, limits) is checked only when posting, under lock.
 */
import { isValidAccountNumber } from '../../core/account-number.js';
import { transferPostings } from '../../core/ledger.js';
import { currencyOf, parseAmount } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { accountErrors, accountFacts, accountFactsByNumber, type AccountFacts } from '../accounts/index.js';
import { cachedSystemAccountId } from '../ledger/index.js';
import { paymentErrors } from './errors.js';
import { postOne, type MovementCommand, type PostedTransfer } from './post-batch.js';
import { findBeneficiary } from './store.js';
import { transactionView } from './views.js';

export type AmountInput = string | number;

/** A command before its idempotency key and request path are attached. */
export type PreparedMovement = Omit<MovementCommand, 'idempotency' | 'path'>;

async function ownAccount(context: AppContext, principal: Principal, accountId: string): Promise<AccountFacts> {
  if (principal.role !== 'customer') throw paymentErrors.customersOnly();
  const account = await accountFacts(context, accountId);
  if (account === undefined || account.ownerId !== principal.userId) throw accountErrors.notFound();
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

/**
 * Prepares cash in or out of the customer's own account, against the bank's cash vault.
 * Errors: customers_only (403), account_not_found (404), invalid_amount (422). When posted:
 * account_frozen, account_closed (409); for withdrawals also daily_limit_exceeded (429) and
 * insufficient_funds (402).
 */
export async function prepareCash(
  context: AppContext,
  principal: Principal,
  input: CashInput,
  kind: 'deposit' | 'withdrawal',
): Promise<PreparedMovement> {
  const account = await ownAccount(context, principal, input.accountId);
  const currency = currencyOf(account.currency);
  const amountMinor = parseAmount(input.amount, currency);
  const vaultId = await cachedSystemAccountId(context, 'cash_vault', currency.code);
  const isDeposit = kind === 'deposit';
  return {
    kind,
    fromAccountId: isDeposit ? null : account.id,
    toAccountId: isDeposit ? account.id : null,
    amountMinor,
    currency: currency.code,
    description: cleanDescription(input.description) ?? (isDeposit ? 'Cash deposit' : 'Cash withdrawal'),
    initiatedBy: principal.userId,
    actor: principal,
    limited: !isDeposit,
    creditsWallet: isDeposit && account.type === 'wallet',
    postings: transferPostings({
      debitAccountId: isDeposit ? vaultId : account.id,
      creditAccountId: isDeposit ? account.id : vaultId,
      amountMinor,
    }),
  };
}

export interface TransferInput {
  readonly fromAccountId: string;
  readonly toAccountId?: string | undefined;
  readonly toAccountNumber?: string | undefined;
  readonly beneficiaryId?: string | undefined;
  readonly amount: AmountInput;
  readonly description?: string | null | undefined;
}

async function resolveRecipient(context: AppContext, principal: Principal, input: TransferInput): Promise<AccountFacts> {
  const given = [input.toAccountId, input.toAccountNumber, input.beneficiaryId].filter((value) => value !== undefined);
  if (given.length !== 1) throw paymentErrors.recipientRequired();
  if (input.toAccountId !== undefined) {
    // By id, only the customer's own accounts; others are paid by account number or beneficiary.
    return ownAccount(context, principal, input.toAccountId);
  }
  if (input.toAccountNumber !== undefined) {
    const number = input.toAccountNumber.replace(/[\s-]/g, '');
    if (!isValidAccountNumber(number)) throw paymentErrors.invalidAccountNumber('to_account_number');
    const account = await accountFactsByNumber(context, number);
    if (account === undefined) throw paymentErrors.recipientNotFound('to_account_number');
    return account;
  }
  const beneficiaryId = input.beneficiaryId as string;
  const beneficiary = isUuid(beneficiaryId) ? await findBeneficiary(context.db, beneficiaryId) : undefined;
  if (beneficiary === undefined || beneficiary.ownerId !== principal.userId) throw paymentErrors.beneficiaryNotFound();
  const account = await accountFacts(context, beneficiary.accountId);
  if (account === undefined) throw paymentErrors.recipientNotFound('beneficiary_id');
  return account;
}

/**
 * Prepares a transfer from the customer's account to another of their accounts (by id), to any
 * account by its number, or to a saved beneficiary.
 * Errors: customers_only (403), account_not_found, beneficiary_not_found (404); invalid_recipient,
 * invalid_account_number, recipient_not_found, same_account, currency_mismatch, invalid_amount
 * (422). When posted: account_frozen, account_closed (409), daily_limit_exceeded (429),
 * insufficient_funds (402).
 */
export async function prepareTransfer(context: AppContext, principal: Principal, input: TransferInput): Promise<PreparedMovement> {
  const source = await ownAccount(context, principal, input.fromAccountId);
  const target = await resolveRecipient(context, principal, input);
  if (source.id === target.id) throw paymentErrors.sameAccount();
  if (source.currency !== target.currency) throw paymentErrors.currencyMismatch();
  const currency = currencyOf(source.currency);
  const amountMinor = parseAmount(input.amount, currency);
  return {
    kind: 'transfer',
    fromAccountId: source.id,
    toAccountId: target.id,
    amountMinor,
    currency: currency.code,
    description: cleanDescription(input.description),
    initiatedBy: principal.userId,
    actor: principal,
    limited: true,
    creditsWallet: target.type === 'wallet',
    postings: transferPostings({ debitAccountId: source.id, creditAccountId: target.id, amountMinor }),
  };
}

/**
 * Posts a prepared movement in a transaction of its own, without the engine (library use: demo
 * data, tools). Preparing happens before the transaction opens, as PGlite has one connection.
 */
async function postNow(context: AppContext, prepare: () => Promise<PreparedMovement>): Promise<PostedTransfer> {
  const movement = await prepare();
  return context.transact((tx) => postOne(context, tx, { ...movement, path: '' }, transactionView));
}

/** Deposits now (library use). Errors: those of prepareCash. */
export function deposit(context: AppContext, principal: Principal, input: CashInput): Promise<PostedTransfer> {
  return postNow(context, () => prepareCash(context, principal, input, 'deposit'));
}

/** Withdraws now (library use). Errors: those of prepareCash. */
export function withdraw(context: AppContext, principal: Principal, input: CashInput): Promise<PostedTransfer> {
  return postNow(context, () => prepareCash(context, principal, input, 'withdrawal'));
}

/** Transfers now (library use). Errors: those of prepareTransfer. */
export function transfer(context: AppContext, principal: Principal, input: TransferInput): Promise<PostedTransfer> {
  return postNow(context, () => prepareTransfer(context, principal, input));
}

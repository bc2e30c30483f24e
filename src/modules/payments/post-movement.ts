/**
 * Posting one money movement inside the caller's transaction: lock the ledger accounts in a fixed
 * order, check the statuses, the daily limit and the funds against the locked balances, then write
 * the journal entry and the transfer record. Every check happens before the first write, so a
 * refusal leaves nothing behind.
 */
import { bankDay } from '../../core/time.js';
import { currencyOf, formatAmount } from '../../core/money.js';
import type { Posting } from '../../core/ledger.js';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import { newId } from '../../platform/ids.js';
import { lockAccounts, refusalError, tryApply, writeEntries, type AccountStates } from '../ledger/index.js';
import { paymentErrors } from './errors.js';
import { insertTransfers, outgoingSince, type MovementKind, type TransferRecord } from './store.js';

export interface Movement {
  readonly kind: MovementKind;
  /** The customer account debited (null for deposits). */
  readonly fromAccountId: string | null;
  /** The customer account credited (null for withdrawals). */
  readonly toAccountId: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string | null;
  readonly initiatedBy: string;
  readonly postings: readonly Posting[];
  /** The daily limit that applies to money leaving fromAccountId, if any. */
  readonly dailyLimitMinor?: bigint | undefined;
  readonly reversal?: { readonly transferId: string; readonly entryId: string; readonly reason: string } | undefined;
}

function describeAccount(movement: Movement) {
  return (accountId: string) =>
    accountId === movement.fromAccountId
      ? 'The source account'
      : accountId === movement.toAccountId
        ? 'The destination account'
        : 'A bank account';
}

function checkStatuses(states: AccountStates, movement: Movement): void {
  for (const accountId of [movement.fromAccountId, movement.toAccountId]) {
    if (accountId === null) continue;
    const state = states.get(accountId);
    if (state === undefined) throw new Error(`account ${accountId} vanished`);
    if (state.status !== 'active') {
      throw refusalError({ code: state.status === 'closed' ? 'account_closed' : 'account_frozen', accountId }, describeAccount(movement));
    }
  }
}

async function checkDailyLimit(context: AppContext, tx: Tx, movement: Movement): Promise<void> {
  if (movement.dailyLimitMinor === undefined || movement.fromAccountId === null) return;
  const now = context.now();
  const day = bankDay(now, context.config.BANK_TIMEZONE);
  const usedMinor = await outgoingSince(tx, movement.fromAccountId, day.startsAt);
  if (usedMinor + movement.amountMinor > movement.dailyLimitMinor) {
    const remainingMinor = movement.dailyLimitMinor > usedMinor ? movement.dailyLimitMinor - usedMinor : 0n;
    throw paymentErrors.dailyLimitExceeded({
      remaining: `${formatAmount(remainingMinor, currencyOf(movement.currency))} ${movement.currency}`,
      retryAfterSeconds: Math.max(1, Math.ceil((day.endsAt.getTime() - now.getTime()) / 1000)),
    });
  }
}

/**
 * Posts a movement. Errors: account_frozen, account_closed (409), daily_limit_exceeded (429),
 * insufficient_funds (402), currency_mismatch (422).
 */
export async function postMovement(context: AppContext, tx: Tx, movement: Movement): Promise<TransferRecord> {
  const outcome = movement.kind;
  try {
    const states = await lockAccounts(tx, movement.postings.map((posting) => posting.accountId));
    checkStatuses(states, movement);
    await checkDailyLimit(context, tx, movement);
    const refusal = tryApply(states, movement.postings);
    if (refusal !== null) throw refusalError(refusal, describeAccount(movement));
    const entryId = newId();
    await writeEntries(tx, states, [
      {
        id: entryId,
        kind: movement.kind,
        description: movement.description,
        postings: movement.postings,
        reversesEntryId: movement.reversal?.entryId ?? null,
      },
    ]);
    const [record] = await insertTransfers(tx, [
      {
        id: newId(),
        kind: movement.kind,
        fromAccountId: movement.fromAccountId,
        toAccountId: movement.toAccountId,
        amountMinor: movement.amountMinor,
        currency: movement.currency,
        description: movement.description,
        entryId,
        reversalOf: movement.reversal?.transferId ?? null,
        reason: movement.reversal?.reason ?? null,
        initiatedBy: movement.initiatedBy,
      },
    ]);
    if (record === undefined) throw new Error('transfer record not written');
    context.metrics.moneyMovements.inc({ type: outcome, outcome: 'posted' });
    return record;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    context.metrics.moneyMovements.inc({ type: outcome, outcome: typeof code === 'string' && /^[a-z_]+$/.test(code) ? code : 'error' });
    throw error;
  }
}

/**
 * The only writer of the books. A caller locks the accounts it will touch (lockAccounts), decides
 * entry by entry against the running balances (tryApply), and writes the accepted entries at once
 * (writeEntries). The database re-checks everything on insert: entries balance, balances follow
 * postings, non-overdraft balances stay non-negative, closed accounts receive nothing.
 */
import { applyEntry, type LedgerAccountState, type Posting, type Refusal } from '../../core/ledger.js';
import type { Tx } from '../../platform/db/transaction.js';
import { insertEntries, lockAccounts as lockAccountRows, type PostingRow } from './store.js';

export type AccountStates = Map<string, LedgerAccountState>;

export interface NewEntry {
  readonly id: string;
  /** What the entry records: deposit, withdrawal, transfer, reversal, ... */
  readonly kind: string;
  readonly description: string | null;
  readonly postings: readonly Posting[];
  readonly reversesEntryId?: string | null;
}

/** Locks the accounts (ascending id order) and returns their states; missing ids are absent. */
export function lockAccounts(tx: Tx, accountIds: readonly string[]): Promise<AccountStates> {
  return lockAccountRows(tx, accountIds);
}

/** Applies an entry to the running states when acceptable; otherwise returns why not and changes nothing. */
export function tryApply(states: AccountStates, postings: readonly Posting[]): Refusal | null {
  return applyEntry(states, postings);
}

/**
 * Writes entries already accepted by tryApply against `states`, with two set-based statements.
 * Returns the commit timestamp of the entries (the transaction's time).
 */
export async function writeEntries(tx: Tx, states: AccountStates, entries: readonly NewEntry[]): Promise<Date> {
  if (entries.length === 0) throw new Error('writeEntries needs at least one entry');
  const postings: PostingRow[] = [];
  for (const entry of entries) {
    for (const posting of entry.postings) {
      const state = states.get(posting.accountId);
      if (state === undefined) throw new Error(`account ${posting.accountId} was not locked`);
      postings.push({ entryId: entry.id, accountId: posting.accountId, currency: state.currency, amountMinor: posting.amountMinor });
    }
  }
  return insertEntries(
    tx,
    entries.map((entry) => ({ id: entry.id, kind: entry.kind, description: entry.description, reversesEntryId: entry.reversesEntryId ?? null })),
    postings,
  );
}

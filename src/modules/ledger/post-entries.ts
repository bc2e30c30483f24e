/**
 * The only writer of the books. A caller locks the accounts it will touch (lockAccounts), decides
 * entry by entry against the running balances (tryApply), and writes the accepted entries at once
 * (writeEntries). The database re-checks everything on insert: entries balance, balances follow
 * postings, non-overdraft balances stay non-negative, closed accounts receive nothing.
 */
import { applyEntry, type LedgerAccountState, type Posting, type Refusal } from '../../core/ledger.js';
import type { Tx } from '../../platform/db/transaction.js';
import { insertEntriesStatements, lockAccountsStatement, type PostingRow } from './store.js';
import { runStatement, type Statement } from '../../platform/db/script.js';

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
  return runStatement(tx, lockAccountsStatement(accountIds));
}

/** The statement form of lockAccounts, for a script. */
export function lockAccountsFor(accountIds: readonly string[]): Statement<AccountStates> {
  return lockAccountsStatement(accountIds);
}

/** Applies an entry to the running states when acceptable; otherwise returns why not and changes nothing. */
export function tryApply(states: AccountStates, postings: readonly Posting[]): Refusal | null {
  return applyEntry(states, postings);
}

/**
 * The statements that write entries already accepted by tryApply against `states` (two set-based
 * inserts; the posting trigger re-checks them and updates each balance once).
 */
export function writeEntriesFor(states: AccountStates, entries: readonly NewEntry[]): Statement<void>[] {
  if (entries.length === 0) throw new Error('writeEntries needs at least one entry');
  const postings: PostingRow[] = [];
  for (const entry of entries) {
    for (const posting of entry.postings) {
      const state = states.get(posting.accountId);
      if (state === undefined) throw new Error(`account ${posting.accountId} was not locked`);
      postings.push({ entryId: entry.id, accountId: posting.accountId, currency: state.currency, amountMinor: posting.amountMinor });
    }
  }
  return insertEntriesStatements(
    entries.map((entry) => ({ id: entry.id, kind: entry.kind, description: entry.description, reversesEntryId: entry.reversesEntryId ?? null })),
    postings,
  );
}

/**
 * Pure double-entry arithmetic. A posting's amount is signed: a debit is positive and a credit is
 * negative, so the postings of a balanced entry sum to zero in each currency. An account's balance is
 * kept on its normal side: debit-normal accounts (assets, expenses) grow with debits, credit-normal
 * accounts (liabilities such as customer deposits, equity, income) grow with credits. The database
 * enforces the same rules (see the ledger migration); this module lets the write path decide, before
 * writing, whether each entry of a batch is accepted, against running balances.
 */
export type LedgerAccountKind = 'asset' | 'liability' | 'equity' | 'income' | 'expense';
export type LedgerAccountStatus = 'active' | 'frozen' | 'closed';

export const LEDGER_ACCOUNT_KINDS: readonly LedgerAccountKind[] = ['asset', 'liability', 'equity', 'income', 'expense'];

export interface LedgerAccountState {
  readonly id: string;
  readonly kind: LedgerAccountKind;
  readonly currency: string;
  readonly status: LedgerAccountStatus;
  readonly allowOverdraft: boolean;
  /** Balance on the account's normal side, in minor units. */
  balanceMinor: bigint;
}

export interface Posting {
  readonly accountId: string;
  /** Debit positive, credit negative, never zero. */
  readonly amountMinor: bigint;
}

export type RefusalCode = 'account_frozen' | 'account_closed' | 'insufficient_funds' | 'currency_mismatch';

export interface Refusal {
  readonly code: RefusalCode;
  readonly accountId: string;
}

/** +1 for debit-normal kinds, -1 for credit-normal kinds. */
export function normalSign(kind: LedgerAccountKind): 1n | -1n {
  return kind === 'asset' || kind === 'expense' ? 1n : -1n;
}

/** How a posting changes the balance of an account of the given kind. */
export function balanceDelta(kind: LedgerAccountKind, postingAmountMinor: bigint): bigint {
  return normalSign(kind) * postingAmountMinor;
}

/** The two postings that move an amount from one account to another (debit one, credit the other). */
export function transferPostings(options: {
  debitAccountId: string;
  creditAccountId: string;
  amountMinor: bigint;
}): Posting[] {
  if (options.amountMinor <= 0n) throw new RangeError('a transfer amount must be positive');
  if (options.debitAccountId === options.creditAccountId) throw new RangeError('a transfer needs two accounts');
  return [
    { accountId: options.debitAccountId, amountMinor: options.amountMinor },
    { accountId: options.creditAccountId, amountMinor: -options.amountMinor },
  ];
}

/** The postings that undo an entry: the same accounts with every sign flipped. */
export function reversalPostings(postings: readonly Posting[]): Posting[] {
  return postings.map((posting) => ({ accountId: posting.accountId, amountMinor: -posting.amountMinor }));
}

/** Whether postings sum to zero in each currency and none is zero. */
export function isBalanced(postings: readonly { currency: string; amountMinor: bigint }[]): boolean {
  if (postings.length < 2) return false;
  const sums = new Map<string, bigint>();
  for (const posting of postings) {
    if (posting.amountMinor === 0n) return false;
    sums.set(posting.currency, (sums.get(posting.currency) ?? 0n) + posting.amountMinor);
  }
  for (const sum of sums.values()) if (sum !== 0n) return false;
  return true;
}

/**
 * Applies one entry to running account states. When the entry is acceptable, the balances in
 * `states` are updated and null is returned; otherwise nothing changes and the refusal says why.
 * Every posting's account must be present in `states` (a programming error otherwise).
 */
export function applyEntry(states: ReadonlyMap<string, LedgerAccountState>, postings: readonly Posting[]): Refusal | null {
  const touched = postings.map((posting) => {
    const state = states.get(posting.accountId);
    if (state === undefined) throw new Error(`account ${posting.accountId} was not loaded`);
    return { posting, state };
  });
  if (!isBalanced(touched.map(({ posting, state }) => ({ currency: state.currency, amountMinor: posting.amountMinor })))) {
    throw new Error('entry is not balanced');
  }
  const firstCurrency = touched[0]?.state.currency;
  for (const { state } of touched) {
    if (state.status === 'closed') return { code: 'account_closed', accountId: state.id };
    if (state.status === 'frozen') return { code: 'account_frozen', accountId: state.id };
  }
  // Cross-currency entries go through FX position accounts, each leg in its own currency; a plain
  // entry must stay in one currency.
  for (const { state } of touched) {
    if (state.currency !== firstCurrency) return { code: 'currency_mismatch', accountId: state.id };
  }
  const next = new Map<string, bigint>();
  for (const { posting, state } of touched) {
    const current = next.get(state.id) ?? state.balanceMinor;
    next.set(state.id, current + balanceDelta(state.kind, posting.amountMinor));
  }
  for (const [accountId, balanceMinor] of next) {
    const state = states.get(accountId);
    if (state !== undefined && !state.allowOverdraft && balanceMinor < 0n) {
      return { code: 'insufficient_funds', accountId };
    }
  }
  for (const [accountId, balanceMinor] of next) {
    const state = states.get(accountId);
    if (state !== undefined) state.balanceMinor = balanceMinor;
  }
  return null;
}

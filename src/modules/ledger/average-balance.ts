/**
 * The average balance of an account over a past period, weighted by time: each balance counts for
 * as long as it stood. With one change a day this equals the mean of the end-of-day balances, the
 * usual "average balance" of a bank; unlike that mean it is also defined for an account opened
 * today. Low-balance alerts compare a new balance with a share of it.
 */
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import { balanceChanges } from './store.js';

/** At most this many balance changes (distinct instants) are read; older ones count as the earliest read. */
const CHANGES_MAX = 10_000;

export interface BalanceHistory {
  /** Start of the period (the account's opening when later than the period's start). */
  readonly from: Date;
  /** End of the period, excluded. */
  readonly to: Date;
  /** The balance just before `to`. */
  readonly balanceAtToMinor: bigint;
  /** Changes of the balance in [from, to), oldest first. */
  readonly changes: readonly { readonly at: Date; readonly deltaMinor: bigint }[];
}

/**
 * The time-weighted average of the balance over [from, to), rounded toward zero; undefined when the
 * period is empty. Pure: walks back from the balance at `to`.
 */
export function timeWeightedAverage(history: BalanceHistory): bigint | undefined {
  const fromMs = BigInt(history.from.getTime());
  const toMs = BigInt(history.to.getTime());
  if (toMs <= fromMs) return undefined;
  let weighted = 0n;
  let balance = history.balanceAtToMinor;
  let segmentEndMs = toMs;
  for (let index = history.changes.length - 1; index >= 0; index -= 1) {
    const change = history.changes[index];
    if (change === undefined) continue;
    const atMs = BigInt(change.at.getTime());
    const startMs = atMs < fromMs ? fromMs : atMs;
    if (startMs < segmentEndMs) weighted += balance * (segmentEndMs - startMs);
    segmentEndMs = startMs < segmentEndMs ? startMs : segmentEndMs;
    balance -= change.deltaMinor;
  }
  weighted += balance * (segmentEndMs - fromMs);
  return weighted / (toMs - fromMs);
}

/**
 * The time-weighted average balance of a ledger account over the `days` days before `asOf`
 * (asOf excluded), counted from the account's opening when it is younger. Undefined for an unknown
 * account or an empty period. Reads the postings of the period, summed per instant.
 */
export async function averageBalance(
  executor: Db | Tx,
  options: { accountId: string; asOf: Date; days: number },
): Promise<bigint | undefined> {
  const periodStart = new Date(options.asOf.getTime() - options.days * 86_400_000);
  const read = await balanceChanges(executor, { accountId: options.accountId, from: periodStart, to: options.asOf, limit: CHANGES_MAX });
  if (read.account === undefined) return undefined;
  const from = read.account.createdAt > periodStart ? read.account.createdAt : periodStart;
  return timeWeightedAverage({ from, to: options.asOf, balanceAtToMinor: read.balanceAtToMinor, changes: read.changes });
}

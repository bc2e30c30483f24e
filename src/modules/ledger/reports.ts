/**
 * Read-only views of the books: the integrity check and the balance sheet.
 */
import { LEDGER_ACCOUNT_KINDS, type LedgerAccountKind } from '../../core/ledger.js';
import type { Db } from '../../platform/db/database.js';
import type { AppContext } from '../../platform/context.js';
import { balanceSheetRows, integrityProblems, readAccounts, transactionTime, type IntegrityProblem, type LedgerAccount } from './store.js';

export const INTEGRITY_PROBLEMS_MAX = 1000;

/** One row per problem (at most 1000), none when the books are right. */
export function checkIntegrity(db: Db): Promise<IntegrityProblem[]> {
  return integrityProblems(db, INTEGRITY_PROBLEMS_MAX);
}

export interface BalanceSheetLine {
  readonly category: string;
  readonly code: string | null;
  readonly accountCount: number;
  readonly balanceMinor: bigint;
}

export interface BalanceSheetSection {
  readonly totalMinor: bigint;
  readonly lines: BalanceSheetLine[];
}

export interface BalanceSheet {
  readonly currency: string;
  readonly sections: Record<LedgerAccountKind, BalanceSheetSection>;
  /** Assets + expenses - (liabilities + equity + income): zero when the books balance. */
  readonly differenceMinor: bigint;
}

/**
 * The balance sheet per currency: totals by account kind and category (customer account types), with
 * each system account on its own line. Assets equal liabilities plus equity plus net income.
 */
export async function balanceSheet(db: Db): Promise<BalanceSheet[]> {
  const rows = await balanceSheetRows(db);
  const byCurrency = new Map<string, BalanceSheet>();
  for (const row of rows) {
    let sheet = byCurrency.get(row.currency);
    if (sheet === undefined) {
      const sections = Object.fromEntries(
        LEDGER_ACCOUNT_KINDS.map((kind) => [kind, { totalMinor: 0n, lines: [] as BalanceSheetLine[] }]),
      ) as unknown as Record<LedgerAccountKind, { totalMinor: bigint; lines: BalanceSheetLine[] }>;
      sheet = { currency: row.currency, sections, differenceMinor: 0n };
      byCurrency.set(row.currency, sheet);
    }
    const section = sheet.sections[row.kind] as { totalMinor: bigint; lines: BalanceSheetLine[] };
    section.lines.push({ category: row.category, code: row.code, accountCount: Number(row.accountCount), balanceMinor: row.balanceMinor });
    section.totalMinor += row.balanceMinor;
  }
  return [...byCurrency.values()].map((sheet) => {
    const s = sheet.sections;
    const differenceMinor = s.asset.totalMinor + s.expense.totalMinor - (s.liability.totalMinor + s.equity.totalMinor + s.income.totalMinor);
    return { ...sheet, differenceMinor };
  });
}

/**
 * Balances of several accounts read in one snapshot (a read-only REPEATABLE READ transaction), so
 * that their sum is the sum at one instant even while money moves between them.
 */
export async function snapshotBalances(context: AppContext, ids: readonly string[]): Promise<{ asOf: Date; accounts: LedgerAccount[] }> {
  return context.transact(
    async (tx) => {
      const accounts = await readAccounts(tx, ids);
      const asOf = await transactionTime(tx);
      const order = new Map(ids.map((id, index) => [id, index]));
      accounts.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      return { asOf, accounts };
    },
    { isolation: 'repeatable read', readOnly: true },
  );
}

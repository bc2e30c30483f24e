import { toCsv } from '../../core/csv.js';
import { maskAccountNumber } from '../../core/masking.js';
import { currencyOf, formatAmount } from '../../core/money.js';
import { localDateTime } from '../../core/time.js';
import type { Config } from '../../platform/config.js';
import type { StatementPosting } from '../ledger/index.js';
import { dailyLimitMinor, type Account } from './access.js';
import type { Statement } from './statement.js';

/** Who looks at an account: its owner sees the full number, anyone else (staff) a masked one. */
export interface Viewer {
  readonly userId: string;
}

/** The account number as the viewer may see it. */
export function numberFor(account: Account, viewer: Viewer): string {
  return account.record.ownerId === viewer.userId ? account.record.number : maskAccountNumber(account.record.number);
}

export function accountView(account: Account, config: Config, viewer: Viewer) {
  const currency = currencyOf(account.record.currency);
  return {
    id: account.record.id,
    number: numberFor(account, viewer),
    type: account.record.type,
    currency: currency.code,
    nickname: account.record.nickname,
    balance: formatAmount(account.ledger.balanceMinor, currency),
    status: account.ledger.status,
    owner_id: account.record.ownerId,
    daily_limit: formatAmount(dailyLimitMinor(config, account.record), currency),
    frozen_by_bank: account.record.frozenByBank,
    created_at: account.record.createdAt.toISOString(),
    closed_at: account.ledger.closedAt?.toISOString() ?? null,
  };
}

export function statementLineView(line: StatementPosting, currencyCode: string) {
  const currency = currencyOf(currencyCode);
  return {
    entry_id: line.entryId,
    date: line.createdAt.toISOString(),
    type: line.kind,
    description: line.description,
    amount: formatAmount(line.deltaMinor, currency),
    balance: formatAmount(line.balanceAfterMinor, currency),
  };
}

export function statementView(statement: Statement, viewer: Viewer) {
  const currency = currencyOf(statement.account.record.currency);
  let credits = 0n;
  let debits = 0n;
  for (const line of statement.lines) {
    if (line.deltaMinor > 0n) credits += line.deltaMinor;
    else debits -= line.deltaMinor;
  }
  return {
    account_id: statement.account.record.id,
    number: numberFor(statement.account, viewer),
    currency: currency.code,
    from: statement.from,
    to: statement.to,
    opening_balance: formatAmount(statement.openingBalanceMinor, currency),
    closing_balance: formatAmount(statement.closingBalanceMinor, currency),
    total_credits: formatAmount(credits, currency),
    total_debits: formatAmount(debits, currency),
    lines: statement.lines.map((line) => statementLineView(line, currency.code)),
  };
}

/** The statement as CSV: one row per posting between an opening and a closing balance row. */
export function statementCsv(statement: Statement, timeZone: string): string {
  const currency = currencyOf(statement.account.record.currency);
  const money = (minor: bigint) => formatAmount(minor, currency);
  const rows: (string | null)[][] = [
    ['Date', 'Description', 'Type', 'Reference', 'Debit', 'Credit', 'Balance', 'Currency'],
    [statement.from, 'Opening balance', null, null, null, null, money(statement.openingBalanceMinor), currency.code],
  ];
  for (const line of statement.lines) {
    rows.push([
      localDateTime(line.createdAt, timeZone),
      line.description ?? '',
      line.kind,
      line.entryId,
      line.deltaMinor < 0n ? money(-line.deltaMinor) : null,
      line.deltaMinor > 0n ? money(line.deltaMinor) : null,
      money(line.balanceAfterMinor),
      currency.code,
    ]);
  }
  rows.push([statement.to, 'Closing balance', null, null, null, null, money(statement.closingBalanceMinor), currency.code]);
  return toCsv(rows);
}

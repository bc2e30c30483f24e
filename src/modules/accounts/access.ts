/**
 * Loading accounts with their ledger state, and who may see them: a customer sees only their own
 * accounts (another customer's account is "not found"), staff see every account.
 */
import { isStaff } from '../../core/roles.js';
import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { readAccounts, type LedgerAccount } from '../ledger/index.js';
import { parseAmount, currencyOf } from '../../core/money.js';
import type { Config } from '../../platform/config.js';
import { accountErrors } from './errors.js';
import { accountsByIdsStatement, findAccountsByIds, type AccountRecord, type AccountType } from './store.js';
import type { Statement } from '../../platform/db/script.js';

export interface Account {
  readonly record: AccountRecord;
  readonly ledger: LedgerAccount;
}

export async function loadAccounts(executor: Db | Tx, ids: readonly string[]): Promise<Map<string, Account>> {
  const validIds = ids.filter(isUuid);
  const [records, ledgerAccounts] = await Promise.all([findAccountsByIds(executor, validIds), readAccounts(executor, validIds)]);
  const ledgerById = new Map(ledgerAccounts.map((account) => [account.id, account]));
  const accounts = new Map<string, Account>();
  for (const record of records) {
    const ledger = ledgerById.get(record.id);
    if (ledger !== undefined) accounts.set(record.id, { record, ledger });
  }
  return accounts;
}

/** The account if the principal may see it; otherwise account_not_found (404). */
export async function visibleAccount(context: AppContext, principal: Principal, id: string): Promise<Account> {
  const account = (await loadAccounts(context.db, [id])).get(id);
  if (account === undefined) throw accountErrors.notFound();
  if (!isStaff(principal.role) && account.record.ownerId !== principal.userId) throw accountErrors.notFound();
  return account;
}

/** The account if the principal owns it; otherwise account_not_found (404). */
export async function ownedAccount(context: AppContext, principal: Principal, id: string): Promise<Account> {
  const account = (await loadAccounts(context.db, [id])).get(id);
  if (account === undefined || account.record.ownerId !== principal.userId) throw accountErrors.notFound();
  return account;
}

/** The daily limit of an account: its own when an admin set one, else the default of its type. */
export function dailyLimitMinor(config: Config, record: AccountRecord): bigint {
  if (record.dailyLimitMinor !== null) return record.dailyLimitMinor;
  return defaultDailyLimitMinor(config, record.type, record.currency);
}

export function defaultDailyLimitMinor(config: Config, type: AccountType, currency: string): bigint {
  const text = type === 'checking' ? config.DAILY_LIMIT_CHECKING : type === 'wallet' ? config.DAILY_LIMIT_WALLET : config.DAILY_LIMIT_SAVINGS;
  const unit = currencyOf(currency);
  // Defaults are configured in the base currency's major units; other currencies use the same
  // number of major units (converted limits arrive with multi-currency support).
  const [whole = '0', fraction = ''] = text.split('.');
  return parseAmount(`${whole}${unit.exponent > 0 ? `.${fraction.padEnd(unit.exponent, '0').slice(0, unit.exponent)}` : ''}`, unit, { allowZero: true, maxMinor: 10n ** 18n });
}

/** The daily limits of several accounts, as a statement for the caller's transaction (admins may change them). */
export function dailyLimitsStatement(config: Config, ids: readonly string[]): Statement<Map<string, bigint>> {
  const statement = accountsByIdsStatement(ids.filter(isUuid));
  return {
    sql: statement.sql,
    parse: (rows) => new Map(statement.parse(rows).map((record) => [record.id, dailyLimitMinor(config, record)])),
  };
}
